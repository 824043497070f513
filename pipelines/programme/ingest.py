"""Load the programme's inbound files: discover, check, quarantine what fails, load the rest.

The set is loaded whole or not at all. If any file breaks the contract, every such file is
moved to quarantine with its report (sample files are never moved), the raw tables are left
exactly as they were, and :class:`ProgrammeRejectedError` names file, row, column and rule.
Raw files are only ever read, or moved to quarantine; never rewritten.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.checksums import sha256_file
from pipelines.programme.contract import EntitySchema, load_contract
from pipelines.programme.crosscheck import cross_check
from pipelines.programme.discover import InboundBatch, discover
from pipelines.programme.errors import (
    MAX_PROBLEMS_PER_FILE,
    ProgrammeIncompleteError,
    ProgrammeRejectedError,
    Rejection,
)
from pipelines.programme.load import (
    LOADS_TABLE,
    LoadStamp,
    ensure_loads_table,
    previous_files,
    previous_load_time,
    replace_tables,
)
from pipelines.programme.quarantine import quarantine_file, rejected_since
from pipelines.programme.validate import CheckedFile, check_file

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileLoad:
    entity: str
    file: str  # relative to the inbound folder
    sha256: str
    rows: int
    format: str


@dataclass(frozen=True)
class ProgrammeLoad:
    stamp: LoadStamp
    files: list[FileLoad]
    rows: dict[str, int]  # per entity
    versions: dict[str, int]  # contract version per entity
    notes: list[str] = field(default_factory=list)

    def files_of(self, entity: str) -> list[FileLoad]:
        return [f for f in self.files if f.entity == entity]

    def data_version(self, entity: str) -> str:
        """Identifies an entity's loaded content: its files' checksums and contract version."""
        parts = [f"{f.file}:{f.sha256}" for f in self.files_of(entity)]
        parts.append(f"v{self.versions[entity]}")
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def _check_complete(counts: Mapping[str, int], unknown: list[str],
                    schemas: Mapping[str, EntitySchema], inbound_dir: Path) -> None:
    missing = [e for e in schemas if not counts.get(e)]
    if not missing:
        return
    expected = ", ".join(f"{schemas[e].file_prefix}*.csv|xlsx" for e in missing)
    detail = (f"; files whose names match no entity: {', '.join(unknown)}" if unknown else "")
    raise ProgrammeIncompleteError(
        f"no file for {', '.join(missing)} in {inbound_dir} (expected {expected}){detail}. "
        "The four entities are loaded together, so nothing was loaded and the previous load "
        "stays in use.")


def _previous_load_if_unchanged(batch: InboundBatch, schemas: Mapping[str, EntitySchema],
                                connect: Connect) -> ProgrammeLoad | None:
    """The last good load when it was of exactly these files (names and checksums) under the
    same contract versions: checking and loading them again would change nothing."""
    current = {f.relative: sha256_file(f.path) for f in batch.files}
    with connect() as con:
        ensure_loads_table(con)
        present = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()}
        rows = con.execute(
            f"""select load_id, entity, file, sha256, row_count, loaded_at, is_sample,
                       contract_version
                from {LOADS_TABLE}
                where load_id = (select load_id from {LOADS_TABLE}
                                 order by loaded_at desc limit 1)""").fetchall()
    if not rows or not all(s.raw_table in present for s in schemas.values()):
        return None
    if {r[2]: r[3] for r in rows} != current:
        return None
    versions = {r[1]: r[7] for r in rows}
    if any(versions.get(e) != s.version for e, s in schemas.items()):
        return None
    load_id, loaded_at, is_sample = rows[0][0], rows[0][5], bool(rows[0][6])
    files = [FileLoad(r[1], r[2], r[3], r[4], Path(r[2]).suffix.lstrip(".").lower())
             for r in sorted(rows, key=lambda r: r[2])]
    counts = {e: sum(f.rows for f in files if f.entity == e) for e in schemas}
    note = (f"inbound files unchanged since load {load_id} at {loaded_at:%Y-%m-%d %H:%M} UTC: "
            "not checked or loaded again")
    return ProgrammeLoad(LoadStamp(load_id, loaded_at, is_sample), files, counts,
                         {e: s.version for e, s in schemas.items()}, [*batch.notes, note])


def ingest_programme(inbound_dir: Path, quarantine_dir: Path, connect: Connect, *,
                     schemas: Mapping[str, EntitySchema] | None = None,
                     log: logging.Logger | None = None,
                     now: datetime | None = None) -> ProgrammeLoad:
    """Check every inbound file and load the set, or reject and raise."""
    log = log or _log
    schemas = schemas or load_contract()
    at = now or datetime.now(UTC)
    prefixes = {e: s.file_prefix for e, s in schemas.items()}
    batch = discover(inbound_dir, prefixes, schemas)
    notes = list(batch.notes)
    for note in batch.notes:
        log.info(note)
    counts = {e: len(batch.by_entity(e)) for e in schemas}
    unknown = [f.relative for f in batch.files if f.entity is None]
    _check_complete(counts, unknown, schemas, inbound_dir)
    unchanged = _previous_load_if_unchanged(batch, schemas, connect)
    if unchanged is not None:
        log.info(unchanged.notes[-1])
        return unchanged

    checked: list[CheckedFile] = []
    for inbound in batch.files:
        schema = schemas.get(inbound.entity) if inbound.entity else None
        checked.append(check_file(inbound, schema, inbound.path.read_bytes()))
    for note in cross_check(checked, schemas, MAX_PROBLEMS_PER_FILE):
        log.warning(note)
    for c in checked:
        for note in c.notes:
            log.warning(f"{c.file.relative}: {note}")
            notes.append(f"{c.file.relative}: {note}")

    rejected = [c for c in checked if c.problems]
    if rejected:
        rejections = []
        for c in rejected:
            moved = None if c.file.is_sample else quarantine_file(c, quarantine_dir, at)
            rejections.append(Rejection(c.file.relative, c.sha256, c.problems,
                                        None if moved is None else str(moved)))
        raise ProgrammeRejectedError(rejections, batch.is_sample)

    stamp = LoadStamp(uuid.uuid4().hex, at.astimezone(UTC).replace(tzinfo=None),
                      batch.is_sample)
    with connect() as con:
        before = previous_files(con)
        last_load = previous_load_time(con)
        gone = sorted(set(before) - {c.file.relative for c in checked})
        gone = [f for f in gone if not f.startswith("sample/")]
        unresolved = rejected_since(quarantine_dir, gone, last_load) if last_load else {}
        if unresolved:
            raise ProgrammeIncompleteError(
                "the last good load included "
                + ", ".join(f"{f} (rejected since, see quarantine/{r})"
                            for f, r in unresolved.items())
                + ". Loading without it would drop its rows from the marts, so nothing was "
                "loaded and the previous load stays in use. Send a corrected file; to drop the "
                "file on purpose, delete its report from the quarantine folder.")
        rows = replace_tables(con, checked, schemas, stamp)
    if gone:
        note = (f"files in the previous load are not in this one: {', '.join(gone)} "
                "(removed or renamed)")
        log.warning(note)
        notes.append(note)
    files = [FileLoad(c.file.entity or "", c.file.relative, c.sha256, c.rows, c.format or "")
             for c in checked]
    for f in files:
        log.info(f"loaded {f.file} ({f.format}): {f.rows} rows, sha256 {f.sha256[:12]}...")
    return ProgrammeLoad(stamp, files, rows, {e: s.version for e, s in schemas.items()}, notes)
