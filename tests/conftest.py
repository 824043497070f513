"""Shared fixtures: a fake DST server, a temporary data dir, and a small example table."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import BUNDLED_SNAPSHOT_DIR, REPO_ROOT
from tests.fake_dst import FakeDst, FakeTable, table_from_snapshot

# No test may reach the live StatBank API (this machine and CI cannot): whatever a test, or a
# command it starts, reads from the environment, DST comes from the bundled snapshot, or from a
# local stand-in a test names itself; a forgotten setting meets a closed local port.
os.environ.setdefault("KLYNGE_DST_SOURCE", "snapshot")
os.environ.setdefault("DST_API_BASE_URL", "http://127.0.0.1:9/v1")

REGION_TABLE = FakeTable(
    info={
        "id": "REG01",
        "text": "Test table with a Danish variable id",
        "unit": "mio. kr.",
        "updated": "2025-01-15T08:00:00",
        "variables": [
            {
                "id": "OMRÅDE",
                "text": "område",
                "elimination": True,
                "time": False,
                "values": [
                    {"id": "000", "text": "Hele landet"},
                    {"id": "084", "text": "Region Hovedstaden"},
                    {"id": "085", "text": "Region Sjælland"},
                ],
            },
            {
                "id": "Tid",
                "text": "tid",
                "elimination": False,
                "time": True,
                "values": [{"id": "2022", "text": "2022"}, {"id": "2023", "text": "2023"}],
            },
        ],
    },
    # rows deliberately out of order; decimal comma; suppressed markers '..', '-' and empty
    rows=[
        ["085", "2023", "12,5"],
        ["000", "2022", "1234,75"],
        ["084", "2023", ".."],
        ["000", "2023", "1300"],
        ["084", "2022", "-"],
        ["085", "2022", ""],
    ],
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
    # Files a test has just written count as settled (tests of the settle rule set their own).
    monkeypatch.setenv("KLYNGE_INBOUND_SETTLE_SECONDS", "0")
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
    return root, run_refresh(root, KLYNGE_DST_SOURCE="snapshot")


def run_refresh(root: Path, **settings: str) -> subprocess.CompletedProcess:
    """`python -m pipelines.cli refresh` with its data in ``root/data`` and Dagster's in
    ``root/dagster_home``, and ``settings`` as further environment; it must succeed."""
    (root / "dagster_home").mkdir(exist_ok=True)
    env = {
        **os.environ,
        "KLYNGE_DATA_DIR": str(root / "data"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        **settings,
    }
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "refresh"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result


def republished_snapshot(tmp_path, table: str = "GF13", updated: str = "2026-06-01T08:00:00"):
    """A copy of the bundled snapshot in which DST has republished ``table``."""
    import json
    import shutil

    snapshot = tmp_path / "snapshot"
    shutil.copytree(BUNDLED_SNAPSHOT_DIR, snapshot)
    info_path = snapshot / table / "tableinfo.json"
    info = json.loads(info_path.read_text(encoding="utf-8"))
    info["updated"] = updated
    info_path.write_text(json.dumps(info), encoding="utf-8")
    return snapshot


def copy_data_dir(refreshed_root, tmp_path):
    """A private copy of a refreshed data dir (links in data/published/ kept as links)."""
    import shutil

    target = tmp_path / "data"
    shutil.copytree(refreshed_root / "data", target, symlinks=True)
    return target


# --- slow tests: `make test-fast` (pytest -m "not slow") leaves them out --------------------------
# Every test using one of these fixtures is marked `slow` here, directly or through another
# fixture: a full refresh. Modules whose tests build a warehouse with dbt, materialise Dagster
# assets or drive a browser by other means carry `pytestmark = pytest.mark.slow` themselves.
SLOW_FIXTURES = frozenset({"refreshed"})
_SLOW_MODULE = re.compile(r"^pytestmark = .*\bpytest\.mark\.slow\b", re.MULTILINE)


def pytest_ignore_collect(collection_path, config):
    """Under `-m "not slow"`, a module marked slow as a whole is not even imported (several
    load the whole Dagster code location, seconds of `make test-fast` for no test)."""
    if (
        config.getoption("markexpr") == "not slow"
        and collection_path.suffix == ".py"
        and _SLOW_MODULE.search(collection_path.read_text(encoding="utf-8"))
    ):
        return True
    return None


# --- the fault suite's outcomes, written to docs/reliability.md --------------------------------
RELIABILITY_DOC = REPO_ROOT / "docs" / "reliability.md"
_outcomes: list[dict[str, str]] = []
_fault_tests: set[str] = set()


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects: `-m "not slow"` sees these marks
def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    _fault_tests.update(i.nodeid for i in items if i.get_closest_marker("fault"))


@pytest.fixture
def reliability(request):
    """``record(fault, expected, observed)``: one row of the reliability table."""

    def record(fault: str, expected: str, observed: str) -> None:
        _outcomes.append(
            {
                "test": request.node.nodeid,
                "fault": fault,
                "expected": expected,
                "observed": _stable(observed),
            }
        )

    return record


def _stable(text: str) -> str:
    """Without what differs between runs (ports, temp paths, times), so the doc is stable."""
    text = re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:<port>", text)
    text = re.sub(r"/tmp/\S+?(?=[\s\"']|$)", "<tmp path>", text)
    text = re.sub(r"\d{8}T\d{6,12}Z", "<release>", text)
    text = re.sub(r" in \d+\.\ds", "", text)
    return " ".join(text.split())


def pytest_sessionfinish(session, exitstatus):
    """Rewrite docs/reliability.md after `make reliability` (KLYNGE_WRITE_RELIABILITY=1) passed
    with every fault test recorded; any other or partial run leaves the document alone."""
    recorded = {o["test"] for o in _outcomes}
    if (
        os.environ.get("KLYNGE_WRITE_RELIABILITY") != "1"
        or exitstatus != 0
        or not _fault_tests
        or not _fault_tests <= recorded
    ):
        return
    lines = [
        "# Reliability: faults and what the pipeline does",
        "",
        "Generated by `make reliability` (the tests marked `fault`); do not edit.",
        "Each row is one injected fault, what must happen, and what the test observed.",
        "In every case the working warehouse stays consistent, the current published",
        "release stays complete, and the next run recovers without manual steps.",
        "",
        "| fault | expected | observed |",
        "|---|---|---|",
    ]
    for o in _outcomes:
        cells = [o[k].replace("|", "/") for k in ("fault", "expected", "observed")]
        lines.append("| " + " | ".join(cells) + " |")
    RELIABILITY_DOC.write_text("\n".join(lines) + "\n", encoding="utf-8")
