"""The pipeline's own records in the warehouse: what was loaded, and what was built from it.

Three tables, owned here and nowhere else (other modules call these typed functions):

- ``raw._dst_loads``: one row per successful load of a DST table (its ``updated``, selection,
  source mode, counts, body checksum). Each table's latest row is shown to dbt by the view
  ``raw.<raw_table>_provenance``.
- ``raw._programme_loads``: one row per file of every programme load.
- ``raw._dbt_builds``: one row per dbt build with its inputs and how far it got (``started``,
  ``built``, ``passed``; see :mod:`pipelines.incremental`).

Readers never create anything, so a read-only connection (the cheap pre-check, the release)
can ask; writers create the table first. A table's data version is built here, once.
"""

from __future__ import annotations

import json
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from typing import Literal

import duckdb

DST_LOADS = "raw._dst_loads"
PROGRAMME_LOADS = "raw._programme_loads"
DBT_BUILDS = "raw._dbt_builds"

BuildStatus = Literal["started", "built", "passed"]


def _raw_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    }


def has_table(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """Whether ``raw.<name>`` exists (``qualified`` as in :data:`DST_LOADS`)."""
    return qualified.split(".", 1)[1] in _raw_tables(con)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- DST loads -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DstLoad:
    table_id: str
    raw_table: str
    dst_updated: str  # tableinfo's ``updated``: the table's data version at DST
    selection_hash: str
    source_mode: str  # "live" or "snapshot"
    synthetic: bool
    row_count: int
    suppressed_count: int
    body_sha256: str
    loaded_at: datetime

    @property
    def data_version(self) -> str:
        return dst_data_version(self.dst_updated, self.selection_hash, self.source_mode)


def dst_data_version(dst_updated: str, selection_hash: str, source_mode: str) -> str:
    """What makes a load of a DST table different content: DST's version of the table, the
    selection asked for and where it came from."""
    return f"{dst_updated}|{selection_hash}|{source_mode}"


_DST_COLUMNS = ", ".join(f.name for f in fields(DstLoad))
_DST_VIEW_COLUMNS = ", ".join(f.name for f in fields(DstLoad) if f.name != "raw_table")


def ensure_dst_loads(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(
        f"""create table if not exists {DST_LOADS} (
            table_id varchar, raw_table varchar, dst_updated varchar, selection_hash varchar,
            source_mode varchar, synthetic boolean, row_count bigint, suppressed_count bigint,
            body_sha256 varchar, loaded_at timestamp)"""
    )


def record_dst_load(con: duckdb.DuckDBPyConnection, load: DstLoad, provenance_view: str) -> None:
    """Record the load (inside the caller's transaction) and point the table's provenance view
    at its latest record: dbt reads the view as one more table written by the table's asset."""
    ensure_dst_loads(con)
    con.execute(
        f"insert into {DST_LOADS} ({_DST_COLUMNS}) values "
        f"({', '.join('?' * len(fields(DstLoad)))})",
        list(astuple(load)),
    )
    con.execute(
        f"""create or replace view raw."{provenance_view}" as
            select {_DST_VIEW_COLUMNS}
            from {DST_LOADS} where raw_table = {_literal(load.raw_table)}
            order by loaded_at desc limit 1"""
    )


def latest_dst_loads(
    con: duckdb.DuckDBPyConnection, *, with_tables: tuple[str, ...] = ()
) -> dict[str, DstLoad]:
    """Each DST table's latest load, by table id. With ``with_tables`` (suffixes such as
    ``("", "_labels")``), only loads whose raw tables all still exist."""
    if not has_table(con, DST_LOADS):
        return {}
    present = _raw_tables(con)
    rows = con.execute(
        f"""select {_DST_COLUMNS} from {DST_LOADS}
            qualify row_number() over (partition by table_id order by loaded_at desc) = 1
            order by table_id"""
    ).fetchall()
    loads = [DstLoad(*row) for row in rows]
    return {
        load.table_id: load
        for load in loads
        if all(load.raw_table + suffix in present for suffix in with_tables)
    }


# --- programme loads -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeFileLoad:
    load_id: str
    entity: str
    file: str  # relative to the inbound folder
    sha256: str
    row_count: int
    loaded_at: datetime  # UTC, naive (as DuckDB TIMESTAMP)
    is_sample: bool
    contract_version: int | None
    programme: str  # the programme generation the file reports on
    contract_digest: str | None  # the generation's contract as loaded (EntitySchema.digest)


_PROGRAMME_COLUMNS = ", ".join(f.name for f in fields(ProgrammeFileLoad))


def ensure_programme_loads(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(
        f"""create table if not exists {PROGRAMME_LOADS} (
            load_id varchar, entity varchar, file varchar, sha256 varchar, row_count bigint,
            loaded_at timestamp, is_sample boolean, contract_version integer)"""
    )
    # Loads from before programme generations have none: they match no generation.
    con.execute(f"alter table {PROGRAMME_LOADS} add column if not exists programme varchar")
    con.execute(f"alter table {PROGRAMME_LOADS} add column if not exists contract_digest varchar")


def adopt_loads_before_generations(con: duckdb.DuckDBPyConnection, generation: str) -> int:
    """Loads recorded before programme generations were all of the one programme there was:
    record them as ``generation``'s (the current one), so that its shrink guard and
    dropped-file guard compare with them. Returns how many file rows were adopted."""
    if not has_table(con, PROGRAMME_LOADS):
        return 0
    ensure_programme_loads(con)
    [(count,)] = con.execute(
        f"select count(*) from {PROGRAMME_LOADS} where programme is null"
    ).fetchall()
    if count:
        con.execute(
            f"update {PROGRAMME_LOADS} set programme = ? where programme is null", [generation]
        )
    return count


def record_programme_load(con: duckdb.DuckDBPyConnection, files: list[ProgrammeFileLoad]) -> None:
    """One row per file (inside the caller's transaction)."""
    ensure_programme_loads(con)
    con.executemany(
        f"insert into {PROGRAMME_LOADS} ({_PROGRAMME_COLUMNS}) values "
        f"({', '.join('?' * len(fields(ProgrammeFileLoad)))})",
        [list(astuple(f)) for f in files],
    )


def latest_programme_load(
    con: duckdb.DuckDBPyConnection, programme: str | None = None
) -> list[ProgrammeFileLoad]:
    """The files of the most recent load of ``programme`` (a generation's id), or of every
    generation's most recent load when None; by file name (empty before the first)."""
    if not has_table(con, PROGRAMME_LOADS):
        return []
    columns = {r[0] for r in con.execute(f"describe {PROGRAMME_LOADS}").fetchall()}
    if "contract_digest" not in columns:  # a warehouse from before generations
        return []
    rows = con.execute(
        f"""select {_PROGRAMME_COLUMNS} from {PROGRAMME_LOADS}
            where load_id in (select arg_max(load_id, loaded_at) from {PROGRAMME_LOADS}
                              where programme is not null
                                and (programme = $programme or $programme is null)
                              group by programme)
            order by file""",
        {"programme": programme},
    ).fetchall()
    return [ProgrammeFileLoad(*row) for row in rows]


def programme_data_versions(files: list[ProgrammeFileLoad]) -> dict[str, str]:
    """Per raw table (``programme_<entity>``): its files' names and checksums."""
    by_entity: dict[str, list[str]] = {}
    for f in sorted(files, key=lambda f: f.file):
        by_entity.setdefault(f.entity, []).append(f"{f.file}:{f.sha256}")
    return {f"programme_{entity}": "|".join(parts) for entity, parts in by_entity.items()}


# --- dbt builds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildRecord:
    run_id: str
    code_version: str
    sources: dict[str, str]  # raw table name -> content version
    status: BuildStatus


def _ensure_dbt_builds(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(f"""create table if not exists {DBT_BUILDS} (
                        run_id varchar, built_at timestamp, code_version varchar,
                        sources varchar, status varchar default 'started')""")
    # Warehouses from before the gate state: their builds count as good, as they did then.
    con.execute(
        f"alter table {DBT_BUILDS} add column if not exists status varchar default 'passed'"
    )


def dbt_builds(con: duckdb.DuckDBPyConnection) -> list[BuildRecord]:
    """Every build, oldest first."""
    if not has_table(con, DBT_BUILDS):
        return []
    has_status = con.execute(
        "select count(*) from information_schema.columns where "
        "table_schema = 'raw' and table_name = '_dbt_builds' and "
        "column_name = 'status'"
    ).fetchone()[0]
    status = "status" if has_status else "'passed'"
    rows = con.execute(
        f"select run_id, code_version, sources, {status} from {DBT_BUILDS} order by built_at, rowid"
    ).fetchall()
    return [BuildRecord(r[0], r[1], json.loads(r[2]), r[3]) for r in rows]


def record_build_start(
    con: duckdb.DuckDBPyConnection, run_id: str, code_version: str, sources: dict[str, str]
) -> None:
    """Before dbt runs: from here on the warehouse's marts may differ from the last good."""
    _ensure_dbt_builds(con)
    con.execute(
        f"insert into {DBT_BUILDS} (run_id, built_at, code_version, sources, status) "
        "values (?, now()::timestamp, ?, ?, 'started')",
        [run_id, code_version, json.dumps(sources, sort_keys=True)],
    )


def mark_build(con: duckdb.DuckDBPyConnection, run_id: str, status: BuildStatus) -> int:
    """Move this run's build to ``built`` or ``passed``; returns the rows changed."""
    if status not in ("built", "passed"):
        raise ValueError(f"unknown build status {status!r}")
    _ensure_dbt_builds(con)
    return len(
        con.execute(
            f"update {DBT_BUILDS} set status = ? where run_id = ? returning run_id",
            [status, run_id],
        ).fetchall()
    )
