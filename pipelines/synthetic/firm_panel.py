"""A synthetic firm panel with a planted effect, linked to the participant register's CVRs.

    python -m pipelines.synthetic.firm_panel --register participants.csv --out DIR [--firms 20000]

Deterministic for a seed and register. Participants are selected on growth (their productivity
and jobs grow faster than other firms' before and after joining: ``--selection``), so a naive
comparison with all other firms overstates the effect; the planted effect raises log
productivity by log(1 + ``--effect-pct``/100) from the year after entry on (entry: the firm's
first participation, over every generation the register holds; a later one adds nothing);
``--pretrend`` shifts participants' productivity in event years -3 and -2 (a parallel-trends
violation the pre-trend test must flag); firms exit at ``--exit-rate`` a year (participants at
half of it after entry: a planted survival effect), and their rows stop. Every row has
``is_synthetic = true``; the folder gets SYNTHETIC.json. The years reach from ten before the
earliest generation to the last generation's end, so every generation's cohorts can be matched
and followed. With ``max_participants`` (the refresh's panel, see
:data:`REFRESH_PANEL`), a register with more firms than that is sampled (seeded) down to it, so
that every participant has firms to compare it with; the participants left out are simply not
observed, as firms outside a register's coverage are.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.constants import generations
from pipelines.evaluation.contract import CVR_WEIGHTS
from pipelines.evaluation.register import read_register

INDUSTRIES = (
    "10",
    "16",
    "20",
    "22",
    "25",
    "26",
    "27",
    "28",
    "32",
    "33",
    "41",
    "43",
    "46",
    "47",
    "49",
    "58",
    "62",
    "69",
    "71",
    "72",
)
REGIONS = (81, 82, 83, 84, 85)
REGION_WEIGHTS = (0.11, 0.23, 0.22, 0.14, 0.30)
PANEL_FILE = "firm_panel.parquet"
MARKER_FILE = "SYNTHETIC.json"


# Years of history before a generation's first cohort: its matching features reach back to
# g-7 and its placebo's to g-9 (growth over at least four years up to g-4, resp. g-6).
YEARS_BEFORE = 10


def _first_year() -> int:
    """The first panel year every generation's cohorts need (2011 for 2021-2024)."""
    return min(g.first_year for g in generations()) - YEARS_BEFORE


def _last_year() -> int:
    return max(g.last_year for g in generations())


@dataclass(frozen=True)
class PanelSpec:
    firms: int = 20_000  # about ten per participant of the bundled sample (bench 6: 50k, 300k)
    first_year: int = field(default_factory=_first_year)
    last_year: int = field(default_factory=_last_year)
    effect_pct: float = 5.0  # planted productivity effect from the year after entry
    selection: float = 0.01  # participants' extra yearly growth of log productivity
    pretrend: float = 0.0  # participants' productivity shift in event years -3 and -2
    exit_rate: float = 0.02  # yearly exit hazard; participants exit at half of it after entry
    seed: int = 20250101
    industries: int = len(INDUSTRIES)  # fewer: coarser cells (small test panels)
    max_participants: int | None = None  # a larger register is sampled down to this many


# The refresh's fallback panel: about ten firms per participant, as for the bundled sample (its
# 2,101 participants over both generations are all in); a benchmark register of 300,000 firms is
# sampled.
REFRESH_PANEL = PanelSpec(max_participants=PanelSpec().firms // 8)


def _cvrs(count: int, exclude: set[str], start: int = 20_000_000) -> np.ndarray:
    """The first ``count`` valid CVR numbers from ``start`` that are not participants'."""
    numbers = np.arange(start, start + 12 * count + 1000)
    digits = (numbers[:, None] // 10 ** np.arange(7, -1, -1)) % 10
    valid = numbers[(digits @ CVR_WEIGHTS) % 11 == 0].astype(str)
    return valid[~np.isin(valid, list(exclude))][:count]


def _firms(register: pd.DataFrame, spec: PanelSpec, rng: np.random.Generator) -> pd.DataFrame:
    by_firm = register.groupby("cvr")
    entry = pd.DataFrame(
        {
            "cohort": by_firm["treatment_year"].min(),
            # one vectorised any() per firm, not a Python lambda per group
            "large": (register["size_group_at_entry"] == "large_enterprise")
            .groupby(register["cvr"])
            .any(),
        }
    )
    if spec.max_participants is not None and len(entry) > spec.max_participants:
        # a register too large for the panel (a benchmark set): a seeded sample of its firms,
        # so that each has firms to compare it with; the others are not observed
        keep = spec.max_participants
        entry = entry.iloc[np.sort(rng.choice(len(entry), keep, replace=False))]
    others = _cvrs(spec.firms - len(entry), set(register["cvr"].astype(str)))
    firms = pd.DataFrame({"cvr": np.concatenate([entry.index.to_numpy(str), others])})
    n, n_part = len(firms), len(entry)
    firms["participant"] = np.arange(n) < n_part
    firms["cohort"] = np.concatenate([entry["cohort"].to_numpy(float), np.full(n - n_part, np.nan)])
    large = np.concatenate([entry["large"].to_numpy(bool), np.zeros(n - n_part, bool)])
    log_fte = np.where(
        rng.random(n) < 0.015, rng.uniform(np.log(250), np.log(5000), n), rng.normal(1.3, 1.3, n)
    )
    log_fte[firms["participant"]] = rng.normal(2.6, 1.1, n_part)
    log_fte = np.where(
        large,
        rng.uniform(np.log(260), np.log(3000), n),
        np.where(firms["participant"], np.minimum(log_fte, np.log(240)), log_fte),
    )
    firms["log_fte0"] = np.clip(log_fte, np.log(0.5), None)
    firms["industry"] = rng.choice(INDUSTRIES[: spec.industries], n)
    firms["region"] = rng.choice(REGIONS, n, p=REGION_WEIGHTS)
    firms["prod0"] = rng.normal(np.log(650_000), 0.35, n)
    firms["prod_trend"] = rng.normal(0.015, 0.015, n) + spec.selection * firms["participant"]
    firms["fte_trend"] = rng.normal(0.01, 0.03, n) + spec.selection / 2 * firms["participant"]
    firms["va_share"] = rng.uniform(0.25, 0.55, n)
    firms["export_share"] = np.where(rng.random(n) < 0.45, 0.0, rng.beta(2, 3, n))
    firms["rd_prob"] = np.where(firms["participant"], 0.5, 0.12)
    return firms


def _per_year(column: pd.Series, years: int) -> pd.api.extensions.ExtensionArray:
    """Each firm's value repeated for its years, taken from the typed column (text is not
    converted again row by row)."""
    return column.array.take(np.repeat(np.arange(len(column)), years))


def generate_panel(register: pd.DataFrame, spec: PanelSpec = PanelSpec()) -> pd.DataFrame:
    """The panel: one row per firm and year, participants first, all marked synthetic."""
    rng = np.random.default_rng(spec.seed)
    firms = _firms(register, spec, rng)
    years = np.arange(spec.first_year, spec.last_year + 1)
    n, t = len(firms), len(years)
    since = years[None, :] - spec.first_year
    event = years[None, :] - firms["cohort"].to_numpy()[:, None]  # NaN for other firms
    lp = (
        firms["prod0"].to_numpy()[:, None]
        + firms["prod_trend"].to_numpy()[:, None] * since
        + rng.normal(0, 0.03, (n, t))
    )
    lp += np.where(event >= 1, np.log1p(spec.effect_pct / 100), 0.0)
    lp += np.where((event == -3) | (event == -2), spec.pretrend, 0.0)
    lf = (
        firms["log_fte0"].to_numpy()[:, None]
        + firms["fte_trend"].to_numpy()[:, None] * since
        + rng.normal(0, 0.04, (n, t))
    )
    fte = np.round(np.exp(lf), 1).clip(0.1, None)
    value_added = np.exp(lp) * fte
    turnover = value_added / firms["va_share"].to_numpy()[:, None]
    exports = (
        turnover * firms["export_share"].to_numpy()[:, None] * np.exp(rng.normal(0, 0.05, (n, t)))
    )
    rd_prob = np.clip(firms["rd_prob"].to_numpy()[:, None] + np.where(event >= 1, 0.1, 0.0), 0, 1)
    rd = np.where(rng.random((n, t)) < rd_prob, turnover * 0.03, 0.0)
    hazard = np.where(
        np.isnan(event), spec.exit_rate, np.where(event >= 0, spec.exit_rate / 2, 0.0)
    )
    hazard[:, 0] = 0.0  # every firm is there in the first year
    active = np.cumsum(rng.random((n, t)) < hazard, axis=1) == 0  # no row from the exit on
    keep = active.ravel()
    panel = pd.DataFrame(
        {
            "cvr": _per_year(firms["cvr"], t),
            "year": np.tile(years, n),
            "fte": fte.ravel(),
            "turnover_dkk": np.round(turnover).ravel(),
            "value_added_dkk": np.round(value_added).ravel(),
            "export_dkk": np.round(np.minimum(exports, turnover)).ravel(),
            "rd_expenditure_dkk": np.round(rd).ravel(),
            "industry": _per_year(firms["industry"], t),
            "region": np.repeat(firms["region"].to_numpy(), t),
            "is_synthetic": True,
        }
    )
    return panel[keep].reset_index(drop=True)


def register_fingerprint(register: pd.DataFrame) -> str:
    keys = register[["cvr", "treatment_year", "size_group_at_entry"]].astype(str)
    text = "\n".join(sorted(";".join(r) for r in keys.itertuples(index=False)))
    return hashlib.sha256(text.encode()).hexdigest()


def write_panel(
    register: pd.DataFrame,
    out: Path,
    spec: PanelSpec = PanelSpec(),
) -> pd.DataFrame:
    """Write the panel and its marker to ``out`` (replacing an earlier one); return the panel."""
    out.mkdir(parents=True, exist_ok=True)
    panel = generate_panel(register, spec)
    tmp = out / f".{PANEL_FILE}.partial"
    panel.to_parquet(tmp, index=False)
    tmp.replace(out / PANEL_FILE)
    marker = {
        "synthetic": True,
        "spec": asdict(spec),
        "rows": len(panel),
        "register_sha256": register_fingerprint(register),
        "notice": "SYNTHETIC firm panel with a planted effect; not Statistics Denmark data",
    }
    (out / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    return panel


def is_current(out: Path, register: pd.DataFrame, spec: PanelSpec = PanelSpec()) -> bool:
    """True when ``out`` holds the panel this register and spec would generate."""
    try:
        marker = json.loads((out / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        (out / PANEL_FILE).exists()
        and marker.get("spec") == asdict(spec)
        and marker.get("register_sha256") == register_fingerprint(register)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.synthetic.firm_panel", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--register",
        type=Path,
        required=True,
        help="participant register (the DST submission CSV or a Parquet file)",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write the panel to")
    defaults = PanelSpec()
    for name in asdict(defaults):
        default = getattr(defaults, name)
        kind = int if default is None else type(default)  # max_participants: none by default
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=default)
    args = parser.parse_args(argv)
    spec = PanelSpec(**{k: getattr(args, k) for k in asdict(defaults)})
    write_panel(read_register(args.register), args.out, spec)
    print(
        f"synthetic firm panel: {args.out / PANEL_FILE} ({spec.firms:,} firms x "
        f"{spec.first_year}-{spec.last_year})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
