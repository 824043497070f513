"""The CSV and XLSX writers against hostile text, and what Excel and a reader see in them.

Hostile tester's view: names that spreadsheets would run as formulas (``=HYPERLINK``, DDE
``=cmd|``, ``+``, ``-``, ``@``, tab, CR) must arrive as the same text, never as a formula, while
numbers (including negative ones) stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.escape import unescape

from pipelines.catalog import published_marts
from pipelines.publish import exports, xlsx
from pipelines.publish.cells import FORMULA_TRIGGERS, neutralise
from pipelines.publish.columns_sheet import COLUMNS_SHEET
from pipelines.publish.facts import ReleaseFacts
from pipelines.publish.readme import release_readme

HOSTILE = [
    '=HYPERLINK("http://x","click")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-3+4",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    'Grøn Energi; "citat"',
]
MARTS = {m.name: m for m in published_marts()}


def findings_frame() -> pd.DataFrame:
    n = len(HOSTILE)
    return pd.DataFrame(
        {
            "finding_id": [f"id{i}" for i in range(n)],
            "rule": HOSTILE,
            "severity": ["warning"] * n,
            "cluster_id": HOSTILE,
            "project_id": [None] * n,
            "cvr": ["01234567"] * n,
            "year": [2025.0] * (n - 1) + [None],
            "observed_value": [-3.5, 80.123456789, 0.0, -1e6, 75.0, 1.0, 2.0, 3.0],
            "threshold": [70.0] * n,
            "message": HOSTILE,
            "source_file": HOSTILE,
            "source_row": list(range(2, n + 2)),
            "is_sample": [True, False] * (n // 2),
        }
    )


def facts(**overrides) -> ReleaseFacts:
    values = dict(
        release="20260101T000000Z",
        run_id="run-1",
        created_at="2026-01-01T00:00:00+00:00",
        git_commit="abc",
        price_base_year=2024,
        dst_source_mode="snapshot",
        dst_tables={"NAN1": {"updated": "2025-10-30T08:00:00", "source_mode": "snapshot"}},
        programme_inputs=[{"file": "=evil.csv", "sha256": "ab" * 32}],
        synthetic=True,
        sample=False,
        notices=["SYNTHETIC DEMO DATA: not DST."],
    )
    return ReleaseFacts(**{**values, **overrides})


def test_neutralise_prefixes_only_formula_starts():
    assert [neutralise(t) for t in HOSTILE[:5]] == ["'" + t for t in HOSTILE[:5]]
    assert neutralise("Grøn Energi") == "Grøn Energi"
    assert neutralise("a=b") == "a=b"


def test_csv_text_is_neutralised_and_numbers_stay_numbers(tmp_path):
    mart = MARTS["quality_findings"]
    exports.write_csv({mart.name: findings_frame()}, (mart,), tmp_path)
    text = (tmp_path / "quality_findings.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert [r["message"] for r in rows] == [
        "'" + t if t.startswith(FORMULA_TRIGGERS) else t for t in HOSTILE
    ]
    for row in rows:
        for column, cell in row.items():
            if cell.startswith(FORMULA_TRIGGERS):  # only a number may start with '-'
                assert column in ("observed_value",), (column, cell)
                float(cell.replace(",", "."))
    assert [r["observed_value"] for r in rows][:4] == ["-3,5", "80,1235", "0,0", "-1000000,0"]
    assert {r["is_sample"] for r in rows} == {"SAND", "FALSK"}
    assert rows[0]["cvr"] == "01234567"
    assert [r["year"] for r in rows][-2:] == ["2025", ""]  # an integer with NULLs stays whole


def test_xlsx_text_is_text_never_a_formula(tmp_path):
    mart = MARTS["quality_findings"]
    target = tmp_path / "k.xlsx"
    xlsx.write_xlsx({mart.name: findings_frame()}, (mart,), target, facts())
    book = openpyxl.load_workbook(target)
    formulas = [
        (ws.title, c.coordinate)
        for ws in book
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    ]
    assert formulas == []
    sheet = book["quality_findings"]
    header = [c.value for c in sheet[1]]
    col = {name: i for i, name in enumerate(header)}
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    # a CR is stored as OOXML's _x000D_ escape, which Excel reads back as CR
    assert [unescape(v[col["message"]]) for v in values] == [neutralise(t) for t in HOSTILE]
    assert [v[col["observed_value"]] for v in values][:2] == [-3.5, 80.123456789]
    cvr = sheet.cell(row=2, column=col["cvr"] + 1)
    assert (cvr.value, cvr.data_type, cvr.number_format) == ("01234567", "s", "@")
    assert all(isinstance(v[col["is_sample"]], bool) for v in values)
    assert book.sheetnames == ["READ_ME", COLUMNS_SHEET, "quality_findings"]
    readme = [c for row in book["READ_ME"].iter_rows(values_only=True) for c in row if c]
    assert "'=evil.csv (sha256 abababababab)" in readme


def test_readme_names_the_fallback_reason_and_base_year():
    marts = tuple(MARTS.values())
    fallback = facts(
        dst_tables={
            "NAN1": {
                "updated": "u",
                "source_mode": "snapshot",
                "fallback_reason": "connection refused",
            }
        }
    )
    text = release_readme(fallback, marts, {})
    # a sentence for readers in both languages; the exception stays in manifest.json
    assert "DST could not be reached; the stored snapshot was used." in text
    assert "DST kunne ikke nås; det gemte øjebliksbillede er brugt." in text
    assert "connection refused" not in text
    assert "prices of **2024**" in text
    assert all(f"| `{m.name}` |" in text for m in marts)
    assert "not a fallback" in release_readme(facts(), marts, {})
    reason = fallback.release_info()["dst_fallback_reason"]
    assert reason == "DST could not be reached; the stored snapshot was used."
    assert fallback.fallback_reason == "connection refused"  # manifest.json's, for operators


def _sheet_rows(book, name):
    return [[unescape(c) if isinstance(c, str) else c for c in r] for r in book[name].values]


def test_xlsx_readme_is_danish_first_then_english(tmp_path):
    mart = MARTS["quality_findings"]
    xlsx.write_xlsx({mart.name: findings_frame()}, (mart,), tmp_path / "k.xlsx", facts())
    rows = _sheet_rows(openpyxl.load_workbook(tmp_path / "k.xlsx"), "READ_ME")
    labels = [r[0] for r in rows if r[0]]
    texts = "\n".join(str(c) for r in rows for c in r if c)
    assert labels.index("Dansk") < labels.index("English")
    assert labels.index("Sådan læses den") < labels.index("How to read it")
    assert labels.index("Mere") < labels.index("More")
    for danish in ("Evalueringsdata for det danske klyngeprogram", "kroner (kr.)", "procentpoint"):
        assert danish in texts
    for english in ("Evaluation datasets of the Danish cluster programme", "percentage points"):
        assert english in texts
    assert "Udgivelses-id / Release id" in labels and COLUMNS_SHEET in texts


def test_xlsx_column_sheet_describes_every_column_once(tmp_path):
    """Every column of every published table sheet, once, with a description."""
    tables = {m.name: pd.DataFrame({c.name: [None] for c in m.columns}) for m in MARTS.values()}
    tables["quality_findings"] = pd.concat([findings_frame()] * 2, ignore_index=True)
    marts = tuple(MARTS.values())
    target = tmp_path / "k.xlsx"
    xlsx.write_xlsx(tables, marts, target, facts())
    book = openpyxl.load_workbook(target)
    header, *rows = _sheet_rows(book, COLUMNS_SHEET)
    assert header[:2] == ["Tabel / Table", "Kolonne / Column"]
    listed = [(r[0], r[1]) for r in rows]
    on_sheets = [(n, c) for n, df in tables.items() for c in df.columns]
    assert sorted(listed) == sorted(on_sheets) and len(set(listed)) == len(listed)
    da, en = header.index("Beskrivelse (dansk)"), header.index("Description (English)")
    assert all((r[da] or r[en] or "").strip() for r in rows)
    units = {r[1]: r[header.index("Enhed / Unit")] for r in rows if r[0] == "price_index"}
    assert units["year"] == "kalenderår / calendar year"
    sheet = book[COLUMNS_SHEET]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")


def test_danish_column_descriptions_come_from_dbt_meta(tmp_path):
    """A column's Danish description is its dbt meta ``description_da`` (under ``config:`` or
    beside it); the XLSX column sheet shows it beside the English one."""
    import json

    from pipelines.catalog import PUBLISHED_CONFIG
    from pipelines.settings import DBT_PROJECT_DIR

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text("utf-8"))
    node = next(n for n in manifest["nodes"].values() if n["name"] == "price_index")
    node["columns"]["year"].setdefault("config", {})["meta"] = {"description_da": "Referenceår."}
    node["columns"]["deflator"]["meta"] = {"description_da": "  BNP-deflatoren,\n  et forhold."}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    mart = {m.name: m for m in published_marts(PUBLISHED_CONFIG, tmp_path / "manifest.json")}[
        "price_index"
    ]
    danish = {c.name: c.description_da for c in mart.columns}
    assert danish["year"] == "Referenceår." and danish["deflator"] == "BNP-deflatoren, et forhold."
    assert danish["gdp_current_mio_dkk"] == ""
    frame = pd.DataFrame({c.name: [None] for c in mart.columns})
    xlsx.write_xlsx({mart.name: frame}, (mart,), tmp_path / "k.xlsx", facts())
    header, *rows = _sheet_rows(openpyxl.load_workbook(tmp_path / "k.xlsx"), COLUMNS_SHEET)
    da = header.index("Beskrivelse (dansk)")
    assert {r[1]: r[da] for r in rows}["year"] == "Referenceår."


def test_xlsx_column_descriptions_are_text_never_formulas(tmp_path):
    from dataclasses import replace

    mart = MARTS["quality_findings"]
    hostile = tuple(
        replace(c, description='=HYPERLINK("http://x","click")', description_da="=1+1")
        for c in mart.columns
    )
    mart = replace(mart, columns=hostile)
    xlsx.write_xlsx({mart.name: findings_frame()}, (mart,), tmp_path / "k.xlsx", facts())
    book = openpyxl.load_workbook(tmp_path / "k.xlsx")
    sheet = book[COLUMNS_SHEET]
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    header, *rows = _sheet_rows(book, COLUMNS_SHEET)
    da, en = header.index("Beskrivelse (dansk)"), header.index("Description (English)")
    assert {r[da] for r in rows} == {"'=1+1"}
    assert {r[en] for r in rows} == {'\'=HYPERLINK("http://x","click")'}


def test_xlsx_rows_written_in_slices_are_the_rows_of_the_table(tmp_path, monkeypatch):
    """A large table is converted a slice of rows at a time: every row lands once, in order,
    blanks included, across the slices' edges."""
    mart = MARTS["quality_findings"]
    frame = pd.concat([findings_frame()] * 3, ignore_index=True)
    frame.loc[4, "observed_value"] = None
    monkeypatch.setattr(xlsx, "CHUNK_ROWS", 5)  # 5 does not divide the rows: a short last slice
    xlsx.write_xlsx({mart.name: frame}, (mart,), tmp_path / "k.xlsx", facts())
    sheet = openpyxl.load_workbook(tmp_path / "k.xlsx")["quality_findings"]
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(frame) % 5 and len(rows) == len(frame)
    got = [row[header.index("observed_value")] for row in rows]
    expected = [None if pd.isna(v) else v for v in frame["observed_value"]]
    assert got == expected
    messages = [unescape(row[header.index("message")]) for row in rows]
    assert messages == [neutralise(t) for t in frame["message"]]


def test_xlsx_table_longer_than_an_excel_sheet_continues_on_further_sheets(tmp_path, monkeypatch):
    """XlsxWriter silently drops cells beyond Excel's row limit: a longer table must continue
    on further sheets, every row exactly once and in order, and READ_ME must say so."""
    mart = MARTS["quality_findings"]
    frame = pd.concat([findings_frame()] * 2, ignore_index=True)  # 16 rows
    frame["finding_id"] = [f"id{i:02d}" for i in range(len(frame))]
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 7)  # a header and 6 rows per sheet
    monkeypatch.setattr(xlsx, "CHUNK_ROWS", 4)
    xlsx.write_xlsx({mart.name: frame}, (mart,), tmp_path / "k.xlsx", facts())
    book = openpyxl.load_workbook(tmp_path / "k.xlsx")
    names = ["quality_findings", "quality_findings (2)", "quality_findings (3)"]
    assert book.sheetnames == ["READ_ME", COLUMNS_SHEET, *names]
    ids = []
    for name in names:
        rows = list(book[name].iter_rows(values_only=True))
        assert list(rows[0]) == list(frame.columns)  # each sheet has the header
        assert 1 <= len(rows) - 1 <= 6
        ids += [row[0] for row in rows[1:]]
    assert ids == list(frame["finding_id"])
    readme = {
        row[0]: row[1:] for row in book["READ_ME"].iter_rows(values_only=True) if row[0] in names
    }
    assert [readme[n][2] for n in names] == [6, 6, 4]
    assert "rows 1 to 6 of 16" in readme[names[0]][0]
    assert "continues on sheets quality_findings (2), quality_findings (3)" in readme[names[0]][0]
    assert "csv/quality_findings.csv" in readme[names[0]][0]
    assert readme[names[2]][0] == "quality_findings, continued: rows 13 to 16 of 16."


def test_continuation_sheet_names_fit_excels_31_characters(monkeypatch):
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 3)
    parts = xlsx.sheet_parts("a_table_name_of_31_characters__", 41)
    assert len(parts) == 21 and len({p.name for p in parts}) == 21
    assert all(len(p.name) <= 31 for p in parts)
    assert parts[-1].name == "a_table_name_of_31_charact (21)"
    assert [(p.first, p.end) for p in parts[:2]] == [(0, 2), (2, 4)] and parts[-1].end == 41
    assert [(p.first, p.end) for p in xlsx.sheet_parts("empty", 0)] == [(0, 0)]


def test_xlsx_dates_are_dates(tmp_path):
    mart = MARTS["price_index"]
    frame = pd.DataFrame({c.name: [None] for c in mart.columns}).astype(object)
    frame.loc[0, ["year", "deflator", "dst_updated", "is_base_year"]] = [
        2024,
        1.2345678,
        "2025-10-30T08:00:00",
        True,
    ]
    xlsx.write_xlsx({mart.name: frame}, (mart,), tmp_path / "k.xlsx", facts())
    sheet = openpyxl.load_workbook(tmp_path / "k.xlsx")["price_index"]
    header = [c.value for c in sheet[1]]
    updated = sheet.cell(row=2, column=header.index("dst_updated") + 1)
    assert updated.value == datetime(2025, 10, 30, 8, 0) and updated.is_date
    deflator = sheet.cell(row=2, column=header.index("deflator") + 1)
    assert deflator.value == pytest.approx(1.2345678) and deflator.number_format == "0.0000"
    year = sheet.cell(row=2, column=header.index("year") + 1)
    assert (year.value, year.number_format) == (2024, "0")


def test_fallback_reason_reaches_the_release_from_the_dst_load(tmp_path):
    from types import SimpleNamespace

    from dagster import AssetMaterialization, DagsterInstance

    from pipelines.orchestration.assets.publish import _with_fallback_reasons
    from pipelines.publish.provenance import Provenance

    with DagsterInstance.ephemeral() as instance:
        for table, updated in (("dst_nan1", "u1"), ("dst_forsk01", "old")):
            instance.report_runless_asset_event(
                AssetMaterialization(
                    asset_key=["raw", table],
                    metadata={
                        "dst_updated": updated,
                        "source_mode": "snapshot",
                        "fallback_reason": "connection refused",
                    },
                )
            )
        provenance = Provenance(
            "run",
            {
                "NAN1": {"updated": "u1", "source_mode": "snapshot"},
                "FORSK01": {"updated": "u2", "source_mode": "snapshot"},
                "GF13": {"updated": "u3", "source_mode": "live"},
            },
            [],
            {},
        )
        tables = _with_fallback_reasons(SimpleNamespace(instance=instance), provenance).dst_tables
    assert tables["NAN1"]["fallback_reason"] == "connection refused"
    assert tables["FORSK01"]["fallback_reason"] is None  # the reason was for an older load
    assert tables["GF13"]["fallback_reason"] is None


@pytest.mark.slow  # renders figures
def test_cluster_figure_takes_hostile_and_long_names(tmp_path):
    from pipelines.publish.cluster_figure import cluster_overview, short_name

    assert short_name("K01", "Eksempelklynge for Grøn Energi (SAMPLE)") == "K01 Grøn Energi"
    assert short_name("K03", '=A1("x")') == 'K03 =A1("x")'
    assert short_name("K02", "A very long cluster organisation name indeed") == (
        "K02 A very long cluster o…"
    )
    names = ["Klynge $1 mio", '=HYPERLINK("http://x","click")', "$\\frac{a}{b", "Ok"]
    totals = pd.DataFrame(
        {
            "cluster_id": ["K01", "K02", "K03", "K04"],
            "cluster_name": names,
            "first_year": 2025,
            "last_year": 2028,
            "smv_funding_dkk": [1e6, 2e6, 0, 3e6],
            "private_cofinancing_dkk": [5e5, 0, 0, 1e6],
            "smv_funded": [3, 4, 0, 5],
            "smv_new_to_rd": [1, 0, 0, 2],
            "universities": [1, 0, 0, 2],
            "gts_institutes": 1,
            "erhvervsakademier": 0,
            "professionshoejskoler": 1,
            "projects_with_knowledge_institution": [1, 1, 0, 2],
            "projects_started": [2, 1, 0, 3],
            "smv_funding_rate_pct": [55.0, 60.0, None, 50.0],
            "smv_funding_rate_median_pct": [55.0, 61.0, None, 50.0],
            "smv_funding_rate_breaches": [1, 0, 0, 2],
            "smv_funding_rate_breach_max_pct": [80.0, None, None, 75.0],
        }
    )
    cluster_overview(totals, tmp_path / "c.png", "SAMPLE PROGRAMME DATA")
    assert (tmp_path / "c.png").stat().st_size > 20_000


def test_cluster_figure_of_a_generation_without_a_cap(tmp_path, monkeypatch):
    """Were the current generation one without the SME funding cap (2021-2024), the figure draws
    no cap line and says the cap was not a rule then, with its breach counts NULL."""
    from pipelines.constants import generation
    from pipelines.publish import cluster_figure

    older = generation("2021-2024")
    monkeypatch.setattr(cluster_figure, "programme", lambda: older)
    assert cluster_figure._cap_label() is None
    totals = pd.DataFrame(
        {
            "programme": older.id,
            "cluster_id": ["K01", "K02"],
            "cluster_name": ["Et", "To"],
            "first_year": older.first_year,
            "last_year": older.last_year,
            "smv_funding_dkk": [1e6, 2e6],
            "private_cofinancing_dkk": [5e5, 0],
            "smv_funded": [3, 4],
            "smv_new_to_rd": [1, 0],
            "universities": [1, 0],
            "gts_institutes": 1,
            "erhvervsakademier": 0,
            "professionshoejskoler": 1,
            "projects_with_knowledge_institution": [1, 1],
            "projects_started": [2, 1],
            "smv_funding_rate_pct": [75.0, 60.0],
            "smv_funding_rate_median_pct": [74.0, 61.0],
            "smv_funding_rate_breaches": [None, None],
            "smv_funding_rate_breach_max_pct": [None, None],
        }
    )
    for lang in ("da", "en"):
        cluster_figure.cluster_overview(totals, tmp_path / f"{lang}.png", None, lang)
        assert (tmp_path / f"{lang}.png").stat().st_size > 20_000


def test_file_names_in_the_release_readme_are_plain_markdown_text():
    """A file name is the sender's text: in README.md it must not open HTML, a link, an image,
    a code span or a table cell (a Markdown viewer would act on them)."""
    name = 'projects_<img src=x onerror="t()"> [l](javascript:alert(1)) `x` | *y*.csv'
    text = release_readme(
        facts(
            programme_inputs=[{"file": name, "sha256": "ab" * 32}],
            dst_tables={
                "NAN1": {
                    "updated": "2025-10-30T08:00:00",
                    "source_mode": "snapshot",
                    "fallback_reason": "[click](http://evil.example) <b>",
                }
            },
        ),
        tuple(published_marts()),
        {},
    )
    line = next(line for line in text.splitlines() if line.startswith("- Programme data:"))
    unescaped = re.compile(r"(?<!\\)[<>\[\]`|*]")
    assert not unescaped.findall(line.removeprefix("- Programme data: "))
    assert r"\<img src=x onerror=" in line and r"\[l\](javascript" in line
    assert "evil.example" not in text  # the fallback's detail is manifest.json's only
