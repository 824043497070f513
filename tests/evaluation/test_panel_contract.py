"""Bad firm panel files are rejected whole, naming file, row and column."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.evaluation.contract import PanelError, read_panel
from pipelines.synthetic.firm_panel import (
    REFRESH_PANEL,
    PanelSpec,
    generate_panel,
    is_current,
    write_panel,
)
from tests.evaluation.helpers import panel, register

GOOD = (
    "cvr;year;fte;turnover_dkk;value_added_dkk;export_dkk;rd_expenditure_dkk;industry;region\n"
    "90000020;2024;12,5;10.000.000,00;4000000;0;250000;62;84\n"
)


def _write(folder, name, text):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_good_csv_with_danish_numbers_is_read(tmp_path):
    df = read_panel(_write(tmp_path / "p", "panel.csv", GOOD))
    assert df.loc[0, "fte"] == 12.5 and df.loc[0, "turnover_dkk"] == 10_000_000
    assert df.loc[0, "industry"] == "62" and not df.loc[0, "is_synthetic"]


@pytest.mark.parametrize(
    "row, expected",
    [
        ("90000021;2024;1;1;1;0;0;62;84", "panel.csv, row 3, column cvr"),
        ("90000020;2025;1;1;1;0;0;62;86", "panel.csv, row 3, column region"),
        ("90000020;2025;-1;1;1;0;0;62;84", "panel.csv, row 3, column fte"),
        ("90000020;20x5;1;1;1;0;0;62;84", "panel.csv, row 3, column year"),
        ("90000020;2025;1;1;1;0;0;6A;84", "panel.csv, row 3, column industry"),
    ],
)
def test_bad_value_names_file_row_and_column(tmp_path, row, expected):
    folder = _write(tmp_path / "p", "panel.csv", GOOD + row + "\n")
    with pytest.raises(PanelError, match=expected):
        read_panel(folder)


def test_missing_column_and_duplicate_rows(tmp_path):
    folder = _write(tmp_path / "a", "panel.csv", GOOD.replace(";region", "").replace(";84", ""))
    with pytest.raises(PanelError, match="panel.csv, row 1 \\(header\\), column region"):
        read_panel(folder)
    folder = _write(tmp_path / "b", "panel.csv", GOOD + GOOD.splitlines()[1] + "\n")
    with pytest.raises(PanelError, match="panel.csv, row 3, columns cvr\\+year"):
        read_panel(folder)


def test_parquet_row_named_and_cpr_like_value_not_repeated(tmp_path):
    data = panel(register(participants=20), firms=50)
    data.loc[7, "cvr"] = "0101901234"  # ten digits: could be a CPR number
    (tmp_path / "p").mkdir()
    data.to_parquet(tmp_path / "p" / "panel.parquet")
    with pytest.raises(PanelError) as caught:
        read_panel(tmp_path / "p")
    assert "panel.parquet, data row 8, column cvr" in str(caught.value)
    assert "0101901234" not in str(caught.value) and "101901234" not in str(caught.value)


def test_empty_folder_is_rejected(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(PanelError, match="no firm panel files"):
        read_panel(tmp_path / "empty")


def test_generator_is_deterministic_linked_and_marked(tmp_path):
    reg, spec = register(participants=30), PanelSpec(firms=2000)
    first = generate_panel(reg, spec)
    assert first.equals(generate_panel(reg, spec))
    assert set(reg["cvr"]) <= set(first["cvr"]) and first["is_synthetic"].all()
    assert first["cvr"].nunique() == 2000
    # ten years before the first generation (2021-2024) to the end of the last (2025-2028)
    assert sorted(first["year"].unique()) == list(range(2011, 2029))
    assert PanelSpec().firms == 20_000
    written = write_panel(reg, tmp_path / "syn", spec)
    path = tmp_path / "syn" / "firm_panel.parquet"
    assert is_current(tmp_path / "syn", reg, spec)
    assert not is_current(tmp_path / "syn", reg.iloc[1:], spec)
    assert read_panel(path)["is_synthetic"].all()
    assert pd.read_parquet(path).equals(first) and written.equals(first)


def test_a_decimal_point_in_a_semicolon_file_is_not_read_as_a_thousands_separator(tmp_path):
    """``df.to_csv(sep=';')`` writes 73.2: read as Danish, the point would make it 732."""
    text = GOOD + "90000020;2025;73.2;1.234.567,5;4000000;0;250000;62;84\n"
    with pytest.raises(PanelError) as err:
        read_panel(_write(tmp_path / "p", "panel.csv", text))
    assert "panel.csv, row 3, column fte: '73.2' is not a number >= 0" in str(err.value)
    assert "decimal comma" in str(err.value)
    assert "turnover_dkk" not in str(err.value)  # 1.234.567,5 is a Danish number


@pytest.mark.parametrize("cvr", ["01.01.90-1234", "010190/1234"])
def test_a_cpr_like_value_is_not_repeated_whatever_separates_its_digits(tmp_path, cvr):
    with pytest.raises(PanelError) as err:
        read_panel(_write(tmp_path / "p", "panel.csv", GOOD.replace("90000020", cvr)))
    assert "1234" not in str(err.value) and "not repeated" in str(err.value)


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("panel.csv", GOOD.splitlines()[0].encode() + b"\n", "the firm panel has no rows"),
        (
            "panel.csv",
            GOOD.encode("utf-8") + "90000020;2025;1;1;1;0;0;62;84;Å\n".encode("cp1252"),
            "panel.csv: not UTF-8 text",
        ),
        ("panel.csv", b"", "panel.csv: cannot be read as a panel file"),
        ("panel.parquet", b"not parquet at all", "panel.parquet: cannot be read as a panel file"),
    ],
    ids=["header only", "a Windows-1252 line", "0 bytes", "not Parquet"],
)
def test_unreadable_panel_files_are_named(tmp_path, name, data, expected):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / name).write_bytes(data)
    with pytest.raises(PanelError) as err:
        read_panel(folder)
    assert expected in str(err.value)


def test_register_problems_are_named(tmp_path):
    from pipelines.evaluation.register import RegisterError, read_register

    reg = register(participants=5)
    cases = {
        "empty": reg.iloc[:0],
        "fraction": reg.assign(
            treatment_year=reg["treatment_year"].astype(str).where(reg.index != 2, "2025.9")
        ),
        "mod11": reg.assign(cvr=reg["cvr"].where(reg.index != 1, "90000011")),
    }
    expected = {
        "empty": "no participants",
        "fraction": "row 4, column treatment_year",
        "mod11": "row 3, column cvr",
    }
    for case, frame in cases.items():
        path = tmp_path / f"{case}.csv"
        frame.to_csv(path, sep=";", index=False)
        with pytest.raises(RegisterError) as err:
            read_register(path)
        assert expected[case] in str(err.value), case
    (tmp_path / "cp1252.csv").write_bytes("cvr;cluster_id\n9000;Ærø\n".encode("cp1252"))
    with pytest.raises(RegisterError, match="cp1252.csv: not UTF-8 text"):
        read_register(tmp_path / "cp1252.csv")


def test_inputs_that_cannot_give_an_estimate_say_why():
    from pipelines.evaluation.effects import check_inputs_fit
    from pipelines.evaluation.estimate import EstimatorConfig
    from pipelines.evaluation.register import RegisterError

    reg = register(participants=20)
    data = panel(reg, firms=300)
    config = EstimatorConfig()
    with pytest.raises(PanelError, match="participants only"):
        check_inputs_fit(data[data["cvr"].isin(reg["cvr"])], reg, config)
    early = reg.assign(treatment_year=reg["treatment_year"].where(reg.index != 3, 2011))
    with pytest.raises(
        RegisterError, match="data row 4, column treatment_year: 2011 is matched in 2010"
    ):
        check_inputs_fit(data, early, config)
    capped = EstimatorConfig(latest_matching_year=2008)
    with pytest.raises(RegisterError, match="matched in 2008, which is not in the firm panel"):
        check_inputs_fit(data, reg, capped)
    check_inputs_fit(data, reg, config)  # the good inputs pass
    check_inputs_fit(data, reg, EstimatorConfig(anticipation=1, latest_matching_year=2023))


def test_in_a_refresh_hopeless_inputs_withhold_the_cells_instead_of_failing():
    """The refresh's own synthetic panel can hold participants only (a register larger than the
    panel): the other marts must still publish, so ``run`` withholds every cell with a reason."""
    from pipelines.evaluation.effects import run
    from pipelines.evaluation.estimate import EstimatorConfig

    reg = register(participants=20)
    data = panel(reg, firms=300)
    table, _ = run(
        data[data["cvr"].isin(reg["cvr"])],
        reg,
        EstimatorConfig(outcomes=("log_fte",), group_types=("overall",)),
    )
    assert len(table) == 9 and table["suppressed"].all()
    assert (table["suppression_reason"] != "").all()


def test_rd_expenditure_may_be_empty_but_not_wrong(tmp_path):
    """Empty = not in DST's R&D survey that year (unknown); a word or a negative is refused."""
    reg = register(participants=5)
    data = panel(reg, firms=40)
    text = data.astype({"rd_expenditure_dkk": "string"})
    text.loc[text.index[:3], "rd_expenditure_dkk"] = ""
    text.to_csv(tmp_path / "p.csv", sep=",", index=False)
    read = read_panel(tmp_path / "p.csv")
    assert read["rd_expenditure_dkk"].isna().sum() == 3
    text.loc[text.index[4], "rd_expenditure_dkk"] = "ukendt"
    text.loc[text.index[6], "rd_expenditure_dkk"] = "-5"
    text.to_csv(tmp_path / "p.csv", sep=",", index=False)
    with pytest.raises(PanelError) as err:
        read_panel(tmp_path / "p.csv")
    assert "row 6, column rd_expenditure_dkk: 'ukendt' is not a number >= 0 or empty" in str(
        err.value
    )
    assert "row 8, column rd_expenditure_dkk" in str(err.value)


def test_a_register_larger_than_the_panel_is_sampled_so_that_controls_remain():
    """A benchmark register with more firms than the refresh's panel takes: a seeded sample of
    them is in the panel, every other firm is there to compare them with."""
    reg = register(participants=400)
    spec = PanelSpec(firms=2000, industries=2, max_participants=200)
    data = generate_panel(reg, spec)
    firms = data["cvr"].unique()
    inside = set(reg["cvr"]) & set(firms)
    assert len(firms) == 2000 and len(inside) == 200
    assert generate_panel(reg, spec).equals(data)  # deterministic
    assert REFRESH_PANEL.max_participants == REFRESH_PANEL.firms // 8
    room = PanelSpec(firms=2000, industries=2)  # no limit: every participant is in
    assert set(reg["cvr"]) <= set(generate_panel(reg, room)["cvr"])
