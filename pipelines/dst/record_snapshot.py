"""Record a snapshot of every configured table from the live DST API.

    python -m pipelines.dst.record_snapshot [--out DIR] [--table ID ...]

Writes tableinfo JSON and the BULK body per table plus a manifest (time, base URL, ``updated``)
into a new folder and swaps it in only when every table succeeded, so a failed recording never
leaves a half-new snapshot behind.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from pipelines.dst.client import DstClient
from pipelines.dst.config import load_table_specs
from pipelines.dst.selection import resolve_selection
from pipelines.dst.snapshot import SnapshotStore
from pipelines.settings import load_settings


def record(out: Path, base_url: str, tables: list[str] | None = None) -> dict[str, dict]:
    specs = [s for s in load_table_specs() if not tables or s.id in tables]
    client = DstClient(base_url)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        store = SnapshotStore(staging)
        entries: dict[str, dict] = {}
        for spec in specs:
            info = client.tableinfo(spec.id, spec.lang)
            selection = resolve_selection(spec, info)
            body = staging / f"{spec.id}.download"
            client.download(spec.id, selection, body, spec.lang)
            entries[spec.id] = {
                **store.write_table(spec.id, info, body),
                "lang": spec.lang,
                "selection_hash": spec.selection_hash,
            }
            body.unlink()
        store.write_manifest(
            synthetic=False,
            origin=base_url,
            note="Recorded from the live DST StatBank API.",
            tables=entries,
        )
        old = out.with_name(out.name + ".previous")
        if out.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old, ignore_errors=True)
        return entries
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def main() -> None:
    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=settings.dst_snapshot_dir)
    parser.add_argument("--table", action="append", help="only this table (repeatable)")
    args = parser.parse_args()
    entries = record(args.out, settings.dst_api_base_url, args.table)
    for table, entry in entries.items():
        print(f"{table}: {entry['rows']} rows, updated {entry['updated']}")
    print(f"snapshot written to {args.out}")


if __name__ == "__main__":
    main()
