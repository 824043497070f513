"""The cluster overview (one sortable row per cluster) and one scorecard page per cluster.

Cluster ids and names come from the organisations' own files, so they are hostile input: names
only ever reach the page through autoescaped templates, and a page's file name is the id only
when the id is a plain token (otherwise a hash of it), so no id can walk out of the folder.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pipelines.report.data import ReleaseData

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


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


def scorecard(db: ReleaseData, cluster: dict[str, Any]) -> dict[str, Any]:
    """What one cluster's page shows, read from the release for that cluster id."""
    cid = cluster["cluster_id"]
    return {"cluster": cluster, "years": db.rows("cluster_years", cluster_id=cid),
            "findings": db.rows("cluster_findings", cluster_id=cid)}
