"""The front page: headline numbers, the policy brief's figures, and any optional sections.

A section is a template plus a loader that reads its query results; it is shown only when the
release holds the tables it needs. A new section (e.g. the effect estimates) is one entry in
:data:`SECTIONS`, one ``queries/*.sql`` and one ``templates/sections/*.html``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipelines.report import charts
from pipelines.report.charts import Series
from pipelines.report.data import ReleaseData
from pipelines.report.i18n import Text

SIZE_GROUPS = ("under_10", "10_49", "50_249", "250_plus")
SUPPLIERS = ("university_dk", "gts")


@dataclass(frozen=True)
class Section:
    key: str
    template: str
    requires: tuple[str, ...]
    load: Callable[[ReleaseData, Text], dict[str, Any]]


def series_break(rows: list[dict[str, Any]]) -> tuple[Any, Any] | None:
    """(last year before, first year after) FORSK01's series break, as the data marks it."""
    years = sorted({r["year"] for r in rows})
    first = min((r["year"] for r in rows if r["series_break"]), default=None)
    if first is None or years.index(first) == 0:
        return None
    return years[years.index(first) - 1], first


def _break_chart(
    series: list[Series],
    rows: list[dict[str, Any]],
    text: Text,
    subtitle: str = "",
    first_colour: int = 0,
) -> charts.Chart:
    brk = series_break(rows)
    return charts.line_chart(
        series,
        text.lang,
        break_after=brk[0] if brk else None,
        break_label=text("series_break", before=brk[0], after=brk[1]) if brk else "",
        subtitle=subtitle,
        first_colour=first_colour,
    )


def headline(db: ReleaseData, text: Text) -> dict[str, Any]:
    # SMEs' business shares: the latest year of the figure's series (one query, one number)
    business = db.rows("figure_business_share")
    rd = db.row("headline_smv_rd")
    brk = series_break(db.rows("figure_smv_share"))
    return {
        "rd": rd,
        # the series break, when the headline's change runs across it
        "rd_break": brk if rd and brk and rd["compare_year"] <= brk[0] < rd["year"] else None,
        "business": business[-1] if business else None,
        "programme": db.row("headline_programme"),
    }


def _fig_rd_by_size(db: ReleaseData, text: Text) -> dict[str, Any]:
    rows = db.rows("figure_rd_by_size")
    series = [
        Series(
            g,
            text(f"size_{g}"),
            {r["year"]: r["rd_fixed_bn_dkk"] for r in rows if r["size_group"] == g},
        )
        for g in SIZE_GROUPS
    ]
    smv = [s for s in series if s.key != "250_plus"]
    large = [s for s in series if s.key == "250_plus"]
    return {
        # two panels, each on its own scale: the SME groups are a tenth of the large firms'
        "chart": [
            _break_chart(smv, rows, text, subtitle=text("fig1_panel_smv")),
            _break_chart(large, rows, text, subtitle=text("fig1_panel_large"), first_colour=3),
        ],
        "series": series,
        "years": sorted({r["year"] for r in rows}),
        "series_break": series_break(rows),
        "break_years": {r["year"] for r in rows if r["series_break"]},
        "base_year": rows[0]["price_base_year"] if rows else None,
    }


def _fig_smv_share(db: ReleaseData, text: Text) -> dict[str, Any]:
    rows = db.rows("figure_smv_share")
    series = [
        Series(
            "smv_share_pct", text("smv_share_label"), {r["year"]: r["smv_share_pct"] for r in rows}
        )
    ]
    return {
        "chart": _break_chart(series, rows, text),
        "rows": rows,
        "series_break": series_break(rows),
    }


def _fig_business_share(db: ReleaseData, text: Text) -> dict[str, Any]:
    rows = db.rows("figure_business_share")
    measures = ("firms_share_pct", "full_time_employees_share_pct", "turnover_share_pct")
    labels = (text("firms"), text("fte"), text("turnover"))
    series = [
        Series(m, label, {r["year"]: r[m] for r in rows})
        for m, label in zip(measures, labels, strict=True)
    ]
    categories = [(r["year"], str(r["year"])) for r in rows]
    return {
        "chart": charts.bar_chart(series, categories, text.lang),
        "rows": rows,
        "measures": measures,
    }


def _fig_purchased(db: ReleaseData, text: Text) -> dict[str, Any]:
    rows = db.rows("figure_purchased_rd")
    series = [
        Series(
            s,
            text(f"supplier_{s}"),
            {r["size_group"]: r["purchased_rd_mio_dkk"] for r in rows if r["supplier_type"] == s},
        )
        for s in SUPPLIERS
    ]
    categories = [(g, text(f"size_{g}")) for g in SIZE_GROUPS]
    return {
        "chart": charts.bar_chart(series, categories, text.lang),
        "series": series,
        "categories": categories,
        "year": rows[0]["year"] if rows else None,
    }


SECTIONS: tuple[Section, ...] = (
    Section("fig_rd_by_size", "sections/fig_rd_by_size.html", ("smv_rd_share",), _fig_rd_by_size),
    Section(
        "fig_smv_share", "sections/fig_smv_share.html", ("smv_rd_share_summary",), _fig_smv_share
    ),
    Section(
        "fig_business_share",
        "sections/fig_business_share.html",
        ("smv_business_share",),
        _fig_business_share,
    ),
    Section(
        "fig_purchased",
        "sections/fig_purchased.html",
        ("rd_purchased_by_supplier",),
        _fig_purchased,
    ),
)


def sections(db: ReleaseData, text: Text) -> list[tuple[Section, dict[str, Any]]]:
    """The sections whose tables the release holds, each with its data."""
    present = db.tables()
    return [(s, s.load(db, text)) for s in SECTIONS if set(s.requires) <= present]
