"""The effects page: per programme generation, the event study and the overall effect of
taking part, for every outcome of ``effect_estimates`` (group 'all').

Values arrive from the queries already in the unit a reader reads: per cent for log outcomes
(100 x (exp(x) - 1)) and percentage points for shares (100 x x). Withheld cells arrive without
numbers; here they get their reason in plain words. Nothing is computed here.
"""

from __future__ import annotations

import re
from typing import Any

from pipelines import constants
from pipelines.report import charts
from pipelines.report.charts import EventPoint
from pipelines.report.data import ReleaseData
from pipelines.report.generations import name
from pipelines.report.i18n import Text

TABLE = "effect_estimates"
# the outcomes in the order docs/evaluation.md lists them; any other follows by name
OUTCOMES = (
    "log_value_added_per_fte",
    "log_fte",
    "log_turnover",
    "export_share",
    "rd_active",
    "survival",
)
# (pattern of the estimator's reason, text key, the number it names); the first match wins
REASONS = (
    (r"fewer than (\d+) effective comparison firms", "reason_few_controls"),
    (r"fewer than (\d+) firms", "reason_few_firms"),
    (r"one comparison firm carries more than (\d+)%", "reason_dominant_control"),
    (r"one firm carries more than (\d+)%", "reason_dominant_firm"),
    (r"no comparison firms", "reason_no_controls"),
    (r"not estimable: the outcome does not vary", "reason_no_variation"),
    (r"not estimable", "reason_not_estimable"),
    (r"withheld", "reason_secondary"),
)


def reason_text(reason: str | None, text: Text) -> str:
    """Why a cell is withheld, in plain words in the page's language (never the raw reason)."""
    for pattern, key in REASONS:
        found = re.search(pattern, reason or "")
        if found:
            return text(key, n=found.group(1)) if found.groups() else text(key)
    return text("reason_other")


def outcome_label(outcome: str, text: Text) -> str:
    key = f"outcome_{outcome}"
    return text(key) if text.has(key) else outcome


def value(v: Any, scale: str, text: Text, signed: bool = True) -> str:
    """An effect in its scale: signed per cent (log outcomes) or percentage points (shares)."""
    if scale == "pct":
        return text.change(v, 1) if signed else text.pct(v, 1)
    return text.pp(v, 1, signed=signed)


def interval(low: Any, high: Any, scale: str, text: Text) -> str:
    return text("effect_interval", low=value(low, scale, text), high=value(high, scale, text))


def conclusion(row: dict[str, Any], text: Text) -> str:
    """One plain sentence: what the overall effect lets a reader conclude, and what not."""
    if row["suppressed"]:
        return text("conclude_withheld", reason=reason_text(row["suppression_reason"], text))
    scale = row["scale"]
    if row["significant"]:
        key = "conclude_positive" if row["estimate"] > 0 else "conclude_negative"
        sentence = text(
            key,
            estimate=value(row["estimate"], scale, text),
            ci=interval(row["ci_lower"], row["ci_upper"], scale, text),
        )
    else:
        sentence = text("conclude_none", mde=value(row["mde"], scale, text, signed=False))
    if row["pretrend_flag"]:
        sentence += " " + text("conclude_pretrend", p=text.num(row["pretrend_p_value"], 2))
    return sentence


def _ordered(outcomes: set[str]) -> list[str]:
    return [o for o in OUTCOMES if o in outcomes] + sorted(outcomes - set(OUTCOMES))


def _outcome(
    outcome: str, points: list[dict[str, Any]], overall: dict[str, Any] | None, text: Text
) -> dict[str, Any]:
    scale = (overall or (points[0] if points else {})).get("scale", "pct")
    for p in points:
        p["reason_text"] = reason_text(p["suppression_reason"], text) if p["suppressed"] else ""
    event = [
        EventPoint(
            p["event_time"],
            p["period"],
            p["estimate"],
            p["ci_lower"],
            p["ci_upper"],
            p["band_lower"],
            p["band_upper"],
            bool(p["suppressed"]),
        )
        for p in points
    ]
    labels = {
        "estimate": text("effects_legend_estimate"),
        "ci": text("effects_legend_ci"),
        "band": text("effects_legend_band"),
        "withheld": text("effects_legend_withheld"),
    }
    row = dict(overall) if overall else None
    if row is not None:
        row["conclusion"] = conclusion(row, text)
        row["reason_text"] = (
            reason_text(row["suppression_reason"], text) if row["suppressed"] else ""
        )
    published = [p for p in points if not p["suppressed"] and p["estimate"] is not None]
    return {
        "outcome": outcome,
        "label": outcome_label(outcome, text),
        "scale": scale,
        "unit": text("effects_unit_pct" if scale == "pct" else "effects_unit_pp"),
        "points": points,
        "chart": charts.event_chart(event, text.lang, labels) if points else None,
        "overall": row,
        "withheld_points": sum(1 for p in points if p["suppressed"]),
        "published_points": len(published),
    }


def page(db: ReleaseData, text: Text) -> dict[str, Any]:
    """What the effects page shows: a section per generation, the oldest first."""
    present = TABLE in db.tables() and "programme" in db.columns(TABLE)
    if "programme_generations" in db.tables():
        ids = [g["programme"] for g in db.rows("generations")]
    else:
        ids = [g.id for g in constants.generations()]
    by_generation: dict[str, dict[str, Any]] = {}
    points: list[dict[str, Any]] = []
    overall: list[dict[str, Any]] = []
    if present:
        by_generation = {g["programme"]: g for g in db.rows("effect_generations")}
        points = db.rows("effect_event_study")
        overall = db.rows("effect_overall")
    ids += sorted(set(by_generation) - set(ids))
    sections = []
    for programme in sorted(ids):
        info = by_generation.get(programme)
        own_points = [p for p in points if p["programme"] == programme]
        own_overall = {r["outcome"]: r for r in overall if r["programme"] == programme}
        outcomes = _ordered({p["outcome"] for p in own_points} | set(own_overall))
        sections.append(
            {
                "programme": programme,
                "name": name(programme, text.lang),
                "has_rows": info is not None,
                "synthetic": bool(info and info["is_synthetic"]),
                "sample": bool(info and info["is_sample"]),
                "outcomes": [
                    _outcome(
                        o,
                        [p for p in own_points if p["outcome"] == o],
                        own_overall.get(o),
                        text,
                    )
                    for o in outcomes
                ],
            }
        )
    return {"present": present, "sections": sections}
