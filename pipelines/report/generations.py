"""The generations page: the programme's generations side by side, and what each declared.

The measures are the rows of ``programme_generations`` as published (values, units, whether a
measure compares across generations and why not). What each generation declared (period,
clusters, allocation, funders, grant types, the rules in force) is its declaration in
``pipelines/config/generations/<id>.yaml`` (:func:`pipelines.constants.generation`), the one the
release was built with; a generation in the release without a declaration shows none.
"""

from __future__ import annotations

from typing import Any

from pipelines import constants
from pipelines.report import charts
from pipelines.report.charts import Series
from pipelines.report.data import ReleaseData
from pipelines.report.i18n import Text

TABLE = "programme_generations"
# the figure's measures (mean and median funding per SME in thousand kr., firms funded)
FIGURE_MEASURES = (
    "funding_per_smv_mean_dkk",
    "funding_per_smv_median_dkk",
    "smv_funded",
    "other_firms_funded",
)
KEYS = ("mean", "median", "smv", "other")


def declaration(programme: str) -> constants.Programme | None:
    """The generation's declaration, or None when the configuration has none by that id."""
    try:
        return constants.generation(programme)
    except (KeyError, ValueError, constants.ConstantsError):
        return None


def name(programme: str, lang: str) -> str:
    """The generation's name in ``lang`` (its id when it has no declaration)."""
    found = declaration(programme)
    if found is None:
        return programme
    return found.name_da if lang == "da" else found.name_en


def formatted(value: Any, unit: str, text: Text) -> str:
    """A measure's value in its unit: a count, kroner or per cent (``–`` when missing)."""
    if unit == "pct":
        return text.pct(value, 1)
    if unit == "dkk":
        shown = text.num(value, 0)
        return shown if value is None else f"{shown}\u00a0{text('dkk')}"
    return text.num(value, 0)


def _declared(programme: str, text: Text) -> dict[str, Any] | None:
    """What a generation declared, as the page shows it (words in the page's language)."""
    found = declaration(programme)
    if found is None:
        return None
    da = text.lang == "da"
    allocation = f"{text.num(found.allocation_dkk / 1e6, 0)} {text('mio_dkk')}"
    not_rule = text("gen_not_a_rule")
    return {
        "name": found.name_da if da else found.name_en,
        "period": f"{found.first_year}–{found.last_year}",
        "clusters": text.num(found.clusters),
        "allocation": text("gen_about", amount=allocation)
        if found.allocation_approximate
        else allocation,
        "funders": [f.name_da if da else f.name_en for f in found.funders],
        "grant_types": [
            (g.name_da if da else g.name_en)
            + (
                f" ({text.num(g.amount_dkk / 1e6, 0)} {text('mio_dkk')})"
                if g.amount_dkk is not None
                else ""
            )
            for g in found.grant_types
        ],
        "cap": text.pct(found.smv_funding_cap_pct, 0)
        if found.smv_funding_cap_pct is not None
        else not_rule,
        "overhead": text.pct(found.overhead_norm_pct, 0)
        if found.overhead_norm_pct is not None
        else not_rule,
    }


def _chart(rows: list[dict[str, Any]], gens: list[dict[str, Any]], text: Text) -> Any:
    """Two panels by generation: funding per SME (mean, median; thousand kr.) and firms funded."""
    value = {(r["programme"], r["measure"]): r["value_chart"] for r in rows}
    categories = [(g["programme"], g["programme"]) for g in gens]  # the period: short

    def series(measure: str, key: str) -> Series:
        return Series(
            measure, text(key), {g["programme"]: value.get((g["programme"], measure)) for g in gens}
        )

    funding = charts.bar_chart(
        [
            series("funding_per_smv_mean_dkk", "gen_mean"),
            series("funding_per_smv_median_dkk", "gen_median"),
        ],
        categories,
        text.lang,
        decimals=0,
    )
    firms = charts.bar_chart(
        [series("smv_funded", "gen_smv_funded"), series("other_firms_funded", "gen_other_firms")],
        categories,
        text.lang,
        decimals=0,
    )
    for chart, subtitle in ((funding, "gen_panel_funding"), (firms, "gen_panel_firms")):
        chart.subtitle = chart.phone.subtitle = text(subtitle)
    return [funding, firms]


def page(db: ReleaseData, text: Text) -> dict[str, Any]:
    """What the generations page shows (``present`` False: the release has no comparison)."""
    if TABLE not in db.tables():
        return {"present": False}
    gens = db.rows("generations")
    for g in gens:
        g["name"] = name(g["programme"], text.lang)
        g["declared"] = _declared(g["programme"], text)
    rows = db.rows("generation_measures")
    measures: list[dict[str, Any]] = []
    for r in rows:
        if not measures or measures[-1]["measure"] != r["measure"]:
            measures.append(
                {
                    "measure": r["measure"],
                    "label": r[f"measure_label_{text.lang}"],
                    "unit": r["unit"],
                    "comparable": all(
                        x["comparable"] for x in rows if x["measure"] == r["measure"]
                    ),
                    "reason": r[f"comparable_reason_{text.lang}"],
                    "values": {},
                }
            )
        measures[-1]["values"][r["programme"]] = formatted(r["value"], r["unit"], text)
        measures[-1]["reason"] = measures[-1]["reason"] or r[f"comparable_reason_{text.lang}"]
    chart_rows = db.rows("generation_chart")
    value = {(r["programme"], r["measure"]): r["value_chart"] for r in chart_rows}
    figure_rows = [
        {
            "programme": g["programme"],
            "values": [text.num(value.get((g["programme"], m)), 0) for m in FIGURE_MEASURES],
        }
        for g in gens
    ]
    return {
        "present": True,
        "generations": gens,
        "measures": measures,
        "current": next((g for g in gens if g["is_current_programme"]), None),
        "sample": [g for g in gens if g["is_sample"]],
        "not_comparable": [m for m in measures if not m["comparable"]],
        "chart": _chart(chart_rows, gens, text),
        "figure_rows": figure_rows,
        "figure_desc": " ".join(
            text(
                "gen_fig_desc_part",
                period=f["programme"],
                **dict(zip(KEYS, f["values"], strict=True)),
            )
            for f in figure_rows
        ),
    }
