"""Benchmark 4: a 5,000,000-cell DST BULK body, downloaded and loaded into DuckDB.

The body (about 108 MB: four variables of codes, ``INDHOLD`` with decimal commas and some
``..``) is generated once into ``bench/data/dst_stream/`` and served by a small local HTTP
server in chunked writes, like StatBank's streaming BULK format. Two readers, each in a fresh
process (``python -m bench.dst_stream project|reference URL WORKDIR``) so peak RSS is their own:

* project: ``DstClient.download_data`` to a temporary file, ``sha256_file`` of it (as
  ``ingest_table`` does) and ``pipelines.dst.load.load_body`` into a fresh DuckDB file;
* reference: ``requests.post`` + ``response.content``, ``pandas.read_csv(io.BytesIO(...),
  sep=';', decimal=',')`` (with DST's suppression markers as NA) and the DataFrame copied into
  DuckDB. It does no validation, no labels and infers types (codes lose leading zeros): it is a
  yardstick for speed and memory, not an equivalent.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
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
GOAL_S = 2.5
GOAL_RSS_MB = 300.0
SUPPRESSED = ["..", "...", "-", ":"]


def labels() -> dict[str, dict[str, str]]:
    return {var: {code: f"{var.title()} {code}" for code in codes}
            for var, codes in VARIABLES.items()}


def ensure_body(log: Callable[[str], None]) -> Path:
    stamp = BODY_DIR / ".complete"
    if BODY.exists() and stamp.exists():
        return BODY
    log("  generating the 5,000,000-cell body ...")
    import duckdb

    fresh_dir(BODY_DIR)
    con = duckdb.connect()
    for var, codes in VARIABLES.items():
        con.execute(f'create table "v_{var}" as select unnest(?) as c, '
                    f'generate_subscripts(?, 1) as i', [codes, codes])
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
    """POST .../data answers with the body file, in chunked transfer encoding."""

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


# --- the two readers (run in child processes) ------------------------------------------------

def _project(url: str, workdir: Path) -> dict:
    import duckdb

    from pipelines.checksums import sha256_file
    from pipelines.dst.client import DstClient
    from pipelines.dst.load import LoadProvenance, load_body

    dest = workdir / f"{TABLE}.csv"
    t0 = time.perf_counter()
    size = DstClient(url).download_data(TABLE, VARIABLES, dest, "da")
    t1 = time.perf_counter()
    digest = sha256_file(dest)
    t2 = time.perf_counter()
    con = duckdb.connect(str(workdir / "warehouse.duckdb"))
    provenance = LoadProvenance("live", "2025-01-01T08:00:00", datetime(2025, 1, 2), False, "b")
    counts = load_body(con, table_id=TABLE, raw_table="dst_bench01", body=dest,
                       selection=VARIABLES, labels=labels(), lang="da",
                       provenance=provenance, body_sha256=digest)
    con.close()
    t3 = time.perf_counter()
    return {"bytes": size, "rows": counts["rows"], "suppressed": counts["suppressed"],
            "download_s": t1 - t0, "sha256_s": t2 - t1, "load_s": t3 - t2, "total_s": t3 - t0}


def _reference(url: str, workdir: Path) -> dict:
    import io

    import duckdb
    import pandas as pd
    import requests

    payload = {"table": TABLE, "format": "BULK", "lang": "da", "valuePresentation": "Code",
               "variables": [{"code": v, "values": c} for v, c in VARIABLES.items()]}
    t0 = time.perf_counter()
    response = requests.post(f"{url}/data", json=payload, timeout=(10, 120))
    response.raise_for_status()
    content = response.content
    t1 = time.perf_counter()
    frame = pd.read_csv(io.BytesIO(content), sep=";", decimal=",", na_values=SUPPRESSED)
    del content, response
    t2 = time.perf_counter()
    con = duckdb.connect(str(workdir / "warehouse.duckdb"))
    con.execute("create schema raw")
    con.register("frame", frame)
    con.execute("create table raw.dst_bench01 as select * from frame")
    rows = con.execute("select count(*) from raw.dst_bench01").fetchone()[0]
    con.close()
    t3 = time.perf_counter()
    return {"bytes": None, "rows": rows, "download_s": t1 - t0, "parse_s": t2 - t1,
            "load_s": t3 - t2, "total_s": t3 - t0}


def child_main(argv: list[str]) -> int:
    mode, url, workdir = argv[0], argv[1], Path(argv[2])
    result = (_project if mode == "project" else _reference)(url, workdir)
    (workdir / "timings.json").write_text(json.dumps(result))
    return 0


# --- the benchmark ---------------------------------------------------------------------------

def _runs(mode: str, url: str, log: Callable[[str], None]) -> tuple[dict, str]:
    """REPEATS runs of one reader; the median run's timings and the highest peak RSS."""
    results = []
    for i in range(REPEATS):
        workdir = fresh_dir(RUNS_DIR / f"dst_stream_{mode}_{i}")
        m = run_measured(f"dst_stream_{mode}_{i}",
                         [PYTHON, "-m", "bench.dst_stream", mode, url, str(workdir)])
        if m["rc"] != 0:
            error = f"{mode} reader exited {m['rc']}; log {m['log']}"
            log(f"  !! {error}\n{log_tail(m['log'])}")
            return {"peak_rss_mb": m["peak_rss_mb"]}, error
        timings = json.loads((workdir / "timings.json").read_text())
        timings["peak_rss_mb"] = m["peak_rss_mb"]
        timings["process_wall_s"] = m["wall_s"]
        results.append(timings)
        fresh_dir(workdir)  # the 100+ MB body and DuckDB file are not kept
        log(f"  {mode} run {i + 1}: {timings['total_s']:.2f} s, "
            f"peak RSS {timings['peak_rss_mb']:.0f} MB")
    median = sorted(results, key=lambda r: r["total_s"])[len(results) // 2]
    median = dict(median)
    median["peak_rss_mb"] = max(r["peak_rss_mb"] for r in results)
    median["total_s_all"] = [round(r["total_s"], 3) for r in results]
    median["total_s_median"] = statistics.median(r["total_s"] for r in results)
    return median, ""


def bench_dst_stream(log: Callable[[str], None]) -> list[Figure]:
    body = ensure_body(log)
    size_mb = body.stat().st_size / 1e6
    figures: list[Figure] = []
    with _BodyServer(body) as server:
        project, p_err = _runs("project", server.base_url, log)
        reference, r_err = _runs("reference", server.base_url, log)
    b = f"4 DST streaming, {CELLS:,} cells ({size_mb:.0f} MB)"
    note = "" if p_err else f"runs: {project['total_s_all']} s"
    figures.append(Figure("dst_stream.project.total_s", b, "project: download+hash+load",
                          project.get("total_s"), "s", "<=", GOAL_S, note=note, error=p_err))
    for part, label in (("download_s", "download (stream to file)"),
                        ("sha256_s", "sha256 of the body"),
                        ("load_s", "load_body (parse, validate, label, swap)")):
        figures.append(Figure(f"dst_stream.project.{part}", b, f"  {label}", project.get(part),
                              "s", error=p_err))
    figures.append(Figure("dst_stream.project.peak_rss_mb", b, "project: peak RSS",
                          project.get("peak_rss_mb"), "MB", "<", GOAL_RSS_MB, error=p_err))
    rows_ok = project.get("rows") == CELLS
    if not p_err and not rows_ok:
        figures[-1].error = f"loaded {project.get('rows')} rows, expected {CELLS}"
    note = "" if r_err else f"runs: {reference['total_s_all']} s"
    figures.append(Figure("dst_stream.reference.total_s", b, "reference: requests+pandas",
                          reference.get("total_s"), "s", note=note, error=r_err))
    for part, label in (("download_s", "download (response.content)"),
                        ("parse_s", "pandas.read_csv"), ("load_s", "DataFrame into DuckDB")):
        figures.append(Figure(f"dst_stream.reference.{part}", b, f"  {label}",
                              reference.get(part), "s", error=r_err))
    figures.append(Figure("dst_stream.reference.peak_rss_mb", b, "reference: peak RSS",
                          reference.get("peak_rss_mb"), "MB", error=r_err))
    return figures


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
