"""Shared pieces: figures with goals, measured subprocesses, environments, the machine."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
DATA_DIR = BENCH_DIR / "data"  # git-ignored: generated inputs and the benchmarks' data dirs
RUNS_DIR = DATA_DIR / "runs"
RESULTS_PATH = BENCH_DIR / "results.json"
BASELINE_PATH = BENCH_DIR / "baseline.json"
PYTHON = sys.executable

# A figure has regressed when it is more than this much worse than the baseline ...
REGRESSION_FACTOR = 1.25
# ... and worse by at least this absolute amount (so that a 2 ms query taking 3 ms, or a stage
# of 0.2 s taking 0.3 s, is not reported as a regression: that is noise on any machine).
NOISE_FLOOR = {"s": 0.5, "ms": 2.0, "MB": 25.0, "%": 5.0, "x": 1.0, "calls": 0.0}

_OPS = {"<": lambda v, g: v < g, "<=": lambda v, g: v <= g, "==": lambda v, g: v == g}


@dataclass
class Figure:
    """One measured number. Lower is better for every figure."""

    key: str  # stable id, used to compare with the baseline
    benchmark: str
    name: str
    value: float | None
    unit: str
    goal_op: str | None = None  # "<", "<=" or "=="
    goal: float | None = None
    note: str = ""
    error: str = ""  # set when the measured run failed: the figure then fails its goal

    @property
    def passed(self) -> bool | None:
        if self.goal_op is None or self.goal is None:
            return None
        if self.value is None or self.error:
            return False
        return _OPS[self.goal_op](self.value, self.goal)

    @property
    def goal_text(self) -> str:
        if self.goal_op is None:
            return ""
        return f"{self.goal_op} {_fmt(self.goal, self.unit)}"

    def to_json(self) -> dict:
        data = asdict(self)
        data["goal_text"] = self.goal_text
        data["passed"] = self.passed
        return data


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "calls":
        return f"{value:.0f} calls"
    if unit in ("s", "x"):
        return f"{value:.2f} {unit}"
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "%":
        return f"{value:.1f} %"
    return f"{value:g} {unit}"


def fmt(figure: Figure) -> str:
    return _fmt(figure.value, figure.unit)


def regression(figure: Figure, baseline: dict | None) -> tuple[float | None, bool]:
    """Relative change against the baseline figure (None without one) and whether it regressed."""
    if baseline is None or figure.value is None or baseline.get("value") is None:
        return None, False
    before = float(baseline["value"])
    after = float(figure.value)
    floor = NOISE_FLOOR.get(figure.unit, 0.0)
    worse = after - before
    if before == 0:
        return (None if after == 0 else float("inf")), after > floor
    change = worse / abs(before)
    return change, after > before * REGRESSION_FACTOR and worse > floor


# --- machine ---------------------------------------------------------------------------------


def mem_total_mb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def machine() -> dict:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    try:
        import duckdb

        duckdb_version = duckdb.__version__
    except ImportError:
        duckdb_version = ""
    return {
        "cpu_count": os.cpu_count(),
        "mem_total_mb": round(mem_total_mb() or 0),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb_version,
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


# --- processes -------------------------------------------------------------------------------


def bench_env(
    data_dir: Path, dagster_home: Path, source: str, api_base_url: str | None = None
) -> dict[str, str]:
    """The environment of one pipeline run: its own data dir and run history, nothing else.

    Inherited ``KLYNGE_*``, ``DAGSTER_HOME`` and ``DST_API_BASE_URL`` are dropped, so the
    repository's ``data/`` and ``.dagster_home/`` are never touched. The venv's ``bin`` goes
    first on ``PATH`` so that dagster-dbt finds ``dbt`` even when the venv is not activated.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KLYNGE_") and k not in ("DAGSTER_HOME", "DST_API_BASE_URL")
    }
    env["PATH"] = str(Path(PYTHON).parent) + os.pathsep + env.get("PATH", "")
    env["KLYNGE_DATA_DIR"] = str(data_dir)
    env["DAGSTER_HOME"] = str(dagster_home)
    env["KLYNGE_DST_SOURCE"] = source
    if api_base_url:
        env["DST_API_BASE_URL"] = api_base_url
    env["PYTHONUNBUFFERED"] = "1"
    return env


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def run_measured(
    name: str, cmd: list[str], env: dict[str, str] | None = None, timeout: float = 900
) -> dict:
    """Run ``cmd`` under ``bench.measure`` (a fresh process); its log goes to runs/<name>.log.

    Returns wall time, peak RSS (largest process and summed tree) and the exit code.
    """
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    out = RUNS_DIR / f"{name}.measure.json"
    log = RUNS_DIR / f"{name}.log"
    subprocess.run(
        [PYTHON, "-m", "bench.measure", str(out), str(log), "--", *cmd],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        timeout=timeout,
    )
    result = json.loads(out.read_text())
    result["log"] = str(log)
    result["peak_rss_mb"] = max(result["max_process_rss_mb"], result["tree_rss_peak_mb"])
    return result


def log_tail(path: str | Path, lines: int = 15) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
