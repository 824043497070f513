"""The ``current`` link: restored when it is missing or dangling, never replaced when it is not
a link (someone's copy of a release), and no stray temporary link either way."""

from __future__ import annotations

import os

import pytest

from pipelines.publish.switch import EntryInTheWayError, restore_current, switch


@pytest.fixture
def published(tmp_path):
    published = tmp_path / "published"
    for name in ("20260101T000000Z", "20260102T000000Z"):
        (published / "releases" / name).mkdir(parents=True)
        (published / "releases" / name / "manifest.json").write_text("{}", encoding="utf-8")
    (published / "releases" / "20260103T000000Z").mkdir()  # no manifest: never finished
    (published / "releases" / ".20260104T000000Z.partial").mkdir()
    return published


def test_a_missing_current_is_pointed_at_the_newest_complete_release(published):
    assert restore_current(published) == "20260102T000000Z"
    assert os.readlink(published / "current") == "releases/20260102T000000Z"
    assert (published / "manifest.json").read_text(encoding="utf-8") == "{}"  # entry links
    assert restore_current(published) is None  # nothing to restore now


def test_a_dangling_current_is_restored(published):
    (published / "current").symlink_to("releases/19990101T000000Z")
    assert restore_current(published) == "20260102T000000Z"
    assert (published / "current").resolve().name == "20260102T000000Z"


def test_a_current_that_is_no_link_is_never_replaced(published):
    (published / "current").mkdir()
    (published / "current" / "mine.txt").write_text("a copy", encoding="utf-8")
    with pytest.raises(EntryInTheWayError, match="is not a link to a release"):
        restore_current(published)
    with pytest.raises(EntryInTheWayError):
        switch(published, published / "releases" / "20260102T000000Z")
    assert (published / "current" / "mine.txt").read_text(encoding="utf-8") == "a copy"
    assert not [p for p in published.iterdir() if p.name.startswith(".current")]


def test_nothing_to_restore_without_a_complete_release(tmp_path):
    assert restore_current(tmp_path / "published") is None
    assert not (tmp_path / "published" / "current").exists()


def test_the_refresh_stops_before_any_work_when_current_is_a_copy(tmp_path):
    import subprocess
    import sys

    from pipelines.settings import REPO_ROOT

    current = tmp_path / "data" / "published" / "current"
    current.mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "refresh", "--force"],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "KLYNGE_DATA_DIR": str(tmp_path / "data"),
            "DAGSTER_HOME": str(tmp_path / "home"),
            "KLYNGE_DST_SOURCE": "snapshot",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"error: {current} is not a link to a release" in done.stderr
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()  # nothing was built
