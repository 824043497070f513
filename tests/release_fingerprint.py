r"""A published release reduced to its content, so a change can prove it left the release alone.

``fingerprint(release)`` reads every file of a release folder the way an analyst's tool does
(DuckDB, Parquet, CSV, Excel, images by their pixels, JSON, HTML and Markdown as text) and
returns ``{"files": {path: {facet: value}}}``: row counts, column lists and short hashes of the
normalised content, per table and per column, so a difference names the file, table and column.

Ignored, because it changes between two builds of the same code and data: the release name, its
version (which starts with the day it was built), run id, creation time, git commit (and its
"uncommitted changes" note), load times and load ids (all read from the release's own
``manifest.json`` and masked wherever they appear), the release folder's absolute path, the
manifest's per-file checksums and sizes (Parquet metadata, XLSX and GX pages hold timestamps;
every file's content is fingerprinted here instead), PNG metadata, XLSX document properties,
CITATION.cff's release date, GX Data Docs' run times, run folders, data-context and element
ids, and row order (tables compare as multisets). Floats are rounded to 9 significant digits
(never coarser than 0.01, so amounts in kroner keep their øre) to absorb summation noise;
decimals, integers and text are exact. XLSX counts as cell values,
kinds and number formats, frozen panes and filters (an empty string is a blank cell; fonts and
widths are left out); Parquet as schema (with nullability), rows and key-value metadata.

Not ignored: the calendar year. The DST freshness rule's bound is today's year - 3, so a release
built in a later year differs there; ``diff`` says so. When a change is meant to alter the
release, regenerate the committed fingerprint from a fresh refresh of the bundled data (what the
test's ``refreshed`` fixture runs) and commit it with the change; its diff shows what changed::

    d=$(mktemp -d) && mkdir "$d/dagster_home"
    KLYNGE_DATA_DIR=$d/data DAGSTER_HOME=$d/dagster_home KLYNGE_DST_SOURCE=snapshot \
        .venv/bin/python -m pipelines.cli refresh
    .venv/bin/python -m tests.release_fingerprint "$d/data/published/current" \
        --write tests/release_fingerprint.json

``--against tests/release_fingerprint.json`` instead of ``--write`` prints the differences.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.release_readers import GX_RUN_FOLDER, digest, reader_for

COMMITTED = Path(__file__).with_suffix(".json")  # the release before, on the bundled data
LONGEST_PLAIN = 80  # a facet's text longer than this is stored as its hash
MIN_MASKED = 8  # shorter manifest values (e.g. "unknown") are too common to mask by value
DIRTY_NOTE = re.compile(r"(<git-commit>(?:</code>)?)\s*\([^()<]*\)")
MANIFEST_VOLATILE = {
    "release": "<release>",
    "version": "<version>",
    "run_id": "<run-id>",
    "created_at": "<created-at>",
    "git_commit": "<git-commit>",
    "loaded_at": "<loaded-at>",
    "load_id": "<load-id>",
}


class ReleaseFileError(ValueError):
    """A release file that its reader cannot open (named, with the reader's error)."""


class Masker:
    """Replaces this release's volatile values (read from its manifest) with placeholders."""

    def __init__(self, release_dir: Path, manifest: dict[str, Any] | None) -> None:
        pairs: dict[str, str] = {str(release_dir.resolve()): "<release-dir>"}
        pairs[str(release_dir)] = "<release-dir>"
        for key, value in _walk_items(manifest or {}):
            if key in MANIFEST_VOLATILE and isinstance(value, str) and len(value) >= MIN_MASKED:
                pairs[value] = MANIFEST_VOLATILE[key]
                if key == "created_at":  # also as Excel and README show it: '2026-11-29 14:38:18'
                    pairs[value[:19].replace("T", " ")] = "<created-at>"
        self.pairs = sorted(pairs.items(), key=lambda p: -len(p[0]))
        self.year = str((manifest or {}).get("created_at", ""))[:4] or None

    def __call__(self, text: str) -> str:
        for value, placeholder in self.pairs:
            text = text.replace(value, placeholder)
        return DIRTY_NOTE.sub(r"\1", text)


def _walk_items(node: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk_items(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_items(item)


def _facets(path: Path, rel: str, mask: Masker) -> dict[str, Any]:
    try:
        facets = reader_for(rel)(path, mask)
    except Exception as exc:
        raise ReleaseFileError(f"{rel}: cannot be read: {type(exc).__name__}: {exc}") from exc
    return {k: _plain(v) for k, v in facets.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, str) and len(value) > LONGEST_PLAIN:
        return digest(value)
    return value


def fingerprint(release_dir: Path) -> dict[str, Any]:
    """Every file of ``release_dir`` reduced to what an analyst sees in it (see module doc)."""
    release_dir = Path(release_dir)
    try:
        manifest = json.loads((release_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    mask = Masker(release_dir, manifest)
    files = {}
    for path in sorted(p for p in release_dir.resolve().rglob("*") if p.is_file()):
        rel = path.relative_to(release_dir.resolve()).as_posix()
        files[GX_RUN_FOLDER.sub(r"\1<run>/", rel)] = _facets(path, rel, mask)
    return {"calendar_year": mask.year, "files": files}


def _show(value: Any) -> str:
    return "(absent)" if value is None else json.dumps(value, ensure_ascii=False)


def _facet_change(before: Any, after: Any) -> str:
    if isinstance(before, list) and isinstance(after, list):
        removed = [v for v in before if v not in after]
        added = [v for v in after if v not in before]
        if removed or added:
            return f"removed {removed}, added {added}"
        return f"order {before} -> {after}"
    return f"{_show(before)} -> {_show(after)}"


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs, one line per file and facet: ``path: facet: before -> after``."""
    lines = []
    old, new = before["files"], after["files"]
    for path in sorted(old.keys() | new.keys()):
        if path not in new:
            lines.append(f"{path}: missing (was in the release before)")
        elif path not in old:
            lines.append(f"{path}: new file (not in the release before)")
        else:
            for facet in [*old[path], *(k for k in new[path] if k not in old[path])]:
                b, a = old[path].get(facet), new[path].get(facet)
                if b != a:
                    lines.append(f"{path}: {facet}: {_facet_change(b, a)}")
    if lines and before.get("calendar_year") != after.get("calendar_year"):
        lines.insert(
            0,
            f"(built in {before.get('calendar_year')} and {after.get('calendar_year')}: checks "
            "bounded by the calendar year, such as DST freshness, differ for that reason alone)",
        )
    return lines


def write(fp: dict[str, Any], target: Path) -> None:
    """One facet per line, so a regenerated fingerprint reviews as a readable git diff."""
    target.write_text(json.dumps(fp, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.release_fingerprint", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("release", type=Path, help="a release folder, e.g. data/published/current")
    parser.add_argument("--write", type=Path, help=f"write the fingerprint here (e.g. {COMMITTED})")
    parser.add_argument("--against", type=Path, help="print how the release differs from this one")
    args = parser.parse_args(argv)
    fp = fingerprint(args.release)
    if args.write:
        write(fp, args.write)
        print(f"wrote the fingerprint of {args.release} ({len(fp['files'])} files) to {args.write}")
    if args.against:
        changes = diff(json.loads(args.against.read_text(encoding="utf-8")), fp)
        print("\n".join(changes) or f"{args.release} has the content of {args.against}")
        return 1 if changes else 0
    if not args.write:
        json.dump(fp, sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
