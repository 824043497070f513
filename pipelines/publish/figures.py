"""PNG figures for the release. Each caption names its source and marks synthetic data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    import matplotlib.pyplot as plt

    return plt



def smv_vs_large_rd(summary: pd.DataFrame, target: Path, notice: str | None) -> None:
    """'SMV vs. large-firm R&D in fixed prices' with the SMV share on a second axis."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    data = summary.sort_values("year")
    base_year = int(data["price_base_year"].iloc[0])
    fig, ax = plt.subplots(figsize=(10, 5.5), dpi=120)
    ax.plot(data["year"], data["large_rd_fixed_mio_dkk"] / 1000, marker="o",
            label="Large enterprises (250+ FTE)", color="#1f4e79")
    ax.plot(data["year"], data["smv_rd_fixed_mio_dkk"] / 1000, marker="o",
            label="SMV (under 250 FTE)", color="#c55a11")
    ax.set_ylabel(f"Own R&D, bn. kr., {base_year} prices")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    share_ax = ax.twinx()
    share_ax.plot(data["year"], data["smv_share_pct"], linestyle="--", color="#7f7f7f",
                  label="SMV share (%)")
    share_ax.set_ylabel("SMV share of business R&D, %")
    share_ax.set_ylim(0, 100)
    breaks = data.loc[data["series_break"], "year"]
    for year in breaks:
        ax.axvline(year - 0.5, color="#999999", linestyle=":", linewidth=1)
        ax.annotate("series break\n(Frascati 2015)", (year - 0.5, ax.get_ylim()[1] * 0.95),
                    ha="center", va="top", fontsize=8, color="#666666")
    lines = ax.get_legend_handles_labels()
    shares = share_ax.get_legend_handles_labels()
    ax.legend(lines[0] + shares[0], lines[1] + shares[1], loc="upper left", fontsize=9)
    ax.set_title("Business expenditure on own R&D: SMV vs. large enterprises, fixed prices")
    caption = (f"Source: Statistics Denmark FORSK01 (own R&D) deflated with the NAN1 GDP "
               f"deflator, base year {base_year}.")
    if notice:
        caption = f"{notice}\n{caption}"
    fig.text(0.01, 0.01, caption, fontsize=8, color="#b00000" if notice else "#333333",
             va="bottom")
    fig.tight_layout(rect=(0, 0.08 if notice else 0.05, 1, 1))
    fig.savefig(target)
    plt.close(fig)


def cluster_overview(outcomes: pd.DataFrame, target: Path, notice: str | None) -> None:
    """Per cluster, 2025-2028 so far: SMEs funded, funding to SMEs and the SME funding rate."""
    plt = _pyplot()
    per_cluster = outcomes.groupby(["cluster_id", "cluster_name"], as_index=False).agg(
        smv_funded=("smv_funded", "sum"), funding=("smv_funding_dkk", "sum"),
        own=("smv_own_contribution_dkk", "sum"))
    per_cluster["rate"] = 100 * per_cluster["funding"] / (
        per_cluster["funding"] + per_cluster["own"]).where(lambda s: s > 0)
    per_cluster = per_cluster.sort_values("cluster_id")
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.5), dpi=120, sharey=True)
    labels = per_cluster["cluster_id"]
    left.barh(labels, per_cluster["funding"] / 1e6, color="#c55a11")
    left.set_xlabel("Cluster funding to SMEs, mio. kr.")
    left.invert_yaxis()
    right.barh(labels, per_cluster["rate"], color="#1f4e79")
    right.axvline(70, color="#b00000", linestyle="--", linewidth=1)
    right.annotate("70 % max.", (70, -0.6), color="#b00000", fontsize=8, ha="left")
    right.set_xlim(0, 100)
    right.set_xlabel("SME funding rate, % (funding / (funding + own contribution))")
    fig.suptitle("Cluster outcomes 2025-2028 so far: funding to SMEs and funding rate")
    caption = ("Source: cluster organisations' reports (cluster_outcomes); SME participations "
               "counted in the year their project starts.")
    if notice:
        caption = f"{notice}\n{caption}"
    fig.text(0.01, 0.01, caption, fontsize=8, color="#b00000" if notice else "#333333",
             va="bottom")
    fig.tight_layout(rect=(0, 0.08 if notice else 0.05, 1, 0.95))
    fig.savefig(target)
    plt.close(fig)
