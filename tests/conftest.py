"""Shared fixtures: a fake DST server, a temporary data dir, and a small example table."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from pipelines.settings import BUNDLED_SNAPSHOT_DIR, REPO_ROOT
from tests.fake_dst import FakeDst, FakeTable, table_from_snapshot

REGION_TABLE = FakeTable(
    info={
        "id": "REG01",
        "text": "Test table with a Danish variable id",
        "unit": "mio. kr.",
        "updated": "2025-01-15T08:00:00",
        "variables": [
            {"id": "OMRÅDE", "text": "område", "elimination": True, "time": False,
             "values": [{"id": "000", "text": "Hele landet"},
                        {"id": "084", "text": "Region Hovedstaden"},
                        {"id": "085", "text": "Region Sjælland"}]},
            {"id": "Tid", "text": "tid", "elimination": False, "time": True,
             "values": [{"id": "2022", "text": "2022"}, {"id": "2023", "text": "2023"}]},
        ],
    },
    # rows deliberately out of order; decimal comma; suppressed markers '..', '-' and empty
    rows=[["085", "2023", "12,5"], ["000", "2022", "1234,75"], ["084", "2023", ".."],
          ["000", "2023", "1300"], ["084", "2022", "-"], ["085", "2022", ""]],
)


@pytest.fixture
def fake_dst():
    with FakeDst() as server:
        server.tables["REG01"] = REGION_TABLE
        for table_id in ("FORSK01", "NAN1", "GF13", "FORSK02"):
            server.tables[table_id] = table_from_snapshot(BUNDLED_SNAPSHOT_DIR, table_id)
        yield server


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A private KLYNGE_DATA_DIR so tests never touch the repository's warehouse."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("KLYNGE_DATA_DIR", str(path))
    return path


@pytest.fixture
def closed_port_url():
    """A base URL on which nothing listens: connections are refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture(scope="session")
def refreshed(tmp_path_factory):
    """One full offline refresh (`python -m pipelines.cli refresh`, what `make run` calls).

    Returns the root holding ``data/`` and ``dagster_home/`` and the finished process. Tests that
    change anything work on a copy (:func:`copy_data_dir`).
    """
    root = tmp_path_factory.mktemp("refresh")
    (root / "dagster_home").mkdir()
    env = {**os.environ, "KLYNGE_DATA_DIR": str(root / "data"),
           "DAGSTER_HOME": str(root / "dagster_home"), "KLYNGE_DST_SOURCE": "snapshot"}
    result = subprocess.run([sys.executable, "-m", "pipelines.cli", "refresh"], cwd=REPO_ROOT,
                            env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return root, result


def copy_data_dir(refreshed_root, tmp_path):
    """A private copy of a refreshed data dir (links in data/published/ kept as links)."""
    import shutil

    target = tmp_path / "data"
    shutil.copytree(refreshed_root / "data", target, symlinks=True)
    return target
