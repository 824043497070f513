"""PNG figures for the release, each answering one question of the evaluation.

Synthetic or sample data gets one clear banner at the top and a caption that says what the data
really is (never "Source: Statistics Denmark" for the synthetic snapshot). FORSK01's series
break (2016/2017, Frascati Manual 2015) is marked and lines are not drawn across it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.evaluation.figures import new_figure

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

FIRST_YEAR = 2007  # FORSK01's first year: the figures start there and label it
SIZE_GROUPS = [
    ("under_10", "< 10 FTE", "#9dc3e6"),
    ("10_49", "10-49 FTE", "#2e75b6"),
    ("50_249", "50-249 FTE", "#c55a11"),
    ("250_plus", "250+ FTE", "#1f3864"),
]
FIGURE_1 = "figure1_rd_by_size_group_fixed_prices.png"
SMV_FIGURE = "smv_vs_large_rd_fixed_prices.png"
CLUSTER_FIGURE = "cluster_outcomes_overview.png"


def save(fig: Figure, target: Path, rect: tuple[float, float, float, float]) -> None:
    """Lay ``fig`` out tightly within ``rect`` and write it as PNG.

    The same as ``fig.tight_layout(rect=rect); fig.savefig(target)``, except that no layout
    engine is left on the figure, so ``savefig`` does not draw the whole figure an extra time
    to lay it out again (about a third of the time a figure takes).
    """
    from matplotlib.layout_engine import TightLayoutEngine

    TightLayoutEngine(rect=rect).execute(fig)
    fig.savefig(target)


def banner(fig, notice: str | None) -> float:
    """The synthetic/sample banner across the top; returns the figure height it leaves free."""
    if not notice:
        return 1.0
    text = "\n".join(textwrap.wrap(notice, 150))
    fig.text(
        0.5,
        0.99,
        text,
        ha="center",
        va="top",
        fontsize=8.5,
        color="#b00000",
        fontweight="bold",
        bbox={"facecolor": "#fff0f0", "edgecolor": "#b00000", "boxstyle": "round,pad=0.4"},
    )
    return 0.98 - 0.028 * (text.count("\n") + 1)


def caption(fig, text: str) -> None:
    fig.text(0.01, 0.01, text, fontsize=8, color="#333333", va="bottom")


def dst_caption(synthetic: bool, base_year: int, tables: str) -> str:
    if synthetic:
        return (
            f"Data: the bundled synthetic demo snapshot, shaped like DST {tables}; "
            f"fixed prices of {base_year} with its GDP deflator (table price_index)."
        )
    return (
        f"Source: Statistics Denmark, {tables}; fixed prices of {base_year} "
        "with the NAN1 GDP deflator (table price_index)."
    )


def mark_series_break(ax, breaks, label: bool = True) -> None:
    for year in breaks:
        ax.axvline(year - 0.5, color="#7f7f7f", linestyle=":", linewidth=1.2)
        if label:
            ax.annotate(
                f"series break {year - 1}/{year}\n(Frascati Manual 2015)",
                (year - 0.45, 0.97),
                xycoords=("data", "axes fraction"),
                ha="left",
                va="top",
                fontsize=8,
                color="#555555",
            )


def plot_broken(ax, years, values, breaks, **style) -> None:
    """One line per stretch between series breaks: never drawn across a break."""
    import numpy as np

    years, values = np.asarray(years), np.asarray(values, dtype=float)
    edges = [years.min(), *sorted(breaks), years.max() + 1]
    for i, (lo, hi) in enumerate(zip(edges, edges[1:], strict=False)):
        part = (years >= lo) & (years < hi)
        ax.plot(
            years[part], values[part], **(style if i == 0 else {**style, "label": "_nolegend_"})
        )


def year_axis(ax, years) -> None:
    ax.set_xticks(list(range(int(min(years)), int(max(years)) + 1)))
    ax.tick_params(axis="x", labelsize=8, rotation=90)
    ax.set_xlim(min(years) - 0.5, max(years) + 0.5)


def rd_by_size_group(rd: pd.DataFrame, target: Path, notice: str | None) -> None:
    """Figure 1: own R&D by all four size groups, bn. kr. in fixed prices, 2007 onwards."""
    data = rd[rd["year"] >= FIRST_YEAR].sort_values("year")
    base_year = int(data["price_base_year"].iloc[0])
    breaks = sorted(data.loc[data["series_break"], "year"].unique())
    fig = new_figure(figsize=(10, 6), dpi=120)
    ax = fig.subplots()
    for group, label, color in SIZE_GROUPS:
        rows = data[data["size_group"] == group]
        plot_broken(
            ax,
            rows["year"],
            rows["rd_fixed_mio_dkk"] / 1000,
            breaks,
            marker="o",
            markersize=3.5,
            color=color,
            label=label,
        )
    mark_series_break(ax, breaks)
    year_axis(ax, data["year"])
    ax.set_ylim(bottom=0)
    ax.set_ylabel(f"Own R&D, bn. kr., fixed {base_year} prices")
    ax.grid(axis="y", color="#e5e5e5")
    ax.legend(title="Firm size (full-time equivalents)", loc="upper left", fontsize=9)
    ax.set_title("Figure 1. Business expenditure on own R&D by firm size, fixed prices")
    top = banner(fig, notice)
    caption(fig, dst_caption(bool(notice), base_year, "FORSK01 (own R&D) and NAN1 (GDP)"))
    save(fig, target, rect=(0, 0.04, 1, top))


def smv_vs_large_rd(summary: pd.DataFrame, target: Path, notice: str | None) -> None:
    """SMV vs. large-firm R&D in fixed prices (top) and the SMV share on its own panel."""
    data = summary[summary["year"] >= FIRST_YEAR].sort_values("year")
    base_year = int(data["price_base_year"].iloc[0])
    breaks = sorted(data.loc[data["series_break"], "year"].unique())
    fig = new_figure(figsize=(10, 7.5), dpi=120)
    ax, share = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    plot_broken(
        ax,
        data["year"],
        data["large_rd_fixed_mio_dkk"] / 1000,
        breaks,
        marker="o",
        color="#1f3864",
        label="Large enterprises (250+ FTE)",
    )
    plot_broken(
        ax,
        data["year"],
        data["smv_rd_fixed_mio_dkk"] / 1000,
        breaks,
        marker="o",
        color="#c55a11",
        label="SMV (under 250 FTE)",
    )
    ax.set_ylim(bottom=0)
    ax.set_ylabel(f"Own R&D, bn. kr., {base_year} prices")
    ax.legend(loc="upper left", fontsize=9, bbox_to_anchor=(0, 0.85))
    ax.grid(axis="y", color="#e5e5e5")
    ax.set_title("Business expenditure on own R&D: SMV vs. large enterprises")
    mark_series_break(ax, breaks)
    plot_broken(
        share,
        data["year"],
        data["smv_share_pct"],
        breaks,
        marker="o",
        color="#c55a11",
        label="SMV share",
    )
    share.set_ylim(0, max(60.0, float(data["smv_share_pct"].max()) * 1.15))
    share.set_ylabel("SMV share of business\nown R&D, % (current prices)")
    share.grid(axis="y", color="#e5e5e5")
    mark_series_break(share, breaks, label=False)
    year_axis(share, data["year"])
    top = banner(fig, notice)
    caption(fig, dst_caption(bool(notice), base_year, "FORSK01 (own R&D) and NAN1 (GDP)"))
    save(fig, target, rect=(0, 0.04, 1, top))


def write_figures(
    tables: dict[str, pd.DataFrame],
    folder: Path,
    *,
    dst_notice: str | None,
    programme_notice: str | None,
) -> list[Path]:
    """Every figure whose tables are published; returns the files written."""
    from pipelines.publish.cluster_figure import cluster_overview

    folder.mkdir(parents=True, exist_ok=True)
    jobs = [
        ("smv_rd_share", FIGURE_1, rd_by_size_group, dst_notice),
        ("smv_rd_share_summary", SMV_FIGURE, smv_vs_large_rd, dst_notice),
        ("cluster_programme_totals", CLUSTER_FIGURE, cluster_overview, programme_notice),
    ]
    written = []
    for table, name, draw, notice in jobs:
        if table in tables and len(tables[table]):
            draw(tables[table], folder / name, notice)
            written.append(folder / name)
    return written
