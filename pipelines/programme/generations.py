"""Every programme generation's inbound files, each loaded on its own.

Each generation declared in ``config/generations/`` has its folder
``inbound/programme/<generation>/`` (real reports directly in it, its synthetic sample in
``sample/``), its quarantine ``inbound/quarantine/<generation>/``, its contract (date windows,
fields it never reported) and its own settle rule, shrink guard and acknowledgement. A rejected
or held generation keeps its last good rows while the others load; the refresh then fails,
naming every generation that did not load. Report files left directly in
``inbound/programme/``, or in a folder that is no declared generation, belong to no generation:
they stop the refresh with a message saying where they go, and are neither read nor moved.
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


def undeclared_folders(programme_dir: Path) -> list[Path]:
    """Sub-folders of ``inbound/programme/`` holding report files that are no declared
    generation's folder (``2029-2032/`` before its declaration, ``2025_2028/``, the ``sample/``
    of before generations)."""
    if not programme_dir.is_dir():
        return []
    declared = {g.id for g in generations()}
    return sorted(
        p
        for p in programme_dir.iterdir()
        if p.is_dir() and not p.is_symlink() and p.name not in declared and report_paths(p)
    )


def check_no_stray_reports(programme_dir: Path) -> None:
    """Refuse report files outside the declared generations' folders: loading them as one
    generation by guess could put one generation's grants into another's marts."""
    folders = ", ".join(f"{g.id}/" for g in generations())
    entries = report_paths(programme_dir)
    links = [p.name for p in entries if p.is_symlink() and p.is_dir()]
    stray = [p.name for p in entries if p.name not in links]
    problems = []
    if links:
        problems.append(
            f"{redact(', '.join(links))} in {programme_dir} is a link to a folder: links are "
            "never followed, make it a folder of its own"
        )
    if stray:
        problems.append(
            f"{len(stray)} file(s) directly in {programme_dir} belong to no programme "
            f"generation: {redact(', '.join(stray))}; move each into its generation's folder "
            f"({folders})"
        )
    if odd := undeclared_folders(programme_dir):
        problems.append(
            f"folder(s) {redact(', '.join(f'{p.name}/' for p in odd))} in {programme_dir} hold "
            f"report files but are no declared generation ({folders}); declare the generation "
            "in pipelines/config/generations/ or move the files"
        )
    if problems:
        raise StrayReportsError(
            "; ".join(problems) + ". Nothing was loaded and the previous loads stay in use."
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
