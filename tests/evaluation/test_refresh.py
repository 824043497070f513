"""The evaluation in the refresh: register, estimates and DST package published together."""

from __future__ import annotations

import json

import duckdb


def test_refresh_publishes_register_estimates_and_submission_package(refreshed):
    root, _ = refreshed
    published = root / "data" / "published"
    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"] for f in manifest["files"]}
    for name in ("participants.csv", "variables.csv", "SHA256SUMS", "README.md"):
        assert f"evaluation/dst_submission/{name}" in listed
    assert "evaluation/figures/event_study_log_value_added_per_fte.png" in listed
    assert manifest["checks"]["participant_register"]["success"]
    assert manifest["checks"]["effect_estimates"]["success"]
    with duckdb.connect(str(published / "klynge.duckdb"), read_only=True) as con:
        firms, clusters = con.execute(
            "select count(distinct cvr), count(distinct cluster_id) from participant_register"
        ).fetchone()
        sources = con.execute(
            "select distinct panel_source, is_synthetic, is_sample from effect_estimates"
        ).fetchall()
        small = con.execute(
            "select count(*) from effect_estimates where not suppressed and "
            "(firms_treated < 3 or firms_compared < 3)"
        ).fetchone()[0]
        overall = con.execute(
            "select estimate, ci_lower from effect_estimates where outcome = "
            "'log_value_added_per_fte' and group_type = 'overall' "
            "and period = 't+1'"
        ).fetchone()
        rows = con.execute("select count(*) from participant_register").fetchone()[0]
    assert firms > 100 and clusters == 11
    assert sources == [("synthetic", True, True)] and small == 0
    assert overall[1] > 0  # the planted effect is found on the synthetic panel
    package = (published / "evaluation" / "dst_submission" / "participants.csv").read_text()
    assert len(package.splitlines()) - 1 == rows
    assert (root / "data" / "evaluation" / "synthetic_firm_panel" / "SYNTHETIC.json").exists()


def test_the_bundled_release_gives_no_withheld_cell_away(refreshed):
    """The outside reader on the published effect_estimates finds nothing, and the table has
    the inference and diagnostics columns, checked by the gate."""
    from pipelines.evaluation.attack import findings

    root, _ = refreshed
    with duckdb.connect(str(root / "data" / "published" / "klynge.duckdb"), read_only=True) as con:
        table = con.execute("select * from effect_estimates").df()
    assert findings(table).empty
    shown = table[~table["suppressed"] & table["band_lower"].notna()]
    assert len(shown) > 0
    assert (shown["band_lower"] <= shown["ci_lower"]).all()
    assert (shown["band_upper"] >= shown["ci_upper"]).all()
    assert (table["mde"].dropna() > 0).all()
    assert set(table["period"]) >= {"placebo", "overall", "t+3"}
    assert table["breakdown_mbar"].notna().any()
