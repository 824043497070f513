"""Command line: ``python -m pipelines.cli refresh`` runs the whole refresh job once.

The run is recorded in ``DAGSTER_HOME``, so it appears in the Dagster UI's run history beside
scheduled and UI-launched runs.
"""

from __future__ import annotations

import argparse
import sys

from pipelines.settings import load_settings


def refresh() -> int:
    from dagster import DagsterInstance

    from pipelines.alerts import root_cause
    from pipelines.definitions import defs

    settings = load_settings()
    job = defs.resolve_job_def("refresh")
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    if not result.success:
        failed = [e for e in result.all_events if e.is_step_failure]
        print("\nRefresh FAILED", file=sys.stderr)
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
    print(f"  evaluation report : {settings.published_dir / 'report' / 'index.html'}")
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
    sub.add_parser("refresh", help="run the refresh job once")
    args = parser.parse_args(argv)
    if args.command == "refresh":
        return refresh()
    return 2


if __name__ == "__main__":
    sys.exit(main())
