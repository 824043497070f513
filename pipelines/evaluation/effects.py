"""The effect estimator, runnable on its own where the firm panel lives (DST's research machine):

    python -m pipelines.evaluation.effects --panel data/inbound/firm_panel \\
        --register participants.csv --out results/

Reads and validates the panel (contract: docs/evaluation.md), matches every participant to
never-participating firms, estimates Callaway-Sant'Anna effects by event time, applies
disclosure control, and writes ``effect_estimates.csv`` / ``.parquet``, one event-study figure
per outcome and ``diagnostics.json``. Output is written to a temporary folder and moved into
place only when complete.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

from pipelines.evaluation.contract import PanelError, panel_files, read_panel
from pipelines.evaluation.disclosure import DisclosureRule
from pipelines.evaluation.estimate import COLUMNS, GROUP_TYPES, EstimatorConfig, estimate_effects
from pipelines.evaluation.figures import SYNTHETIC_BANNER, event_study_figures
from pipelines.evaluation.outcomes import OUTCOMES
from pipelines.evaluation.register import RegisterError, read_register


def panel_source(panel: pd.DataFrame) -> str:
    flags = panel["is_synthetic"].unique()
    if len(flags) > 1:
        raise PanelError(
            "firm panel mixes synthetic rows (is_synthetic = true) with real ones; "
            "remove the synthetic files"
        )
    return "synthetic" if bool(flags[0]) else "real"


def run(
    panel: pd.DataFrame, register: pd.DataFrame, config: EstimatorConfig, is_sample: bool = False
) -> tuple[pd.DataFrame, dict]:
    """``effect_estimates`` with provenance columns, and the diagnostics."""
    source = panel_source(panel)
    result = estimate_effects(panel, register, config)
    table = result.table.assign(
        panel_source=source, is_synthetic=source == "synthetic", is_sample=is_sample
    )
    return table[list(COLUMNS)], {**result.diagnostics, "panel_source": source}


def _sha256(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def write_outputs(
    table: pd.DataFrame,
    diagnostics: dict,
    out: Path,
    figures: bool = True,
) -> None:
    """All outputs into ``out``, replacing what was there only once everything is written."""
    building = out.with_name(f".{out.name}.partial")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    table.to_parquet(building / "effect_estimates.parquet", index=False)
    table.to_csv(
        building / "effect_estimates.csv",
        sep=";",
        decimal=",",
        index=False,
        encoding="utf-8-sig",
        lineterminator="\r\n",
    )
    if figures:
        synthetic = bool(table["is_synthetic"].any())
        event_study_figures(table, building / "figures", SYNTHETIC_BANNER if synthetic else None)
    (building / "diagnostics.json").write_text(
        json.dumps(diagnostics, indent=2, default=str) + "\n", encoding="utf-8"
    )
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    building.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m pipelines.evaluation.effects", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--panel", type=Path, required=True, help="panel folder or file")
    p.add_argument(
        "--register",
        type=Path,
        required=True,
        help="participant register (DST submission CSV or Parquet)",
    )
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument(
        "--base-year",
        type=int,
        help="matching year (default: the year before the programme period)",
    )
    p.add_argument("--neighbours", type=int, default=3)
    p.add_argument("--min-firms", type=int, default=DisclosureRule().min_firms)
    p.add_argument("--max-share", type=float, default=DisclosureRule().max_share)
    p.add_argument("--outcomes", nargs="+", choices=list(OUTCOMES), default=list(OUTCOMES))
    p.add_argument("--groups", nargs="+", choices=list(GROUP_TYPES), default=list(GROUP_TYPES))
    return p


def default_base_year(register: pd.DataFrame) -> int:
    if "programme_first_year" in register.columns:
        return int(pd.to_numeric(register["programme_first_year"]).min()) - 1
    return int(register["treatment_year"].min()) - 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    try:
        panel = read_panel(args.panel)
        register = read_register(args.register)
    except (PanelError, RegisterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    config = EstimatorConfig(
        base_year=args.base_year or default_base_year(register),
        neighbours=args.neighbours,
        rule=DisclosureRule(args.min_firms, args.max_share),
        outcomes=tuple(args.outcomes),
        group_types=tuple(args.groups),
    )
    table, diagnostics = run(panel, register, config)
    diagnostics["inputs_sha256"] = _sha256([*panel_files(args.panel), args.register])
    diagnostics["seconds"] = round(time.perf_counter() - started, 1)
    write_outputs(table, diagnostics, args.out)
    shown = table[~table["suppressed"]]
    print(
        f"{len(table)} estimates ({len(table) - len(shown)} withheld) from a "
        f"{diagnostics['panel_source']} panel -> {args.out} "
        f"({diagnostics['seconds']} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
