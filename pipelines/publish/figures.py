"""PNG figures for the release, each answering one question of the evaluation.

Danish first: ``figures/*.png`` are in Danish, ``figures/en/*.png`` the same figures in English
(same file names). Synthetic or sample data gets one clear banner at the top and a caption that
says what the data really is (never "Source: Statistics Denmark" for the synthetic snapshot).
FORSK01's series break (2016/2017, Frascati Manual 2015) is marked and lines are not drawn
across it, as in the report's charts.
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
SIZE_LABELS = {
    "da": {"under_10": "< 10 årsværk", "10_49": "10-49 årsværk", "50_249": "50-249 årsværk",
           "250_plus": "250+ årsværk"},
    "en": {"under_10": "< 10 FTE", "10_49": "10-49 FTE", "50_249": "50-249 FTE",
           "250_plus": "250+ FTE"},
}  # fmt: skip
LANGUAGES = ("da", "en")  # Danish in figures/, English in figures/en/
ENGLISH_DIR = "en"
WORDS: dict[str, dict[str, str]] = {
    "break": {
        "da": "databrud {before}/{after}\n(Frascati-manualen 2015)",
        "en": "series break {before}/{after}\n(Frascati Manual 2015)",
    },
    "synthetic_source": {
        "da": "Data: det medfølgende syntetiske demo-øjebliksbillede, formet som DST {tables}; "
        "faste {base}-priser med dets BNP-deflator (tabel price_index).",
        "en": "Data: the bundled synthetic demo snapshot, shaped like DST {tables}; "
        "fixed prices of {base} with its GDP deflator (table price_index).",
    },
    "dst_source": {
        "da": "Kilde: Danmarks Statistik, {tables}; faste {base}-priser "
        "med BNP-deflatoren fra NAN1 (tabel price_index).",
        "en": "Source: Statistics Denmark, {tables}; fixed prices of {base} "
        "with the NAN1 GDP deflator (table price_index).",
    },
    "tables": {
        "da": "FORSK01 (egen FoU) og NAN1 (BNP)",
        "en": "FORSK01 (own R&D) and NAN1 (GDP)",
    },
    "fig1_title": {
        "da": "Figur 1. Erhvervslivets egen FoU efter virksomhedsstørrelse, faste priser",
        "en": "Figure 1. Business expenditure on own R&D by firm size, fixed prices",
    },
    "fig1_smv": {
        "da": "SMV'er efter størrelsesgruppe (egen skala)",
        "en": "SMEs by size group (own scale)",
    },
    "fig1_large": {
        "da": "Store virksomheder, 250+ årsværk (egen skala)",
        "en": "Large enterprises, 250+ FTE (own scale)",
    },
    "rd_axis": {"da": "Egen FoU, mia. kr., faste {base}-priser",
                "en": "Own R&D, bn. kr., fixed {base} prices"},
    "size_legend": {"da": "Virksomhedsstørrelse (årsværk)",
                    "en": "Firm size (full-time equivalents)"},
    "smv_title": {
        "da": "Erhvervslivets udgifter til egen FoU: SMV'er og store virksomheder",
        "en": "Business expenditure on own R&D: SMV vs. large enterprises",
    },
    "large": {"da": "Store virksomheder (250+ årsværk)", "en": "Large enterprises (250+ FTE)"},
    "smv": {"da": "SMV'er (under 250 årsværk)", "en": "SMV (under 250 FTE)"},
    "smv_share": {"da": "SMV-andel", "en": "SMV share"},
    "rd_axis_short": {"da": "Egen FoU, mia. kr., {base}-priser",
                      "en": "Own R&D, bn. kr., {base} prices"},
    "share_axis": {
        "da": "SMV-andel af erhvervslivets\negen FoU, % (løbende priser)",
        "en": "SMV share of business\nown R&D, % (current prices)",
    },
}  # fmt: skip


def words(key: str, lang: str, **fields: object) -> str:
    """A figure's text in ``lang`` with its fields filled in."""
    return WORDS[key][lang].format(**fields)


def notice_in(lang: str, notice: str | None, key: str) -> str | None:
    """The synthetic/sample banner in ``lang``: the report's own words (``text.yaml``) in
    Danish, the release's notice in English."""
    if not notice or lang == "en":
        return notice
    from pipelines.report.i18n import Text

    return Text(lang)(key)


def number_axis(axis, lang: str) -> None:
    """Tick labels with the language's decimal mark (Danish ``2,5``)."""
    from matplotlib.ticker import FuncFormatter

    from pipelines.report.numbers import number

    def label(value: float, _pos: object) -> str:
        decimals = 0 if float(value).is_integer() else 1
        return number(round(value, decimals), decimals, lang)

    axis.set_major_formatter(FuncFormatter(label))


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
    text = "\n".join(textwrap.wrap(notice, 125))
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


def dst_caption(synthetic: bool, base_year: int, tables: str, lang: str = "en") -> str:
    key = "synthetic_source" if synthetic else "dst_source"
    return words(key, lang, tables=tables, base=base_year)


def mark_series_break(ax, breaks, label: bool = True, lang: str = "en") -> None:
    for year in breaks:
        ax.axvline(year - 0.5, color="#7f7f7f", linestyle=":", linewidth=1.2)
        if label:
            ax.annotate(
                words("break", lang, before=year - 1, after=year),
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


def rd_by_size_group(rd: pd.DataFrame, target: Path, notice: str | None, lang: str = "en") -> None:
    """Figure 1: own R&D by the four size groups, bn. kr. in fixed prices, 2007 onwards.

    Two panels, each on its own scale: the three SME groups (a few bn. kr. each) would be
    squeezed into the bottom of an axis that also holds the large enterprises (tens of bn.).
    """
    data = rd[rd["year"] >= FIRST_YEAR].sort_values("year")
    base_year = int(data["price_base_year"].iloc[0])
    breaks = sorted(data.loc[data["series_break"], "year"].unique())
    fig = new_figure(figsize=(10, 8), dpi=120)
    smv, large = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    for ax, groups, title in (
        (smv, SIZE_GROUPS[:3], words("fig1_smv", lang)),
        (large, SIZE_GROUPS[3:], words("fig1_large", lang)),
    ):
        for group, _, color in groups:
            rows = data[data["size_group"] == group]
            plot_broken(
                ax,
                rows["year"],
                rows["rd_fixed_mio_dkk"] / 1000,
                breaks,
                marker="o",
                markersize=3.5,
                color=color,
                label=SIZE_LABELS[lang][group],
            )
        mark_series_break(ax, breaks, label=ax is smv, lang=lang)
        ax.set_ylim(bottom=0, top=float(ax.get_ylim()[1]) * 1.12)
        ax.set_ylabel(words("rd_axis", lang, base=base_year), fontsize=9)
        number_axis(ax.yaxis, lang)
        ax.grid(axis="y", color="#e5e5e5")
        ax.set_title(title, fontsize=10, loc="left")
    smv.legend(title=words("size_legend", lang), loc="lower right", fontsize=9, title_fontsize=9)
    large.legend(loc="lower right", fontsize=9)
    year_axis(large, data["year"])
    top = banner(fig, notice)
    fig.suptitle(words("fig1_title", lang), fontsize=12, y=top - 0.005)
    caption(fig, dst_caption(bool(notice), base_year, words("tables", lang), lang))
    save(fig, target, rect=(0, 0.04, 1, top - 0.02))


def smv_vs_large_rd(
    summary: pd.DataFrame, target: Path, notice: str | None, lang: str = "en"
) -> None:
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
        label=words("large", lang),
    )
    plot_broken(
        ax,
        data["year"],
        data["smv_rd_fixed_mio_dkk"] / 1000,
        breaks,
        marker="o",
        color="#c55a11",
        label=words("smv", lang),
    )
    ax.set_ylim(bottom=0)
    ax.set_ylabel(words("rd_axis_short", lang, base=base_year))
    number_axis(ax.yaxis, lang)
    ax.legend(loc="upper left", fontsize=9, bbox_to_anchor=(0, 0.85))
    ax.grid(axis="y", color="#e5e5e5")
    ax.set_title(words("smv_title", lang))
    mark_series_break(ax, breaks, lang=lang)
    plot_broken(
        share,
        data["year"],
        data["smv_share_pct"],
        breaks,
        marker="o",
        color="#c55a11",
        label=words("smv_share", lang),
    )
    share.set_ylim(0, max(60.0, float(data["smv_share_pct"].max()) * 1.15))
    share.set_ylabel(words("share_axis", lang))
    number_axis(share.yaxis, lang)
    share.grid(axis="y", color="#e5e5e5")
    mark_series_break(share, breaks, label=False)
    year_axis(share, data["year"])
    top = banner(fig, notice)
    caption(fig, dst_caption(bool(notice), base_year, words("tables", lang), lang))
    save(fig, target, rect=(0, 0.04, 1, top))


def write_figures(
    tables: dict[str, pd.DataFrame],
    folder: Path,
    *,
    dst_notice: str | None,
    programme_notice: str | None,
) -> list[Path]:
    """Every figure whose tables are published, in Danish (``folder``) and English
    (``folder/en``); returns the files written. The notices are the release's (English)."""
    from pipelines.publish.cluster_figure import cluster_overview

    folder.mkdir(parents=True, exist_ok=True)
    jobs = [
        ("smv_rd_share", FIGURE_1, rd_by_size_group, dst_notice),
        ("smv_rd_share_summary", SMV_FIGURE, smv_vs_large_rd, dst_notice),
        ("cluster_programme_totals", CLUSTER_FIGURE, cluster_overview, programme_notice),
    ]
    written = []
    for lang in LANGUAGES:
        out = folder if lang == "da" else folder / ENGLISH_DIR
        out.mkdir(parents=True, exist_ok=True)
        for table, name, draw, notice in jobs:
            if table in tables and len(tables[table]):
                key = "banner_sample" if notice is programme_notice else "banner_synthetic"
                draw(tables[table], out / name, notice_in(lang, notice, key), lang)
                written.append(out / name)
    return written
