"""Benchmark 4: a 5,000,000-cell DST BULK body, downloaded and loaded into DuckDB.

The body (about 107 MB: four variables of codes, ``INDHOLD`` with decimal commas and some
``..``) is generated once into ``bench/data/dst_stream/`` and served by a small local HTTP
server (``tableinfo`` as JSON, ``data`` in chunked writes, like StatBank's streaming BULK
format). Three readers (:mod:`bench.dst_readers`), each in a fresh process so that peak RSS is
their own, run in turns (floor, reference, project; three rounds) so that a busy moment of the
machine hits all three alike:

* project: the pipeline's own path, ``pipelines.dst.ingest.ingest_table`` in live mode
  (``tableinfo`` -> selection -> stream the body to a temporary file, hashing it -> ``load_body``
  with every check into a fresh DuckDB file);
* floor: the least any loader must do: ``requests`` streaming the body to a temporary file, then
  ``create table ... as select * from read_csv(path)`` (DuckDB sniffs the types). No checks, no
  labels, no provenance;
* reference: ``requests.post`` + ``response.content``, ``pandas.read_csv(io.BytesIO(...),
  sep=';', decimal=',')`` (with DST's suppression markers as NA) and the DataFrame copied into
  DuckDB. It does no validation, no labels and infers types (codes lose leading zeros): it is a
  yardstick for speed and memory, not an equivalent.

The goals are ratios of medians from the same run: project / floor <= 1.2 and project /
reference < 1.
"""

from __future__ import annotations

import json
import statistics
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.common import DATA_DIR, PYTHON, RUNS_DIR, Figure, fresh_dir, log_tail, run_measured

TABLE = "BENCH01"
VARIABLES = {
    "OMRÅDE": [f"{i:03d}" for i in range(100)],
    "BRANCHE07": [str(10 + i) for i in range(50)],
    "ALDER": [str(i) for i in range(1, 26)],
    "Tid": [str(y) for y in range(1985, 2025)],
}
CELLS = 100 * 50 * 25 * 40  # 5,000,000
BODY_DIR = DATA_DIR / "dst_stream"
BODY = BODY_DIR / "body.csv"
CHUNK = 1 << 20
REPEATS = 3
READERS = ("floor", "reference", "project")
GOAL_FLOOR_X = 1.2
GOAL_REFERENCE_X = 1.0
GOAL_RSS_MB = 300.0
SUPPRESSED = ["..", "...", "-", ":"]


def labels() -> dict[str, dict[str, str]]:
    return {
        var: {code: f"{var.title()} {code}" for code in codes} for var, codes in VARIABLES.items()
    }


def tableinfo() -> dict:
    return {
        "id": TABLE,
        "text": "benchmark table",
        "unit": "-",
        "updated": "2025-01-01T08:00:00",
        "variables": [
            {
                "id": var,
                "text": var.lower(),
                "elimination": False,
                "time": var == "Tid",
                "values": [{"id": c, "text": label} for c, label in codes.items()],
            }
            for var, codes in labels().items()
        ],
    }


def ensure_body(log: Callable[[str], None]) -> Path:
    stamp = BODY_DIR / ".complete"
    if BODY.exists() and stamp.exists():
        return BODY
    log("  generating the 5,000,000-cell body ...")
    import duckdb

    fresh_dir(BODY_DIR)
    con = duckdb.connect()
    for var, codes in VARIABLES.items():
        con.execute(
            f'create table "v_{var}" as select unnest(?) as c, generate_subscripts(?, 1) as i',
            [codes, codes],
        )
    # Ordered like a BULK body (last variable fastest); ~2 % suppressed, some whole numbers.
    con.execute(f"""
        copy (
            with cells as (
                select o.c as o, b.c as b, a.c as a, t.c as t,
                       hash(o.i * 1000003 + b.i * 10007 + a.i * 101 + t.i) as h
                from "v_OMRÅDE" o, "v_BRANCHE07" b, "v_ALDER" a, "v_Tid" t
                order by o.i, b.i, a.i, t.i)
            select o as "OMRÅDE", b as "BRANCHE07", a as "ALDER", t as "Tid",
                   case when h % 50 = 0 then '..'
                        when h % 50 = 1 then (h % 1000)::varchar
                        else replace(printf('%.1f', (h % 100000) / 10.0), '.', ',')
                   end as "INDHOLD"
            from cells)
        to '{BODY}' (header, delimiter ';')""")
    con.close()
    stamp.write_text(str(BODY.stat().st_size))
    return BODY


class _BodyServer:
    """POST .../tableinfo answers the variables; .../data the body file, in chunked writes."""

    def __init__(self, body: Path):
        self.body = body
        self.data_calls = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path.endswith("/tableinfo"):
                    answer = json.dumps(tableinfo()).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                if not self.path.endswith("/data"):
                    self.send_error(404)
                    return
                server.data_calls += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/csv; charset=utf-8")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                with open(server.body, "rb") as fh:
                    while chunk := fh.read(CHUNK):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> _BodyServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()


# --- the benchmark ---------------------------------------------------------------------------


def _run_once(mode: str, url: str, i: int, log: Callable[[str], None]) -> tuple[dict, str]:
    workdir = fresh_dir(RUNS_DIR / f"dst_stream_{mode}_{i}")
    m = run_measured(
        f"dst_stream_{mode}_{i}", [PYTHON, "-m", "bench.dst_readers", mode, url, str(workdir)]
    )
    if m["rc"] != 0:
        error = f"{mode} reader exited {m['rc']}; log {m['log']}"
        log(f"  !! {error}\n{log_tail(m['log'])}")
        return {"peak_rss_mb": m["peak_rss_mb"]}, error
    timings = json.loads((workdir / "timings.json").read_text())
    timings["peak_rss_mb"] = m["peak_rss_mb"]
    timings["process_wall_s"] = m["wall_s"]
    fresh_dir(workdir)  # the 100+ MB body and DuckDB file are not kept
    log(
        f"  {mode} run {i + 1}: {timings['total_s']:.2f} s, "
        f"peak RSS {timings['peak_rss_mb']:.0f} MB"
    )
    if timings["rows"] != CELLS:
        return timings, f"{mode} loaded {timings['rows']} rows, expected {CELLS}"
    return timings, ""


def _median(results: list[dict]) -> dict:
    """The median run's timings, the highest peak RSS and every run's total."""
    median = dict(sorted(results, key=lambda r: r["total_s"])[len(results) // 2])
    median["peak_rss_mb"] = max(r["peak_rss_mb"] for r in results)
    median["total_s_all"] = [round(r["total_s"], 3) for r in results]
    median["total_s"] = statistics.median(r["total_s"] for r in results)
    return median


def _all_runs(url: str, log: Callable[[str], None]) -> dict[str, tuple[dict, str]]:
    """REPEATS rounds of every reader in turn; per reader its median and first error."""
    runs: dict[str, list[dict]] = {mode: [] for mode in READERS}
    errors: dict[str, str] = dict.fromkeys(READERS, "")
    for i in range(REPEATS):
        for mode in READERS:
            if errors[mode]:
                continue
            timings, errors[mode] = _run_once(mode, url, i, log)
            if not errors[mode]:
                runs[mode].append(timings)
    return {
        mode: (_median(runs[mode]) if runs[mode] and not errors[mode] else {}, errors[mode])
        for mode in READERS
    }


def _ratio(a: dict, b: dict) -> float | None:
    if a.get("total_s") is None or not b.get("total_s"):
        return None
    return a["total_s"] / b["total_s"]


PARTS = {
    "project": (
        ("download_s", "tableinfo + stream to file (hashed)"),
        ("load_s", "load_body (parse, check, swap)"),
    ),
    "floor": (("download_s", "stream to file"), ("load_s", "read_csv into a table")),
    "reference": (
        ("download_s", "download (response.content)"),
        ("parse_s", "pandas.read_csv"),
        ("load_s", "DataFrame into DuckDB"),
    ),
}
NAMES = {
    "project": "project: tableinfo+stream+load, every check",
    "floor": "floor: stream to file + DuckDB read_csv",
    "reference": "reference: requests+pandas",
}


def bench_dst_stream(log: Callable[[str], None]) -> list[Figure]:
    body = ensure_body(log)
    size_mb = body.stat().st_size / 1e6
    with _BodyServer(body) as server:
        found = _all_runs(server.base_url, log)
    b = f"4 DST streaming, {CELLS:,} cells ({size_mb:.0f} MB)"
    (project, p_err), (floor, f_err), (reference, r_err) = (
        found["project"],
        found["floor"],
        found["reference"],
    )
    figures = [
        Figure(
            "dst_stream.project.vs_floor_x",
            b,
            "project / floor (medians)",
            _ratio(project, floor),
            "x",
            "<=",
            GOAL_FLOOR_X,
            error=p_err or f_err,
        ),
        Figure(
            "dst_stream.project.vs_reference_x",
            b,
            "project / requests+pandas (medians)",
            _ratio(project, reference),
            "x",
            "<",
            GOAL_REFERENCE_X,
            error=p_err or r_err,
        ),
        Figure(
            "dst_stream.project.peak_rss_mb",
            b,
            "project: peak RSS",
            project.get("peak_rss_mb"),
            "MB",
            "<",
            GOAL_RSS_MB,
            error=p_err,
        ),
    ]
    for mode in READERS[::-1]:
        result, error = found[mode]
        note = "" if error else f"runs: {result['total_s_all']} s"
        figures.append(
            Figure(
                f"dst_stream.{mode}.total_s",
                b,
                NAMES[mode],
                result.get("total_s"),
                "s",
                note=note,
                error=error,
            )
        )
        figures += [
            Figure(f"dst_stream.{mode}.{part}", b, f"  {label}", result.get(part), "s", error=error)
            for part, label in PARTS[mode]
        ]
        if mode != "project":
            figures.append(
                Figure(
                    f"dst_stream.{mode}.peak_rss_mb",
                    b,
                    f"{mode}: peak RSS",
                    result.get("peak_rss_mb"),
                    "MB",
                    error=error,
                )
            )
    return figures
