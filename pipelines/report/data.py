"""Read the report's numbers from the release's own ``klynge.duckdb``, and nothing else.

Every query lives in ``queries/<name>.sql`` and runs against the published copy, opened
read-only, so the report shows exactly what an analyst gets from the same file. Aggregation, if
any, happens in those SQL files (visible, reviewable), never in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

QUERY_DIR = Path(__file__).resolve().parent / "queries"


class ReportDataError(RuntimeError):
    """A query the report needs failed against the release's DuckDB file."""


@cache
def _sql(name: str) -> str:
    return (QUERY_DIR / f"{name}.sql").read_text(encoding="utf-8")


@dataclass
class ReleaseData:
    """A read-only connection to one release's ``klynge.duckdb``."""

    path: Path
    _con: duckdb.DuckDBPyConnection = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.path.is_file():
            raise ReportDataError(f"{self.path}: the release has no DuckDB file to report on")
        self._con = duckdb.connect(str(self.path), read_only=True)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> ReleaseData:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def tables(self) -> set[str]:
        return {
            r[0]
            for r in self._con.execute(
                "select table_name from information_schema.tables"
            ).fetchall()
        }

    def columns(self, table: str) -> set[str]:
        """The columns of ``table`` (empty when the release has no such table)."""
        return {
            r[0]
            for r in self._con.execute(
                "select column_name from information_schema.columns where table_name = ?",
                [table],
            ).fetchall()
        }

    def rows(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """The rows of query ``name`` as dicts (column name -> value)."""
        try:
            cursor = self._con.execute(_sql(name), params or None)
            columns = [d[0] for d in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        except duckdb.Error as exc:
            raise ReportDataError(f"report query {name}.sql failed on {self.path}: {exc}") from exc

    def row(self, name: str, **params: Any) -> dict[str, Any] | None:
        """The first row of query ``name``, or None when it returns nothing."""
        found = self.rows(name, **params)
        return found[0] if found else None

    def release_info(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self.rows("release_info")}
