"""Parsing BULK bodies into raw tables: formats DST really sends, and bad bodies."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from pipelines.dst.errors import DstDataError
from pipelines.dst.load import LoadProvenance, last_load, load_body
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
    return load_body(con, table_id="REG01", raw_table="dst_reg01", body=body,
                     selection=SELECTION, labels=value_labels(REGION_TABLE.info), lang=lang,
                     provenance=provenance, body_sha256="x")


GOOD = ("OMRÅDE;Tid;INDHOLD\n085;2023;12,5\n000;2022;1234,75\n084;2023;..\n000;2023;1300\n"
        "084;2022;-\n085;2022;\n")


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_values_labels_and_suppression(tmp_path, bom, crlf):
    con = duckdb.connect()
    counts = load(con, write_body(tmp_path / "b.csv", GOOD, bom=bom, crlf=crlf))
    assert counts == {"rows": 6, "suppressed": 3}
    rows = con.execute("""select område, område_label, tid, value, is_suppressed
                          from raw.dst_reg01 order by område, tid""").fetchall()
    assert rows == [
        ("000", "Hele landet", "2022", 1234.75, False),
        ("000", "Hele landet", "2023", 1300.0, False),
        ("084", "Region Hovedstaden", "2022", None, True),
        ("084", "Region Hovedstaden", "2023", None, True),
        ("085", "Region Sjælland", "2022", None, True),
        ("085", "Region Sjælland", "2023", 12.5, False),
    ]


def test_provenance_columns_and_load_record(tmp_path):
    con = duckdb.connect()
    load(con, write_body(tmp_path / "b.csv", GOOD))
    prov = con.execute("""select distinct _source_mode, _dst_updated, _loaded_at, _is_synthetic
                          from raw.dst_reg01""").fetchall()
    assert prov == [("live", "2025-01-15T08:00:00", datetime(2025, 1, 16, 9, 0), False)]
    record = last_load(con, "REG01")
    assert record["dst_updated"] == "2025-01-15T08:00:00"
    assert record["row_count"] == 6
    assert record["suppressed_count"] == 3


def test_english_bodies_use_decimal_point(tmp_path):
    con = duckdb.connect()
    load(con, write_body(tmp_path / "b.csv", "OMRÅDE;TID;INDHOLD\n000;2022;1234.75\n"),
         lang="en")
    assert con.execute("select value from raw.dst_reg01").fetchall() == [(1234.75,)]


def test_header_case_does_not_matter(tmp_path):
    con = duckdb.connect()
    load(con, write_body(tmp_path / "b.csv", "område;TID;indhold\n000;2022;1\n"))
    assert con.execute("select område, tid, value from raw.dst_reg01").fetchall() == [
        ("000", "2022", 1.0)]


BAD_BODIES = {
    "not_a_number": ("OMRÅDE;Tid;INDHOLD\n000;2022;12x\n", "line 2: '12x'"),
    "wrong_columns": ("REGION;Tid;INDHOLD\n000;2022;1\n", "do not match the requested"),
    "unrequested_code": ("OMRÅDE;Tid;INDHOLD\n999;2022;1\n", "column OMRÅDE holds codes"),
    "repeated_cell": ("OMRÅDE;Tid;INDHOLD\n000;2022;1\n000;2022;2\n", "repeats cells"),
    "empty": ("", "body is empty"),
    "header_only": ("OMRÅDE;Tid;INDHOLD\n", "no rows"),
    "ragged_row": ("OMRÅDE;Tid;INDHOLD\n000;2022;1;7\n", "does not parse"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_body_names_table_and_leaves_previous_table(tmp_path, case):
    con = duckdb.connect()
    load(con, write_body(tmp_path / "good.csv", GOOD))
    before = con.execute("select * from raw.dst_reg01 order by all").fetchall()
    text, expected = BAD_BODIES[case]
    with pytest.raises(DstDataError) as err:
        load(con, write_body(tmp_path / "bad.csv", text),
             provenance=LoadProvenance("live", "NEW", datetime(2025, 2, 1), False, "h2"))
    assert "REG01" in str(err.value)
    assert expected in str(err.value)
    assert con.execute("select * from raw.dst_reg01 order by all").fetchall() == before
    assert last_load(con, "REG01")["dst_updated"] == "2025-01-15T08:00:00"
