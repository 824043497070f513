"""A small Great Expectations (GX Core 1.x) layer: validate a DataFrame, keep the results.

``dagster-ge`` does not support GX 1.x, so this does the little that is needed: one file-based GX
project per run (``<data>/quality/runs/<run id>/gx``) so each run's Data Docs hold that run's
validations only, one validation definition per mart (Data Docs are built once per release,
or at once for a mart that fails), and a plain summary of every expectation that Dagster
metadata and the publish manifest can carry.

GX runs in a process of its own, started once per pipeline process: importing it takes
seconds of CPU, and in the refresh's own process that import competed with dbt and Dagster for
Python's lock. When a build is about to run, :func:`warm_up` starts that process, which imports
GX on the machine's other core while dbt builds the marts. :func:`validate_mart` and
:func:`start_data_docs` hand their work to it (the first waits for it; the second returns the
wait, so that ``publish`` writes the data meanwhile); what they return and write is the same as
when run in this process (``_validate`` and ``_build_data_docs`` are that work).
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import multiprocessing.util
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pipelines.catalog import Mart
from pipelines.programme.checks.identifiers import redact

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
    # the expectation's arguments (bounds, value set, type list...): the report states the rule
    # from them in the reader's language (pipelines/report/rules.py)
    kwargs: dict[str, Any] = field(default_factory=dict)


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


_gx_process: list[ProcessPoolExecutor] = []
_gx_process_lock = threading.Lock()


def _import_gx() -> None:
    with contextlib.suppress(Exception):  # the first validation imports it again and reports
        import great_expectations  # noqa: F401


def _exit_without_teardown() -> None:
    """In the GX process: once it has sent its last answer and is stopping, exit at once.
    Tearing down an interpreter holding GX is slow, and the pipeline's process would spend
    that time waiting for it at its own exit; everything was written before the answer."""
    multiprocessing.util.Finalize(None, os._exit, args=(0,), exitpriority=0)


def _started_gx_process() -> ProcessPoolExecutor:
    """This process's GX process, started (and set importing GX) on first use."""
    with _gx_process_lock:
        if not _gx_process:
            # "spawn": a fresh interpreter, never a fork of a process running dbt's threads.
            context = multiprocessing.get_context("spawn")
            process = ProcessPoolExecutor(
                max_workers=1, mp_context=context, initializer=_exit_without_teardown
            )
            process.submit(_import_gx)
            _gx_process.append(process)
        return _gx_process[0]


def warm_up() -> None:
    """Start the GX process now, so that GX is imported by the time the gate needs it."""
    _started_gx_process()


def _started_in_gx_process(doing: str, work: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """Start ``work(*args)`` in the GX process; returns the wait for its result. Its own
    exceptions come back as they are; a dead process as an error naming ``doing``."""
    try:
        future = _started_gx_process().submit(work, *args)
    except BrokenProcessPool as exc:
        _gx_process_died(doing, exc)

    def result() -> Any:
        try:
            return future.result()
        except BrokenProcessPool as exc:
            _gx_process_died(doing, exc)

    return result


def _gx_process_died(doing: str, exc: BrokenProcessPool) -> NoReturn:
    with _gx_process_lock:  # the next call starts a new one
        _gx_process.clear()
    raise RuntimeError(
        f"the Great Expectations process stopped while {doing} "
        "(killed, or out of memory?); run the step again"
    ) from exc


def _in_gx_process(doing: str, work: Callable[..., Any], *args: Any) -> Any:
    return _started_in_gx_process(doing, work, *args)()


@cache
def _context(project_dir: str):
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="file", project_root_dir=project_dir)
    context.variables.progress_bars = {"globally": False}
    return gx, context


def _store(gx, factory, item):
    """Add to the run's fresh GX project; replace only what an earlier validation of the same
    mart in this run stored (``add_or_update`` compares every expectation, which is slow)."""
    try:
        return factory.add(item)
    except gx.exceptions.DataContextError:
        return factory.add_or_update(item)


def start_data_docs(out_dir: Path) -> Callable[[], Path | None]:
    """Start building the Data Docs of every validation in the run's GX project (once for the
    release); returns the wait for them, so that the caller can write other files meanwhile."""
    if not (out_dir / "gx").exists():
        return lambda: None
    return _started_in_gx_process(f"building the Data Docs in {out_dir}", _build_data_docs, out_dir)


def _build_data_docs(out_dir: Path) -> Path | None:
    _gx, context = _context(str(out_dir))
    context.build_data_docs()
    docs = out_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    return docs if docs.exists() else None


_NOT_RULES = {"batch_id", "column", "column_list", "result_format", "catch_exceptions"}


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
        kwargs=_jsonable({k: v for k, v in cfg.kwargs.items() if k not in _NOT_RULES}),
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
    return _in_gx_process(f"validating {mart.name}", _validate, mart, df, out_dir, today)


def _validate(mart: Mart, df: pd.DataFrame, out_dir: Path, today: date | None) -> SuiteResult:
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
