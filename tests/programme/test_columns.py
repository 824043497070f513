"""The column-wise CSV checks give exactly what checking the file row by row gives: the same
problems (row, column, rule, message, value; same order, same count), the same notes and the
same staged rows. Every file here is checked both ways and compared; files the column-wise
reader cannot number line by line must fall back to the row-by-row path."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pipelines.programme.checks import validate
from pipelines.programme.checks.rules import SOURCE_ROW
from pipelines.programme.contract import load_contract
from pipelines.programme.discover import InboundFile
from tests.programme.helpers import (
    CLUSTERS,
    CVR_A,
    CVR_B,
    CVR_C,
    CVR_D,
    CVR_K01,
    FINANCES,
    INVALID_CVR,
    PARTICIPANTS,
    PROJECTS,
    csv_bytes,
)

SCHEMAS = load_contract()
BASE = {
    "clusters": CLUSTERS,
    "projects": PROJECTS,
    "participants": PARTICIPANTS,
    "cluster_finances": FINANCES,
}

# Values a sender might put in each column besides the good ones: other valid spellings,
# everything each rule rejects, CPR-like numbers in every form, Excel errors, formula-like
# text, stray spaces (also non-breaking), text that is not NFC, letters outside Latin-1.
ODD = {
    "any": [
        "",
        "  ",
        "\u00a0",
        "#N/A",
        "#REF!",
        "#I/T",
        "#værdi!",
        "Firma #1",
        "0101901234",
        "010190-1234",
        "010190 1234",
        "Jens 150285\u20131234",
        "150285\u00a01234",
        "010190/1234",
        "01.01.90-1234",
        "010190 - 1234",
        "\uff10\uff11\uff10\uff11\uff19\uff10-\uff11\uff12\uff13\uff14",
        "010190\u200b1234",
        "250125.5000",
        "Hans 010190\u00ad1234",
        "Hans 01.01.90\u00a0-\u00a01234",
        "200118-\u00a08089",
        "Ærø \u2013 Øst \u201cA/S\u201d \u20ac",
        "101901234",
        "3112851234",
        "=SUM(A1)",
        "+45",
        "@x",
        "-x",
        "\x1c",
        "a\x1cb",
        "\u200b",
        " lead",
        "trail ",
        "a\u00a0b",
        "tab\tin",
    ],
    "project_id": ["K01-P0001 ", "K01\u2013P0001", "K09-P0001"],
    "cluster_id": ["K1", " K02", "k01", "K01 "],
    "cvr": [
        INVALID_CVR,
        "1234567",
        f"{CVR_C[:4]} {CVR_C[4:]}",
        f"DK{CVR_D}",
        "\uff19" + CVR_A[1:],
        f" {CVR_B} ",
        "123456789",
    ],
    "participant_name": [
        "Cafe\u0301 ApS",
        "Łódź Sp. z o.o.",
        "Ærø \u2013 Øst",
        "Ünï 𝔘",
        "Zürich GmbH",
        "v/ 010190-1234",
        "kontakt 311285432",
    ],
    "participant_type": ["SMV", " smv", "Foreign", "large", "foreign"],
    "project_type": ["Innovation", "rd ", "andet"],
    "region": ["syddanmark", "Nord"],
    "decimal": [
        "1,25",
        "0.5",
        "1.234",
        "1.500",
        "0,125",
        "-1",
        "1 000",
        "1.000,5",
        "12345678901234567,00",
        "110500000",
        "1.234.567,50",
        "1,234,567.50",
        "\u22125",
        "+5",
        "5e3",
        "1,2,3",
        "0,10",
        "99999999999999,99",
        ".5",
        "5.",
    ],
    "date": [
        "2025-03-01",
        "01-06-2025",
        "2025-2-3",
        "2025-02-30",
        "1900-01-01",
        "2099-12-31",
        "31-12-2025",
        "2028-12-31",
        "2031-12-31",
        "i går",
    ],
    "boolean": ["Ja", "true", "1", "0", "x", "SAND", "falsk", "NEJ"],
    "integer": ["2029", "2,025", " 2026", "2025.0", "+2025", "2024", "99999999999"],
}


def _odd_values(entity: str, column: str) -> list[str]:
    spec = SCHEMAS[entity].spec(column)
    kind = {"decimal": "decimal", "date": "date", "boolean": "boolean", "integer": "integer"}.get(
        spec.type.value, column
    )
    return ODD["any"] + ODD.get(kind, [])


def _fuzzed(entity: str, seed: int, rows: int = 250, odd_share: float = 0.03) -> list[list[str]]:
    """``rows`` rows drawn from the entity's good rows, each cell replaced by an odd value
    with probability ``odd_share``; a column outside the contract; blank rows."""
    rng = random.Random(seed)
    header, *good = BASE[entity]
    out = [[*header, "kontakt"]]
    for _ in range(rows):
        if rng.random() < 0.03:
            out.append([rng.choice(["", " ", "\u00a0"]) for _ in range(len(header) + 1)])
            continue
        row = list(rng.choice(good))
        row = [
            rng.choice(_odd_values(entity, c)) if rng.random() < odd_share else v
            for c, v in zip(header, row, strict=True)
        ]
        out.append([*row, rng.choice(ODD["any"]) if rng.random() < odd_share else ""])
    return out


def _inbound(tmp_path: Path, name: str, data: bytes) -> InboundFile:
    path = tmp_path / name
    path.write_bytes(data)
    return InboundFile(path, name, name.split(".")[0].split("_K")[0], False)


def _check_both(tmp_path, monkeypatch, name: str, data: bytes, *, columnwise: bool = True):
    """Check ``data`` column-wise and row by row; assert identical results; return them."""
    inbound = _inbound(tmp_path, name, data)
    schema = SCHEMAS[inbound.entity]
    used = []
    real = validate.read_columns

    def spy(data, table):
        columns = real(data, table)
        used.append(columns is not None)
        return columns

    with monkeypatch.context() as patch:
        patch.setattr(validate, "read_columns", spy)
        fast = validate.check_file(inbound, schema, data)
    with monkeypatch.context() as patch:
        patch.setattr(validate, "read_columns", lambda data, table: None)
        slow = validate.check_file(inbound, schema, data)
    assert used == [columnwise]
    assert [p.as_dict() for p in fast.problems] == [p.as_dict() for p in slow.problems]
    assert fast.problems.total == slow.problems.total
    assert (fast.notes, fast.format, fast.rows, fast.columns) == (
        slow.notes,
        slow.format,
        slow.rows,
        slow.columns,
    )
    assert (
        fast.table().sort_by(SOURCE_ROW).to_pylist() == slow.table().sort_by(SOURCE_ROW).to_pylist()
    )
    return fast


@pytest.mark.parametrize("entity", list(BASE))
@pytest.mark.parametrize("seed", range(4))
def test_fuzzed_files_give_the_same_problems_and_rows(tmp_path, monkeypatch, entity, seed):
    rows = _fuzzed(entity, seed)
    checked = _check_both(tmp_path, monkeypatch, f"{entity}.csv", csv_bytes(rows))
    assert checked.rows > 100  # most rows are good and staged
    assert checked.problems.total > 0  # and the odd ones are found


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(";", "utf-8-sig"), (",", "utf-8"), ("\t", "utf-8"), (";", "cp1252")],
)
def test_delimiters_and_encodings(tmp_path, monkeypatch, delimiter, encoding):
    rows = _fuzzed("participants", 7, odd_share=0.02)
    if encoding == "cp1252":
        rows = [row for row in rows if all(_encodes(c, encoding) for c in row)]
    data = csv_bytes(rows, delimiter, encoding)
    _check_both(tmp_path, monkeypatch, "participants.csv", data)


def _encodes(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def test_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path, monkeypatch):
    """Title rows above the header and empty lines between rows count as rows."""
    body = csv_bytes(PARTICIPANTS, encoding="utf-8").split(b"\r\n")
    lines = [b"Indberetning 2026;;", b"", *body[:3], b"", b"", *body[3:]]
    checked = _check_both(tmp_path, monkeypatch, "participants.csv", b"\r\n".join(lines))
    assert checked.table().column(SOURCE_ROW).to_pylist() == [4, 5, 8, 9, 10]
    assert not checked.problems


def test_a_problem_row_after_empty_lines_is_named_by_its_row(tmp_path, monkeypatch):
    rows = [list(r) for r in PARTICIPANTS]
    rows[4][1] = INVALID_CVR
    body = csv_bytes(rows, encoding="utf-8").split(b"\r\n")
    checked = _check_both(
        tmp_path, monkeypatch, "participants.csv", b"\r\n".join([*body[:2], b"", *body[2:]])
    )
    assert [(p.row, p.column, p.rule) for p in checked.problems] == [(6, "cvr", "cvr")]


@pytest.mark.parametrize(
    ("case", "data"),
    [
        (
            "line break inside quotes",
            csv_bytes(
                [
                    *PARTICIPANTS[:2],
                    ["K01-P0001", CVR_D, "Delta\r\nApS", "smv", "1", "1", "1", "ja"],
                ]
            ),
        ),
        ("row narrower than the header", csv_bytes([*PARTICIPANTS, ["K01-P0001", CVR_D]])),
        ("row wider than the header", csv_bytes([*PARTICIPANTS, [*PARTICIPANTS[1], "x"]])),
        ("a lone CR ends a row", csv_bytes(PARTICIPANTS[:3]).replace(b"\r\n", b"\r")),
        (
            "a stray quote inside a cell (an odd number of quotes)",
            csv_bytes(PARTICIPANTS).replace(b"Beta A/S", b'Beta 12" A/S'),
        ),
        (
            "header across two lines",
            csv_bytes([["project_id", "cvr\nnr", *PARTICIPANTS[0][2:]], *PARTICIPANTS[1:]]),
        ),
    ],
)
def test_files_that_cannot_be_numbered_by_lines_are_checked_row_by_row(
    tmp_path, monkeypatch, case, data
):
    _check_both(tmp_path, monkeypatch, "participants.csv", data, columnwise=False)


def test_cells_the_expressions_cannot_decide_are_judged_by_the_converters(tmp_path, monkeypatch):
    """Valid, but not in a simple form: each goes through the field's own converter."""
    header = PARTICIPANTS[0]
    rows = [
        header,
        ["K01-P0001", f"DK{CVR_A}", "Cafe\u0301 ApS", "SMV", "1.000,5", "1.234.567,50", "0", "Ja"],
        ["K01-P0001", CVR_K01, "Ærø \u2013 Øst", "foreign", "0", "0", "0", "nej"],
        ["K01-P0001", "", "Łódź Sp. z o.o.", "foreign", "0", "0", "0", "nej"],
    ]
    checked = _check_both(tmp_path, monkeypatch, "participants.csv", csv_bytes(rows))
    assert not checked.problems
    staged = checked.table().sort_by(SOURCE_ROW).to_pylist()
    assert [r["participant_name"] for r in staged] == [
        "Café ApS",
        "Ærø \u2013 Øst",
        "Łódź Sp. z o.o.",
    ]
    assert staged[0]["cvr"] == CVR_A and staged[2]["cvr"] is None
    assert (staged[0]["fte"], staged[0]["funding_received_dkk"]) == ("1000.5", "1234567.5")


@pytest.mark.parametrize("slow_row", [None, 3])
def test_rows_are_loaded_in_file_order(data_dir, inbound, slow_row):
    """Rows staged column-wise and rows staged row by row (here one valid row whose name is
    not NFC) are loaded in the file's row order, with or without a sort in the load."""
    from tests.programme.helpers import query, run_ingest, write_base, write_csv

    write_base(inbound)
    rows = [list(r) for r in PARTICIPANTS]
    rows += [
        ["K02-P0001", number, f"Firma {i}", "smv", "1", "1", "1", "ja"]
        for i, number in enumerate(_cvrs(200))
    ]
    if slow_row is not None:
        rows[slow_row][2] = "Cafe\u0301 ApS"
    write_csv(inbound / "participants.csv", rows)
    run_ingest(data_dir)
    loaded = [
        r[0]
        for r in query(
            data_dir, "select _source_row from raw.programme_participants order by rowid"
        )
    ]
    assert loaded == list(range(2, len(rows) + 1))
    if slow_row is not None:
        assert query(
            data_dir,
            f"select participant_name from raw.programme_participants "
            f"where _source_row = {slow_row + 1}",
        ) == [("Café ApS",)]


def _cvrs(n: int) -> list[str]:
    """``n`` valid CVR numbers (9200000x...), none in the base set."""
    from pipelines.programme.checks.identifiers import cvr_check_digit

    found: list[str] = []
    for i in range(10 * n):
        check = cvr_check_digit(f"92{i:05d}")
        if check is not None:
            found.append(f"92{i:05d}{check}")
        if len(found) == n:
            break
    return found


@pytest.mark.parametrize("slow_row", [None, 5])
def test_staged_rows_come_in_batches_of_one_row_group(tmp_path, monkeypatch, slow_row):
    """Every staged batch but the last holds one DuckDB row group, the rows unchanged."""
    rows = [list(r) for r in PARTICIPANTS]
    rows += [
        ["K02-P0001", number, f"Firma {i}", "smv", "1", "1", "1", "ja"]
        for i, number in enumerate(_cvrs(40))
    ]
    if slow_row is not None:
        rows[slow_row][2] = "Cafe\u0301 ApS"  # checked row by row, staged in a batch of its own
    data = csv_bytes(rows)
    whole = _check_both(tmp_path, monkeypatch, "participants.csv", data)
    monkeypatch.setattr(validate, "ROW_GROUP_ROWS", 7)
    checked = validate.check_file(
        _inbound(tmp_path, "participants.csv", data), SCHEMAS["participants"], data
    )
    sizes = [b.num_rows for b in checked.batches]
    staged = len(rows) - 1
    assert sizes == [7] * (staged // 7) + ([staged % 7] if staged % 7 else [])
    assert checked.table().to_pylist() == whole.table().to_pylist()


def test_cvr_check_digits_read_from_the_arrow_buffer_follow_the_rule():
    """The vectorised modulus-11 check agrees with the row rule, on sliced and chunked
    columns too (their values start part-way into Arrow's buffers)."""
    import numpy as np
    import pyarrow as pa

    from pipelines.programme.checks.columns import _cvr_valid
    from pipelines.programme.checks.identifiers import is_valid_cvr

    rng = random.Random(7)
    values = [str(rng.randint(10_000_000, 99_999_999)) for _ in range(3000)]
    values += [CVR_A, INVALID_CVR, "0" + CVR_A[1:], CVR_A[:7], CVR_A + "1", "1234567x", "", " "]
    expected = np.array([is_valid_cvr(v) for v in values])
    assert 200 < expected.sum() < len(values)
    assert (_cvr_valid(pa.array(values)) == expected).all()
    assert (_cvr_valid(pa.array(values)[5:]) == expected[5:]).all()
    chunked = pa.chunked_array([pa.array(values[:1001]), pa.array(values[1001:])])
    assert (_cvr_valid(chunked) == expected).all()


def test_a_cell_longer_than_the_csv_modules_default_limit_is_judged_alike(tmp_path, monkeypatch):
    """The csv module refuses cells over 128 KiB unless told otherwise; pyarrow does not."""
    rows = [list(r) for r in PARTICIPANTS]
    rows[2][2] = "Beta A/S " + "x" * 200_000
    checked = _check_both(tmp_path, monkeypatch, "participants.csv", csv_bytes(rows))
    assert not checked.problems and checked.rows == 5
    rows[3][2] = "Gamma\r\nGmbH"  # a line break in quotes: only the row-by-row path reads it
    checked = _check_both(
        tmp_path, monkeypatch, "participants.csv", csv_bytes(rows), columnwise=False
    )
    assert not checked.problems and checked.rows == 5


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "\u00ad"])
def test_invisible_characters_in_a_column_name_are_ignored(tmp_path, monkeypatch, invisible):
    """A zero-width space pasted from a web page, or a second BOM left by a second tool."""
    rows = [list(r) for r in PARTICIPANTS]
    rows[0][0] = invisible + rows[0][0]
    checked = _check_both(
        tmp_path, monkeypatch, "participants.csv", csv_bytes(rows, encoding="utf-8")
    )
    assert not checked.problems and checked.rows == 5


def test_a_last_line_without_a_line_end_is_noted(tmp_path, monkeypatch):
    """Excel ends every line: a file that stops mid-line may have been cut off while copied,
    which no check of the values can see (``6.100.000,00`` cut to ``6.10``)."""
    data = csv_bytes(PARTICIPANTS).removesuffix(b"\r\n")
    checked = _check_both(tmp_path, monkeypatch, "participants.csv", data)
    assert any("last line has no line end" in note for note in checked.notes)
    checked = _check_both(tmp_path, monkeypatch, "participants.csv", csv_bytes(PARTICIPANTS))
    assert not any("line end" in note for note in checked.notes)


def test_a_comma_file_whose_cell_holds_a_semicolon_and_a_quote_is_read(tmp_path, monkeypatch):
    """Read with ';' (a delimiter tried while looking for the header) the quoted cell looks
    like a quote left open; that must not reject the file, which is a good comma file."""
    rows = [list(r) for r in PARTICIPANTS]
    rows[2][2] = 'Firma A/S;"'
    checked = _check_both(tmp_path, monkeypatch, "participants.csv", csv_bytes(rows, ","))
    assert not checked.problems and checked.rows == 5
    assert 'Firma A/S;"' in checked.table().column("participant_name").to_pylist()
