"""Every programme generation's inbound files, each loaded on its own.

Each generation declared in ``config/generations/`` has its folder
``inbound/programme/<generation>/`` (real reports directly in it, its synthetic sample in
``sample/``), its quarantine ``inbound/quarantine/<generation>/``, its contract (date windows,
fields it never reported) and its own settle rule, shrink guard and acknowledgement. A rejected
or held generation keeps its last good rows while the others load; the refresh then fails,
naming every generation that did not load. Report files left directly in
``inbound/programme/`` belong to no generation: they stop the refresh with a message saying
where they go, and are neither read nor moved.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipelines.bookkeeping import adopt_loads_before_generations
from pipelines.constants import Programme, generations, programme
from pipelines.programme.checks.errors import ProgrammeInboundError
from pipelines.programme.checks.identifiers import redact
from pipelines.programme.contract import EntitySchema, load_contract
from pipelines.programme.discover import report_paths
from pipelines.programme.ingest import Connect, ProgrammeLoad, ingest_programme

_log = logging.getLogger(__name__)


class ProgrammeGenerationsError(ProgrammeInboundError):
    """One or more generations did not load; the message names each with its reason."""

    def __init__(self, failures: dict[str, ProgrammeInboundError]):
        self.failures = failures
        super().__init__(
            "\n".join(f"generation {gen}: {exc}" for gen, exc in sorted(failures.items()))
        )


class StrayReportsError(ProgrammeInboundError):
    """Report files directly in ``inbound/programme/``, outside every generation's folder."""


@dataclass(frozen=True)
class GenerationLoad:
    generation: Programme
    schemas: dict[str, EntitySchema]
    load: ProgrammeLoad


def contracts(declared: Iterable[Programme] | None = None) -> dict[str, dict[str, EntitySchema]]:
    """Each generation's contract, by generation id."""
    return {g.id: load_contract(generation=g) for g in (declared or generations())}


def inbound_dir_of(programme_dir: Path, generation: str) -> Path:
    return programme_dir / generation


def quarantine_dir_of(quarantine_dir: Path, generation: str) -> Path:
    return quarantine_dir / generation


def check_no_stray_reports(programme_dir: Path) -> None:
    """Refuse report files outside the generations' folders: loading them as one generation
    by guess could put one generation's grants into another's marts."""
    stray = [p.name for p in report_paths(programme_dir)]
    if stray:
        folders = ", ".join(f"{g.id}/" for g in generations())
        raise StrayReportsError(
            f"{len(stray)} file(s) directly in {programme_dir} belong to no programme "
            f"generation: {redact(', '.join(stray))}. Move each into its generation's folder "
            f"({folders}); nothing was loaded and the previous loads stay in use."
        )


def ingest_generations(
    programme_dir: Path,
    quarantine_dir: Path,
    connect: Connect,
    *,
    log: logging.Logger | None = None,
    settle_seconds: float,
    max_shrink_share: float,
) -> list[GenerationLoad]:
    """Load every generation; raises :class:`ProgrammeGenerationsError` after loading the
    others when any generation was rejected, held or incomplete."""
    log = log or _log
    check_no_stray_reports(programme_dir)
    with connect() as con:
        if adopted := adopt_loads_before_generations(con, programme().id):
            log.info(
                f"{adopted} file(s) loaded before programme generations are recorded as "
                f"generation {programme().id}'s"
            )
    loads: list[GenerationLoad] = []
    failures: dict[str, ProgrammeInboundError] = {}
    for generation in generations():
        schemas = load_contract(generation=generation)
        try:
            load = ingest_programme(
                inbound_dir_of(programme_dir, generation.id),
                quarantine_dir_of(quarantine_dir, generation.id),
                connect,
                schemas=schemas,
                log=log,
                settle_seconds=settle_seconds,
                max_shrink_share=max_shrink_share,
            )
        except ProgrammeInboundError as exc:
            failures[generation.id] = exc
            continue
        loads.append(GenerationLoad(generation, schemas, load))
    if failures:
        raise ProgrammeGenerationsError(failures)
    return loads
