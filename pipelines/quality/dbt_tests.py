"""Words for dbt's tests, so each dbt asset check in the UI says what it checks.

dagster-dbt takes a check's description from the test's ``meta.description`` only; generic tests
(``not_null``, ``unique``, ...) have none and show "No description provided". A singular test's
own description (``tests/_tests.yml``) is used as written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Describe = Callable[[str, Mapping[str, Any]], str]

_GENERIC: dict[str, Describe] = {
    "not_null": lambda col, kw: f"{col} is never NULL.",
    "unique": lambda col, kw: f"{col} is unique: no two rows share a value.",
    "accepted_values": lambda col, kw: (
        f"{col} is one of: {', '.join(str(v) for v in kw.get('values', []))}."
    ),
    "relationships": lambda col, kw: (
        f"Every {col} exists in {_ref_name(kw.get('to', ''))}.{kw.get('field', '')}."
    ),
    "unique_combination": lambda col, kw: f"One row per {' x '.join(kw.get('columns', []))}.",
    "no_year_gaps": lambda col, kw: (
        f"{col} has no missing years between the first and the last"
        + (f" within each {kw['group_by']}." if kw.get("group_by") else ".")
    ),
}


def _ref_name(ref: str) -> str:
    """``ref('stg_programme__clusters')`` -> ``stg_programme__clusters``."""
    inner = ref.strip()
    if inner.startswith("ref(") and inner.endswith(")"):
        inner = inner[4:-1]
    return inner.strip("'\" ")


def describe_test(test: Mapping[str, Any]) -> str | None:
    """A sentence for one dbt test node of the manifest, or None when there is nothing to say."""
    meta_description = (test.get("meta") or {}).get("description")
    if meta_description:
        return meta_description
    if (test.get("description") or "").strip():
        return " ".join(test["description"].split())
    metadata = test.get("test_metadata") or {}
    describe = _GENERIC.get(metadata.get("name", ""))
    if describe is None:
        return None
    kwargs = metadata.get("kwargs") or {}
    column = test.get("column_name") or kwargs.get("column_name") or "the row"
    severity = ((test.get("config") or {}).get("severity") or "error").lower()
    suffix = "" if severity == "error" else " (warning only: does not block)"
    return f"dbt test {metadata['name']}: {describe(column, kwargs)}{suffix}"
