"""Load a programme generation's inbound files: discover, check, quarantine what fails, load.

Each generation (folder ``inbound/programme/<generation>/``, contract and rules of its own) is
loaded on its own, and its set whole or not at all. If any file breaks the contract, every such
file is moved to quarantine with its report (sample files are never moved), the generation's
rows in the raw tables are left exactly as they were, and :class:`ProgrammeRejectedError`
names file, row, column and rule.
Raw files are only ever read, or moved to quarantine; never rewritten. Before anything is
read, the set must have settled (:mod:`pipelines.programme.settle`); before anything is
written, it must not shrink an entity beyond the guard (:mod:`pipelines.programme.shrink`).
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.bookkeeping import latest_programme_load
from pipelines.checksums import sha256_file
from pipelines.programme import settle, shrink
from pipelines.programme.checks.crosscheck import cross_check
from pipelines.programme.checks.errors import (
    MAX_PROBLEMS_PER_FILE,
    ProgrammeHeldError,
    ProgrammeIncompleteError,
    ProgrammeRejectedError,
    ProgrammeUnsettledError,
    Rejection,
)
from pipelines.programme.checks.identifiers import redact
from pipelines.programme.checks.validate import CheckedFile, check_files
from pipelines.programme.contract import EntitySchema
from pipelines.programme.discover import SAMPLE_DIRNAME, InboundBatch, discover
from pipelines.programme.load import LoadStamp, replace_tables
from pipelines.programme.quarantine import quarantine_file, rejected_since

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileLoad:
    entity: str
    file: str  # relative to inbound/programme/: "2025-2028/participants.csv"
    sha256: str
    rows: int
    format: str


@dataclass(frozen=True)
class ProgrammeLoad:
    stamp: LoadStamp
    files: list[FileLoad]
    rows: dict[str, int]  # per entity
    contracts: dict[str, str | None]  # per entity: the contract it was loaded under (digest)
    notes: list[str] = field(default_factory=list)
    # Files still being written when this refresh looked: the load above is the previous one.
    unsettled: dict[str, str] = field(default_factory=dict)

    def files_of(self, entity: str) -> list[FileLoad]:
        return [f for f in self.files if f.entity == entity]

    def data_version(self, entity: str) -> str:
        """Identifies an entity's loaded content: its files' checksums and the contract (its
        version and the generation's reading of it)."""
        parts = [f"{f.file}:{f.sha256}" for f in self.files_of(entity)]
        parts.append(f"contract {self.contracts[entity]}")
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def generation_of(schemas: Mapping[str, EntitySchema]) -> str:
    """The generation whose contract ``schemas`` is."""
    return next(iter(schemas.values())).generation


def _check_complete(
    counts: Mapping[str, int],
    unknown: list[str],
    schemas: Mapping[str, EntitySchema],
    inbound_dir: Path,
) -> None:
    missing = [e for e in schemas if not counts.get(e)]
    if not missing:
        return
    expected = ", ".join(f"{schemas[e].file_prefix}*.csv|xlsx" for e in missing)
    detail = f"; files whose names match no entity: {', '.join(unknown)}" if unknown else ""
    raise ProgrammeIncompleteError(
        f"no file for {', '.join(missing)} in {inbound_dir} (expected {expected}){detail}. "
        "A generation's four entities are loaded together, so nothing of generation "
        f"{generation_of(schemas)} was loaded and its previous load stays in use."
    )


def last_load_of(
    con: duckdb.DuckDBPyConnection, schemas: Mapping[str, EntitySchema]
) -> ProgrammeLoad | None:
    """The last good load as it stands in the warehouse, or None before the first (reads
    only, so that a read-only connection can ask)."""
    present = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    }
    rows = latest_programme_load(con, generation_of(schemas))
    if not rows or not all(s.raw_table in present for s in schemas.values()):
        return None
    first = rows[0]
    files = [
        FileLoad(r.entity, r.file, r.sha256, r.row_count, Path(r.file).suffix.lstrip(".").lower())
        for r in rows
    ]
    counts = {e: sum(f.rows for f in files if f.entity == e) for e in schemas}
    contracts = {r.entity: r.contract_digest for r in rows}
    return ProgrammeLoad(
        LoadStamp(first.load_id, first.loaded_at, bool(first.is_sample)), files, counts, contracts
    )


def _last_load(connect: Connect, schemas: Mapping[str, EntitySchema]) -> ProgrammeLoad | None:
    with connect() as con:
        return last_load_of(con, schemas)


def files_unchanged(
    batch: InboundBatch, last: ProgrammeLoad | None, schemas: Mapping[str, EntitySchema]
) -> bool:
    """The inbound set is exactly the last good load's files (names and checksums), checked
    under the same contract (its version, and the generation's windows, values and absent
    fields): checking and loading it again would change nothing."""
    if last is None or any(not f.is_regular for f in batch.files):
        return False
    current = {f.relative: sha256_file(f.path) for f in batch.files}
    return {f.file: f.sha256 for f in last.files} == current and all(
        last.contracts.get(e) == s.digest for e, s in schemas.items()
    )


def _unchanged(
    batch: InboundBatch, last: ProgrammeLoad | None, schemas: Mapping[str, EntitySchema]
) -> ProgrammeLoad | None:
    if last is None or not files_unchanged(batch, last, schemas):
        return None
    note = (
        f"inbound files unchanged since load {last.stamp.load_id} at "
        f"{last.stamp.loaded_at:%Y-%m-%d %H:%M} UTC: not checked or loaded again"
    )
    return ProgrammeLoad(last.stamp, last.files, last.rows, last.contracts, [*batch.notes, note])


def _skip_unsettled(
    waiting: dict[Path, str], last: ProgrammeLoad | None, inbound_dir: Path, log: logging.Logger
) -> ProgrammeLoad:
    """Keep the previous load while files are still being written; never quarantine them."""
    named = {
        redact(f"{inbound_dir.name}/{p.relative_to(inbound_dir).as_posix()}"): why
        for p, why in waiting.items()
    }
    listed = "; ".join(f"{name}: {why}" for name, why in sorted(named.items()))
    if last is None:
        raise ProgrammeUnsettledError(
            f"inbound files are still being written ({listed}) and nothing has been loaded "
            "yet; the refresh will load them once they have settled"
        )
    note = (
        f"skipped: inbound files are still being written ({listed}); the previous load "
        f"{last.stamp.load_id} stays in use and these files are loaded once settled"
    )
    log.warning(note)
    return ProgrammeLoad(last.stamp, last.files, last.rows, last.contracts, [note], named)


def _check_all(
    batch: InboundBatch, schemas: Mapping[str, EntitySchema], log: logging.Logger, notes: list[str]
) -> list[CheckedFile]:
    checked = check_files(batch.files, schemas)
    for note in cross_check(checked, schemas, MAX_PROBLEMS_PER_FILE):
        log.warning(redact(note))
    for c in checked:
        for note in c.notes:
            line = redact(f"{c.file.relative}: {note}")
            log.warning(line)
            notes.append(line)
    return checked


def _reject(
    checked: list[CheckedFile], batch: InboundBatch, quarantine_dir: Path, at: datetime
) -> None:
    rejected = [c for c in checked if c.problems]
    if not rejected:
        return
    rejections = []
    for c in rejected:
        moved = None if c.file.is_sample else quarantine_file(c, quarantine_dir, at)
        rejections.append(
            Rejection(
                c.file.relative, c.sha256, c.problems, None if moved is None else redact(str(moved))
            )
        )
    raise ProgrammeRejectedError(rejections, batch.is_sample)


def _guard_dropped_files(
    con: duckdb.DuckDBPyConnection,
    checked: list[CheckedFile],
    quarantine_dir: Path,
    generation: str,
) -> list[str]:
    """Files of the generation's last load missing now; raises when one was rejected since."""
    before = latest_programme_load(con, generation)
    last_load = before[0].loaded_at if before else None
    gone = sorted({f.file for f in before} - {c.file.relative for c in checked})
    gone = [f for f in gone if f.split("/")[1:2] != [SAMPLE_DIRNAME]]
    unresolved = rejected_since(quarantine_dir, gone, last_load) if last_load else {}
    if unresolved:
        raise ProgrammeIncompleteError(
            "the last good load included "
            + ", ".join(f"{f} (rejected since, see quarantine/{r})" for f, r in unresolved.items())
            + ". Loading without it would drop its rows from the marts, so nothing was "
            "loaded and the previous load stays in use. Send a corrected file; to drop the "
            "file on purpose, delete its report from the quarantine folder."
        )
    return gone


def _guard_shrink(
    last: ProgrammeLoad | None,
    checked: list[CheckedFile],
    schemas: Mapping[str, EntitySchema],
    inbound_dir: Path,
    max_share: float,
) -> bool:
    """Raises when the load shrinks an entity too far without an acknowledgement; returns
    whether an acknowledgement was used (to be consumed once the load is in)."""
    if last is None or last.stamp.is_sample:
        return False
    new = {e: sum(c.rows for c in checked if c.file.entity == e) for e in schemas}
    shrinks = shrink.shrinkage(last.rows, new, max_share)
    if not shrinks:
        return False
    if shrink.acknowledged(
        inbound_dir, shrink.fingerprint((c.file.path.name, c.sha256) for c in checked)
    ):
        return True
    raise ProgrammeHeldError(
        shrink.held_message(shrinks, max_share, inbound_dir, generation_of(schemas))
    )


def _after_load(
    checked: list[CheckedFile],
    gone: list[str],
    use_ack: bool,
    inbound_dir: Path,
    notes: list[str],
    log: logging.Logger,
) -> list[FileLoad]:
    """Consume the acknowledgement, note files that left, log what was loaded."""
    if use_ack:
        shrink.consume(inbound_dir)
        notes.append("the shrinking load was applied as acknowledged")
    if gone:
        note = redact(
            f"files in the previous load are not in this one: {', '.join(gone)} "
            "(removed or renamed)"
        )
        log.warning(note)
        notes.append(note)
    files = [
        FileLoad(c.file.entity or "", c.file.relative, c.sha256, c.rows, c.format or "")
        for c in checked
    ]
    for f in files:
        log.info(redact(f"loaded {f.file} ({f.format}): {f.rows} rows, sha256 {f.sha256[:12]}..."))
    return files


def ingest_programme(
    inbound_dir: Path,
    quarantine_dir: Path,
    connect: Connect,
    *,
    schemas: Mapping[str, EntitySchema],
    log: logging.Logger | None = None,
    now: datetime | None = None,
    settle_seconds: float,
    max_shrink_share: float,
) -> ProgrammeLoad:
    """Check every inbound file of a generation and load the set, or reject and raise.

    ``inbound_dir`` and ``quarantine_dir`` are the generation's folders, ``schemas`` its
    contract (:func:`~pipelines.programme.contract.load_contract`). ``settle_seconds`` and
    ``max_shrink_share`` come from the settings (``KLYNGE_INBOUND_SETTLE_SECONDS``,
    ``KLYNGE_MAX_SHRINK_SHARE``).
    """
    log = log or _log
    at = now or datetime.now(UTC)
    batch = discover(inbound_dir, {e: s.file_prefix for e, s in schemas.items()}, schemas)
    notes = [redact(n) for n in batch.notes]
    for note in notes:
        log.info(note)
    _check_complete(
        {e: len(batch.by_entity(e)) for e in schemas},
        [f.relative for f in batch.files if f.entity is None],
        schemas,
        inbound_dir,
    )
    last = _last_load(connect, schemas)
    uploads = settle.states(f.path for f in batch.files if not f.is_sample)
    if waiting := settle.unsettled(uploads, time.time(), settle_seconds):
        return _skip_unsettled(waiting, last, inbound_dir, log)
    if (unchanged := _unchanged(batch, last, schemas)) is not None:
        log.info(unchanged.notes[-1])
        return unchanged

    checked = _check_all(batch, schemas, log, notes)
    if moving := settle.changed(uploads):
        return _skip_unsettled(moving, last, inbound_dir, log)
    _reject(checked, batch, quarantine_dir, at)
    use_ack = _guard_shrink(last, checked, schemas, inbound_dir, max_shrink_share)
    stamp = LoadStamp(uuid.uuid4().hex, at.astimezone(UTC).replace(tzinfo=None), batch.is_sample)
    with connect() as con:
        gone = _guard_dropped_files(con, checked, quarantine_dir, generation_of(schemas))
        rows = replace_tables(con, checked, schemas, stamp)
    files = _after_load(checked, gone, use_ack, inbound_dir, notes, log)
    return ProgrammeLoad(stamp, files, rows, {e: s.digest for e, s in schemas.items()}, notes)
