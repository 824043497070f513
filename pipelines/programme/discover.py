"""Which inbound files make up a generation's next load, and which entity each one holds.

The rule (also in docs/programme_contract.md), for each programme generation's folder
``inbound/programme/<generation>/`` (e.g. ``2025-2028/``):

* Files directly in the generation's folder are the real reports. The entity is the file name's
  prefix, case-insensitive: ``clusters*``, ``projects*``, ``participants*``,
  ``cluster_finances*`` with ``.csv`` or ``.xlsx`` (e.g. ``participants_K03_2026.csv``).
  Several files of one entity are read together.
* If there are no real reports, the committed synthetic sample in ``<generation>/sample/`` is
  used and every row loaded from it is marked ``_is_sample = true``. If real reports exist,
  ``sample/`` is ignored (and the log says so). When ``KLYNGE_DATA_DIR`` moves the inbound
  folder and it has no ``<generation>/sample/``, the sample shipped in the repository is used.
* File names are recorded relative to ``inbound/programme/``: ``2025-2028/participants.csv``.
* Hidden files, Excel lock files (``~$...``), README files and other sub-folders are
  ignored.
* Links are never followed: a symbolic link (or anything else that is not a regular file,
  such as a named pipe) is part of the set, so that it is rejected with rule
  ``not_a_regular_file``, but its target is never opened, hashed or measured.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.settings import REPO_ROOT

SAMPLE_DIRNAME = "sample"
BUNDLED_INBOUND_DIR = REPO_ROOT / "data" / "inbound" / "programme"
_IGNORED_NAMES = {"thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class InboundFile:
    path: Path
    relative: str  # to the inbound folder, with '/': "participants_K01.csv", "sample/..."
    entity: str | None  # None when the name matches no entity
    is_sample: bool
    is_regular: bool = True  # False: a link or special file, never opened


@dataclass(frozen=True)
class InboundBatch:
    files: list[InboundFile]
    is_sample: bool
    notes: list[str] = field(default_factory=list)  # for the run log

    def by_entity(self, entity: str) -> list[InboundFile]:
        return [f for f in self.files if f.entity == entity]


def is_ignored(path: Path) -> bool:
    name = path.name
    lower = name.lower()
    return name.startswith((".", "~$")) or lower in _IGNORED_NAMES or lower.startswith("readme")


def is_regular_file(path: Path) -> bool:
    """A regular file in its own right (``Path.is_file`` would follow a link)."""
    return not path.is_symlink() and path.is_file()


def _is_folder(path: Path) -> bool:
    return not path.is_symlink() and path.is_dir()


def report_paths(directory: Path) -> list[Path]:
    """The report entries directly in ``directory`` (what the sensor watches): regular files,
    and links or special files, which are rejected without being opened."""
    if not directory.is_dir():
        return []
    return sorted(
        (p for p in directory.iterdir() if not _is_folder(p) and not is_ignored(p)),
        key=lambda p: p.name.casefold(),
    )


def entity_for(name: str, prefixes: dict[str, str]) -> str | None:
    """The entity whose prefix starts ``name`` (the longest prefix wins)."""
    lower = name.lower()
    matches = [
        (len(prefix), entity) for entity, prefix in prefixes.items() if lower.startswith(prefix)
    ]
    return max(matches)[1] if matches else None


def bundled_sample_dir(generation: str) -> Path:
    """The synthetic sample of ``generation`` shipped in the repository."""
    return BUNDLED_INBOUND_DIR / generation / SAMPLE_DIRNAME


def sample_dir_for(inbound_dir: Path) -> Path:
    """The generation folder's own sample, else the one in the repository (the folder's name
    is the generation's id)."""
    local = inbound_dir / SAMPLE_DIRNAME
    return local if local.is_dir() else bundled_sample_dir(inbound_dir.name)


def discover(
    inbound_dir: Path, prefixes: dict[str, str], entity_order: Iterable[str]
) -> InboundBatch:
    """The files of the next load from a generation's folder (its name is the generation's
    id), ordered by entity (load order), then name."""
    order = {e: i for i, e in enumerate(entity_order)}
    notes: list[str] = []
    real = report_paths(inbound_dir)
    if inbound_dir.is_dir():
        others = sorted(
            p.name
            for p in inbound_dir.iterdir()
            if _is_folder(p) and p.name != SAMPLE_DIRNAME and not is_ignored(p)
        )
        if others:
            notes.append(f"sub-folders of {inbound_dir} are not read: {', '.join(others)}")
    if real:
        if (inbound_dir / SAMPLE_DIRNAME).is_dir():
            notes.append(
                f"{len(real)} report file(s) in {inbound_dir}: the sample in "
                f"{SAMPLE_DIRNAME}/ is ignored"
            )
        paths, is_sample, base = real, False, f"{inbound_dir.name}/"
    else:
        sample = sample_dir_for(inbound_dir)
        paths, is_sample, base = (
            report_paths(sample),
            True,
            f"{inbound_dir.name}/{SAMPLE_DIRNAME}/",
        )
        notes.append(
            f"the inbound folder {inbound_dir} holds no report files, so the bundled synthetic "
            f"sample is loaded instead (from {sample}; its rows are marked _is_sample)"
        )
    files = [
        InboundFile(p, base + p.name, entity_for(p.name, prefixes), is_sample, is_regular_file(p))
        for p in paths
    ]
    files.sort(key=lambda f: (order.get(f.entity or "", len(order)), f.relative.casefold()))
    return InboundBatch(files, is_sample, notes)
