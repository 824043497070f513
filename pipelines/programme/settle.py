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
    ctime_ns: int = 0  # when the file last changed on this machine, by this machine's clock

    @classmethod
    def of(cls, path: Path) -> FileState | None:
        """The entry's own size and times (links are not followed); None when it is gone."""
        try:
            stat = os.lstat(path)
        except FileNotFoundError:
            return None
        return cls(stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)

    def changed_at(self, now: float) -> float:
        """The last change in seconds. A modification time in the future comes from a
        sender's clock (a copy that kept it): then the local change time decides, so such a
        file is not held back forever."""
        mtime = self.mtime_ns / 1e9
        return self.ctime_ns / 1e9 if mtime > now + 1 else mtime


def states(paths: Iterable[Path]) -> dict[Path, FileState | None]:
    return {p: FileState.of(p) for p in paths}


def too_young(state: FileState | None, now: float, settle_seconds: float) -> bool:
    """Modified less than ``settle_seconds`` before ``now`` (or gone while we looked)."""
    return state is None or now - state.changed_at(now) < settle_seconds


def unsettled(
    before: dict[Path, FileState | None], now: float, settle_seconds: float
) -> dict[Path, str]:
    """Files that are still being written, each with the reason in words."""
    found: dict[Path, str] = {}
    for path, state in before.items():
        if state is None:
            found[path] = "disappeared while the load looked at it"
        elif too_young(state, now, settle_seconds):
            age = max(0.0, now - state.changed_at(now))
            found[path] = (
                f"modified {age:.0f} s ago (a file is loaded once it is {settle_seconds:g} s old)"
            )
    return found


def changed(before: dict[Path, FileState | None]) -> dict[Path, str]:
    """Files whose size or mtime differ now from ``before``: written to during the load."""
    found: dict[Path, str] = {}
    for path, state in before.items():
        now_state = FileState.of(path)
        if now_state != state:
            found[path] = "changed while it was being read (still being copied or appended)"
    return found
