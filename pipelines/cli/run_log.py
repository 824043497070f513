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
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from dagster import Field, LoggerDefinition, logger

CONSOLE_WIDTH = 160


def _meta(record: logging.LogRecord) -> dict:
    return getattr(record, "dagster_meta", None) or {}


def _step_line(record: logging.LogRecord) -> str | None:
    """One line for the events a person running the refresh needs; None for the rest."""
    meta = _meta(record)
    event = meta.get("dagster_event")
    step = meta.get("step_key") or ""
    if event is None:
        if record.levelno < logging.INFO or record.getMessage().startswith("Skipping step"):
            return None  # a skipped step gets its own line from the STEP_SKIPPED event
        text = (meta.get("orig_message") or record.getMessage()).splitlines()[0]
        level = "" if record.levelno == logging.INFO else f"{record.levelname}: "
        return f"  {step}: {level}{text}" if step else f"  {level}{text}"
    kind = event.event_type_value
    data = event.event_specific_data
    if kind == "STEP_SUCCESS":
        return f"ok      {step} ({data.duration_ms / 1000:.1f} s)"
    if kind == "STEP_FAILURE":
        message = (data.error.message if data and data.error else "").strip().splitlines()
        return f"FAILED  {step}: {message[0] if message else ''}"
    if kind == "STEP_SKIPPED":
        return f"skipped {step}"
    if kind == "ASSET_CHECK_EVALUATION" and not data.passed and data.severity.value == "ERROR":
        return f"  check {data.check_name} on {data.asset_key.to_user_string()} FAILED"
    if kind in ("RUN_SUCCESS", "RUN_FAILURE"):
        return f"run {'finished' if kind == 'RUN_SUCCESS' else 'FAILED'}"
    return None


class ConsoleHandler(logging.Handler):
    def __init__(self, stream: TextIO, verbose: bool):
        super().__init__(logging.DEBUG)
        self.stream, self.verbose = stream, verbose

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage() if self.verbose else _step_line(record)
        if line:
            stamp = self.formatter.formatTime(record, "%H:%M:%S") if self.formatter else ""
            self.stream.write(f"{stamp} {line[:CONSOLE_WIDTH]}\n")
            self.stream.flush()


@logger(
    config_schema={"log_file": Field(str), "verbose": Field(bool, default_value=False)},
    description="Concise console log (one line per step) and the full log in a file.",
)
def concise_logger(init_context) -> logging.Logger:
    config = init_context.logger_config
    log = logging.Logger("klynge_refresh", level=logging.DEBUG)
    console = ConsoleHandler(sys.stderr, config["verbose"])
    console.setFormatter(logging.Formatter())
    log.addHandler(console)
    Path(config["log_file"]).parent.mkdir(parents=True, exist_ok=True)
    full = logging.FileHandler(config["log_file"], encoding="utf-8")
    full.setFormatter(logging.Formatter("%(asctime)s - %(levelname)s - %(message)s"))
    log.addHandler(full)
    return log


LOGGERS: dict[str, LoggerDefinition] = {"concise": concise_logger}


def run_config(log_file: Path, verbose: bool) -> dict:
    return {"loggers": {"concise": {"config": {"log_file": str(log_file), "verbose": verbose}}}}


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
