"""``quality/``: the quality gate's results in the release, for machines.

The one view to read is the report's quality page (``report/datakvalitet.html``, in English
``report/en/quality.html``): every table's result first, each rule in the reader's language,
offline. GX's own Data Docs are not shipped: they load their styles and scripts from CDNs and
render blank from ``file://`` without internet.

What ``quality/`` holds, for tools:

* ``<table>.json``: the gate's summary of each table (every expectation, its arguments, the
  observed value), with ``data_docs`` pointing to the table's section of the report;
* ``gx/<table>.json``: Great Expectations' own validation result of the table, as GX wrote it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pipelines.catalog import Mart

REPORT_QUALITY = "report/datakvalitet.html"  # the report's quality page (pipelines/report)
GX_RESULTS_DIR = "gx"  # GX's raw validation results, under quality/


def gx_validation_results(quality_dir: Path, mart: str) -> Path | None:
    """The run's newest GX validation result of ``mart`` (None when the run has none).

    GX keeps them as ``gx/uncommitted/validations/<mart>_suite/<run>/<time>/<asset>.json``.
    """
    suite = quality_dir / "gx" / "uncommitted" / "validations" / f"{mart}_suite"
    found = sorted(suite.rglob("*.json")) if suite.is_dir() else []
    return found[-1] if found else None


def write_quality(quality_dir: Path, target: Path, marts: tuple[Mart, ...]) -> None:
    """Copy each mart's gate result into ``target`` (pointing to the report) and GX's raw
    validation result beside it in ``target/gx/``."""
    target.mkdir(parents=True, exist_ok=True)
    for mart in marts:
        source = quality_dir / f"{mart.name}.json"
        if not source.exists():
            continue
        result = json.loads(source.read_text(encoding="utf-8"))
        result["data_docs"] = f"{REPORT_QUALITY}#gate-{mart.name}"
        result.pop("gx_data_docs", None)
        raw = gx_validation_results(quality_dir, mart.name)
        if raw is not None:
            (target / GX_RESULTS_DIR).mkdir(exist_ok=True)
            shutil.copyfile(raw, target / GX_RESULTS_DIR / f"{mart.name}.json")
        result["gx_validation_result"] = (
            f"quality/{GX_RESULTS_DIR}/{mart.name}.json" if raw is not None else None
        )
        (target / source.name).write_text(
            json.dumps(result, indent=2, default=str), encoding="utf-8"
        )
