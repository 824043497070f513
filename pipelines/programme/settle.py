"""The settle rule: a report file is loaded only once it has stopped changing.

Cluster organisations copy files into the inbound folder over network shares, sync clients
and e-mail gateways, so a load can start while a file is still being written. A file counts as
settled when (1) it was last modified at least ``settle_seconds`` ago and (2) its size and
modification time did not change while the load read and checked it. An unsettled file set is
skipped (with a warning) and the previous load stays in use; it is never quarantined, because
half a file says nothing about the sender's data. Every entry point (``make run``, the
schedule, the sensor, "Materialize all" in the UI) goes through this rule. The committed sample
is exempt: it is part of the code, not an upload.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileState:
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileState | None:
        """The entry's own size and mtime (links are not followed); None when it is gone."""
        try:
            stat = os.lstat(path)
        except FileNotFoundError:
            return None
        return cls(stat.st_size, stat.st_mtime_ns)


def states(paths: Iterable[Path]) -> dict[Path, FileState | None]:
    return {p: FileState.of(p) for p in paths}


def too_young(state: FileState | None, now: float, settle_seconds: float) -> bool:
    """Modified less than ``settle_seconds`` before ``now`` (or gone while we looked)."""
    return state is None or now - state.mtime_ns / 1e9 < settle_seconds


def unsettled(before: dict[Path, FileState | None], now: float,
              settle_seconds: float) -> dict[Path, str]:
    """Files that are still being written, each with the reason in words."""
    found: dict[Path, str] = {}
    for path, state in before.items():
        if state is None:
            found[path] = "disappeared while the load looked at it"
        elif too_young(state, now, settle_seconds):
            age = max(0.0, now - state.mtime_ns / 1e9)
            found[path] = (f"modified {age:.0f} s ago (a file is loaded once it is "
                           f"{settle_seconds:g} s old)")
    return found


def changed(before: dict[Path, FileState | None]) -> dict[Path, str]:
    """Files whose size or mtime differ now from ``before``: written to during the load."""
    found: dict[Path, str] = {}
    for path, state in before.items():
        now_state = FileState.of(path)
        if now_state != state:
            found[path] = "changed while it was being read (still being copied or appended)"
    return found
