"""Stored DST responses under ``data/snapshots/dst/`` for offline runs.

Layout::

    manifest.json            where the responses came from, when, and whether they are synthetic
    <TABLE>/tableinfo.json   the tableinfo answer, as DST sent it
    <TABLE>/data.csv         the BULK body (';'-separated, codes, BOM removed)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.checksums import sha256_file
from pipelines.dst.errors import DstSnapshotError

MANIFEST = "manifest.json"
TABLEINFO = "tableinfo.json"
BODY = "data.csv"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


@dataclass(frozen=True)
class SnapshotStore:
    root: Path

    def manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST
        if not path.exists():
            raise DstSnapshotError("*", f"no snapshot manifest at {path}")
        return json.loads(path.read_text(encoding="utf-8"))

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest().get("synthetic", False))

    def tableinfo(self, table_id: str) -> dict[str, Any]:
        path = self.root / table_id / TABLEINFO
        if not path.exists():
            raise DstSnapshotError(table_id, f"the snapshot at {self.root} has no {path.name}")
        return json.loads(path.read_text(encoding="utf-8"))

    def body_path(self, table_id: str) -> Path:
        path = self.root / table_id / BODY
        if not path.exists():
            raise DstSnapshotError(table_id, f"the snapshot at {self.root} has no data body")
        return path

    def write_table(self, table_id: str, tableinfo: dict[str, Any], body: Path) -> dict[str, Any]:
        """Store one table's responses; returns its manifest entry."""
        folder = self.root / table_id
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(
            folder / TABLEINFO, json.dumps(tableinfo, ensure_ascii=False, indent=2) + "\n"
        )
        tmp = folder / f".{BODY}.tmp"
        shutil.copyfile(body, tmp)
        os.replace(tmp, folder / BODY)
        with open(folder / BODY, "rb") as fh:
            rows = max(sum(1 for _ in fh) - 1, 0)
        return {
            "updated": tableinfo.get("updated"),
            "rows": rows,
            "sha256": sha256_file(folder / BODY),
            "bytes": (folder / BODY).stat().st_size,
        }

    def write_manifest(
        self,
        *,
        synthetic: bool,
        origin: str,
        note: str,
        tables: dict[str, dict[str, Any]],
        recorded_at: str | None = None,
    ) -> None:
        doc = {
            "synthetic": synthetic,
            "origin": origin,
            "note": note,
            "recorded_at": recorded_at or datetime.now(UTC).isoformat(timespec="seconds"),
            "tables": tables,
        }
        _write_atomically(
            self.root / MANIFEST, json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
        )
