"""The quality gate and the published release: contents, atomic switch, failures, readers."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance, materialize

from pipelines.catalog import published_marts
from pipelines.orchestration.assets.publish import build_publish
from pipelines.orchestration.assets.quality import build_quality_checks
from pipelines.orchestration.resources import build_resources
from pipelines.publish.provenance import read_provenance
from pipelines.publish.release import publish_release
from pipelines.quality.gx_runner import run_dir
from pipelines.settings import REPO_ROOT, load_settings
from tests.conftest import copy_data_dir

pytestmark = pytest.mark.slow  # a refreshed release, the gate and publishing

MARTS = published_marts()
publish = build_publish(MARTS)


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (following the current link) with its sha256."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def assert_release_complete(published: Path) -> dict:
    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))
    current = (published / "current").resolve()
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {p.relative_to(current).as_posix() for p in current.rglob("*") if p.is_file()}
    assert on_disk - {"manifest.json"} == listed
    for entry in manifest["files"]:
        data = (current / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
        assert len(data) == entry["bytes"]
    return manifest


def test_release_has_every_output_and_a_truthful_manifest(refreshed):
    root, _ = refreshed
    published = root / "data" / "published"
    manifest = assert_release_complete(published)
    names = [m.name for m in MARTS]
    for name in names:
        assert (published / "parquet" / f"{name}.parquet").exists()
        assert (published / "csv" / f"{name}.csv").exists()
    assert (published / "figures" / "smv_vs_large_rd_fixed_prices.png").stat().st_size > 10_000
    assert not (published / "gx_data_docs").exists()  # the report's quality page instead
    assert (published / "report" / "datakvalitet.html").exists()
    assert "smv_rd_share_summary" in (published / "data_dictionary.md").read_text()
    assert manifest["synthetic"] is True and "SYNTHETIC" in manifest["notice"]
    assert "SYNTHETIC" in (published / "README.md").read_text()
    assert manifest["dst"]["source_mode"] == "snapshot"
    assert manifest["dst"]["tables"]["FORSK01"]["updated"] == "2025-10-30T08:00:00"
    assert set(manifest["checks"]) == set(names)
    assert len(manifest["git_commit"]) in (40, len("unknown"))
    rows = {f["path"]: f["rows"] for f in manifest["files"]}
    assert rows["parquet/smv_rd_share_summary.parquet"] == 18
    sheets = pd.read_excel(published / "klynge.xlsx", sheet_name=None)
    assert {"READ_ME", *names} <= set(sheets)


def test_published_duckdb_is_standalone_with_comments(refreshed):
    root, _ = refreshed
    with duckdb.connect(str(root / "data" / "published" / "klynge.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from smv_rd_share_summary").fetchone()[0] == 18
        comment = con.execute("""select comment from duckdb_tables()
                                 where table_name = 'smv_rd_share'""").fetchone()[0]
        assert "size group" in comment
        col = con.execute("""select comment from duckdb_columns() where table_name =
                             'smv_rd_share_summary' and column_name = 'smv_share_pct'""").fetchone()
        assert "SMV" in col[0]
        info = dict(con.execute("select key, value from release_info").fetchall())
        assert info["synthetic"] == "True"
        assert (
            con.execute(
                "select count(*) from duckdb_databases() where database_name = 'warehouse'"
            ).fetchone()[0]
            == 0
        )


def test_csv_is_for_danish_excel(refreshed):
    root, _ = refreshed
    raw = (root / "data" / "published" / "csv" / "smv_rd_share_summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, first = raw.decode("utf-8-sig").splitlines()[:2]
    assert header.startswith("year;total_rd_current_mio_dkk;")
    assert "," in first.split(";")[4]  # fixed-price value with a decimal comma


def run_gate(data_dir: Path, monkeypatch):
    """Run every mart's blocking check and publish, as the refresh job does after dbt."""
    monkeypatch.setenv("KLYNGE_DATA_DIR", str(data_dir))
    settings = load_settings()
    mart_keys = [AssetKey(["marts", m.name]) for m in MARTS]
    with DagsterInstance.ephemeral() as instance:
        return materialize(
            [publish, *build_quality_checks(MARTS)],
            resources=build_resources(settings),
            instance=instance,
            raise_on_error=False,
            selection=AssetSelection.assets(publish) | AssetSelection.checks_for_assets(*mart_keys),
        )


CORRUPTIONS = {
    "share_of_130_pct": (
        "update marts.smv_rd_share set share_of_total_pct = 130 "
        "where year = 2020 and size_group = '250_plus'",
        "expect_column_values_to_be_between(share_of_total_pct)",
    ),
    # keys and year gaps are dbt's (tested while the marts are built); the gate owns values
    "smv_plus_large_off_total": (
        "update marts.smv_rd_share_summary set large_rd_current_mio_dkk = "
        "large_rd_current_mio_dkk + 100 where year = 2020",
        "expect_column_values_to_be_between(_check_smv_plus_large_minus_total_beyond_rounding)",
    ),
    "year_outside_the_programme": (
        "update marts.cluster_programme_summary set period = '2040' where period <> 'total' "
        "and period = (select min(period) from marts.cluster_programme_summary)",
        "expect_column_values_to_be_between(_check_period_not_of_generation)",
    ),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_corrupt_mart_fails_gate_and_keeps_previous_release(refreshed, tmp_path, monkeypatch, case):
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    published = data_dir / "published"
    before = tree_digest(published / "current")
    releases_before = sorted(os.listdir(published / "releases"))
    sql, expected = CORRUPTIONS[case]
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute(sql)
    result = run_gate(data_dir, monkeypatch)
    assert not result.success
    evaluations = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    failed = [e for e in evaluations if not e.passed and e.check_name == "gx_suite"]
    assert failed and any(expected in (e.description or "") for e in failed), [
        e.description for e in failed
    ]
    published_steps = [
        e
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
        and e.asset_key == AssetKey(["published", "release"])
    ]
    assert published_steps == []
    assert sorted(os.listdir(published / "releases")) == releases_before
    assert tree_digest(published / "current") == before


def test_gate_passes_and_publishes_on_good_marts(refreshed, tmp_path, monkeypatch):
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    old = (data_dir / "published" / "current").resolve().name
    result = run_gate(data_dir, monkeypatch)
    assert result.success
    new = (data_dir / "published" / "current").resolve().name
    assert new != old
    assert_release_complete(data_dir / "published")


def _publish_directly(
    data_dir: Path, keep: int = 10, synthetic: bool | None = None, data_docs=None
):
    settings = load_settings({"KLYNGE_DATA_DIR": str(data_dir)})
    provenance = read_provenance(settings.warehouse_path, "test-run", {})
    if synthetic is not None:
        provenance = type(provenance)(
            provenance.run_id,
            {k: {**v, "synthetic": synthetic} for k, v in provenance.dst_tables.items()},
            provenance.programme_inputs,
            provenance.checks,
        )
    return publish_release(
        published=settings.published_dir,
        warehouse=settings.warehouse_path,
        marts=MARTS,
        provenance=provenance,
        quality_dir=run_dir(data_dir, "none"),
        data_docs=data_docs,
        keep=keep,
    )


def test_data_docs_built_meanwhile_are_waited_for_and_their_failure_publishes_nothing(
    refreshed, tmp_path
):
    """``publish`` lets the GX process build the Data Docs (in the run's working folder, for
    operators) while it writes the data, and a failed build publishes nothing. The release
    never carries them: they need CDNs; the report's quality page is the view to read."""
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    site = run_dir(data_dir, "none") / "gx" / "uncommitted" / "data_docs" / "local_site"

    def docs_finished_late() -> None:
        assert (data_dir / "published" / "releases").is_dir()  # the data came first
        site.mkdir(parents=True)
        (site / "index.html").write_text("<html>late docs</html>", encoding="utf-8")

    outcome = _publish_directly(data_dir, data_docs=docs_finished_late)
    assert outcome.switched
    assert (site / "index.html").exists()
    assert not (outcome.release / "gx_data_docs").exists()

    before = tree_digest(data_dir / "published" / "current")
    releases_before = sorted(os.listdir(data_dir / "published" / "releases"))

    def docs_failed() -> None:
        raise RuntimeError("the Great Expectations process stopped while building the Data Docs")

    with pytest.raises(RuntimeError, match="stopped while building the Data Docs"):
        _publish_directly(data_dir, data_docs=docs_failed)
    assert tree_digest(data_dir / "published" / "current") == before
    after = sorted(os.listdir(data_dir / "published" / "releases"))
    assert [r for r in after if not r.startswith(".")] == releases_before


def test_synthetic_release_never_replaces_live_one(refreshed, tmp_path):
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    live = _publish_directly(data_dir, synthetic=False)
    assert live.switched and live.manifest["synthetic"] is False
    before = tree_digest(data_dir / "published" / "current")
    outcome = _publish_directly(data_dir, synthetic=True)
    assert not outcome.switched
    assert "never replaces" in outcome.reason
    assert tree_digest(data_dir / "published" / "current") == before


def test_only_the_last_n_releases_are_kept(refreshed, tmp_path):
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    for _ in range(3):
        last = _publish_directly(data_dir, keep=2)
    releases = sorted(os.listdir(data_dir / "published" / "releases"))
    assert len(releases) == 2
    assert releases[-1] == last.release.name == (data_dir / "published" / "current").resolve().name


KILL_DRIVER = textwrap.dedent("""
    import os, signal, sys
    from pipelines.publish import switch, xlsx
    point = sys.argv[2]
    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    if point == "while_writing":
        xlsx.write_xlsx = die
    elif point == "before_switch":
        switch.switch = die
    elif point == "after_switch":
        switch.prune = die
    from tests.publish.test_publish import _publish_directly
    from pathlib import Path
    _publish_directly(Path(sys.argv[1]))
""")


KILL_POINTS = {
    "while_writing": "while the release files are written",
    "before_switch": "after the release is complete, before the switch",
    "after_switch": "right after the switch, before old releases are pruned",
}


@pytest.mark.fault
@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_sigkill_during_publish_leaves_a_complete_release(refreshed, tmp_path, point, reliability):
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    published = data_dir / "published"
    old = (published / "current").resolve().name
    before = tree_digest(published / "current")
    proc = subprocess.run(
        [sys.executable, "-c", KILL_DRIVER, str(data_dir), point],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    now = (published / "current").resolve().name
    assert_release_complete(published)
    if point == "after_switch":
        assert now != old
    else:
        assert now == old and tree_digest(published / "current") == before
    # the next publish recovers by itself and clears the interrupted folder
    outcome = _publish_directly(data_dir)
    assert outcome.switched
    assert not [p for p in os.listdir(published / "releases") if p.startswith(".")]
    assert_release_complete(published)
    which = "the new" if point == "after_switch" else "the old"
    reliability(
        f"SIGKILL of publishing {KILL_POINTS[point]}",
        "data/published/ is the old or the new release, complete; the next publish recovers",
        f"current was {which} release, every file matching the manifest's checksums; "
        "the next publish removed the interrupted folder and switched",
    )


READER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(con.execute("select count(*), sum(smv_share_pct) from smv_rd_share_summary")
          .fetchone(), flush=True)
    sys.stdin.readline()
    print(con.execute("select count(*), sum(smv_share_pct) from smv_rd_share_summary")
          .fetchone(), flush=True)
""")


def test_reader_keeps_a_consistent_view_while_publishing(refreshed, tmp_path):
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    target = data_dir / "published" / "klynge.duckdb"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(target)],
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    first = reader.stdout.readline()
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute("delete from marts.smv_rd_share_summary where year < 2010")
    outcome = _publish_directly(data_dir)
    assert outcome.switched
    reader.stdin.write("\n")
    reader.stdin.flush()
    second = reader.stdout.readline()
    reader.wait(timeout=60)
    assert first == second and first.startswith("(18,")
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("select count(*) from smv_rd_share_summary").fetchone()[0] == 15
