"""Rebuild the report of an existing release folder: ``python -m pipelines.report <folder>``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pipelines.report import build_report


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m pipelines.report <release folder>", file=sys.stderr)
        return 2
    release = Path(argv[0]).resolve()
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    written = build_report(release, manifest)
    print(f"{len(written)} pages written; open {release / 'report' / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
