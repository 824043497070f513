"""The release folders and the atomic switch: ``data/published/current`` always points at one
complete release, whatever happens while the next one is written.

A release is written into ``releases/.<name>.partial``, made durable (:func:`fsync_tree`),
renamed to ``releases/<name>`` and only then made current by replacing the ``current`` link
in one ``rename`` (:func:`switch`). The files analysts open (``klynge.duckdb`` and so on) are
links through ``current``. Interrupted builds are cleared by the next publish.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

CURRENT = "current"
RELEASES = "releases"
# What data/published/ shows at its top level, each a link into the current release.
ENTRIES = (
    "klynge.duckdb",
    "klynge.xlsx",
    "parquet",
    "csv",
    "figures",
    "data_dictionary.md",
    "quality",
    "report",
    "evaluation",
    "manifest.json",
    "README.md",
    "datapackage.json",
    "CITATION.cff",
    "changes.md",
)


# Entries releases no longer have: their links (into ``current``) are taken away.
RETIRED = ("gx_data_docs",)  # GX's Data Docs need CDNs; the report's quality page replaces them


class EntryInTheWayError(RuntimeError):
    """A file where a link into the current release belongs."""


def fsync_tree(folder: Path) -> None:
    """Every file and folder below ``folder`` on disk before the release is switched to."""
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with open(Path(root) / name, "rb") as fh:
                os.fsync(fh.fileno())
        fd = os.open(root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def ensure_entry_links(published: Path) -> None:
    """The files analysts open, as links through ``current`` (created once)."""
    for entry in ENTRIES:
        link = published / entry
        if not link.is_symlink():
            if link.exists():
                raise EntryInTheWayError(
                    f"{link} exists and is not a link into the current release; move it away"
                )
            link.symlink_to(Path(CURRENT) / entry)
    for entry in RETIRED:
        link = published / entry
        if link.is_symlink() and Path(os.readlink(link)) == Path(CURRENT) / entry:
            link.unlink()


def _current_in_the_way(published: Path) -> None:
    current = published / CURRENT
    if current.exists() and not current.is_symlink():
        raise EntryInTheWayError(
            f"{current} is not a link to a release (a copy of one?): move it away; the "
            f"releases are in {published / RELEASES}, and the next refresh links the newest"
        )


def read_manifest(release: Path) -> dict[str, Any] | None:
    """The release's ``manifest.json``, or None when it has none that reads."""
    try:
        return json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def complete_releases(published: Path) -> list[Path]:
    """The complete release folders, oldest first (a partial one is hidden, ``.<name>``, and
    a complete one holds its manifest)."""
    releases = published / RELEASES
    if not releases.is_dir():
        return []
    return sorted(
        p
        for p in releases.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / "manifest.json").is_file()
    )


def restore_current(published: Path) -> str | None:
    """Point a missing or dangling ``current`` at the newest complete release; its name, or
    None when there was nothing to restore. A ``current`` that is no link is an error."""
    _current_in_the_way(published)
    if (published / CURRENT).exists():
        return None
    complete = complete_releases(published)
    if not complete:
        return None
    switch(published, complete[-1])
    ensure_entry_links(published)
    return complete[-1].name


def switch(published: Path, release: Path) -> None:
    """Point ``current`` at ``release`` with one atomic rename, then make it durable."""
    _current_in_the_way(published)
    tmp = published / f".{CURRENT}.{os.getpid()}.tmp"
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(Path(RELEASES) / release.name)
    os.replace(tmp, published / CURRENT)  # the atomic switch
    fd = os.open(published, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prune(published: Path, keep: int) -> list[str]:
    """Remove all but the ``keep`` newest complete releases (never the current one, never a
    pinned one: :mod:`pipelines.publish.pins`)."""
    from pipelines.publish.pins import locked, pinned_names

    current = (published / CURRENT).resolve().name if (published / CURRENT).exists() else None
    complete = complete_releases(published)
    removed = []
    with locked(published):
        keep_pinned = pinned_names(published)
        for old in complete[:-keep] if keep > 0 else []:
            if old.name != current and old.name not in keep_pinned:
                shutil.rmtree(old, ignore_errors=True)
                removed.append(old.name)
    return removed


def clear_partial_releases(published: Path) -> list[str]:
    """Remove folders of releases whose build was interrupted (never current, never read)."""
    releases = published / RELEASES
    if not releases.exists():
        return []
    partial = [p for p in releases.iterdir() if p.name.startswith(".")]
    for path in partial:
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()
    return [p.name for p in partial]
