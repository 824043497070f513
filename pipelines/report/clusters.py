"""The cluster overview (one sortable row per cluster) and one scorecard page per cluster.

Cluster ids and names come from the organisations' own files, so they are hostile input: names
only ever reach the page through autoescaped templates, and a page's file name is the id only
when the id is a plain token (otherwise a hash of it), so no id can walk out of the folder.
The numbers are the rows of ``cluster_programme_totals`` (the programme to date) and
``cluster_outcomes`` (year by year) as published; nothing is summed here.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pipelines.report import charts
from pipelines.report.charts import Series
from pipelines.report.data import ReleaseData
from pipelines.report.i18n import Text

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
RATES = ("smv_funding_rate_pct", "smv_funding_rate_median_pct", "smv_funding_rate_max_pct")
INSTITUTIONS = (
    ("universities", "projects_with_university", "ki_university"),
    ("gts_institutes", "projects_with_gts", "ki_gts"),
    ("erhvervsakademier", "projects_with_erhvervsakademi", "ki_erhvervsakademi"),
    ("professionshoejskoler", "projects_with_professionshoejskole", "ki_professionshoejskole"),
)

# The unit of each quality rule's observed value and limit (quality_findings holds bare numbers)
RULE_UNITS = {
    "smv_funding_rate_above_max": "pct",
    "overhead_share_above_norm": "pct",
    "public_funding_above_grant": "dkk",
}


def page_name(cluster_id: str) -> str:
    """The scorecard's file name: ``<id>.html`` for a plain id, a stable hash otherwise."""
    text = str(cluster_id)
    if SAFE_ID.fullmatch(text):
        return f"{text}.html"
    return f"cluster-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}.html"


def overview(db: ReleaseData) -> list[dict[str, Any]]:
    rows = db.rows("cluster_overview")
    for row in rows:
        row["page"] = page_name(row["cluster_id"])
    return rows


def limits(db: ReleaseData) -> dict[str, Any]:
    """Each quality rule's limit as the findings recorded it (absent: no finding)."""
    return {r["rule"]: r["threshold"] for r in db.rows("rule_limits")}


def _charts(c: dict[str, Any], text: Text, rule_limits: dict[str, Any]) -> dict[str, Any]:
    grant = charts.bar_chart(
        [
            Series(
                "mio", text("mio_dkk"), {"grant": c["grant_mio_dkk"], "drawn": c["drawn_mio_dkk"]}
            )
        ],
        [("grant", text("h_grant")), ("drawn", text("h_drawn"))],
        text.lang,
    )
    cap = rule_limits.get("smv_funding_rate_above_max")
    rates = charts.bar_chart(
        [Series("pct", "%", {k: c[k] for k in RATES})],
        [(k, text(k)) for k in RATES],
        text.lang,
        reference=(cap, text("cap_label", cap=text.pct(cap, 0))) if cap is not None else None,
    )
    institutions = charts.bar_chart(
        [
            Series("distinct", text("ki_distinct"), {key: c[key] for key, _, _ in INSTITUTIONS}),
            Series(
                "projects",
                text("ki_projects"),
                {key: c[projects] for key, projects, _ in INSTITUTIONS},
            ),
        ],
        [(key, text(label)) for key, _, label in INSTITUTIONS],
        text.lang,
        decimals=0,
    )
    return {"grant": grant, "rates": rates, "institutions": institutions}


def scorecard(
    db: ReleaseData, cluster: dict[str, Any], text: Text, rule_limits: dict[str, Any]
) -> dict[str, Any]:
    """What one cluster's page shows, read from the release for that cluster id."""
    cid = cluster["cluster_id"]
    return {
        "cluster": cluster,
        "years": db.rows("cluster_years", cluster_id=cid),
        "findings": db.rows("cluster_findings", cluster_id=cid),
        "charts": _charts(cluster, text, rule_limits),
        "limits": rule_limits,
        "institutions": INSTITUTIONS,
        "units": RULE_UNITS,
    }
