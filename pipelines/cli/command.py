"""Command line: ``python -m pipelines.cli refresh`` runs the whole refresh job once.

It first asks :mod:`pipelines.pending` whether anything changed since the last good build;
if not, it says so and exits 0 without starting Dagster, dbt or Great Expectations
(``--force`` runs anyway). A run is recorded in ``DAGSTER_HOME``, so it appears in the Dagster
UI's run history beside scheduled and UI-launched runs. The console shows one line per step
(``--verbose``: every event); the full log, dbt's output included, is written to
``<data>/logs/runs/<run id>.log``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import shutil
import sys
import uuid

from pipelines.checksums import sha256_file
from pipelines.settings import (
    DEFAULT_DAGSTER_HOME,
    PACKAGE_DIR,
    SettingsError,
    dagster_home,
    load_settings,
)

INSTANCE_SETTINGS = PACKAGE_DIR / "config" / "dagster.yaml"


def refresh(force: bool = False, verbose: bool = False) -> int:
    settings = load_settings()
    _check_folders(settings)
    from pipelines.publish.switch import EntryInTheWayError, restore_current

    try:
        restored = restore_current(settings.published_dir)
    except EntryInTheWayError as exc:  # someone's copy where the link belongs: never replaced
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if restored:
        print(
            f"restored {settings.published_dir / 'current'} -> releases/{restored}: the link "
            "was missing or pointed at nothing",
            file=sys.stderr,
        )
    if not force:
        from pipelines.pending import pending_work

        pending = pending_work(settings)
        if pending.nothing:
            print(
                f"{pending.describe()}: nothing to do (the release stays "
                f"{settings.published_dir / 'current'}; --force runs the refresh anyway)"
            )
            return 0
        print(f"refresh: {pending.describe()}")
    return _run_refresh(settings, verbose)


def _run_refresh(settings, verbose: bool) -> int:
    from pipelines.cli.run_log import python_logs_to

    run_id = str(uuid.uuid4())
    log_file = settings.data_dir / "logs" / "runs" / f"{run_id}.log"
    print(f"Refresh {run_id}: one line per step; full log in {log_file}", file=sys.stderr)
    with contextlib.nullcontext() if verbose else python_logs_to(log_file):
        result = _execute(run_id, log_file, verbose)
    return _report(result, settings, log_file)


def _execute(run_id: str, log_file, verbose: bool):
    """The refresh job in this process, recorded in DAGSTER_HOME like any other run."""
    from dagster import DagsterInstance

    from pipelines.cli.run_log import LOGGERS, console_lines, run_config
    from pipelines.orchestration.definitions import defs

    job = defs().resolve_job_def("refresh").with_logger_defs(LOGGERS)
    install_instance_settings()
    with (
        DagsterInstance.get() as instance,
        open(log_file, "a", encoding="utf-8", buffering=1) as raw,
        contextlib.nullcontext() if verbose else contextlib.redirect_stdout(raw),
        console_lines(instance, run_id, verbose),
    ):
        return job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_id=run_id,
            run_config=run_config(log_file),
        )


def _check_folders(settings) -> None:
    """The data folder and Dagster's folder, usable before any work starts; ``DAGSTER_HOME``
    defaults to ``.dagster_home/`` in the repository, as with ``make run``."""
    home = dagster_home() or DEFAULT_DAGSTER_HOME
    os.environ["DAGSTER_HOME"] = str(home)
    for name, folder in (("KLYNGE_DATA_DIR", settings.data_dir), ("DAGSTER_HOME", home)):
        if folder.exists() and not folder.is_dir():
            raise SettingsError(f"{name}={folder} is a file, not a folder")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SettingsError(f"{name}={folder} cannot be created: {exc.strerror}") from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise SettingsError(f"{name}={folder} is not writable")


# sha256 of earlier versions of config/dagster.yaml: an unedited copy of one of them in
# DAGSTER_HOME is the project's, not the operator's, and is brought up to date (one of them
# names an event log storage module the project no longer has).
EARLIER_INSTANCE_SETTINGS = frozenset(
    {
        "34f16fffce145f5396dfcb44c823e71e0eca52fb42f2789c7f4ee16ed9f347c6",
        "d0c1ed477003b032bbb991d44b39704346a3b90a37af80ff6403220014a35562",
        "bee77a3411d351bc09173f5a7b6e1f6e2e977bc36d80dbade0b9d15f513e45b5",
    }
)


def install_instance_settings() -> None:
    """Give DAGSTER_HOME the project's ``dagster.yaml`` when it has none, as ``make run`` does
    (run queue, telemetry), or an unedited copy of an earlier version; an operator's own file
    is never replaced."""
    home = dagster_home()
    if not home:
        return
    target = home / "dagster.yaml"
    if target.exists() and sha256_file(target) not in EARLIER_INSTANCE_SETTINGS:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(INSTANCE_SETTINGS, target)


def _report(result, settings, log_file) -> int:
    """The end of ``make run``: what failed and why, or what was published and from what."""
    from pipelines.orchestration.alerts import root_cause

    if not result.success:
        failed = [e for e in result.all_events if e.is_step_failure]
        print("\nRefresh FAILED", file=sys.stderr)
        for check in result.get_asset_check_evaluations():
            if not check.passed and check.blocking:
                print(
                    f"  quality gate failed: {check.asset_key.to_user_string()} "
                    f"{check.check_name}: {check.description}",
                    file=sys.stderr,
                )
        for event in failed:
            error = event.step_failure_data.error
            print(f"  step {event.step_key}: {root_cause(error) if error else ''}", file=sys.stderr)
        _print_facts(result, settings, sys.stderr)
        print(f"  full log          : {log_file}", file=sys.stderr)
        return 1
    [publication] = result.asset_materializations_for_node("published__release") or [None]
    meta = {k: v.value for k, v in publication.metadata.items()} if publication else {}
    print("\nRefresh finished. Outputs:")
    if meta.get("switched"):
        print(f"  new release       : {meta['release']}")
    else:
        print(f"  no new release    : {meta.get('reason', 'publish did not run')}")
    print(
        f"  published release : {settings.published_dir} "
        "(klynge.duckdb, parquet/, csv/, klynge.xlsx, figures/, manifest.json)"
    )
    print(f"  evaluation report : {settings.published_dir / 'report' / 'index.html'}")
    print(f"  working warehouse : {settings.warehouse_path}")
    print(
        f"  DST source        : {_dst_sources(result)} "
        f"(KLYNGE_DST_SOURCE={settings.dst_source.value})"
    )
    _print_facts(result, settings, sys.stdout)
    print(f"  run id            : {result.run_id}")
    print(f"  full log          : {log_file}")
    return 0


def _print_facts(result, settings, stream) -> None:
    """Gate result per mart, findings by rule, sample or reported data, base year."""
    from pipelines.cli.run_summary import fact_lines, gate_lines, gate_results, mart_facts

    for line in gate_lines(gate_results(result), result.success) + fact_lines(
        mart_facts(settings.warehouse_path, result.run_id)
    ):
        print(line, file=stream)


def _dst_sources(result) -> str:
    """Where this run's DST tables really came from, e.g. 'snapshot (synthetic): FORSK01, ...'."""
    used: dict[str, list[str]] = {}
    fallback = False
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        if "source_mode" in meta and "dst_table" in meta:
            mode = meta["source_mode"].value
            if meta["synthetic"].value:
                mode += " (synthetic)"
            used.setdefault(mode, []).append(meta["dst_table"].value)
            fallback = fallback or "fallback_reason" in meta
    text = "; ".join(f"{mode}: {', '.join(sorted(tables))}" for mode, tables in used.items())
    return (text or "none loaded") + (" - DST could not be reached" if fallback else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("refresh", help="run the refresh job once (if anything changed)")
    run.add_argument(
        "--force",
        action="store_true",
        help="run even when nothing changed since the last good build",
    )
    run.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="print every Dagster event and dbt's output, not one line per step",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "refresh":
            return refresh(force=args.force, verbose=args.verbose)
    except SettingsError as exc:  # a setting to correct, not a failure of the pipeline
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 2


def _exit_code(code: int | str | None) -> int:
    """The status ``sys.exit(code)`` gives the shell."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


class _Exit:
    code: int | str | None = 1  # main() raised: Python has printed the traceback


def _exit_without_teardown() -> None:
    """The last exit handler: exit with the command's status, skipping the interpreter's
    teardown. After a refresh the process holds Dagster's, dbt's and pandas' objects; freeing
    them one by one is slow and writes nothing. Every other exit handler has run by
    then (registered later, they run earlier); log files and the streams are flushed here."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_code(_Exit.code))


def run_as_program() -> None:
    """``python -m pipelines.cli``: :func:`main`, then exit with its status without the
    interpreter's teardown."""
    atexit.register(_exit_without_teardown)
    try:
        _Exit.code = main()
    except SystemExit as exc:  # --help, a usage error
        _Exit.code = exc.code
        raise
    sys.exit(_Exit.code)
