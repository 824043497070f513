"""The quality gate's GX process (pipelines/quality/gx_runner.py) and the command's exit.

Validations run in a process of their own, so the pipeline's process never imports GX; what
goes wrong there comes back as itself, or, when the process dies, as an error naming the work
that was lost, and the next validation starts a new process. The command line exits with
main()'s status and its output complete, without tearing down the interpreter.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from pipelines.quality import gx_runner
from pipelines.settings import REPO_ROOT

pytestmark = pytest.mark.slow  # each test starts a process that imports GX (seconds)


def test_validations_run_in_another_process_that_imports_gx():
    script = (
        "import os, sys\n"
        "from pipelines.quality import gx_runner\n"
        "gx_runner.warm_up()\n"
        "pid = gx_runner._in_gx_process('checking', os.getpid)\n"
        "print(pid != os.getpid(), 'great_expectations' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False"]


def test_an_error_in_the_gx_process_comes_back_as_itself():
    with pytest.raises(ValueError, match="invalid literal"):
        gx_runner._in_gx_process("checking", int, "not a number")


def test_a_killed_gx_process_is_named_and_replaced():
    pid = gx_runner._in_gx_process("checking", os.getpid)
    assert pid != os.getpid()
    with pytest.raises(RuntimeError, match="stopped while validating marts__cluster_outcomes"):
        gx_runner._in_gx_process("validating marts__cluster_outcomes", os.kill, pid, signal.SIGKILL)
    new_pid = gx_runner._in_gx_process("checking", os.getpid)
    assert new_pid not in (pid, os.getpid())


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_command_exits_with_mains_status_and_complete_output():
    usage = _cli("no-such-command")
    assert usage.returncode == 2
    assert "invalid choice: 'no-such-command'" in usage.stderr
    helped = _cli("refresh", "--help")
    assert helped.returncode == 0
    assert "--force" in helped.stdout
    wrong = _cli("refresh", KLYNGE_DST_SOURCE="nonsense")  # a setting to correct: no traceback
    assert wrong.returncode == 2
    assert wrong.stderr == (
        "error: KLYNGE_DST_SOURCE='nonsense' is not one of: live, snapshot, auto\n"
    )


def test_a_failure_in_main_exits_1_with_its_traceback(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(
        "import pipelines.pending\n"
        "def planted(settings):\n"
        "    raise RuntimeError('planted failure')\n"
        "pipelines.pending.pending_work = planted\n",
        encoding="utf-8",
    )
    failed = _cli(
        "refresh",
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO_ROOT)]),
        KLYNGE_DATA_DIR=str(tmp_path / "data"),
        DAGSTER_HOME=str(tmp_path / "home"),
        KLYNGE_DST_SOURCE="snapshot",  # never the live API, whatever the planted failure misses
    )
    assert failed.returncode == 1
    assert "Traceback" in failed.stderr
    assert failed.stderr.rstrip().endswith("RuntimeError: planted failure")
