"""The console's lines of a refresh: read from the run's stored events, one per step, each with
its time, wrapped at a space, and without dagster-dbt's notes on its own workings."""

from __future__ import annotations

import io
import re

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    DagsterInstance,
    Out,
    asset,
    asset_check,
    job,
    materialize,
    op,
)

from pipelines.cli.run_log import CONSOLE_WIDTH, ConsoleLines, console_text

LONG = "word " * 30 + "/a/very/long/path/" + "x" * 40 + " and more words " * 10


@op
def chatty(context) -> int:
    context.log.info("loading the synthetic sample")
    context.log.debug("only for the full log")
    context.log.info(
        "A dbt subsetted execution is not being performed. Using the default selection"
    )
    context.log.info("Running dbt command: `dbt build --vars {}`.")
    context.log.warning(LONG)
    return 1


@op
def failing(context, after: int) -> None:
    raise ValueError("the mart broke its contract")


@job
def refresh_like() -> None:
    failing(chatty())


def _console(verbose: bool = False) -> list[str]:
    out = io.StringIO()
    with DagsterInstance.ephemeral() as instance:
        result = refresh_like.execute_in_process(instance=instance, raise_on_error=False)
        lines = ConsoleLines(instance, result.run_id, out, verbose)
        lines.start()
        lines.done.set()
        lines.join()
    return out.getvalue().splitlines()


def test_one_line_per_step_with_the_steps_own_messages():
    lines = _console()
    text = "\n".join(lines)
    assert re.match(r"\d\d:\d\d:\d\d   chatty: loading the synthetic sample$", lines[0])
    assert re.search(r"\d\d:\d\d:\d\d ok      chatty \(\d+\.\d s\)", text)
    assert re.search(r"\d\d:\d\d:\d\d FAILED  failing: .*the mart broke its contract", text)
    assert re.search(r"\d\d:\d\d:\d\d run FAILED$", text)
    assert "only for the full log" not in text
    assert "subsetted" not in text and "Running dbt command" not in text


def test_long_lines_wrap_at_a_space_and_keep_every_word():
    lines = _console()
    start = next(i for i, line in enumerate(lines) if "WARNING: word" in line)
    wrapped = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith(" " * 11):
            break
        wrapped.append(line)
    assert len(wrapped) > 2 and all(len(line) <= CONSOLE_WIDTH for line in wrapped)
    assert " ".join(" ".join(wrapped).split()[3:]) == " ".join(LONG.split())


def test_console_text_never_cuts_a_word():
    line = "12:00:00 " + " ".join(["ord"] * 100) + " " + "ø" * 200
    out = console_text(line).splitlines()
    assert out[-1].strip() == "ø" * 200  # a word longer than the line stays whole
    assert all(len(part) <= CONSOLE_WIDTH for part in out[:-1])
    assert " ".join(" ".join(out).split()) == line


def test_verbose_shows_every_event():
    quiet, verbose = _console(), _console(verbose=True)
    assert len(verbose) > len(quiet)
    assert any("only for the full log" in line for line in verbose)


@op
def upstream(context) -> int:
    context.log.info("nothing to rebuild")
    return 1


@op(out={"rebuilt": Out(is_required=False)})
def optional(context, value: int):
    """Yields nothing: every step after it is skipped, as when dbt built nothing."""
    del value
    return
    yield


@op
def check_one(context, rebuilt) -> None:
    del rebuilt


@op
def check_two(context, rebuilt) -> None:
    del rebuilt


@job
def nothing_rebuilt() -> None:
    rebuilt = optional(upstream())
    check_one(rebuilt)
    check_two(rebuilt)


@asset
def mart() -> int:
    return 1


@asset_check(asset=mart, blocking=False)
def built_from_real_data() -> AssetCheckResult:
    return AssetCheckResult(passed=False, severity=AssetCheckSeverity.WARN)


def test_skipped_steps_are_said_once_and_a_warned_check_is_not_ok():
    out = io.StringIO()
    with DagsterInstance.ephemeral() as instance:
        result = nothing_rebuilt.execute_in_process(instance=instance)
        lines = ConsoleLines(instance, result.run_id, out, verbose=False)
        lines.done.set()
        lines.run()
        checked = materialize([mart, built_from_real_data], instance=instance)
        warned = ConsoleLines(instance, checked.run_id, out, verbose=False)
        warned.done.set()
        warned.run()
    text = out.getvalue()
    assert "Skipping step" not in text and "skipped check_one" not in text
    assert len(re.findall(r"skipped 2 step\(s\)", text)) == 1
    assert text.index("skipped 2 step(s)") < text.index("run finished")
    assert "check built_from_real_data on mart failed as a WARNING" in text
