"""A Dagster server (`dagster dev`, `dagster-webserver`) on a free local port for a test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from pipelines.settings import REPO_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def dagster_server(
    command: Sequence[str], env: Mapping[str, str], log_path: Path, timeout: float = 180
) -> Iterator[str]:
    """Run ``command`` (a Dagster executable beside this Python, then its arguments) serving
    the workspace on a free port; yield its URL once it answers, stop its process group after.
    A server that exits or does not answer in time fails with the end of its log."""
    port = free_port()
    executable = Path(sys.executable).parent / command[0]
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [str(executable), *command[1:], "-w", "workspace.yaml"]
            + ["-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO_ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait(url, proc, log_path, timeout)
            yield url
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _wait(url: str, proc: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(encoding="utf-8")[-4000:]
            raise AssertionError(f"the server exited with {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout:.0f} s")
