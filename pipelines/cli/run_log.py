"""The command line's run log: concise on the console, complete in a file.

Dagster's console logger prints every event at DEBUG (hundreds of lines per refresh) and dbt
writes its own progress to stdout. ``make run`` instead shows each step's own messages (INFO and
above) and one line per finished step; everything, DEBUG events and dbt's output included, goes
to ``<data>/logs/runs/<run id>.log``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from dagster import (
    DagsterEventType,
    DagsterInstance,
    EventLogEntry,
    Field,
    LoggerDefinition,
    logger,
)

CONSOLE_WIDTH = 160  # longer lines wrap, indented, at a space
POLL_SECONDS = 0.25
# What dagster-dbt says about its own workings in every dbt step: in the full log only.
DAGSTER_DBT_NOTICES = (
    "A dbt subsetted execution is not being performed",
    "Copying `",
    "Running dbt command: `",
    "Finished dbt command: `",
)


def _step_line(entry: EventLogEntry) -> str | None:
    """One line for the events a person running the refresh needs; None for the rest."""
    event = entry.dagster_event
    step = entry.step_key or ""
    if event is None:
        message = entry.user_message or ""
        if entry.level < logging.INFO or message.startswith("Skipping step"):
            return None  # skipped steps are counted from their STEP_SKIPPED events
        if message.startswith(DAGSTER_DBT_NOTICES):
            return None
        text = message.splitlines()[0] if message else ""
        level = "" if entry.level == logging.INFO else f"{logging.getLevelName(entry.level)}: "
        return f"  {step}: {level}{text}" if step else f"  {level}{text}"
    kind = event.event_type
    data = event.event_specific_data
    if kind == DagsterEventType.STEP_SUCCESS:
        return f"ok      {step} ({data.duration_ms / 1000:.1f} s)"
    if kind == DagsterEventType.STEP_FAILURE:
        error = data.error if data else None
        while error is not None and error.cause is not None:  # Dagster's wrapper: its cause
            error = error.cause
        message = (error.message if error else "").strip().splitlines()
        return f"FAILED  {step}: {message[0] if message else ''}"
    if kind == DagsterEventType.ASSET_CHECK_EVALUATION and not data.passed:
        # as the UI shows it: a failed check of severity WARN is a warning, not a pass
        outcome = "FAILED" if data.severity.value == "ERROR" else "failed as a WARNING"
        return f"  check {data.check_name} on {data.asset_key.to_user_string()} {outcome}"
    if kind in (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE):
        return f"run {'finished' if kind == DagsterEventType.RUN_SUCCESS else 'FAILED'}"
    return None


class ConsoleLines(threading.Thread):
    """The console's lines, read from the run's stored events as they arrive (Dagster's event
    records, the same the UI reads): one line per step, or every event with ``verbose``."""

    def __init__(
        self, instance: DagsterInstance, run_id: str, stream: TextIO, verbose: bool
    ) -> None:
        super().__init__(name="console lines", daemon=True)
        self.instance, self.run_id, self.stream, self.verbose = instance, run_id, stream, verbose
        self.cursor: str | None = None
        self.skipped = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(POLL_SECONDS):
            self.drain()
        self.drain()

    def drain(self) -> None:
        while True:
            batch = self.instance.get_records_for_run(self.run_id, cursor=self.cursor)
            for record in batch.records:
                self.show(record.event_log_entry)
            self.cursor = batch.cursor
            if not batch.has_more:
                return

    def show(self, entry: EventLogEntry) -> None:
        event = entry.dagster_event
        if not self.verbose and event is not None:
            if event.event_type == DagsterEventType.STEP_SKIPPED:
                self.skipped += 1  # said once, when the run ends
                return
            if event.is_job_success or event.is_run_failure:
                self.write(entry, self.skipped_line())
        self.write(entry, entry.message if self.verbose else _step_line(entry))

    def skipped_line(self) -> str | None:
        if not self.skipped:
            return None
        return (
            f"skipped {self.skipped} step(s): what they check or publish was not rebuilt "
            "in this run (the step list is in the full log and the UI)"
        )

    def write(self, entry: EventLogEntry, line: str | None) -> None:
        if line:
            stamp = time.strftime("%H:%M:%S", time.localtime(entry.timestamp))
            self.stream.write(console_text(f"{stamp} {line}") + "\n")
            self.stream.flush()


def console_text(line: str) -> str:
    """The line as the console shows it: wrapped at a space into lines of at most
    ``CONSOLE_WIDTH`` characters, continuation lines indented past the time."""
    return "\n".join(
        textwrap.wrap(
            line,
            CONSOLE_WIDTH,
            subsequent_indent=" " * 11,
            break_long_words=False,
            break_on_hyphens=False,
        )
    )


@contextlib.contextmanager
def console_lines(instance: DagsterInstance, run_id: str, verbose: bool) -> Iterator[None]:
    """Print the run's lines while the block runs it, and the last ones once it is done."""
    lines = ConsoleLines(instance, run_id, sys.stderr, verbose)
    lines.start()
    try:
        yield
    finally:
        lines.done.set()
        lines.join()


@logger(
    config_schema={"log_file": Field(str)},
    description="The complete log of a refresh in a file: every event and dbt's output.",
)
def full_log_file(init_context) -> logging.Logger:
    config = init_context.logger_config
    log = logging.Logger("klynge_refresh", level=logging.DEBUG)
    Path(config["log_file"]).parent.mkdir(parents=True, exist_ok=True)
    full = logging.FileHandler(config["log_file"], encoding="utf-8")
    full.setFormatter(logging.Formatter("%(asctime)s - %(levelname)s - %(message)s"))
    log.addHandler(full)
    return log


LOGGERS: dict[str, LoggerDefinition] = {"full_log_file": full_log_file}


def run_config(log_file: Path) -> dict:
    return {"loggers": {"full_log_file": {"config": {"log_file": str(log_file)}}}}


@contextlib.contextmanager
def python_logs_to(log_file: Path) -> Iterator[None]:
    """Dagster's own Python-logger warnings and Python warnings go to the log file only.

    (E.g. one "blocking asset check emitted no result" line per dbt test when nothing was
    rebuilt, or deprecation notices: for developers, not for the person running a refresh.)
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s - %(levelname)s - %(name)s - %(message)s"))
    loggers = [logging.getLogger(name) for name in ("dagster", "py.warnings")]
    saved = [(lg, lg.propagate) for lg in loggers]
    logging.captureWarnings(True)
    for lg in loggers:
        lg.addHandler(handler)
        lg.propagate = False
    try:
        yield
    finally:
        for lg, propagate in saved:
            lg.removeHandler(handler)
            lg.propagate = propagate
        logging.captureWarnings(False)
        handler.close()
