"""The release's files as the tools people use open them: Excel, DuckDB, Parquet readers.

Checks the layout analysts rely on (READ_ME first, frozen bold headers, filters, number formats,
text codes), that synthetic/sample data says so inside each file, and that the quality results
point into the release itself.
"""

from __future__ import annotations

import json

import duckdb
import openpyxl
import pyarrow.parquet as pq

from pipelines.catalog import published_marts
from pipelines.constants import generations
from pipelines.publish.columns_sheet import COLUMNS_SHEET
from pipelines.publish.facts import RELEASE_INFO_KEYS

MARTS = published_marts()


def published(refreshed):
    return refreshed[0] / "data" / "published"


def manifest(refreshed) -> dict:
    return json.loads((published(refreshed) / "manifest.json").read_text(encoding="utf-8"))


def test_xlsx_readme_sheet_says_what_the_workbook_is(refreshed):
    book = openpyxl.load_workbook(published(refreshed) / "klynge.xlsx")
    assert book.sheetnames == ["READ_ME", COLUMNS_SHEET, *[m.name for m in MARTS]]
    cells = {r[0]: r[1] for r in book["READ_ME"].iter_rows(values_only=True) if r[0]}
    facts = manifest(refreshed)
    assert cells["Udgivelses-id / Release id"] == facts["release"]
    assert cells["Prisbasisår / Price base year"] == facts["price_base_year"] == 2024
    notices = [
        r[1] for r in book["READ_ME"].iter_rows(values_only=True) if r[0] == "BEMÆRK / NOTICE"
    ]
    assert notices == [facts["notice"][: len(notices[0])], notices[1]]
    assert notices[0].startswith("SYNTHETIC DEMO DATA") and notices[1].startswith("SAMPLE")
    assert "NAN1 2025-10-30T08:00:00 (snapshot)" in cells["DST-versioner / DST versions"]
    for g in generations():
        assert f"{g.id}/sample/participants.csv" in cells["Programfiler / Programme files"]
    for mart in MARTS:
        assert mart.answers and cells[mart.name] == mart.answers


def test_xlsx_sheets_have_frozen_bold_filtered_headers_and_formats(refreshed):
    book = openpyxl.load_workbook(published(refreshed) / "klynge.xlsx")
    for mart in MARTS:
        sheet = book[mart.name]
        assert sheet.freeze_panes == "A2", mart.name
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), mart.name
        assert all(c.font.bold for c in sheet[1]), mart.name
        assert all(sheet.column_dimensions[c.column_letter].width >= 8 for c in sheet[1])
    totals = book["cluster_programme_totals"]
    header = {c.value: c.column for c in totals[1]}

    def cell(name, row=2):
        return totals.cell(row=row, column=header[name])

    assert cell("smv_funding_dkk").number_format == "#,##0"
    assert cell("smv_funding_dkk").data_type == "n" and cell("smv_funding_dkk").value > 1e6
    assert cell("smv_funding_rate_pct").number_format == '0.0" %"'
    assert cell("first_year").number_format == "0"
    assert (cell("cluster_id").data_type, cell("cluster_id").number_format) == ("s", "@")
    findings = book["quality_findings"]
    fheader = {c.value: c.column for c in findings[1]}
    cvrs = [findings.cell(row=r, column=fheader["cvr"]) for r in range(2, findings.max_row + 1)]
    cvr = next(c for c in cvrs if c.value is not None)  # rules about projects carry no CVR
    assert (cvr.data_type, cvr.number_format) == ("s", "@") and len(cvr.value) == 8
    rd = book["smv_rd_share"]
    updated = rd.cell(row=2, column=[c.value for c in rd[1]].index("dst_updated") + 1)
    assert updated.is_date
    formulas = [
        ws.title for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"
    ]
    assert formulas == []


def test_csv_booleans_and_rounded_shares_full_precision_in_parquet(refreshed):
    root = published(refreshed)
    text = (root / "csv" / "smv_rd_share.csv").read_bytes().decode("utf-8-sig")
    header, *lines = text.splitlines()
    names = header.split(";")
    rows = [dict(zip(names, line.split(";"), strict=True)) for line in lines]
    assert {r["is_smv"] for r in rows} == {"SAND", "FALSK"}
    shares = [r["share_of_total_pct"] for r in rows]
    assert all(len(s.split(",")[1]) <= 2 for s in shares if "," in s)
    exact = (
        pq.read_table(root / "parquet" / "smv_rd_share.parquet")
        .column("share_of_total_pct")
        .to_pylist()
    )
    assert any(len(repr(v).split(".")[1]) > 4 for v in exact)
    assert all(
        abs(float(s.replace(",", ".")) - v) <= 0.005 for s, v in zip(shares, exact, strict=True)
    )


def test_synthetic_and_sample_notice_inside_every_file(refreshed):
    root = published(refreshed)
    facts = manifest(refreshed)
    meta = pq.read_schema(root / "parquet" / "cluster_programme_totals.parquet").metadata
    assert meta[b"notice"].decode() == facts["notice"] and "SAMPLE" in facts["notice"]
    assert meta[b"release"].decode() == facts["release"]
    assert meta[b"price_base_year"] == b"2024"
    with duckdb.connect(str(root / "klynge.duckdb"), read_only=True) as con:
        comments = dict(con.execute("select table_name, comment from duckdb_tables()").fetchall())
        info = dict(con.execute("select key, value from release_info").fetchall())
        info_columns = con.execute(
            "select comment from duckdb_columns() where table_name = 'release_info'"
        ).fetchall()
    assert all(comments[m.name].startswith("SYNTHETIC DEMO DATA") for m in MARTS)
    assert list(info) == list(RELEASE_INFO_KEYS) and info["price_base_year"] == "2024"
    assert all(c[0] for c in info_columns) and comments["release_info"]
    dictionary = (root / "data_dictionary.md").read_text(encoding="utf-8")
    assert "## release_info" in dictionary and "`dst_fallback_reason`" in dictionary


def test_manifest_and_readme_give_base_year_and_fallback(refreshed):
    facts = manifest(refreshed)
    assert facts["price_base_year"] == 2024
    assert facts["dst"]["fallback_reason"] is None  # KLYNGE_DST_SOURCE=snapshot: chosen
    readme = (published(refreshed) / "README.md").read_text(encoding="utf-8")
    assert "prices of **2024**" in readme and "not a fallback" in readme
    assert "| `cluster_programme_totals` | programme generation x cluster |" in readme


def test_quality_results_point_into_the_release(refreshed):
    root = published(refreshed)
    for mart in MARTS:
        result = json.loads((root / "quality" / f"{mart.name}.json").read_text())
        assert result["data_docs"] == f"report/datakvalitet.html#gate-{mart.name}"
        page, anchor = result["data_docs"].split("#")
        assert f'id="{anchor}"' in (root / page).read_text(encoding="utf-8")
        gx_result = json.loads((root / result["gx_validation_result"]).read_text())
        assert gx_result["success"] is True and len(gx_result["results"]) == len(
            result["expectations"]
        )
    # one view to read (the report's); GX's Data Docs need CDNs and are not shipped
    assert not (root / "quality" / "index.html").exists()
    assert not (root / "gx_data_docs").exists()


def test_figures_are_in_the_release(refreshed):
    figures = published(refreshed) / "figures"
    for name in (
        "figure1_rd_by_size_group_fixed_prices.png",
        "smv_vs_large_rd_fixed_prices.png",
        "cluster_outcomes_overview.png",
    ):
        assert (figures / name).stat().st_size > 30_000, name  # Danish
        assert (figures / "en" / name).stat().st_size > 30_000, name  # English
        assert (figures / name).read_bytes() != (figures / "en" / name).read_bytes(), name
