"""The cluster figure: what each cluster did with its grant over the programme to date.

Four panels over one cluster axis (short names): funding to SMEs next to private
co-financing; distinct SMEs funded (and new to R&D); knowledge institutions taking part, by
type; the SME funding rate (overall, median, highest) with the programme's maximum
(``config/generations/<id>.yaml``) and the breaches marked. Read from
``cluster_programme_totals``, the current generation's rows only, so SMEs are counted once per
cluster.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.constants import programme
from pipelines.publish.figures import banner, caption, new_figure, number_axis, save

if TYPE_CHECKING:
    import pandas as pd

NAME_LENGTH = 22
SAMPLE_MARK = re.compile(r"\s*\([A-ZÆØÅ ]+\)\s*$")  # "(SAMPLE)": the banner says so
GENERIC_PREFIX = re.compile(r"^(eksempelklynge|klyngen?|cluster)\s+(for|of)\s+", re.IGNORECASE)
INSTITUTIONS = [
    ("universities", {"da": "universiteter", "en": "universities"}, "#1f3864"),
    ("gts_institutes", {"da": "GTS", "en": "GTS"}, "#2e75b6"),
    ("erhvervsakademier", {"da": "erhvervsakademier", "en": "business academies"}, "#9dc3e6"),
    (
        "professionshoejskoler",
        {"da": "professionshøjskoler", "en": "university colleges"},
        "#c9c9c9",
    ),
]
WORDS: dict[str, dict[str, str]] = {
    "funding": {"da": "klyngens tilskud til SMV'er", "en": "cluster funding to SMEs"},
    "cofinancing": {
        "da": "privat medfinansiering af projekterne",
        "en": "private co-financing of projects",
    },
    "mio": {"da": "mio. kr.", "en": "m. kr."},
    "funding_title": {
        "da": "Tilskud til SMV'er og privat medfinansiering",
        "en": "Funding to SMEs and private co-financing",
    },
    "smes_funded": {"da": "SMV'er med tilskud (forskellige)", "en": "SMEs funded (distinct)"},
    "new_to_rd": {"da": "heraf nye i FoU", "en": "of which new to R&D"},
    "smes_axis": {
        "da": "SMV'er (hver tælles én gang pr. klynge over programmet)",
        "en": "SMEs (each counted once per cluster over the programme)",
    },
    "smes_title": {"da": "SMV'er med tilskud", "en": "SMEs funded"},
    "projects": {"da": "{total}/{projects} projekter", "en": "{total}/{projects} projects"},
    "ki_axis": {
        "da": "forskellige videninstitutioner (tal: projekter med en / alle)",
        "en": "distinct knowledge institutions taking part (label: projects with one / all)",
    },
    "ki_title": {
        "da": "Deltagende videninstitutioner efter type",
        "en": "Knowledge institutions taking part, by type",
    },
    "overall_rate": {"da": "samlet tilskudsprocent", "en": "overall funding rate"},
    "median": {"da": "median-deltagelse", "en": "median participation"},
    "highest_breach": {"da": "højeste overskridelse", "en": "highest breach"},
    "above": {"da": "{n} over {cap}", "en": "{n} above {cap}"},
    "maximum": {"da": "{cap} maksimum", "en": "{cap} maximum"},
    "rate_axis": {
        "da": "Tilskudsprocent til SMV, % (tilskud / (tilskud + egenfinansiering))",
        "en": "SME funding rate, % (funding / (funding + own contribution))",
    },
    "rates_title": {
        "da": "Tilskudsprocent til SMV og overskridelser af maksimum på {cap}",
        "en": "SME funding rate and breaches of the {cap} maximum",
    },
    "rates_title_no_cap": {
        "da": "Tilskudsprocent til SMV (intet loft i denne generation)",
        "en": "SME funding rate (no cap in this generation)",
    },
    "suptitle": {
        "da": "Hvad hver klynge gjorde med sit tilskud, {first}-{last} til dato",
        "en": "What each cluster did with its grant, {first}-{last} to date",
    },
    "source_sample": {
        "da": "det genererede prøvesæt (ikke klyngeorganisationernes indberetninger)",
        "en": "the generated programme sample (not the cluster organisations' reports)",
    },
    "source_real": {
        "da": "klyngeorganisationernes indberetninger",
        "en": "the cluster organisations' reports",
    },
    "caption": {
        "da": "Data: {source}; tabel cluster_programme_totals. Overskridelser: SMV-deltagelser "
        "med tilskud over {cap}, hver opført i tabel quality_findings.",
        "en": "Data: {source}; table cluster_programme_totals. Breaches: SME participations "
        "funded above {cap}, each listed in table quality_findings.",
    },
    "caption_no_cap": {
        "da": "Data: {source}; tabel cluster_programme_totals. Et loft over tilskudsprocenten "
        "var ikke en regel i denne generation.",
        "en": "Data: {source}; table cluster_programme_totals. A cap on the funding rate was "
        "not a rule in this generation.",
    },
}


def _w(key: str, lang: str, **fields: object) -> str:
    return WORDS[key][lang].format(**fields)


def short_name(cluster_id: str, name: str) -> str:
    """``K01 Grøn Energi`` from ``Eksempelklynge for Grøn Energi (SAMPLE)``."""
    text = GENERIC_PREFIX.sub("", SAMPLE_MARK.sub("", name or "").strip())
    if len(text) > NAME_LENGTH:
        text = text[: NAME_LENGTH - 1].rstrip() + "…"
    # a '$' would start matplotlib's math mode (and an odd one fails the figure)
    return f"{cluster_id} {text}".strip().replace("$", r"\$")


def _funding(ax, data, y, lang: str) -> None:
    height = 0.4
    ax.barh(
        y - height / 2,
        data["smv_funding_dkk"] / 1e6,
        height,
        color="#c55a11",
        label=_w("funding", lang),
    )
    ax.barh(
        y + height / 2,
        data["private_cofinancing_dkk"] / 1e6,
        height,
        color="#7f7f7f",
        label=_w("cofinancing", lang),
    )
    ax.set_xlabel(_w("mio", lang))
    number_axis(ax.xaxis, lang)
    _title(ax, _w("funding_title", lang))


def _smes(ax, data, y, lang: str) -> None:
    ax.barh(y, data["smv_funded"], color="#2e75b6", label=_w("smes_funded", lang))
    ax.barh(y, data["smv_new_to_rd"], height=0.4, color="#9dc3e6", label=_w("new_to_rd", lang))
    ax.set_xlabel(_w("smes_axis", lang))
    number_axis(ax.xaxis, lang)
    _title(ax, _w("smes_title", lang))


def _institutions(ax, data, y, lang: str) -> None:
    left = None
    for column, label, color in INSTITUTIONS:
        ax.barh(y, data[column], left=left, color=color, label=label[lang])
        left = data[column] if left is None else left + data[column]
    for yi, (total, projects) in enumerate(
        zip(data["projects_with_knowledge_institution"], data["projects_started"], strict=True)
    ):
        ax.annotate(
            _w("projects", lang, total=total, projects=projects),
            (0, yi),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
            color="white",
        )
    ax.set_xlabel(_w("ki_axis", lang))
    number_axis(ax.xaxis, lang)
    _title(ax, _w("ki_title", lang))


def _cap_label(lang: str = "en") -> str | None:
    """The SME funding cap as the figure writes it (``<cap> %``), None where the generation
    had no cap (the figure then draws no cap line)."""
    from pipelines.report.numbers import number

    cap = programme().smv_funding_cap_pct
    if cap is None:
        return None
    decimals = 0 if float(cap).is_integer() else 1
    return f"{number(cap, decimals, lang)} %"


def _rates(ax, data, y, lang: str) -> None:
    cap = _cap_label(lang)
    ax.barh(y, data["smv_funding_rate_pct"], color="#bdd7ee", label=_w("overall_rate", lang))
    ax.scatter(
        data["smv_funding_rate_median_pct"],
        y,
        marker="|",
        s=120,
        color="#1f3864",
        label=_w("median", lang),
        zorder=3,
    )
    breached = data["smv_funding_rate_breaches"].fillna(0) > 0  # NULL: no cap then
    ax.scatter(
        data.loc[breached, "smv_funding_rate_breach_max_pct"],
        y[breached.to_numpy()],
        marker="X",
        s=60,
        color="#b00000",
        label=_w("highest_breach", lang),
        zorder=4,
    )
    for yi, n, worst in zip(
        y[breached.to_numpy()],
        data.loc[breached, "smv_funding_rate_breaches"],
        data.loc[breached, "smv_funding_rate_breach_max_pct"],
        strict=True,
    ):
        ax.annotate(
            _w("above", lang, n=n, cap=cap),
            (worst, yi),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
            color="#b00000",
        )
    if cap is not None:
        ax.axvline(
            programme().smv_funding_cap_pct,
            color="#b00000",
            linestyle="--",
            linewidth=1,
            label=_w("maximum", lang, cap=cap),
        )
    ax.set_xlim(0, 115)
    ax.set_xlabel(_w("rate_axis", lang))
    number_axis(ax.xaxis, lang)
    _title(ax, _w("rates_title", lang, cap=cap) if cap else _w("rates_title_no_cap", lang))


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


def current_generation(totals: pd.DataFrame) -> pd.DataFrame:
    """The current generation's clusters (``constants.programme()``): a cluster id names another
    cluster in each generation, and the figure, its cap and its period are the current one's."""
    if "programme" not in totals.columns:
        return totals
    return totals.loc[totals["programme"] == programme().id]


def cluster_overview(
    totals: pd.DataFrame, target: Path, notice: str | None, lang: str = "en"
) -> None:
    import numpy as np

    data = current_generation(totals).sort_values("cluster_id").reset_index(drop=True)
    y = np.arange(len(data))
    labels = [
        short_name(c, n) for c, n in zip(data["cluster_id"], data["cluster_name"], strict=True)
    ]
    fig = new_figure(figsize=(14, 10), dpi=110)
    axes = fig.subplots(2, 2, sharey=True)
    for draw, ax in zip((_funding, _smes, _institutions, _rates), axes.flat, strict=True):
        draw(ax, data, y, lang)
        ax.grid(axis="x", color="#e5e5e5")
    axes[0][0].set_yticks(y, labels)
    axes[0][0].invert_yaxis()
    first, last = int(data["first_year"].min()), int(data["last_year"].max())
    top = banner(fig, notice)
    fig.suptitle(_w("suptitle", lang, first=first, last=last), fontsize=13, y=top - 0.005)
    source = _w("source_sample" if notice else "source_real", lang)
    cap = _cap_label(lang)
    caption(
        fig,
        _w("caption", lang, source=source, cap=cap)
        if cap
        else _w("caption_no_cap", lang, source=source),
    )
    save(fig, target, rect=(0, 0.03, 1, top - 0.03))
