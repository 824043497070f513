"""Pinned releases: cited releases that pruning never removes.

``data/published/pinned.json`` lists them (``{"pinned": [{release, version, pinned_at, note}]}``);
``make pin-release ID=<release id or version>`` adds one, ``python -m pipelines.publish.pins
unpin ID`` takes one off, ``... list`` prints them. Pruning keeps the ``KLYNGE_KEEP_RELEASES``
newest releases *and* every pinned one. The file is written whole (a temporary file renamed over
it), and pinning and pruning hold one lock (``data/published/.pinned.lock``), so a release being
pinned is never pruned in the same moment. Each new release lists the pinned releases of its
time in its manifest and report.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.publish.switch import RELEASES, complete_releases, read_manifest

PINNED_FILE = "pinned.json"
LOCK_FILE = ".pinned.lock"


class PinError(ValueError):
    """A release that cannot be pinned or unpinned; the message names it."""


@contextmanager
def locked(published: Path) -> Iterator[None]:
    """Hold the pin lock: pinning and pruning never interleave."""
    published.mkdir(parents=True, exist_ok=True)
    with open(published / LOCK_FILE, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def pinned(published: Path) -> list[dict[str, Any]]:
    """The pinned releases, oldest pin first (empty when nothing is pinned)."""
    path = published / PINNED_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise PinError(f"{path} cannot be read ({exc}); fix or remove it") from exc
    entries = doc.get("pinned") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("release"), str) for e in entries
    ):
        raise PinError(f'{path}: expected {{"pinned": [{{"release": ...}}, ...]}}')
    return entries


def pinned_names(published: Path) -> set[str]:
    return {e["release"] for e in pinned(published)}


def _write(published: Path, entries: list[dict[str, Any]]) -> None:
    path = published / PINNED_FILE
    tmp = published / f".{PINNED_FILE}.{os.getpid()}.tmp"
    text = json.dumps({"pinned": entries}, indent=2, ensure_ascii=False) + "\n"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def find_release(published: Path, ident: str) -> tuple[str, str]:
    """The complete release named ``ident`` (its folder name or its version): (name, version)."""
    releases = published / RELEASES
    complete = {}
    for folder in complete_releases(published):
        manifest = read_manifest(folder) or {}
        complete[folder.name] = str(manifest.get("version") or folder.name)
    ident = ident.strip()
    if ident in complete:
        return ident, complete[ident]
    by_version = [name for name, version in complete.items() if version == ident]
    if len(by_version) == 1:
        return by_version[0], ident
    if by_version:
        raise PinError(
            f"version {ident!r} is the version of {len(by_version)} releases "
            f"({', '.join(by_version)}); give the release id"
        )
    newest = ", ".join(f"{n} ({v})" for n, v in list(complete.items())[-5:]) or "none"
    raise PinError(
        f"no release {ident!r} in {releases}: give a release id (a folder name there) or a "
        f"release's version; the newest releases are: {newest}"
    )


def pin(published: Path, ident: str, note: str = "", now: datetime | None = None) -> dict:
    """Pin the release ``ident``; returns its entry (pinning twice changes nothing)."""
    with locked(published):
        name, version = find_release(published, ident)
        entries = pinned(published)
        for entry in entries:
            if entry["release"] == name:
                return entry
        entry = {
            "release": name,
            "version": version,
            "pinned_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
            "note": note,
        }
        _write(published, [*entries, entry])
        return entry


def unpin(published: Path, ident: str) -> dict:
    with locked(published):
        entries = pinned(published)
        for entry in entries:
            if ident.strip() in (entry["release"], entry.get("version")):
                _write(published, [e for e in entries if e is not entry])
                return entry
        raise PinError(f"release {ident!r} is not pinned (see {published / PINNED_FILE})")


def main(argv: list[str] | None = None) -> int:
    from pipelines.settings import SettingsError, load_settings

    parser = argparse.ArgumentParser(
        prog="python -m pipelines.publish.pins", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("action", choices=("pin", "unpin", "list"))
    parser.add_argument("release", nargs="?", help="release id (folder name) or version")
    parser.add_argument("--note", default="", help="why it is pinned (e.g. the report citing it)")
    args = parser.parse_args(argv)
    try:
        published = load_settings().published_dir
        if args.action == "list":
            for entry in pinned(published):
                print(
                    f"{entry['release']}  {entry.get('version')}  pinned {entry.get('pinned_at')}"
                )
            return 0
        if not args.release:
            print(f"error: give the release to {args.action}: its id or version", file=sys.stderr)
            return 2
        if args.action == "pin":
            entry = pin(published, args.release, args.note)
            print(
                f"pinned {entry['release']} (version {entry['version']}): never pruned; "
                f"listed in {published / PINNED_FILE}"
            )
        else:
            entry = unpin(published, args.release)
            print(f"unpinned {entry['release']}: pruned like any other release from now on")
    except (PinError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
