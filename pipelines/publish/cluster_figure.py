"""The cluster figure: what each cluster did with its grant over the programme to date.

Four panels over one cluster axis (short names): funding to SMEs next to private
co-financing; distinct SMEs funded (and new to R&D); knowledge institutions taking part, by
type; the SME funding rate (overall, median, highest) with the programme's maximum
(``config/programme.yaml``) and the breaches marked. Read from ``cluster_programme_totals``,
so SMEs are counted once per cluster.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.constants import programme
from pipelines.publish.figures import banner, caption, new_figure, save

if TYPE_CHECKING:
    import pandas as pd

NAME_LENGTH = 22
SAMPLE_MARK = re.compile(r"\s*\([A-ZÆØÅ ]+\)\s*$")  # "(SAMPLE)": the banner says so
GENERIC_PREFIX = re.compile(r"^(eksempelklynge|klyngen?|cluster)\s+(for|of)\s+", re.IGNORECASE)
INSTITUTIONS = [
    ("universities", "universities", "#1f3864"),
    ("gts_institutes", "GTS", "#2e75b6"),
    ("erhvervsakademier", "erhvervsakademier", "#9dc3e6"),
    ("professionshoejskoler", "professionshøjskoler", "#c9c9c9"),
]


def short_name(cluster_id: str, name: str) -> str:
    """``K01 Grøn Energi`` from ``Eksempelklynge for Grøn Energi (SAMPLE)``."""
    text = GENERIC_PREFIX.sub("", SAMPLE_MARK.sub("", name or "").strip())
    if len(text) > NAME_LENGTH:
        text = text[: NAME_LENGTH - 1].rstrip() + "…"
    # a '$' would start matplotlib's math mode (and an odd one fails the figure)
    return f"{cluster_id} {text}".strip().replace("$", r"\$")


def _funding(ax, data, y) -> None:
    height = 0.4
    ax.barh(
        y - height / 2,
        data["smv_funding_dkk"] / 1e6,
        height,
        color="#c55a11",
        label="cluster funding to SMEs",
    )
    ax.barh(
        y + height / 2,
        data["private_cofinancing_dkk"] / 1e6,
        height,
        color="#7f7f7f",
        label="private co-financing of projects",
    )
    ax.set_xlabel("mio. kr.")
    _title(ax, "Funding to SMEs and private co-financing")


def _smes(ax, data, y) -> None:
    ax.barh(y, data["smv_funded"], color="#2e75b6", label="SMEs funded (distinct)")
    ax.barh(y, data["smv_new_to_rd"], height=0.4, color="#9dc3e6", label="of which new to R&D")
    ax.set_xlabel("SMEs (each counted once over the programme)")
    _title(ax, "SMEs funded")


def _institutions(ax, data, y) -> None:
    left = None
    for column, label, color in INSTITUTIONS:
        ax.barh(y, data[column], left=left, color=color, label=label)
        left = data[column] if left is None else left + data[column]
    for yi, (total, projects) in enumerate(
        zip(data["projects_with_knowledge_institution"], data["projects_started"], strict=True)
    ):
        ax.annotate(
            f"{total}/{projects} projects",
            (0, yi),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
            color="white",
        )
    ax.set_xlabel("distinct knowledge institutions taking part (label: projects with one / all)")
    _title(ax, "Knowledge institutions taking part, by type")


def _cap_label() -> str:
    """The SME funding cap as the figure writes it (``<cap> %``)."""
    return f"{programme().smv_funding_cap_pct:g} %"


def _rates(ax, data, y) -> None:
    ax.barh(y, data["smv_funding_rate_pct"], color="#bdd7ee", label="overall funding rate")
    ax.scatter(
        data["smv_funding_rate_median_pct"],
        y,
        marker="|",
        s=120,
        color="#1f3864",
        label="median participation",
        zorder=3,
    )
    breached = data["smv_funding_rate_breaches"] > 0
    ax.scatter(
        data.loc[breached, "smv_funding_rate_breach_max_pct"],
        y[breached.to_numpy()],
        marker="X",
        s=60,
        color="#b00000",
        label="highest breach",
        zorder=4,
    )
    for yi, n, worst in zip(
        y[breached.to_numpy()],
        data.loc[breached, "smv_funding_rate_breaches"],
        data.loc[breached, "smv_funding_rate_breach_max_pct"],
        strict=True,
    ):
        ax.annotate(
            f"{n} above {_cap_label()}",
            (worst, yi),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
            color="#b00000",
        )
    ax.axvline(
        programme().smv_funding_cap_pct,
        color="#b00000",
        linestyle="--",
        linewidth=1,
        label=f"{_cap_label()} maximum",
    )
    ax.set_xlim(0, 115)
    ax.set_xlabel("SME funding rate, % (funding / (funding + own contribution))")
    _title(ax, f"SME funding rate and breaches of the {_cap_label()} maximum")


def _title(ax, text: str) -> None:
    """Panel title with its legend in one row right under it, clear of the bars."""
    ax.set_title(text, fontsize=10, pad=20)
    ax.legend(
        fontsize=8,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncols=4,
        frameon=False,
        handlelength=1.5,
        columnspacing=1.0,
    )


def cluster_overview(totals: pd.DataFrame, target: Path, notice: str | None) -> None:
    import numpy as np

    data = totals.sort_values("cluster_id").reset_index(drop=True)
    y = np.arange(len(data))
    labels = [
        short_name(c, n) for c, n in zip(data["cluster_id"], data["cluster_name"], strict=True)
    ]
    fig = new_figure(figsize=(14, 10), dpi=110)
    axes = fig.subplots(2, 2, sharey=True)
    for draw, ax in zip((_funding, _smes, _institutions, _rates), axes.flat, strict=True):
        draw(ax, data, y)
        ax.grid(axis="x", color="#e5e5e5")
    axes[0][0].set_yticks(y, labels)
    axes[0][0].invert_yaxis()
    first, last = int(data["first_year"].min()), int(data["last_year"].max())
    top = banner(fig, notice)
    fig.suptitle(
        f"What each cluster did with its grant, {first}-{last} to date", fontsize=13, y=top - 0.005
    )
    source = (
        "the generated programme sample (not the cluster organisations' reports)"
        if notice
        else "the cluster organisations' reports"
    )
    caption(
        fig,
        f"Data: {source}; table cluster_programme_totals. Breaches: SME participations "
        f"funded above {_cap_label()}, each listed in table quality_findings.",
    )
    save(fig, target, rect=(0, 0.03, 1, top - 0.03))
