"""Command line: ``python -m pipelines.cli refresh`` runs the whole refresh job once.

It first asks :mod:`pipelines.pending` whether anything changed since the last good build;
if not, it says so and exits 0 without starting Dagster, dbt or Great Expectations
(``--force`` runs anyway). A run is recorded in ``DAGSTER_HOME``, so it appears in the Dagster
UI's run history beside scheduled and UI-launched runs.
"""

from __future__ import annotations

import argparse
import sys

from pipelines.settings import load_settings


def refresh(force: bool = False) -> int:
    settings = load_settings()
    if not force:
        from pipelines.pending import pending_work

        pending = pending_work(settings)
        if pending.nothing:
            print(f"{pending.describe()}: nothing to do (the release stays "
                  f"{settings.published_dir / 'current'}; --force runs the refresh anyway)")
            return 0
        print(f"refresh: {pending.describe()}")
    return _run_refresh(settings)


def _run_refresh(settings) -> int:
    from dagster import DagsterInstance

    from pipelines.alerts import root_cause
    from pipelines.definitions import defs

    job = defs.resolve_job_def("refresh")
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    if not result.success:
        failed = [e for e in result.all_events if e.is_step_failure]
        print("\nRefresh FAILED", file=sys.stderr)
        for check in result.get_asset_check_evaluations():
            if not check.passed and check.blocking:
                print(f"  quality gate failed: {check.asset_key.to_user_string()} "
                      f"{check.check_name}: {check.description}", file=sys.stderr)
        for event in failed:
            error = event.step_failure_data.error
            print(f"  step {event.step_key}: {root_cause(error) if error else ''}",
                  file=sys.stderr)
        return 1
    [publication] = result.asset_materializations_for_node("published__release") or [None]
    meta = {k: v.value for k, v in publication.metadata.items()} if publication else {}
    print("\nRefresh finished. Outputs:")
    if meta.get("switched"):
        print(f"  new release       : {meta['release']}")
    else:
        print(f"  no new release    : {meta.get('reason', 'publish did not run')}")
    print(f"  published release : {settings.published_dir} "
          "(klynge.duckdb, parquet/, csv/, klynge.xlsx, figures/, manifest.json)")
    print(f"  working warehouse : {settings.warehouse_path}")
    print(f"  DST source        : {_dst_sources(result)} "
          f"(KLYNGE_DST_SOURCE={settings.dst_source.value})")
    print(f"  run id            : {result.run_id}")
    return 0


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
    run.add_argument("--force", action="store_true",
                     help="run even when nothing changed since the last good build")
    args = parser.parse_args(argv)
    if args.command == "refresh":
        return refresh(force=args.force)
    return 2


if __name__ == "__main__":
    sys.exit(main())
