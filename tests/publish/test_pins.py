"""Pinned releases are never pruned: ``make pin-release ID=...`` and data/published/pinned.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.publish import pins, switch
from pipelines.settings import REPO_ROOT
from tests.conftest import copy_data_dir


def _fake_release(published: Path, name: str) -> Path:
    folder = published / "releases" / name
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(
        json.dumps({"release": name, "version": f"v-{name}"}), encoding="utf-8"
    )
    switch.switch(published, folder)
    return folder


def test_a_pinned_release_survives_pruning_and_others_go(tmp_path):
    published = tmp_path / "published"
    first = _fake_release(published, "20260101T000000000000Z")
    entry = pins.pin(published, "v-20260101T000000000000Z")  # by its version
    assert entry["release"] == first.name
    assert pins.pin(published, first.name) == entry  # twice: one entry
    for day in range(2, 14):  # 12 more releases with only 2 kept
        _fake_release(published, f"202601{day:02d}T000000000000Z")
        switch.prune(published, keep=2)
    left = sorted(p.name for p in (published / "releases").iterdir())
    assert left == [first.name, "20260112T000000000000Z", "20260113T000000000000Z"]
    listed = json.loads((published / "pinned.json").read_text(encoding="utf-8"))["pinned"]
    assert [e["release"] for e in listed] == [first.name]
    pins.unpin(published, first.name)
    switch.prune(published, keep=2)
    assert not first.exists()


def test_a_bad_id_is_named(tmp_path):
    published = tmp_path / "published"
    _fake_release(published, "20260101T000000000000Z")
    with pytest.raises(pins.PinError, match=r"no release '2025-99-99' in .*releases.*20260101T"):
        pins.pin(published, "2025-99-99")
    with pytest.raises(pins.PinError, match="'nope' is not pinned"):
        pins.unpin(published, "nope")
    assert not (published / "pinned.json").exists()


def _pins_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.publish.pins", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "KLYNGE_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_a_pinned_release_survives_twelve_publishes(refreshed, tmp_path):
    from tests.publish.test_publish import _publish_directly

    data_dir = copy_data_dir(refreshed[0], tmp_path)
    published = data_dir / "published"
    first = (published / "current").resolve()
    version = json.loads((first / "manifest.json").read_text(encoding="utf-8"))["version"]

    bad = _pins_cli(data_dir, "pin", "20990101T000000000000Z")
    assert bad.returncode == 2
    assert "no release '20990101T000000000000Z'" in bad.stderr and "Traceback" not in bad.stderr
    ok = _pins_cli(data_dir, "pin", first.name, "--note", "cited in the 2026 report")
    assert ok.returncode == 0, ok.stderr
    assert f"pinned {first.name} (version {version})" in ok.stdout
    for _ in range(12):
        last = _publish_directly(data_dir, keep=2)
        assert last.switched
    left = sorted(p.name for p in (published / "releases").iterdir())
    assert first.name in left and len(left) == 3
    assert (first / "manifest.json").is_file()  # whole, not half pruned
    listed = json.loads((published / "pinned.json").read_text(encoding="utf-8"))["pinned"]
    assert listed[0]["release"] == first.name and listed[0]["note"] == "cited in the 2026 report"
    assert last.manifest["pinned"] == listed
    page = (last.release / "report" / "en" / "changes.html").read_text(encoding="utf-8")
    assert version in page and first.name in page
    assert _pins_cli(data_dir, "list").stdout.startswith(first.name)
