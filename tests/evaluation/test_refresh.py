"""The evaluation in the refresh: per programme generation, register, estimates and DST package
published together."""

from __future__ import annotations

import json

import duckdb

from pipelines.checksums import sha256_file
from pipelines.constants import generations


def test_refresh_publishes_register_estimates_and_submission_package(refreshed):
    """Per programme generation: its submission package (listed with its checksums), its
    figures, its estimates (the planted effect found), matched in its own matching year."""
    root, _ = refreshed
    published = root / "data" / "published"
    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert manifest["checks"]["participant_register"]["success"]
    assert manifest["checks"]["effect_estimates"]["success"]
    ids = [g.id for g in generations()]
    with duckdb.connect(str(published / "klynge.duckdb"), read_only=True) as con:
        registered = dict(
            con.execute(
                "select programme, count(*) from participant_register group by 1"
            ).fetchall()
        )
        clusters = dict(
            con.execute(
                "select programme, count(distinct cluster_id) from participant_register group by 1"
            ).fetchall()
        )
        estimated = [
            p for (p,) in con.execute("select distinct programme from effect_estimates").fetchall()
        ]
        sources = con.execute(
            "select distinct panel_source, is_synthetic, is_sample from effect_estimates"
        ).fetchall()
        small = con.execute(
            "select count(*) from effect_estimates where not suppressed and "
            "(firms_treated < 3 or firms_compared < 3)"
        ).fetchone()[0]
        found = dict(
            con.execute(
                "select programme, ci_lower from effect_estimates where outcome = "
                "'log_value_added_per_fte' and group_type = 'overall' and period = 't+1'"
            ).fetchall()
        )
    assert sorted(estimated) == sorted(registered) == ids
    assert clusters == {g.id: g.clusters for g in generations()}
    assert sources == [("synthetic", True, True)] and small == 0
    assert all(found[g] > 0 for g in ids)  # the planted effect, in every generation
    for g in ids:
        package = published / "evaluation" / "dst_submission" / g
        for name in ("participants.csv", "variables.csv", "SHA256SUMS", "README.md"):
            path = f"evaluation/dst_submission/{g}/{name}"
            assert listed[path] == sha256_file(package / name), path
        for line in (package / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
            digest, name = line.split("  ")
            assert sha256_file(package / name) == digest
        rows = (package / "participants.csv").read_text(encoding="utf-8").splitlines()
        assert len(rows) - 1 == registered[g]
        assert f"Programme generation {g}" in (package / "README.md").read_text("utf-8")
        assert f"evaluation/figures/{g}/event_study_log_value_added_per_fte.png" in listed
    assert (root / "data" / "evaluation" / "synthetic_firm_panel" / "SYNTHETIC.json").exists()


def test_each_generation_is_matched_in_its_own_year_without_the_others(refreshed):
    """2021-2024's cohorts are matched in 2019 (its generation file: 2020 is a COVID year),
    2025-2028's in the year before entry; each excludes the other's participants from its
    controls and counts its firms that take part in the other."""
    root, _ = refreshed
    estimates = root / "data" / "evaluation" / "estimates"

    def diagnostics(g: str) -> dict:
        return json.loads((estimates / g / "diagnostics.json").read_text(encoding="utf-8"))

    earlier, current = diagnostics("2021-2024"), diagnostics("2025-2028")
    assert earlier["latest_matching_year"] == 2019
    assert {c["matching_year"] for c in earlier["cohorts"].values()} == {2019}
    assert current["latest_matching_year"] is None
    assert all(c["matching_year"] == int(g) - 1 for g, c in current["cohorts"].items())
    shared = earlier["also_in_generation"]["2025-2028"]
    assert shared > 0 and current["also_in_generation"] == {"2021-2024": shared}
    assert earlier["treated_before"] == current["treated_before"] == shared
    assert earlier["excluded_from_controls"] > 0 and current["excluded_from_controls"] > 0


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
