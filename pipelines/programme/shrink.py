"""The shrink guard: a load that would wipe out much of an entity waits for a person to agree.

A participants file holding only its header, or one cluster's file sent in place of the combined
one, is valid by the contract, yet loading it would take the marts from thousands of
participants to a handful. So a load that shrinks any entity by more than
``KLYNGE_MAX_SHRINK_SHARE`` (default 0.5) of its rows in the last good load is held: nothing is
loaded, the previous load stays in use, and the run fails with the numbers. To apply it on
purpose, acknowledge exactly that set of files:

    make acknowledge-shrink GENERATION=2025-2028   # python -m pipelines.programme.shrink

which writes ``.acknowledge-shrink`` into the generation's inbound folder with the set's
fingerprint (file names and checksums); each generation has its own guard and acknowledgement.
The next refresh loads the set and removes the marker; a different set of files is not covered
by it. A switch from the synthetic sample to real reports is never held.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

MARKER_NAME = ".acknowledge-shrink"


def fingerprint(files: Iterable[tuple[str, str]]) -> str:
    """Identifies a file set: its (name, sha256) pairs, order-independent."""
    text = "\n".join(f"{name}:{sha}" for name, sha in sorted(files))
    return hashlib.sha256(text.encode()).hexdigest()


def shrinkage(previous: Mapping[str, int], new: Mapping[str, int], max_share: float) -> list[str]:
    """Each entity that shrinks by more than ``max_share``, described with its counts."""
    found = []
    for entity, before in previous.items():
        after = new.get(entity, 0)
        if before > 0 and (before - after) / before > max_share:
            found.append(
                f"{entity} from {before:,} to {after:,} rows (-{(before - after) / before:.0%})"
            )
    return found


def acknowledged(inbound_dir: Path, set_fingerprint: str) -> bool:
    marker = inbound_dir / MARKER_NAME
    if marker.is_symlink() or not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("fingerprint") == set_fingerprint
    except (OSError, ValueError, AttributeError):
        return False


def consume(inbound_dir: Path) -> None:
    """The acknowledgement covers one load only."""
    (inbound_dir / MARKER_NAME).unlink(missing_ok=True)


def held_message(shrinks: list[str], max_share: float, inbound_dir: Path, generation: str) -> str:
    return (
        f"load held: it would shrink {'; '.join(shrinks)}, more than the "
        f"{max_share:.0%} allowed (KLYNGE_MAX_SHRINK_SHARE). Nothing was loaded and the "
        "previous load stays in use. If the files are right, acknowledge this exact set "
        f"with `make acknowledge-shrink GENERATION={generation}` (writes "
        f"{inbound_dir / MARKER_NAME}) and refresh again; otherwise send the complete files."
    )


def write_acknowledgement(inbound_dir: Path) -> Path:
    """Acknowledge the report files now in ``inbound_dir`` (the next load of them applies)."""
    from pipelines.checksums import sha256_file
    from pipelines.programme.discover import is_regular_file, report_paths

    files = [(p.name, sha256_file(p)) for p in report_paths(inbound_dir) if is_regular_file(p)]
    if not files:
        raise SystemExit(f"no report files in {inbound_dir}: nothing to acknowledge")
    marker = inbound_dir / MARKER_NAME
    marker.write_text(
        json.dumps(
            {
                "fingerprint": fingerprint(files),
                "files": [name for name, _ in sorted(files)],
                "acknowledged_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return marker


def main(argv: list[str] | None = None) -> int:
    from pipelines.constants import generations, programme
    from pipelines.settings import load_settings

    parser = argparse.ArgumentParser(
        prog="python -m pipelines.programme.shrink",
        description="Acknowledge that a generation's inbound file set may shrink its loaded data.",
    )
    parser.add_argument(
        "--generation",
        choices=[g.id for g in generations()],
        default=programme().id,
        help="the programme generation whose files to acknowledge (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    inbound = load_settings().programme_inbound_dir / args.generation
    marker = write_acknowledgement(inbound)
    print(
        f"acknowledged the {len(json.loads(marker.read_text())['files'])} report file(s) "
        f"in {inbound}; the next refresh loads them ({marker})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
