"""Source modes: live API, stored snapshot, or live with fallback to the snapshot (``auto``)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.checksums import sha256_file
from pipelines.dst.client import DstClient, RetryPolicy
from pipelines.dst.config import TableSpec
from pipelines.dst.errors import DstUnavailableError
from pipelines.dst.snapshot import SnapshotStore
from pipelines.settings import SourceMode

log = logging.getLogger(__name__)

# In auto mode, once DST has proven unreachable, later tables in the same process fall back at
# once instead of each waiting through its own retries.
_UNREACHABLE_MEMORY_SECONDS = 300.0
_unreachable_since: dict[str, float] = {}
# auto mode decides quickly whether DST is there at all; live mode keeps the client's full policy.
AUTO_PROBE_RETRY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=2.0)


@dataclass(frozen=True)
class TableInfo:
    """tableinfo for one table plus where it came from."""

    info: dict[str, Any]
    mode: SourceMode  # LIVE or SNAPSHOT: the source actually used
    synthetic: bool
    fallback_reason: str | None = None

    @property
    def updated(self) -> str:
        return str(self.info.get("updated") or "")


class DstSource:
    """Gets tableinfo and data bodies according to the configured mode."""

    def __init__(self, mode: SourceMode, client: DstClient, snapshot: SnapshotStore):
        self.mode = mode
        self.client = client
        self.snapshot = snapshot

    def tableinfo(self, spec: TableSpec) -> TableInfo:
        if self.mode == SourceMode.SNAPSHOT:
            return self._from_snapshot(spec)
        if self.mode == SourceMode.LIVE:
            return TableInfo(self.client.tableinfo(spec.id, spec.lang), SourceMode.LIVE, False)
        base = self.client.base_url
        since = _unreachable_since.get(base)
        if since is not None and time.monotonic() - since < _UNREACHABLE_MEMORY_SECONDS:
            return self._from_snapshot(spec, reason=f"DST at {base} was unreachable moments ago")
        try:
            info = self.client.tableinfo(spec.id, spec.lang, retry=AUTO_PROBE_RETRY)
        except DstUnavailableError as exc:
            _unreachable_since[base] = time.monotonic()
            log.warning("DST unreachable, using the snapshot for %s: %s", spec.id, exc)
            return self._from_snapshot(spec, reason=str(exc))
        _unreachable_since.pop(base, None)
        return TableInfo(info, SourceMode.LIVE, False)

    def body(
        self, spec: TableSpec, info: TableInfo, selection: dict[str, list[str]], workdir: Path
    ) -> tuple[Path, str]:
        """The data body for ``selection``, from the same source as ``info``, and its SHA-256.

        Live bodies are streamed (and hashed on the way) into ``workdir``; snapshot bodies are
        read where they lie.
        """
        if info.mode == SourceMode.LIVE:
            dest = workdir / f"{spec.id}.csv"
            return dest, self.client.download(spec.id, selection, dest, spec.lang).sha256
        path = self.snapshot.body_path(spec.id)
        return path, sha256_file(path)

    def _from_snapshot(self, spec: TableSpec, reason: str | None = None) -> TableInfo:
        return TableInfo(
            self.snapshot.tableinfo(spec.id),
            SourceMode.SNAPSHOT,
            self.snapshot.synthetic,
            fallback_reason=reason,
        )
