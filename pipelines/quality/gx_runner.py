"""A small Great Expectations (GX Core 1.x) layer: validate a DataFrame, keep the results.

``dagster-ge`` does not support GX 1.x, so this does the little that is needed: one file-based GX
project per run (``<data>/quality/runs/<run id>/gx``) so each run's Data Docs hold that run's
validations only, one validation definition per mart (Data Docs are built once per release,
or at once for a mart that fails), and a plain summary of every expectation that Dagster
metadata and the publish manifest can carry.

GX is imported lazily: it takes seconds to import and only the quality steps need it. When a
build is about to run, :func:`warm_up` imports it in a background thread while dbt builds the
marts (much of a build is DuckDB working outside Python's lock), so the gate does not wait for
the whole import afterwards.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.catalog import Mart
from pipelines.programme.identifiers import redact

if TYPE_CHECKING:
    import pandas as pd

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Outcome:
    expectation: str
    column: str | None
    rule: str
    success: bool
    observed: Any
    unexpected_count: int | None
    unexpected_examples: list[Any]
    expected: str | None = None  # e.g. "between 0 and 100"


@dataclass(frozen=True)
class SuiteResult:
    mart: str
    success: bool
    outcomes: list[Outcome]
    data_docs: str | None

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]

    def summary(self) -> str:
        if self.success:
            return f"{self.mart}: all {len(self.outcomes)} expectations passed"
        names = "; ".join(
            f"{o.expectation}({o.column or ''}) [{o.rule}]: {_finding(o)}" for o in self.failures
        )
        return f"{self.mart}: {len(self.failures)} of {len(self.outcomes)} failed: {names}"

    def to_json(self) -> dict[str, Any]:
        return {
            "mart": self.mart,
            "success": self.success,
            "data_docs": self.data_docs,
            "expectations": [asdict(o) for o in self.outcomes],
        }


def _finding(outcome: Outcome) -> str:
    expected = f", expected {outcome.expected}" if outcome.expected else ""
    if outcome.unexpected_count:
        return (
            f"{outcome.unexpected_count} unexpected, e.g. "
            f"{_short(outcome.unexpected_examples[:3])}{expected}"
        )
    return f"observed {_short(outcome.observed)}{expected}"


def _number(value: Any) -> str:
    """1,234,567.00 for amounts, so that a total off by a million reads as such."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:g}"


def _short(value: Any) -> str:
    text = ", ".join(map(_number, value)) if isinstance(value, list) else _number(value)
    text = redact(text)
    return text if len(text) <= 80 else text[:77] + "..."


def _expected(kwargs: dict[str, Any]) -> str | None:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None:
        return f"between {_number(low)} and {_number(high)}"
    if low is not None or high is not None:
        return f"at least {_number(low)}" if low is not None else f"at most {_number(high)}"
    if kwargs.get("value_set") is not None:
        return f"one of {_short(list(kwargs['value_set']))}"
    return None


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def run_dir(data_dir: Path, run_id: str) -> Path:
    return data_dir / "quality" / "runs" / run_id


_warm_up: list[threading.Thread] = []


def _import_gx() -> None:
    with contextlib.suppress(Exception):  # the gate imports it again and reports any error
        import great_expectations  # noqa: F401


def warm_up() -> None:
    """Start importing GX in the background (once per process)."""
    if not _warm_up:
        _warm_up.append(threading.Thread(target=_import_gx, name="gx-import", daemon=True))
        _warm_up[0].start()


@cache
def _context(project_dir: str):
    for thread in _warm_up:  # never import GX from two threads at once
        thread.join()
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="file", project_root_dir=project_dir)
    context.variables.progress_bars = {"globally": False}
    return gx, context


def _store(gx, factory, item):
    """Add to the run's fresh GX project; replace only what an earlier validation of the same
    mart in this run stored (``add_or_update`` compares every expectation: seconds)."""
    try:
        return factory.add(item)
    except gx.exceptions.DataContextError:
        return factory.add_or_update(item)


def build_data_docs(out_dir: Path) -> Path | None:
    """Data Docs of every validation in the run's GX project, built once for the release."""
    if not (out_dir / "gx").exists():
        return None
    _gx, context = _context(str(out_dir))
    context.build_data_docs()
    docs = out_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    return docs if docs.exists() else None


def _outcome(r) -> Outcome:
    """One expectation's result, as plain data for metadata, the manifest and messages."""
    cfg = r.expectation_config
    result = r.result or {}
    columns = cfg.kwargs.get("column_list")
    return Outcome(
        expectation=cfg.type,
        column=cfg.kwargs.get("column") or (",".join(columns) if columns else None),
        rule=(cfg.meta or {}).get("rule", ""),
        success=bool(r.success),
        observed=_jsonable(result.get("observed_value")),
        unexpected_count=result.get("unexpected_count"),
        unexpected_examples=_jsonable(result.get("partial_unexpected_list") or [])[:MAX_EXAMPLES],
        expected=_expected(cfg.kwargs),
    )


def _validation_definition(gx, context, mart: Mart, expectations: list):
    """The mart's suite and validation definition in the run's GX project."""
    source = context.data_sources.add_or_update_pandas("marts")
    asset = next((a for a in source.assets if a.name == mart.name), None) or (
        source.add_dataframe_asset(mart.name)
    )
    batch = next((b for b in asset.batch_definitions if b.name == "whole"), None) or (
        asset.add_batch_definition_whole_dataframe("whole")
    )
    suite = _store(
        gx,
        context.suites,
        gx.ExpectationSuite(name=f"{mart.name}_suite", expectations=expectations),
    )
    return _store(
        gx,
        context.validation_definitions,
        gx.ValidationDefinition(name=f"{mart.name}_validation", data=batch, suite=suite),
    )


def validate_mart(
    mart: Mart, df: pd.DataFrame, out_dir: Path, today: date | None = None
) -> SuiteResult:
    """Run the mart's suite on ``df``; write ``<out_dir>/<mart>.json`` (and Data Docs when it
    fails)."""
    from pipelines.quality.suites import build_suite  # pandas and GX: only when validating

    out_dir.mkdir(parents=True, exist_ok=True)
    gx, context = _context(str(out_dir))
    frame, expectations = build_suite(mart, df, gx, today)
    definition = _validation_definition(gx, context, mart, expectations)
    # No checkpoint: its only use would be the Data Docs action, and it costs a store write
    # and a second freshness check per mart. Results go to the project's results store.
    validation = definition.run(
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": MAX_EXAMPLES},
    )
    if not validation.success:  # its Data Docs now; a passing gate builds them once, in publish
        context.build_data_docs()
    outcomes = [_outcome(r) for r in validation.results]
    docs = out_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    outcome = SuiteResult(
        mart.name, bool(validation.success), outcomes, str(docs) if docs.exists() else None
    )
    (out_dir / f"{mart.name}.json").write_text(
        json.dumps(outcome.to_json(), indent=2, default=str), encoding="utf-8"
    )
    return outcome
