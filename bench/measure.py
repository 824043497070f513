"""Run one command and report its wall time and peak memory as JSON.

    python -m bench.measure OUT.json LOG -- CMD [ARG ...]

Runs in its own process so that ``getrusage(RUSAGE_CHILDREN)`` covers this command only: its
``ru_maxrss`` is the peak RSS of the largest single process in the command's tree (the command
and every descendant it waited for, e.g. the ``dbt`` subprocess of a refresh). Besides that, the
RSS of the whole process tree is summed from ``/proc`` every 100 ms, which catches processes that
are alive at the same time (a refresh holds its own memory while dbt runs).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

SAMPLE_SECONDS = 0.1


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: split after the last ')'
        fields = stat[stat.rfind(b")") + 2 :].split()
        kids.setdefault(int(fields[1]), []).append(int(entry.name))
    return kids


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(root: int) -> int:
    """Summed RSS of ``root`` and all its descendants, now."""
    kids = _children_map()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss_kb(pid)
        stack.extend(kids.get(pid, []))
    return total


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out, log, cmd = Path(argv[0]), Path(argv[1]), argv[3:]
    peak_tree = 0
    done = threading.Event()

    started = time.perf_counter()
    with open(log, "wb") as log_fh:
        proc = subprocess.Popen(cmd, stdout=log_fh, stderr=subprocess.STDOUT)

        def sample() -> None:
            nonlocal peak_tree
            while not done.is_set():
                peak_tree = max(peak_tree, tree_rss_kb(proc.pid))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        rc = proc.wait()
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    out.write_text(
        json.dumps(
            {
                "rc": rc,
                "wall_s": wall,
                "max_process_rss_mb": usage.ru_maxrss / 1024,  # Linux: kilobytes
                "tree_rss_peak_mb": peak_tree / 1024,
                "user_s": usage.ru_utime,
                "sys_s": usage.ru_stime,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
