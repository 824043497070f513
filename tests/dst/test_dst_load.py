"""Parsing BULK bodies into raw tables: formats DST really sends, and bad bodies."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from pipelines.dst.body import CheckedBody, ValueSql
from pipelines.dst.errors import DstDataError
from pipelines.dst.load import BodyLoad, LoadProvenance, _write, last_load, load_body
from pipelines.dst.selection import value_labels
from tests.conftest import REGION_TABLE

SELECTION = {"OMRÅDE": ["000", "084", "085"], "Tid": ["2022", "2023"]}
PROV = LoadProvenance("live", "2025-01-15T08:00:00", datetime(2025, 1, 16, 9, 0), False, "h1")


def write_body(path, text: str, *, bom=False, crlf=False):
    if crlf:
        text = text.replace("\n", "\r\n")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def load(con, body, lang="da", provenance=PROV):
    return load_body(
        con,
        BodyLoad(
            table_id="REG01",
            raw_table="dst_reg01",
            body=body,
            selection=SELECTION,
            labels=value_labels(REGION_TABLE.info),
            lang=lang,
            provenance=provenance,
            body_sha256="x",
        ),
    )


GOOD = (
    "OMRÅDE;Tid;INDHOLD\n085;2023;12,5\n000;2022;1234,75\n084;2023;..\n000;2023;1300\n"
    "084;2022;-\n085;2022;\n"
)


LABELLED = """select s.område::varchar, l.label, s.tid::varchar, s.value, s.is_suppressed
               from raw.dst_reg01 s
               left join raw.dst_reg01_labels l
                 on l.variable = 'OMRÅDE' and l.code = s.område::varchar
               order by all"""


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_values_labels_and_suppression(tmp_path, bom, crlf):
    con = duckdb.connect()
    counts = load(con, write_body(tmp_path / "b.csv", GOOD, bom=bom, crlf=crlf))
    assert counts == {"rows": 6, "suppressed": 3}
    assert con.execute(LABELLED).fetchall() == [
        ("000", "Hele landet", "2022", 1234.75, False),
        ("000", "Hele landet", "2023", 1300.0, False),
        ("084", "Region Hovedstaden", "2022", None, True),
        ("084", "Region Hovedstaden", "2023", None, True),
        ("085", "Region Sjælland", "2022", None, True),
        ("085", "Region Sjælland", "2023", 12.5, False),
    ]


def every_cell(value_of=lambda area, year: "1", header="OMRÅDE;Tid;INDHOLD") -> str:
    """A body with one line per requested cell, as BULK sends it."""
    lines = [header] + [
        f"{area};{year};{value_of(area, year)}"
        for area in SELECTION["OMRÅDE"]
        for year in SELECTION["Tid"]
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("marker", ["..", "...", "-", ":", "", " .. ", "\t", "\u00a0"])
def test_every_suppression_marker_is_null_not_zero(tmp_path, marker):
    con = duckdb.connect()
    text = every_cell(lambda area, year: marker if (area, year) == ("000", "2022") else "7")
    assert load(con, write_body(tmp_path / "b.csv", text))["suppressed"] == 1
    assert con.execute(
        "select value, is_suppressed from raw.dst_reg01 where område = '000' and tid = '2022'"
    ).fetchall() == [(None, True)]


def test_raw_table_is_narrow_with_labels_and_provenance_beside_it(tmp_path):
    con = duckdb.connect()
    load(con, write_body(tmp_path / "b.csv", GOOD))
    columns = [r[0] for r in con.execute("describe raw.dst_reg01").fetchall()]
    assert columns == ["område", "tid", "value", "is_suppressed"]
    assert con.execute("select * from raw.dst_reg01_labels order by all").fetchall() == [
        ("OMRÅDE", "000", "Hele landet"),
        ("OMRÅDE", "084", "Region Hovedstaden"),
        ("OMRÅDE", "085", "Region Sjælland"),
        ("Tid", "2022", "2022"),
        ("Tid", "2023", "2023"),
    ]
    record = con.execute("""select table_id, raw_table, dst_updated, selection_hash, source_mode,
                                   synthetic, row_count, suppressed_count, body_sha256, loaded_at
                            from raw._dst_loads""").fetchall()
    assert record == [
        (
            "REG01",
            "dst_reg01",
            "2025-01-15T08:00:00",
            "h1",
            "live",
            False,
            6,
            3,
            "x",
            datetime(2025, 1, 16, 9, 0),
        )
    ]
    assert last_load(con, "REG01").row_count == 6
    load(
        con,
        write_body(tmp_path / "b.csv", GOOD),
        provenance=LoadProvenance("snapshot", "NEWER", datetime(2025, 2, 1), True, "h2"),
    )
    assert con.execute("""select source_mode, dst_updated, synthetic
                          from raw.dst_reg01_provenance""").fetchall() == [
        ("snapshot", "NEWER", True)
    ]


def test_a_warehouse_of_the_earlier_wide_layout_is_loaded_again(tmp_path):
    con = duckdb.connect()
    load(con, write_body(tmp_path / "b.csv", GOOD))
    con.execute("drop table raw.dst_reg01_labels")  # as the earlier layout had no label table
    assert last_load(con, "REG01") is None


def test_english_bodies_use_decimal_point(tmp_path):
    con = duckdb.connect()
    text = every_cell(lambda area, year: "1234.75", header="OMRÅDE;TID;INDHOLD")
    load(con, write_body(tmp_path / "b.csv", text), lang="en")
    assert con.execute("select distinct value from raw.dst_reg01").fetchall() == [(1234.75,)]


def test_header_case_does_not_matter(tmp_path):
    con = duckdb.connect()
    load(con, write_body(tmp_path / "b.csv", every_cell(header="område;TID;indhold")))
    assert con.execute(
        "select område, tid, value from raw.dst_reg01 order by all limit 1"
    ).fetchall() == [("000", "2022", 1.0)]


BAD_BODIES = {
    "not_a_number": ("OMRÅDE;Tid;INDHOLD\n000;2022;12x\n", "line 2: '12x'"),
    "wrong_columns": ("REGION;Tid;INDHOLD\n000;2022;1\n", "line 1: body columns"),
    "unrequested_code": (
        "OMRÅDE;Tid;INDHOLD\n000;2022;1\n999;2022;1\n",
        "column OMRÅDE holds codes that were not requested: line 3: '999'",
    ),
    "repeated_cell": (
        "OMRÅDE;Tid;INDHOLD\n000;2022;1\n084;2022;3\n000;2022;2\n",
        "lines 2, 4: OMRÅDE=000, Tid=2022",
    ),
    "empty_code": ("OMRÅDE;Tid;INDHOLD\n;2022;1\n", "column OMRÅDE holds codes"),
    "empty": ("", "body is empty"),
    "header_only": ("OMRÅDE;Tid;INDHOLD\n", "no rows"),
    "ragged_row": ("OMRÅDE;Tid;INDHOLD\n000;2022;1;7\n", "does not parse"),
    "mixed_line_ends": (
        every_cell().replace("\n", "\r\n", 3),
        "line 4 ends with LF where the lines before end with CRLF",
    ),
    # a connection closed early at a line end: every line parses, cells are missing
    "cut_short": (
        "".join(GOOD.splitlines(keepends=True)[:-2]),
        "body has 4 data lines for 6 requested cells (BULK sends every cell, suppressed ones "
        "as '..'): cut short or incomplete; missing e.g. OMRÅDE=084, Tid=2022; "
        "OMRÅDE=085, Tid=2022",
    ),
    "nan": (every_cell(lambda a, y: "NaN" if a == "084" else "1"), "finite numbers: line 4: 'NaN'"),
    "infinity": (every_cell(lambda a, y: "-inf" if y == "2023" else "1"), "line 3: '-inf'"),
    "overflow": (every_cell(lambda a, y: "1e400"), "line 2: '1e400'"),
    "all_suppressed": (
        every_cell(lambda a, y: ".."),
        "every one of the 6 cells is suppressed or missing ('..'): the body holds no number",
    ),
    # the lines of one repeated cell are counted, not all listed
    "repeated_many": (
        "OMRÅDE;Tid;INDHOLD\n" + "000;2022;1\n" * 20,
        "lines 2, 3, 4, 5, 6 and 15 more: OMRÅDE=000, Tid=2022",
    ),
}


def test_a_line_that_is_not_utf8_is_named(tmp_path):
    con = duckdb.connect()
    body = tmp_path / "b.csv"
    body.write_bytes("OMRÅDE;Tid;INDHOLD\n000;2022;1\n".encode() + b"08\xe5;2022;1\n")
    with pytest.raises(DstDataError) as err:
        load(con, body)
    assert "REG01" in str(err.value) and "Line: 3" in str(err.value)


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_body_names_table_and_leaves_previous_table(tmp_path, case):
    con = duckdb.connect()
    load(con, write_body(tmp_path / "good.csv", GOOD))
    before = [
        con.execute(f"select * from raw.{t} order by all").fetchall()
        for t in ("dst_reg01", "dst_reg01_labels")
    ]
    text, expected = BAD_BODIES[case]
    with pytest.raises(DstDataError) as err:
        load(
            con,
            write_body(tmp_path / "bad.csv", text),
            provenance=LoadProvenance("live", "NEW", datetime(2025, 2, 1), False, "h2"),
        )
    assert "REG01" in str(err.value)
    assert expected in str(err.value)
    assert [
        con.execute(f"select * from raw.{t} order by all").fetchall()
        for t in ("dst_reg01", "dst_reg01_labels")
    ] == before
    assert last_load(con, "REG01").dst_updated == "2025-01-15T08:00:00"


ODD_VALUES = ["12,5", "1234,75", "1300", "-3,25", "+1,5", ",5", "5,", "1e3", " 7,25 ", "0"]
MARKERS = ["..", "...", "-", "", ":"]


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_typed_read_gives_the_table_the_text_read_gives(tmp_path, lang):
    """Where DuckDB's typed CSV read accepts a body, its table is the tolerant text read's."""
    values = [v if lang == "da" else v.replace(",", ".") for v in ODD_VALUES] + MARKERS
    codes = [f"{i:03d}" for i in range(len(values))]
    selection = {"OMRÅDE": codes, "Tid": ["2022", "2023"]}
    lines = [f"{c};{t};{v}" for c, v in zip(codes, values, strict=True) for t in ("2023", "2022")]
    path = write_body(tmp_path / "b.csv", "OMRÅDE;Tid;INDHOLD\n" + "\n".join(lines) + "\n")
    body = CheckedBody(
        "REG01", "dst_reg01", path, ["OMRÅDE", "Tid", "INDHOLD"], selection, ValueSql(lang)
    )
    tables = []
    for typed in (True, False):
        con = duckdb.connect()
        con.execute("create schema raw")
        assert _write(con, body, typed) == {"rows": 2 * len(values), "suppressed": 2 * len(MARKERS)}
        tables.append(con.execute("select * from raw.dst_reg01").fetchall())
    assert tables[0] == tables[1]
    assert [type(c) for c in tables[0][0]] == [str, str, float, bool]


def test_a_requested_code_that_looks_like_a_marker_is_a_code(tmp_path):
    con = duckdb.connect()
    body = write_body(tmp_path / "b.csv", "OMRÅDE;Tid;INDHOLD\n-;2022;1\n000;2022;..\n")
    load_body(
        con,
        BodyLoad(
            "REG01",
            "dst_reg01",
            body,
            {"OMRÅDE": ["-", "000"], "Tid": ["2022"]},
            value_labels(REGION_TABLE.info),
            "da",
            PROV,
            "x",
        ),
    )
    assert con.execute(
        "select område::varchar, value, is_suppressed from raw.dst_reg01 order by all"
    ).fetchall() == [("-", 1.0, False), ("000", None, True)]


def test_a_decimal_point_in_a_danish_body_is_read_as_before(tmp_path):
    """The typed read (decimal comma) refuses it; the text read takes both separators."""
    con = duckdb.connect()
    text = every_cell(lambda area, year: {"000": "1.5", "084": "2,5"}.get(area, "3"))
    load(con, write_body(tmp_path / "b.csv", text))
    assert con.execute("select distinct value from raw.dst_reg01 order by all").fetchall() == [
        (1.5,),
        (2.5,),
        (3.0,),
    ]
