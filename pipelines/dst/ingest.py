"""Bring one configured DST table up to date in the working warehouse."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.bookkeeping import dst_data_version
from pipelines.dst.config import TableSpec
from pipelines.dst.load import (
    BodyLoad,
    LoadProvenance,
    column_name,
    labels_table,
    last_load,
    load_body,
)
from pipelines.dst.selection import resolve_selection, value_labels
from pipelines.dst.source import DstSource

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]
PREVIEW_ROWS = 5


@dataclass(frozen=True)
class IngestResult:
    table_id: str
    raw_table: str
    downloaded: bool  # False when DST's `updated` had not changed since the last load
    source_mode: str
    dst_updated: str
    synthetic: bool
    selection_hash: str
    rows: int
    suppressed: int
    fallback_reason: str | None = None
    preview: list[dict[str, Any]] = field(default_factory=list)

    @property
    def data_version(self) -> str:
        """Identifies the table's content: DST's `updated`, the selection and the source."""
        return dst_data_version(self.dst_updated, self.selection_hash, self.source_mode)


def ingest_table(
    spec: TableSpec, source: DstSource, connect: Connect, force: bool = False
) -> IngestResult:
    """Load ``spec`` unless the warehouse already holds the same DST version of it.

    The warehouse connection is held only for the short check and the final load, not while
    the body downloads. A tableinfo without ``updated`` (DST always sends it) gives no version
    to compare, so the table is downloaded again.
    """
    info = source.tableinfo(spec)
    selection = resolve_selection(spec, info.info)
    with connect() as con:
        previous = last_load(con, spec.id)
    # Without DST's `updated` there is no telling whether the table changed: load it again.
    if (
        previous is not None
        and not force
        and info.updated
        and previous.data_version
        == dst_data_version(info.updated, spec.selection_hash, info.mode.value)
    ):
        with connect() as con:
            preview = _preview(con, spec.raw_table, list(selection))
        stats = (False, previous.synthetic, previous.row_count, previous.suppressed_count or 0)
        return _result(spec, info, stats, preview)
    with tempfile.TemporaryDirectory(prefix=f"dst_{spec.id}_") as tmp:
        body, body_sha256 = source.body(spec, info, selection, Path(tmp))
        provenance = LoadProvenance(
            source_mode=info.mode.value,
            dst_updated=info.updated,
            loaded_at=datetime.now(UTC).replace(tzinfo=None),
            synthetic=info.synthetic,
            selection_hash=spec.selection_hash,
        )
        load = BodyLoad(
            spec.id,
            spec.raw_table,
            body,
            selection,
            value_labels(info.info),
            spec.lang,
            provenance,
            body_sha256,
        )
        with connect() as con:
            counts = load_body(con, load)
            preview = _preview(con, spec.raw_table, list(selection))
    stats = (True, info.synthetic, counts["rows"], counts["suppressed"])
    return _result(spec, info, stats, preview)


def _result(
    spec: TableSpec,
    info,
    stats: tuple[bool, bool, int, int],
    preview: list[dict[str, Any]],
) -> IngestResult:
    """``stats``: downloaded, synthetic, rows, suppressed cells."""
    downloaded, synthetic, rows, suppressed = stats
    return IngestResult(
        spec.id,
        spec.raw_table,
        downloaded,
        info.mode.value,
        info.updated,
        bool(synthetic),
        spec.selection_hash,
        int(rows),
        int(suppressed),
        info.fallback_reason,
        preview,
    )


def _preview(
    con: duckdb.DuckDBPyConnection, raw_table: str, variables: list[str]
) -> list[dict[str, Any]]:
    """The first rows as an analyst reads them: each code beside its label, then the value."""
    columns, joins = [], []
    for i, var in enumerate(variables):
        col = '"' + column_name(var).replace('"', '""') + '"'
        label = '"' + column_name(var).replace('"', '""') + '_label"'
        columns += [f"s.{col}", f"l{i}.label as {label}"]
        joins.append(
            f'left join raw."{labels_table(raw_table)}" l{i} '
            f"on l{i}.variable = ${i + 1} and l{i}.code = s.{col}::varchar"
        )
    # the first rows first, then their labels: never a join over the whole table
    cur = con.execute(
        f"""select {", ".join(columns)}, s.value, s.is_suppressed
                          from (select * from raw."{raw_table}" limit {PREVIEW_ROWS}) s
                          {" ".join(joins)}""",
        variables,
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
