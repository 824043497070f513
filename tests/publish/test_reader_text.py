"""No internals in reader-facing text: a release built while DST is unreachable tells its
readers so in a sentence of their language, never as a Python exception.

The refresh runs in ``auto`` mode against a closed port, so every DST table falls back to the
stored snapshot. The technical detail (the exception) stays in ``manifest.json`` and the
machine-readable gate results; every other file of the release is read as its reader would:
README, report pages, CSV, changes.md, CITATION.cff, datapackage.json, every XLSX cell, and the
``release_info`` table of ``klynge.duckdb``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipelines.publish.facts import FALLBACK_TEXT
from tests.conftest import run_refresh

pytestmark = pytest.mark.slow  # a full refresh

INTERNALS = re.compile(
    r"\b[A-Z][A-Za-z]+(?:Error|Exception)\b|Errno|Traceback|HTTPS?ConnectionPool"
)
TEXT_SUFFIXES = {".md", ".html", ".csv", ".cff", ".txt", ".svg", ".yaml", ".yml", ".css"}
MACHINE_FILES = {"manifest.json"}  # and quality/ (GX's own results): for tools, not readers


@pytest.fixture(scope="module")
def fallback_release(tmp_path_factory, closed_port_url_module) -> Path:
    root = tmp_path_factory.mktemp("fallback")
    run_refresh(root, KLYNGE_DST_SOURCE="auto", DST_API_BASE_URL=closed_port_url_module)
    return (root / "data" / "published" / "current").resolve()


@pytest.fixture(scope="module")
def closed_port_url_module() -> str:
    from tests.browser import closed_port

    return f"http://127.0.0.1:{closed_port()}/v1"


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _reader_texts(release: Path) -> dict[str, str]:
    """Every reader-facing text of the release, by where it is."""
    from openpyxl import load_workbook

    texts: dict[str, str] = {}
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        rel = path.relative_to(release).as_posix()
        if rel in MACHINE_FILES or rel.startswith("quality/"):
            continue
        if path.suffix in TEXT_SUFFIXES:
            texts[rel] = path.read_text(encoding="utf-8-sig")
        elif path.suffix == ".json":
            texts[rel] = "\n".join(_strings(json.loads(path.read_text(encoding="utf-8"))))
        elif path.suffix == ".xlsx":
            book = load_workbook(path, read_only=True)
            for sheet in book.worksheets:
                cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v]
                texts[f"{rel}:{sheet.title}"] = "\n".join(cells)
    import duckdb

    with duckdb.connect(str(release / "klynge.duckdb"), read_only=True) as con:
        rows = con.execute("select key, value from release_info").fetchall()
    texts["klynge.duckdb:release_info"] = "\n".join(f"{k} {v}" for k, v in rows)
    return texts


def test_the_manifest_keeps_the_technical_detail(fallback_release):
    manifest = json.loads((fallback_release / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["dst"]["source_mode"] == "snapshot"
    assert INTERNALS.search(manifest["dst"]["fallback_reason"])  # the operator's detail


def test_no_reader_facing_file_shows_a_python_exception(fallback_release):
    texts = _reader_texts(fallback_release)
    assert "README.md" in texts and "klynge.xlsx:READ_ME" in texts
    assert any(k.startswith("report/") for k in texts) and "datapackage.json" in texts
    leaks = {
        where: sorted({m.group(0) for m in INTERNALS.finditer(text)})
        for where, text in texts.items()
        if INTERNALS.search(text)
    }
    assert leaks == {}


def test_readers_are_told_in_their_language(fallback_release):
    readme = (fallback_release / "README.md").read_text(encoding="utf-8")
    assert FALLBACK_TEXT["en"] in readme and FALLBACK_TEXT["da"] in readme
    da = (fallback_release / "report" / "datagrundlag.html").read_text(encoding="utf-8")
    en = (fallback_release / "report" / "en" / "provenance.html").read_text(encoding="utf-8")
    assert "DST kunne ikke nås; det gemte øjebliksbillede er brugt." in da
    assert "DST could not be reached; the stored snapshot was used." in en
