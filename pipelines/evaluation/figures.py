"""Event-study figures: one per outcome, all participating firms, pointwise 95 % confidence
intervals and the uniform 95 % band over event times."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipelines.evaluation.outcomes import OUTCOMES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SYNTHETIC_BANNER = "SYNTHETIC PANEL WITH A PLANTED EFFECT - not an estimate of the programme"


def new_figure(**kwargs: Any) -> Figure:
    """A figure on its own Agg canvas, without pyplot: no display, no global figure registry
    (nothing to close, nothing shared between figures drawn at the same time)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def event_study_figure(table: pd.DataFrame, outcome: str, target: Path, banner: str | None) -> None:
    """Estimates by event time with their CIs; withheld cells are left out and said so."""
    rows = table[
        (table["outcome"] == outcome)
        & (table["group_type"] == "overall")
        & table["event_time"].notna()
    ].sort_values("event_time")
    shown = rows[~rows["suppressed"].astype(bool)]
    fig = new_figure(figsize=(7, 4.2), dpi=110)
    ax = fig.subplots()
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.axvline(-0.5, color="grey", linewidth=0.8, linestyle=":")
    err = [
        shown["estimate"] - shown["ci_lower"].fillna(shown["estimate"]),
        shown["ci_upper"].fillna(shown["estimate"]) - shown["estimate"],
    ]
    band = shown.dropna(subset=["band_lower", "band_upper"]).sort_values("event_time")
    if len(band):
        ax.fill_between(
            band["event_time"].astype(float),
            band["band_lower"],
            band["band_upper"],
            color="#1f5f8b",
            alpha=0.12,
            linewidth=0,
            label="uniform 95 % band (all event times at once)",
        )
    ax.errorbar(
        shown["event_time"],
        shown["estimate"],
        yerr=err,
        fmt="o-",
        capsize=4,
        color="#1f5f8b",
        label="estimate, pointwise 95 % CI",
    )
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.set_xticks(range(-3, 4))
    ax.set_xlabel("years since entry (-1 = reference year)")
    ax.set_ylabel("effect on participants (ATT)")
    generation = rows["programme"].iloc[0] if "programme" in rows and len(rows) else ""
    title = f"Effect on {OUTCOMES[outcome]}"
    ax.set_title(f"{title}, programme {generation}" if generation else title, fontsize=11)
    notes = []
    if len(shown) < len(rows):
        notes.append(
            f"{len(rows) - len(shown)} event time(s) withheld (disclosure control or not estimable)"
        )
    if len(rows):
        p = rows["pretrend_p_value"].dropna()
        if len(p):
            notes.append(f"pre-trend test p = {p.iloc[0]:.3f}")
    ax.annotate("; ".join(notes), (0.01, 0.02), xycoords="axes fraction", fontsize=8)
    if banner:
        fig.text(
            0.5,
            0.97,
            banner,
            ha="center",
            va="top",
            fontsize=9,
            color="white",
            bbox={"facecolor": "#b22222", "edgecolor": "none", "pad": 4},
        )
        fig.subplots_adjust(top=0.82)
    fig.savefig(target)


def event_study_figures(table: pd.DataFrame, folder: Path, banner: str | None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for outcome in OUTCOMES:
        if (table["outcome"] == outcome).any():
            path = folder / f"event_study_{outcome}.png"
            event_study_figure(table, outcome, path, banner)
            paths.append(path)
    return paths
