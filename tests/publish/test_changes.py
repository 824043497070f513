"""What changed since the previous release: ``release_changes``, ``changes.md`` and the report's
page, against changes made on purpose (a DST value revised, a programme file corrected)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.catalog import Mart
from pipelines.constants import programme
from pipelines.programme.discover import bundled_sample_dir
from pipelines.publish.changes import compare, write_release_changes
from pipelines.settings import BUNDLED_SNAPSHOT_DIR, REPO_ROOT
from tests.conftest import copy_data_dir

CURRENT = programme().id
SAMPLE_DIR = bundled_sample_dir(CURRENT)


def _release(folder: Path, tables: dict[str, str], manifest: dict) -> Path:
    """A release folder with ``parquet/<table>.parquet`` from SQL and a manifest."""
    (folder / "parquet").mkdir(parents=True)
    with duckdb.connect() as con:
        for name, sql in tables.items():
            con.execute(f"copy ({sql}) to '{folder / 'parquet' / name}.parquet' (format parquet)")
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


MARTS = (
    Mart("rd", ("year", "size_group"), 0, 100, "dst"),
    Mart("register", ("cvr", "cluster_id"), 0, 100, "programme"),
)
OLD_MANIFEST = {
    "release": "20260101T000000000000Z",
    "version": "2026-01-01+dst.2025-10-30+prog.aaaaaaaa",
    "created_at": "2026-01-01T00:00:00+00:00",
    "dst": {"tables": {"FORSK01": {"updated": "2025-10-30T08:00:00", "source_mode": "live"}}},
    "programme": {
        "inputs": [
            {"entity": "participants", "file": "participants_2025.csv", "sha256": "a" * 64},
            {"entity": "projects", "file": "projects.csv", "sha256": "b" * 64},
        ]
    },
}
NEW_DST = {"FORSK01": {"updated": "2026-06-01T08:00:00", "source_mode": "live"}}
NEW_INPUTS = [
    {"entity": "participants", "file": "participants_2026.csv", "sha256": "c" * 64},
    {"entity": "projects", "file": "projects.csv", "sha256": "d" * 64},
]


def test_changes_name_each_revision_correction_and_row(tmp_path):
    old = _release(
        tmp_path / "old",
        {
            "rd": "select * from (values (2022, 'smv', 100.5, 'x', '2025-10-30'), "
            "(2023, 'smv', 200.0, 'y', '2025-10-30'), (2023, 'large', 1.0, 'z', '2025-10-30')) "
            "t(year, size_group, rd_mio_dkk, note, dst_updated)",
            "register": "select * from (values ('11111111', 'K01', 10), ('22222222', 'K01', 20)) "
            "t(cvr, cluster_id, funding_dkk)",
        },
        OLD_MANIFEST,
    )
    new = _release(
        tmp_path / "new",
        {
            # 2022 revised, 2023 smv the same but for float noise, 2023 large gone, 2024 new;
            # dst_updated differs on every row: said once per DST table, never per row
            "rd": "select * from (values (2022, 'smv', 101.25, 'x', '2026-06-01'), "
            "(2023, 'smv', 200.0 * (1 + 1e-12), 'y', '2026-06-01'), "
            "(2024, 'smv', 3.0, 'w', '2026-06-01')) t(year, size_group, rd_mio_dkk, note, "
            "dst_updated)",
            "register": "select * from (values ('11111111', 'K01', 10), ('22222222', 'K01', 25), "
            "('33333333', 'K02', 5)) t(cvr, cluster_id, funding_dkk)",
        },
        {},
    )
    comparison = compare(old, new, MARTS, NEW_DST, NEW_INPUTS)
    kinds = [c.change_kind for c in comparison.changes]
    assert kinds[:2] == ["dst_table", "dst_revision"]  # DST first
    dst = comparison.of("dst_table")[0]
    assert (dst.dst_table, dst.dst_updated_old, dst.dst_updated_new) == (
        "FORSK01",
        "2025-10-30T08:00:00",
        "2026-06-01T08:00:00",
    )
    (revision,) = comparison.of("dst_revision")
    assert (revision.table_name, revision.key, revision.column_name) == (
        "rd",
        "year=2022, size_group=smv",
        "rd_mio_dkk",
    )
    assert (float(revision.old_value), float(revision.new_value)) == (100.5, 101.25)
    assert revision.dst_updated_new == "2026-06-01T08:00:00"
    files = {(c.file_old, c.file_new): c for c in comparison.of("programme_file")}
    assert files[("participants_2025.csv", "participants_2026.csv")].detail.endswith(
        "participants_2025.csv replaced by participants_2026.csv"
    )
    corrected = files[("projects.csv", "projects.csv")]
    assert (corrected.sha256_old, corrected.sha256_new) == ("b" * 64, "d" * 64)
    counts = {
        c.table_name: (c.rows_added, c.rows_removed, c.rows_changed) for c in comparison.of("table")
    }
    assert counts == {"rd": (1, 1, 1), "register": (1, 0, 1)}
    rows = {(c.change_kind, c.table_name, c.key) for c in comparison.of("row_added", "row_removed")}
    assert rows == {
        ("row_added", "rd", "year=2024, size_group=smv"),
        ("row_removed", "rd", "year=2023, size_group=large"),
        ("row_added", "register", "cvr=33333333, cluster_id=K02"),
    }
    (value,) = comparison.of("value_changed")
    assert (value.key, value.column_name, value.old_value, value.new_value) == (
        "cvr=22222222, cluster_id=K01",
        "funding_dkk",
        "20",
        "25",
    )
    db = tmp_path / "release.duckdb"
    write_release_changes(db, comparison)
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute(
            "select change_kind from release_changes order by change_id"
        ).fetchall()
    assert [k for (k,) in stored] == kinds


def test_a_first_release_says_it_is_the_first(tmp_path):
    new = _release(tmp_path / "new", {"rd": "select 2022 as year, 'smv' as size_group"}, {})
    comparison = compare(None, new, MARTS[:1], NEW_DST, NEW_INPUTS)
    assert comparison.previous is None
    assert [c.change_kind for c in comparison.changes] == ["first_release"]


# --- two refreshes: a DST revision and a corrected programme file -----------------------------


def _refresh(data_dir: Path, home: Path, **env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "refresh"],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "KLYNGE_DATA_DIR": str(data_dir),
            "DAGSTER_HOME": str(home),
            "KLYNGE_DST_SOURCE": "snapshot",
            "KLYNGE_INBOUND_SETTLE_SECONDS": "0",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


GF13_OLD = ("AFI;010;TOT;2019;109629", "AFI;0000;TOT;2019;187171")
GF13_NEW = ("AFI;010;TOT;2019;109679", "AFI;0000;TOT;2019;187221")  # +50 firms, total too


@pytest.fixture(scope="module")
def second_release(refreshed, tmp_path_factory):
    """A refresh after DST revised GF13 (50 more firms under 10 FTE in 2019, the total too) and
    a cluster corrected a participant's funding in participants.csv."""
    tmp = tmp_path_factory.mktemp("changes")
    data_dir = copy_data_dir(refreshed[0], tmp)
    home = tmp / "home"
    shutil.copytree(refreshed[0] / "dagster_home", home)
    snapshot = tmp / "snapshot"
    shutil.copytree(BUNDLED_SNAPSHOT_DIR, snapshot)
    body = (snapshot / "GF13" / "data.csv").read_text(encoding="utf-8")
    for old, new in zip(GF13_OLD, GF13_NEW, strict=True):
        assert body.count(old) == 1, old
        body = body.replace(old, new)
    (snapshot / "GF13" / "data.csv").write_text(body, encoding="utf-8")
    info = json.loads((snapshot / "GF13" / "tableinfo.json").read_text(encoding="utf-8"))
    info["updated"] = "2026-06-01T08:00:00"
    (snapshot / "GF13" / "tableinfo.json").write_text(json.dumps(info), encoding="utf-8")
    sample = data_dir / "inbound" / "programme" / CURRENT / "sample"
    shutil.copytree(SAMPLE_DIR, sample)
    participants = (sample / "participants.csv").read_text(encoding="utf-8")
    line = "K01-P0001,93215680,Sørådgivning ApS nr. 735 (SAMPLE),smv,0.30,128959,95035,nej"
    assert participants.count(line) == 1
    (sample / "participants.csv").write_text(
        participants.replace(line, line.replace(",128959,", ",128000,")), encoding="utf-8"
    )
    before = (data_dir / "published" / "current").resolve()
    started = time.monotonic()
    _refresh(data_dir, home, KLYNGE_DST_SNAPSHOT_DIR=str(snapshot))
    after = (data_dir / "published" / "current").resolve()
    assert after != before
    return before, after, time.monotonic() - started


@pytest.mark.slow
def test_a_dst_revision_and_a_programme_correction_are_in_the_table(second_release):
    before, after, _ = second_release
    with duckdb.connect(str(after / "klynge.duckdb"), read_only=True) as con:
        changes = con.execute("select * from release_changes order by change_id").df()
    with duckdb.connect(str(before / "klynge.duckdb"), read_only=True) as con:
        old_firms = dict(
            con.execute(
                "select size_class, firms from smv_business_share where year = 2019"
            ).fetchall()
        )
    assert changes["change_kind"].iloc[0] == "dst_table"  # DST first
    dst = changes[changes.change_kind == "dst_table"]
    assert dst[["dst_table", "dst_updated_old", "dst_updated_new"]].values.tolist() == [
        ["GF13", "2025-10-30T08:00:00", "2026-06-01T08:00:00"]
    ]
    firms = changes[
        (changes.change_kind == "dst_revision")
        & (changes.table_name == "smv_business_share")
        & (changes.column_name == "firms")
    ]
    assert len(firms) >= 1 and set(firms.dst_table) == {"GF13"}
    for _, row in firms.iterrows():
        size_class = row.key.split("size_class=")[1]
        assert float(row.old_value) == old_firms[size_class]
        assert float(row.new_value) - float(row.old_value) == 50
        assert row.key.startswith("year=2019")
        assert row.dst_updated_new == "2026-06-01T08:00:00"
    files = changes[changes.change_kind == "programme_file"]
    assert files[["file_old", "file_new"]].values.tolist() == [
        [f"{CURRENT}/sample/participants.csv", f"{CURRENT}/sample/participants.csv"]
    ]
    funding = changes[
        (changes.change_kind == "value_changed")
        & (changes.table_name == "participant_register")
        & (changes.key == f"programme={CURRENT}, cvr=93215680, cluster_id=K01")
        & (changes.column_name == "funding_received_dkk")
    ]
    assert len(funding) == 1
    assert float(funding.new_value.iloc[0]) - float(funding.old_value.iloc[0]) == -959
    tables = changes[changes.change_kind == "table"].set_index("table_name")
    assert tables.loc["price_index", "rows_changed"] == 0  # NAN1 did not move
    assert tables.loc["smv_business_share", "rows_changed"] >= 1
    md = (after / "changes.md").read_text(encoding="utf-8")
    assert "| GF13 | 2025-10-30T08:00:00 | 2026-06-01T08:00:00 |" in md
    assert "replaced" not in md
    assert f"{CURRENT}/sample/participants.csv corrected" in md.replace("\\", "")


@pytest.mark.slow
def test_the_report_page_shows_what_changed_in_both_languages(second_release):
    before, after, _ = second_release
    manifest = json.loads((before / "manifest.json").read_text(encoding="utf-8"))
    da = (after / "report" / "aendringer.html").read_text(encoding="utf-8")
    en = (after / "report" / "en" / "changes.html").read_text(encoding="utf-8")
    for page in (da, en):
        assert manifest["version"] in page
        assert "GF13" in page and "2026-06-01T08:00:00" in page
        assert f"{CURRENT}/sample/participants.csv" in page and "93215680" in page
    assert (
        "Hvad er ændret siden sidste udgivelse" in da and "Revisioner fra Danmarks Statistik" in da
    )
    assert "rettet (samme navn, nyt indhold)" in da
    assert "What changed since the last release" in en and "corrected (same name" in en
    index = (after / "report" / "index.html").read_text(encoding="utf-8")
    assert 'href="aendringer.html"' in index
    assert 'href="changes.html"' in (after / "report" / "en" / "index.html").read_text()


@pytest.mark.slow
def test_the_first_release_page_says_it_is_the_first(refreshed):
    release = (refreshed[0] / "data" / "published" / "current").resolve()
    da = (release / "report" / "aendringer.html").read_text(encoding="utf-8")
    assert "Dette er den første udgivelse" in da
    assert "This is the first release" in (release / "changes.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_changes_page_reads_at_390_pixels(second_release, tmp_path):
    from tests.browser import chrome, needs_browser

    if needs_browser.args[0]:
        pytest.skip(needs_browser.kwargs.get("reason", "no browser"))
    _, after, _ = second_release
    driver = chrome(tmp_path / "chrome", "--window-size=390,900")
    try:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 390, "height": 900, "deviceScaleFactor": 1, "mobile": True},
        )
        for page in ("aendringer.html", "en/changes.html"):
            driver.get((after / "report" / page).as_uri())
            width = driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= 390, (page, width)
            text = driver.execute_script("return document.body.innerText")
            assert "GF13" in text
    finally:
        driver.quit()
