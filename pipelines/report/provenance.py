"""The release's own record of itself: gate results (``quality/*.json``) and ``manifest.json``.

These are read from the release folder (not the working quality folder), so the data quality
and provenance pages describe exactly the files that ship with the report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines.report import rules

TYPE_CHECK = "expect_column_values_to_be_in_type_list"

# Files of the release the provenance page links to (text key, path in the release folder).
DATA_FILES = (
    ("file_duckdb", "klynge.duckdb"),
    ("file_xlsx", "klynge.xlsx"),
    ("file_dictionary", "data_dictionary.md"),
    ("file_manifest", "manifest.json"),
    ("file_readme", "README.md"),
    ("file_citation", "CITATION.cff"),
    ("file_datapackage", "datapackage.json"),
    ("file_changes", "changes.md"),
)


class ReportInputError(RuntimeError):
    """A file of the release the report reads is missing or unreadable."""


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportInputError(f"{path}: cannot read it for the report: {exc}") from exc


def gate_results(release: Path, tables: list[str], lang: str = "en") -> list[dict[str, Any]]:
    """Per published table, its suite's result (None when absent), its rules stated in
    ``lang`` (failed first) and its column-type checks apart: they are most of the suite and
    say one thing, that every column has the dbt contract's type."""
    results = []
    for table in tables:
        path = release / "quality" / f"{table}.json"
        result = _json(path) if path.exists() else None
        expectations = [
            {
                **e,
                "meaning": rules.meaning(e, lang),
                "sentence": rules.sentence(e, lang),
                "observed_text": _compact(rules.observed(e, lang)),
                "examples_text": _compact(e.get("unexpected_examples") or None),
            }
            for e in (result or {}).get("expectations", [])
        ]
        is_type = [e["expectation"] == TYPE_CHECK for e in expectations]
        checks = [e for e, t in zip(expectations, is_type, strict=True) if not t]
        types = [e for e, t in zip(expectations, is_type, strict=True) if t]
        results.append(
            {
                "table": table,
                "result": result,
                "expectations": expectations,
                "checks": sorted(checks, key=lambda e: bool(e.get("success"))),
                "types": sorted(types, key=lambda e: bool(e.get("success"))),
                "failed": sum(1 for e in expectations if not e.get("success")),
                "types_failed": sum(1 for e in types if not e.get("success")),
                "unexpected": sum(int(e.get("unexpected_count") or 0) for e in expectations),
            }
        )
    return results


def _compact(value: Any, limit: int = 160) -> str:
    """A GX observed value as short text (it can be a number, a list or a dict)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def grouped_checksum(digest: str | None) -> str:
    """A hex digest in groups of four, readable and never a long run of digits."""
    text = digest or ""
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def data_files(release: Path, tables: list[str]) -> list[dict[str, str]]:
    """Links to the release's data files that exist, per table and for the whole release."""
    files = [
        {"key": key, "table": None, "path": path}
        for key, path in DATA_FILES
        if (release / path).exists() or path == "manifest.json"
    ]
    for table in tables:
        for folder in ("csv", "parquet"):
            if (release / folder / f"{table}.{folder}").exists():
                files.append(
                    {"key": f"file_{folder}", "table": table, "path": f"{folder}/{table}.{folder}"}
                )
    return files
