"""The corpus of bad files: each is rejected whole with file, row, column and rule named,
moved to quarantine with a JSON and a text report, and the loaded tables stay as they were."""

from __future__ import annotations

import json

import pytest

from pipelines.programme.checks.errors import ProgrammeIncompleteError, ProgrammeRejectedError
from tests.programme.helpers import (
    BASE,
    CLUSTERS,
    GENERATION,
    INVALID_CVR,
    PARTICIPANTS,
    PROJECTS,
    copy_rows,
    csv_bytes,
    run_ingest,
    snapshot,
    write_base,
    write_csv,
    write_xlsx,
)


def _projects_without_end_date():
    return [[c for i, c in enumerate(r) if i != 4] for r in PROJECTS]


def _set(rows, row, column, value):
    rows = copy_rows(rows)
    rows[row - 1][rows[0].index(column)] = value
    return rows


def _append(rows, row):
    return [*copy_rows(rows), row]


def _cell(name, entity, row, column, value, rule):
    """A case in which one cell of a good file is wrong: the rejection names that cell."""
    return name, entity, _set(BASE[entity], row, column, value), (row, column, rule)


def _extra_column(name, entity, column, row, value, rule):
    """A case with one more column, not in the contract, holding ``value`` in ``row``."""
    rows = copy_rows(BASE[entity])
    cells = [column] + [""] * (len(rows) - 1)
    cells[row - 1] = value
    return name, entity, [r + [c] for r, c in zip(rows, cells, strict=True)], (row, column, rule)


# (name, entity file to replace, rows, expected (row, column, rule))
CASES = [
    ("missing_column", "projects", _projects_without_end_date(), (1, "end_date", "missing_column")),
    _cell("bad_cvr", "clusters", 3, "cvr", INVALID_CVR, "cvr"),
    _cell("cvr_not_8_digits", "participants", 2, "cvr", "1234567", "cvr"),
    _cell(
        "cpr_number",
        "participants",
        5,
        "participant_name",
        "Alfa ApS v/ 010190-1234",
        "personal_data",
    ),
    _extra_column(
        "cpr_ten_digits_in_extra_column",
        "participants",
        "kontakt",
        4,
        "3112851234",
        "personal_data",
    ),
    _cell("negative_amount", "projects", 2, "budget_dkk", "-1.000,00", "min"),
    (
        "duplicate_id",
        "projects",
        _append(PROJECTS, copy_rows(PROJECTS)[1]),
        (5, "project_id", "unique"),
    ),
    (
        "duplicate_participant",
        "participants",
        _append(PARTICIPANTS, copy_rows(PARTICIPANTS)[2]),
        (7, "project_id, cvr", "unique"),
    ),
    _cell("unknown_cluster", "projects", 3, "cluster_id", "K09", "reference"),
    _cell("unknown_project", "participants", 6, "project_id", "K02-P0099", "reference"),
    _cell("end_before_start", "projects", 4, "end_date", "2025-12-31", "date_order"),
    _cell("enum", "participants", 3, "participant_type", "large", "enum"),
    _cell("bad_date", "projects", 2, "start_date", "2025-02-30", "type"),
    _cell("ambiguous_number", "projects", 3, "overhead_dkk", "1.500", "type"),
    _cell("empty_cvr_not_foreign", "participants", 2, "cvr", "", "required"),
    (
        "year_out_of_range",
        "cluster_finances",
        [
            ["cluster_id", "year", "public_funding_drawn_dkk", "private_financing_attracted_dkk"],
            ["K01", "2025", "1", "1"],
            ["K01", "2029", "1", "1"],
        ],
        (3, "year", "max"),
    ),
    (
        "row_shape",
        "projects",
        _append(PROJECTS, ["K02-P0002", "K02", "Kort række"]),
        (5, None, "row_shape"),
    ),
    _cell("cpr_lost_zero_in_cvr_column", "participants", 2, "cvr", "101901234", "personal_data"),
    _extra_column(
        "cpr_lost_zero_in_extra_column", "participants", "kontakt", 4, "101901234", "personal_data"
    ),
    _cell("start_before_programme", "projects", 2, "start_date", "1900-01-01", "date_range"),
    _cell("start_after_programme", "projects", 2, "start_date", "2029-01-01", "date_range"),
    _cell("end_implausibly_late", "projects", 2, "end_date", "2099-12-31", "date_range"),
    _cell("excel_error_value", "participants", 3, "participant_name", "#N/A", "excel_error"),
    _extra_column("excel_error_in_extra_column", "projects", "opslag", 3, "#REF!", "excel_error"),
    _cell(
        "cpr_with_an_en_dash",
        "participants",
        3,
        "participant_name",
        "Jens 150285\u20131234",
        "personal_data",
    ),
    _cell(
        "cpr_with_a_no_break_space", "participants", 2, "cvr", "150285\u00a01234", "personal_data"
    ),
    _cell("whole_number_of_5000_digits", "cluster_finances", 3, "year", "9" * 5000, "type"),
]


def _assert_rejected(data_dir, inbound, quarantine, before, file_name, expected):
    with pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    [rejection] = info.value.rejections
    recorded = f"{GENERATION}/{file_name}"  # names are relative to inbound/programme/
    assert rejection.file == recorded
    row, column, rule = expected
    found = [(p.file, p.row, p.column, p.rule) for p in rejection.problems]
    assert (recorded, row, column, rule) in found, found
    message = str(info.value)
    where = ", ".join(
        [recorded] + ([f"row {row}"] if row else []) + ([f"column {column}"] if column else [])
    )
    assert f"{where}: {rule}:" in message
    # moved, not copied; the report is next to it, in JSON and text
    assert not (inbound / file_name).exists()
    [moved] = [p for p in quarantine.iterdir() if not p.name.endswith((".json", ".txt"))]
    assert moved.name.endswith("_" + file_name) and moved.name[:8].isdigit()
    report = json.loads((quarantine / f"{moved.name}.report.json").read_text("utf-8"))
    assert report["file"] == recorded and len(report["sha256"]) == 64
    assert {"row": row, "column": column, "rule": rule} in [
        {k: p[k] for k in ("row", "column", "rule")} for p in report["problems"]
    ]
    text = (quarantine / f"{moved.name}.report.txt").read_text("utf-8")
    assert report["sha256"] in text and f"[{rule}]" in text
    # the previous load is untouched, to the byte
    assert snapshot(data_dir) == before
    return info.value, report, text


@pytest.mark.parametrize(
    ("entity", "rows", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_file_is_rejected_whole_and_previous_load_stays(
    data_dir, inbound, quarantine, loaded, entity, rows, expected
):
    write_csv(inbound / f"{entity}.csv", rows)
    _assert_rejected(data_dir, inbound, quarantine, loaded, f"{entity}.csv", expected)
    # the other files stay where they are
    assert sorted(p.name for p in inbound.iterdir()) == sorted(
        f"{e}.csv"
        for e in ("clusters", "projects", "participants", "cluster_finances")
        if e != entity
    )


def test_cpr_number_is_never_echoed(data_dir, inbound, quarantine, loaded):
    write_csv(
        inbound / "participants.csv",
        _set(PARTICIPANTS, 5, "participant_name", "Alfa ApS v/ 010190-1234"),
    )
    error, report, text = _assert_rejected(
        data_dir,
        inbound,
        quarantine,
        loaded,
        "participants.csv",
        (5, "participant_name", "personal_data"),
    )
    [problem] = [p for p in report["problems"] if p["rule"] == "personal_data"]
    assert problem["value"] == "XXXXXX-XXXX"
    assert "personal data: CPR-like number in column participant_name row 5" in str(error)
    for shown in (str(error), json.dumps(report), text):
        assert "010190" not in shown
    assert "delete this copy" in text


def test_unknown_file_name_is_quarantined(data_dir, inbound, quarantine, loaded):
    write_csv(inbound / "noter.csv", [["a", "b"], ["1", "2"]])
    error, report, _ = _assert_rejected(
        data_dir, inbound, quarantine, loaded, "noter.csv", (None, None, "file_name")
    )
    assert report["entity"] is None


def test_xlsx_without_header_is_rejected(data_dir, inbound, quarantine, loaded):
    (inbound / "clusters.csv").unlink()
    write_xlsx(inbound / "clusters.xlsx", [["a", "b", "c"], ["K01", "x", "y"]])
    _assert_rejected(data_dir, inbound, quarantine, loaded, "clusters.xlsx", (None, None, "header"))


def test_xlsx_rows_are_numbered_as_excel_shows_them(data_dir, inbound, quarantine, loaded):
    (inbound / "clusters.csv").unlink()
    write_xlsx(inbound / "clusters.xlsx", _set(CLUSTERS, 3, "cvr", INVALID_CVR), title_rows=2)
    _assert_rejected(
        data_dir, inbound, quarantine, loaded, "clusters.xlsx", (5, "cvr", "cvr")
    )  # 2 title rows, header row 3, K02 in row 5


def test_duplicate_across_files_rejects_the_later_file(data_dir, inbound, quarantine, loaded):
    write_csv(inbound / "projects_extra.csv", [PROJECTS[0], PROJECTS[3]])
    error, report, _ = _assert_rejected(
        data_dir, inbound, quarantine, loaded, "projects_extra.csv", (2, "project_id", "unique")
    )
    assert f"first in {GENERATION}/projects.csv row 4" in report["problems"][0]["message"]


def test_all_problems_in_a_file_are_collected(data_dir, inbound, quarantine, loaded):
    rows = _set(_set(PROJECTS, 2, "budget_dkk", "-5"), 3, "project_type", "andet")
    rows = _set(rows, 4, "start_date", "i går")
    write_csv(inbound / "projects.csv", rows)
    error, report, _ = _assert_rejected(
        data_dir, inbound, quarantine, loaded, "projects.csv", (2, "budget_dkk", "min")
    )
    assert [(p["row"], p["rule"]) for p in report["problems"]] == [
        (2, "min"),
        (3, "enum"),
        (4, "type"),
    ]


def test_problems_are_capped_but_counted(data_dir, inbound, quarantine, loaded):
    rows = copy_rows(PARTICIPANTS)
    rows += [["K01-P0001", "", f"Firma {i}", "smv", "x", "1", "1", "ja"] for i in range(80)]
    write_csv(inbound / "participants.csv", rows)
    with pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    problems = info.value.rejections[0].problems
    assert problems.total == 160 and len(problems.items) == 100 and problems.truncated
    assert "and 155 more" in str(info.value)


def test_reference_into_a_rejected_file_does_not_cascade(data_dir, inbound, quarantine, loaded):
    """One bad CVR in clusters must not also quarantine the good projects file."""
    write_csv(inbound / "clusters.csv", _set(CLUSTERS, 2, "cvr", INVALID_CVR))
    with pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    assert [r.file for r in info.value.rejections] == [f"{GENERATION}/clusters.csv"]
    assert (inbound / "projects.csv").exists()


def test_missing_entity_fails_without_quarantine(data_dir, inbound, quarantine):
    write_base(inbound, skip="participants")
    with pytest.raises(ProgrammeIncompleteError, match="no file for participants"):
        run_ingest(data_dir)
    assert not quarantine.exists()
    assert len(list(inbound.iterdir())) == 3


def test_broken_sample_is_never_moved(data_dir, inbound, quarantine):
    sample = inbound / "sample"
    write_base(sample)
    write_csv(sample / "clusters.csv", _set(CLUSTERS, 2, "cvr", INVALID_CVR))
    with pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    [rejection] = info.value.rejections
    assert rejection.file == f"{GENERATION}/sample/clusters.csv"
    assert rejection.quarantined_to is None
    assert "sample file, not moved" in str(info.value)
    assert (sample / "clusters.csv").exists() and not quarantine.exists()


def _mixed_encodings() -> bytes:
    good = csv_bytes(CLUSTERS, encoding="utf-8")
    return good + "K03;Klynge for Æbler;x;90000012;Sjælland;1\r\n".encode("cp1252")


def _xlsx_bytes(rows, hidden_first_sheet=None) -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    if hidden_first_sheet is not None:
        book.active.title = "Gammel"
        for row in hidden_first_sheet:
            book.active.append(row)
        book.active.sheet_state = "hidden"
        sheet = book.create_sheet("Data")
        book.active = 1
    else:
        sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _clusters_cut_inside_a_letter() -> bytes:
    """A copy that stopped between the two bytes of the only non-ASCII letter."""
    good = csv_bytes([[c.replace("ø", "o") for c in r] for r in CLUSTERS], encoding="utf-8")
    return good + "K03;Klynge for Grø".encode()[:-1]


def _clusters_with_a_quote_left_open() -> bytes:
    """A quote opened in row 2 and never closed: the csv module would read rows 2-3 as one."""
    rows = csv_bytes(CLUSTERS, encoding="utf-8").decode().split("\r\n")
    rows[1] = rows[1].replace("Testklynge", '"Testklynge', 1)
    return "\r\n".join(rows).encode()


RAW_CASES = [
    ("quote_left_open", "clusters.csv", _clusters_with_a_quote_left_open(), (2, None, "csv")),
    ("cut_inside_a_letter", "clusters.csv", _clusters_cut_inside_a_letter(), (4, None, "encoding")),
    (
        "hidden_first_sheet",
        "clusters.xlsx",
        _xlsx_bytes(CLUSTERS, hidden_first_sheet=_set(CLUSTERS, 2, "name", "Sidste års navn")),
        (None, None, "header"),
    ),
    (
        "xlsx_number_beyond_28_digits",
        "clusters.xlsx",
        _xlsx_bytes(_set(CLUSTERS, 2, "grant_dkk", 1e30)),
        (2, "grant_dkk", "type"),
    ),
    (
        "not_any_encoding",
        "clusters.csv",
        csv_bytes(CLUSTERS, encoding="utf-8") + b"\x81\r\n",
        (4, None, "encoding"),
    ),
    ("mixed_encodings", "clusters.csv", _mixed_encodings(), (4, None, "encoding")),
    ("utf16", "clusters.csv", "cluster_id;name\r\n".encode("utf-16"), (None, None, "encoding")),
    ("corrupt_xlsx", "clusters.xlsx", b"PK\x03\x04 not really a zip", (None, None, "file_format")),
    ("old_xls", "clusters.xls", b"\xd0\xcf\x11\xe0", (None, None, "file_format")),
    (
        "too_large_amount",
        "clusters.csv",
        csv_bytes(_set(CLUSTERS, 2, "grant_dkk", "12345678901234567,00")),
        (2, "grant_dkk", "type"),
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "expected"), [c[1:] for c in RAW_CASES], ids=[c[0] for c in RAW_CASES]
)
def test_unreadable_file_is_rejected(data_dir, inbound, quarantine, loaded, name, data, expected):
    (inbound / "clusters.csv").unlink()
    (inbound / name).write_bytes(data)
    if not name.startswith("clusters."):
        write_csv(inbound / "clusters_ok.csv", CLUSTERS)
    _assert_rejected(data_dir, inbound, quarantine, loaded, name, expected)


@pytest.mark.slow  # six loads
def test_rejected_file_from_last_load_blocks_until_resent_or_dropped(data_dir, inbound, quarantine):
    """A file that was loaded and is then rejected must not silently drop out of the marts."""
    from tests.programme.helpers import CVR_D

    write_base(inbound)
    extra = [
        PARTICIPANTS[0],
        ["K02-P0001", CVR_D, "Delta ApS (SAMPLE)", "smv", "1", "10000", "10000", "ja"],
    ]
    write_csv(inbound / "participants_extra.csv", extra)
    run_ingest(data_dir)
    before = snapshot(data_dir)
    write_csv(inbound / "participants_extra.csv", _set(extra, 2, "cvr", INVALID_CVR))
    with pytest.raises(ProgrammeRejectedError):
        run_ingest(data_dir)
    assert not (inbound / "participants_extra.csv").exists()
    with pytest.raises(ProgrammeIncompleteError) as info:
        run_ingest(data_dir)
    assert "participants_extra.csv (rejected since" in str(info.value)
    assert snapshot(data_dir) == before
    # resending a corrected file resolves it
    write_csv(inbound / "participants_extra.csv", extra)
    run_ingest(data_dir)
    # dropping it on purpose: delete the quarantine report, then the set loads without it
    write_csv(inbound / "participants_extra.csv", _set(extra, 2, "cvr", INVALID_CVR))
    with pytest.raises(ProgrammeRejectedError):
        run_ingest(data_dir)
    for report in quarantine.glob("*.report.json"):
        report.unlink()
    load = run_ingest(data_dir)
    assert "participants_extra.csv" not in {f.file for f in load.files}
