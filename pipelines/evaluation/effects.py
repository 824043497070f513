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
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pipelines.evaluation.contract import PanelError, cvr_ok, panel_files, read_panel
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


# Published numbers are rounded to this many decimals: sums over many firms (the bootstrap's
# matrix products above all) differ in their last bits between CPUs, and a release must hold the
# same numbers on every machine. Effects are in log points or shares, so 1e-6 is far below
# anything a reader can use.
PUBLISHED_DECIMALS = 6


def run(
    panel: pd.DataFrame,
    register: pd.DataFrame,
    config: EstimatorConfig,
    is_sample: bool = False,
    programme: str = "",
) -> tuple[pd.DataFrame, dict]:
    """``effect_estimates`` with provenance columns, and the diagnostics. ``programme`` labels
    the rows with the generation the register holds (one run per generation)."""
    source = panel_source(panel)
    result = estimate_effects(panel, register, config)
    table = result.table.assign(
        programme=programme,
        panel_source=source,
        is_synthetic=source == "synthetic",
        is_sample=is_sample,
    )[list(COLUMNS)]
    floats = table.select_dtypes("float").columns
    table[floats] = table[floats].round(PUBLISHED_DECIMALS)
    diagnostics = _rounded({"programme": programme, **result.diagnostics, "panel_source": source})
    return table, diagnostics


def register_programme(register: pd.DataFrame, given: str | None) -> str:
    """The generation to label the rows with: ``--programme``, or the one the register's own
    ``programme`` column names. A register of several generations is refused: each generation
    is its own evaluation (its own cohorts, matching year and publication)."""
    held = sorted(register["programme"].astype(str).unique()) if "programme" in register else []
    if len(held) > 1:
        raise RegisterError(
            f"the participant register holds the generations {', '.join(held)}: run the "
            "estimator once per generation (--programme), with the other generations' "
            "participants as --exclude"
        )
    if given is not None and held and held[0] != given:
        raise RegisterError(
            f"--programme {given}, but the participant register holds generation {held[0]}"
        )
    return given if given is not None else (held[0] if held else "")


def _rounded(value):
    """Floats of the diagnostics at the published precision, wherever they are nested."""
    if isinstance(value, float):
        return round(value, PUBLISHED_DECIMALS)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def check_inputs_fit(panel: pd.DataFrame, register: pd.DataFrame, config: EstimatorConfig) -> None:
    """Inputs that cannot give an estimate fail the command, saying why, instead of every cell
    being withheld for a reason that is not the real one. (In a refresh, the pipeline's own
    synthetic panel is used and the other marts must still publish: there the cells are
    withheld with their reasons.)"""
    years = panel["year"]
    first, last = int(years.min()), int(years.max())
    if panel["cvr"].isin(register["cvr"]).all():
        raise PanelError("the firm panel holds participants only: no firm to compare them with")
    matching = register["treatment_year"] - 1 - config.anticipation
    if config.latest_matching_year is not None:
        matching = matching.clip(upper=config.latest_matching_year)
    outside = (matching < first) | (matching > last)
    if outside.any():
        row = int(outside.to_numpy().argmax())
        raise RegisterError(
            f"participant register, data row {row + 1}, column treatment_year: "
            f"{int(register['treatment_year'].iloc[row])} is matched in "
            f"{int(matching.iloc[row])}, which is not in the firm panel (years {first}-{last}; "
            f"{int(outside.sum())} such row(s)): participants are matched on the year before "
            "they entered"
        )


def read_exclusions(path: Path) -> frozenset[int]:
    """CVRs never to be used as controls (e.g. the previous programme's register): a CSV or
    Parquet file with a ``cvr`` column, or a plain list with one CVR per line."""
    if not path.is_file():
        raise RegisterError(f"{path}: exclusion list not found")
    try:
        if path.suffix.lower() == ".parquet":
            cvr = pd.read_parquet(path)["cvr"].astype(str)
            first_row = 1
        else:
            text = path.read_text(encoding="utf-8-sig").splitlines()
            header = text[0].replace(",", ";").split(";") if text else []
            if "cvr" in [h.strip().lower() for h in header]:
                sep = ";" if text[0].count(";") >= text[0].count(",") else ","
                frame = pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig")
                frame.columns = [c.strip().lower() for c in frame.columns]
                cvr, first_row = frame["cvr"], 2
            else:
                cvr, first_row = pd.Series(text, dtype=str), 1
    except UnicodeDecodeError as exc:
        raise RegisterError(
            f"{path.name}: not UTF-8 text ({exc.reason}); save it as UTF-8"
        ) from None
    except (ValueError, OSError, KeyError) as exc:
        raise RegisterError(f"{path.name}: cannot be read as a CVR list: {exc}") from None
    cvr = cvr.astype(str).str.strip()
    cvr = cvr[cvr != ""]
    bad = ~cvr_ok(cvr.reset_index(drop=True))
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise RegisterError(
            f"{path.name}, row {int(cvr.index[row]) + first_row}, column cvr: "
            f"{int(bad.sum())} value(s) not a valid CVR number"
        )
    return frozenset(int(c) for c in cvr)


OUTPUT_MARKER = ".effect-estimates"  # marks a folder these outputs may replace


def _sha256(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def write_outputs(
    table: pd.DataFrame,
    diagnostics: dict,
    out: Path,
    figures: bool = True,
) -> None:
    """All outputs into ``out``, replacing what was there only once everything is written;
    on a failure nothing is left half-written."""
    out = out.resolve()
    building = out.with_name(f".{out.name}.partial")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    try:
        _write(table, diagnostics, building, figures)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    building.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def _write(table: pd.DataFrame, diagnostics: dict, building: Path, figures: bool) -> None:
    (building / OUTPUT_MARKER).write_text(
        "written by python -m pipelines.evaluation.effects; the next run replaces this folder\n",
        encoding="utf-8",
    )
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


def out_problem(out: Path, inputs: list[Path]) -> str | None:
    """Why ``out`` may not be replaced by the outputs, if it may not: replacing it deletes it."""
    target = out.resolve()
    if target.exists() and not target.is_dir():
        return f"--out {out} is a file, not a folder"
    for given in inputs:
        source = given.resolve()
        if target == source or target in source.parents or source in target.parents:
            return f"--out {out} and the input {given} overlap: the outputs would replace it"
    if target.is_dir() and any(target.iterdir()) and not (target / OUTPUT_MARKER).exists():
        return (
            f"--out {out} holds files this estimator did not write: give a new or empty folder "
            "(a folder of earlier estimates is replaced as a whole)"
        )
    return None


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
        "--programme",
        help="programme generation the register holds, written in every row (e.g. 2021-2024); "
        "default: the register's programme column, if it has one",
    )
    p.add_argument(
        "--latest-matching-year",
        type=int,
        help="match no cohort later than this year (e.g. 2019 to keep COVID's 2020 out); "
        "default: each cohort in its own base year",
    )
    p.add_argument(
        "--anticipation",
        type=_at_least(0),
        default=0,
        help="years before entry participants may already react (base year g-1-anticipation)",
    )
    p.add_argument("--control-group", choices=["never", "not-yet"], default="never")
    p.add_argument(
        "--exclude",
        type=Path,
        help="CVRs never used as controls (e.g. an earlier programme's register)",
    )
    p.add_argument("--bootstrap-draws", type=_at_least(999, " bootstrap draws"), default=999)
    p.add_argument("--seed", type=int, default=EstimatorConfig().seed)
    p.add_argument("--neighbours", type=_at_least(1), default=3)
    p.add_argument("--min-firms", type=_at_least(1), default=DisclosureRule().min_firms)
    p.add_argument("--max-share", type=_share, default=DisclosureRule().max_share)
    p.add_argument("--outcomes", nargs="+", choices=list(OUTCOMES), default=list(OUTCOMES))
    p.add_argument("--groups", nargs="+", choices=list(GROUP_TYPES), default=list(GROUP_TYPES))
    return p


def _at_least(minimum: int, what: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""

    def check(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text}: at least {minimum}{what}")
        return value

    return check


def _share(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text}: a share above 0 and at most 1")
    return value


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    if problem := out_problem(args.out, [args.panel, args.register, *filter(None, [args.exclude])]):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        panel = read_panel(args.panel)
        register = read_register(args.register)
        config = EstimatorConfig(
            neighbours=args.neighbours,
            anticipation=args.anticipation,
            control_group=args.control_group,
            latest_matching_year=args.latest_matching_year,
            rule=DisclosureRule(args.min_firms, args.max_share),
            outcomes=tuple(args.outcomes),
            group_types=tuple(args.groups),
            exclude=read_exclusions(args.exclude) if args.exclude else frozenset(),
            bootstrap_draws=args.bootstrap_draws,
            seed=args.seed,
        )
        check_inputs_fit(panel, register, config)
        programme = register_programme(register, args.programme)
        table, diagnostics = run(panel, register, config, programme=programme)
    except (PanelError, RegisterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    inputs = [*panel_files(args.panel), args.register, *([args.exclude] if args.exclude else [])]
    diagnostics["inputs_sha256"] = _sha256(inputs)
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
