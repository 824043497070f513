"""Write a generation's checked set of programme files into ``raw.programme_*``, all four
tables or none; the other generations' rows stay as they are.

Columns are typed by the contract: amounts and FTE DECIMAL(18,2) (exact: grants add up to the
krone, and sums in dbt do not drift as DOUBLE would), dates DATE, flags BOOLEAN, the year
INTEGER, everything else VARCHAR (CVR numbers as 8-character text); a field the generation never
reported is a NULL column of its type. ``programme`` (the generation's id) and the lineage
columns follow:
``_source_file`` (relative to the inbound folder), ``_source_sha256``, ``_source_row`` (the
row as a spreadsheet shows it), ``_loaded_at`` (UTC), ``_is_sample``, ``_contract_version``.
``raw._programme_loads`` gets one row per file of every load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np

from pipelines.bookkeeping import (
    ProgrammeFileLoad,
    ensure_programme_loads,
    record_programme_load,
)
from pipelines.constants import programme
from pipelines.programme.checks.rules import SOURCE_ROW
from pipelines.programme.checks.validate import CheckedFile
from pipelines.programme.contract import EntitySchema

LINEAGE_COLUMNS = (
    ("_source_file", "VARCHAR"),
    ("_source_sha256", "VARCHAR"),
    ("_source_row", "INTEGER"),
    ("_loaded_at", "TIMESTAMP"),
    ("_is_sample", "BOOLEAN"),
    ("_contract_version", "INTEGER"),
)


@dataclass(frozen=True)
class LoadStamp:
    load_id: str
    loaded_at: datetime  # UTC, naive (as DuckDB TIMESTAMP)
    is_sample: bool


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _contract_columns(schema: EntitySchema) -> str:
    """Every field of the contract in its order, the ones the generation never reported NULL."""
    absent = {f.name for f in schema.absent}
    return ", ".join(
        f"cast({'null' if f.name in absent else _quote(f.name)} as {f.sql_type}) "
        f"as {_quote(f.name)}"
        for f in schema.contract_fields
    )


def _select(schema: EntitySchema, files: list[tuple[int, CheckedFile]], stamp: LoadStamp) -> str:
    cols = _contract_columns(schema)
    parts = [
        f"""select {cols}, {_literal(schema.generation)} as programme,
                        {_literal(c.file.relative)} as _source_file,
                        {_literal(c.sha256)} as _source_sha256,
                        cast({SOURCE_ROW} as integer) as _source_row, {i} as _file
                 from _load_{i}"""
        for i, c in files
    ]
    return f"""select * exclude (_file),
                      cast({_literal(stamp.loaded_at.isoformat(sep=" "))} as timestamp)
                          as _loaded_at,
                      {str(stamp.is_sample).lower()} as _is_sample,
                      cast({schema.version} as integer) as _contract_version
               from ({" union all ".join(parts)}){_order(files)}"""


def _order(files: list[tuple[int, CheckedFile]]) -> str:
    """Rows go in by file and row. One file staged in row order is that order already, kept
    as it is read (DuckDB preserves insertion order): sorting a million rows again costs
    time and memory."""
    if len(files) == 1:
        rows = files[0][1].table().column(SOURCE_ROW).to_numpy()
        if (np.diff(rows) > 0).all():
            return ""
    return " order by _file, _source_row"


def _columns(schema: EntitySchema) -> list[tuple[str, str]]:
    """The raw table's columns: the contract's fields, ``programme``, the lineage."""
    fields = [(f.name, f.sql_type) for f in schema.contract_fields]
    return [*fields, ("programme", "VARCHAR"), *LINEAGE_COLUMNS]


def _empty(schema: EntitySchema) -> str:
    """No rows, with the raw table's columns."""
    cols = ", ".join(
        f"cast(null as {sql_type}) as {_quote(name)}" for name, sql_type in _columns(schema)
    )
    return f"select {cols} limit 0"


def _kept_rows(con: duckdb.DuckDBPyConnection, schema: EntitySchema, target: str) -> str:
    """The other generations' rows of ``target`` in the table's current columns (a column the
    contract dropped goes, one it added is NULL). A table from before generations holds the
    current generation's rows: they stay while another generation loads."""
    present = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = ?",
            [schema.raw_table],
        ).fetchall()
    }
    current = programme().id
    if "programme" not in present:
        if schema.generation == current:
            return _empty(schema)
        present.add("programme")
        source = f"(select *, {_literal(current)} as programme from {target})"
    else:
        source = target
    cols = ", ".join(
        f"cast({_quote(name) if name in present else 'null'} as {sql_type}) as {_quote(name)}"
        for name, sql_type in _columns(schema)
    )
    return (
        f"select {cols} from {source} "
        f"where programme is distinct from {_literal(schema.generation)}"
    )


def replace_tables(
    con: duckdb.DuckDBPyConnection,
    checked: list[CheckedFile],
    schemas: Mapping[str, EntitySchema],
    stamp: LoadStamp,
) -> dict[str, int]:
    """Replace the generation's rows of every ``raw.programme_<entity>`` and record the load,
    in one transaction.

    Returns the generation's rows per entity. On any error nothing changes.
    """
    ensure_programme_loads(con)
    for i, c in enumerate(checked):
        con.register(f"_load_{i}", c.table())
    counts: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        for entity, schema in schemas.items():
            files = [(i, c) for i, c in enumerate(checked) if c.schema is schema]
            target = f"raw.{_quote(schema.raw_table)}"
            new = _select(schema, files, stamp) if files else _empty(schema)
            con.execute(f"create table if not exists {target} as {_empty(schema)}")
            con.execute(
                f"create or replace table {target} as "
                f"({_kept_rows(con, schema, target)}) union all ({new})"
            )
            counts[entity] = con.execute(
                f"select count(*) from {target} where programme = ?", [schema.generation]
            ).fetchone()[0]
        record_programme_load(
            con,
            [
                ProgrammeFileLoad(
                    stamp.load_id,
                    c.file.entity,
                    c.file.relative,
                    c.sha256,
                    c.rows,
                    stamp.loaded_at,
                    stamp.is_sample,
                    c.schema.version if c.schema else None,
                    next(iter(schemas.values())).generation,
                    c.schema.digest if c.schema else None,
                )
                for c in checked
            ],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        for i in range(len(checked)):
            con.unregister(f"_load_{i}")
    return counts
