"""A failed quality gate stays failed: until the input changes, every refresh builds and checks
the same marts again and fails with the same named expectation and observed value; the release
that was current before stays current."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import duckdb
import pytest

from pipelines.constants import programme
from pipelines.programme.discover import bundled_sample_dir
from pipelines.settings import REPO_ROOT
from tests.conftest import copy_data_dir
from tests.orchestration.test_faults import refresh_cmd, tree_digest

pytestmark = [pytest.mark.fault, pytest.mark.slow]  # refreshes

GATE_LINE = "quality gate failed: marts/cluster_outcomes gx_suite: cluster_outcomes: 1 of"
ALLOCATION = programme().allocation_dkk
SHORT_DKK = 1_000_000  # K01's grant is this much short of the allocation
OBSERVED = f"{SHORT_DKK:,.2f}"  # the gap between the generation's grants and its allocation


def _reports_with_grants_short_of_the_allocation(data_dir) -> None:
    """The sample as real reports, with K01's grant 1 mio. kr. short of the allocation."""
    current = programme().id
    inbound = data_dir / "inbound" / "programme" / current
    inbound.mkdir(parents=True, exist_ok=True)
    for name in ("projects.csv", "participants.csv", "cluster_finances.csv"):
        shutil.copy(bundled_sample_dir(current) / name, inbound / name)
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        con.execute(f"""copy (select cluster_id, name, business_area, cvr, region,
                                     grant_dkk - case when cluster_id = 'K01'
                                                                then {SHORT_DKK} else 0 end
                                         as grant_dkk
                              from raw.programme_clusters where programme = '{current}'
                              order by cluster_id)
                        to '{inbound / "clusters.csv"}' (header, delimiter ';')""")
    settled = time.time() - 3600
    for path in inbound.iterdir():
        os.utime(path, (settled, settled))


def test_a_failed_gate_fails_every_refresh_until_the_input_changes(
    refreshed, tmp_path, reliability
):
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    home = tmp_path / "home"
    shutil.copytree(refreshed[0] / "dagster_home", home)
    published = data_dir / "published"
    current, before = os.readlink(published / "current"), tree_digest(published / "current")
    _reports_with_grants_short_of_the_allocation(data_dir)
    cmd, env = refresh_cmd(data_dir, home)
    outputs = []
    for _ in range(2):
        result = subprocess.run(
            cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
        [line] = [x for x in result.stderr.splitlines() if GATE_LINE in x]
        tolerance = programme().tolerances.amount_dkk
        assert "each generation's cluster grants add up to its allocation" in line
        assert f"{programme().id}: {ALLOCATION / 1e6:g} mio. kr." in line
        assert OBSERVED in line and f"expected between 0 and {tolerance:g}" in line
        outputs.append(line)
        assert os.readlink(published / "current") == current
        assert tree_digest(published / "current") == before
    assert outputs[0] == outputs[1]
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        statuses = [
            r[0]
            for r in con.execute("select status from raw._dbt_builds order by built_at").fetchall()
        ]
    assert statuses[-2:] == ["built", "built"] and "passed" in statuses
    reliability(
        "cluster grants add up to 1 mio. kr. less than the allocation (the gate "
        "fails), and the same refresh runs again with nothing changed",
        "both refreshes fail naming the expectation and its observed value; the "
        "release stays as it was; a failed build never becomes the incremental baseline",
        f"rc 1 twice with: {outputs[1].strip()[:300]}; release unchanged; "
        f"_dbt_builds statuses {statuses[-2:]}",
    )
