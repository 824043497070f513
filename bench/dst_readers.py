"""The three readers of benchmark 4, each run in a process of its own.

    python -m bench.dst_readers project|floor|reference URL WORKDIR

writes ``WORKDIR/timings.json``. See :mod:`bench.dst_stream` for what each reader does.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.dst_stream import CHUNK, SUPPRESSED, TABLE, VARIABLES


def _project(url: str, workdir: Path) -> dict:
    import duckdb

    from pipelines.dst.client import DstClient
    from pipelines.dst.config import TableSpec
    from pipelines.dst.ingest import ingest_table
    from pipelines.dst.snapshot import SnapshotStore
    from pipelines.dst.source import DstSource
    from pipelines.settings import SourceMode

    times: dict[str, float] = {}

    class TimedSource(DstSource):
        def body(self, *args, **kwargs):
            started = time.perf_counter()
            try:
                return super().body(*args, **kwargs)
            finally:
                times["download_s"] = time.perf_counter() - started

    @contextlib.contextmanager
    def connect():
        con = duckdb.connect(str(workdir / "warehouse.duckdb"))
        try:
            yield con
        finally:
            con.close()

    spec = TableSpec(
        TABLE,
        "benchmark table",
        "-",
        "da",
        "bench",
        {var: tuple(codes) for var, codes in VARIABLES.items()},
    )
    source = TimedSource(SourceMode.LIVE, DstClient(url), SnapshotStore(workdir))
    os.environ["TMPDIR"] = str(workdir)  # the body's temporary folder, as on a real host
    tempfile.tempdir = None
    t0 = time.perf_counter()
    result = ingest_table(spec, source, connect)
    total = time.perf_counter() - t0
    return {
        "rows": result.rows,
        "suppressed": result.suppressed,
        "total_s": total,
        "download_s": times["download_s"],
        "load_s": total - times["download_s"],
    }


def _payload() -> dict:
    return {
        "table": TABLE,
        "format": "BULK",
        "lang": "da",
        "valuePresentation": "Code",
        "variables": [{"code": v, "values": c} for v, c in VARIABLES.items()],
    }


def _floor(url: str, workdir: Path) -> dict:
    import duckdb
    import requests

    dest = workdir / f"{TABLE}.csv"
    t0 = time.perf_counter()
    with requests.post(f"{url}/data", json=_payload(), timeout=(10, 120), stream=True) as response:
        response.raise_for_status()
        with open(dest, "wb") as out:
            for chunk in response.iter_content(chunk_size=CHUNK):
                out.write(chunk)
    t1 = time.perf_counter()
    con = duckdb.connect(str(workdir / "warehouse.duckdb"))
    con.execute("create table body as select * from read_csv(?)", [str(dest)])
    rows = con.execute("select count(*) from body").fetchone()[0]
    con.close()
    t2 = time.perf_counter()
    return {"rows": rows, "download_s": t1 - t0, "load_s": t2 - t1, "total_s": t2 - t0}


def _reference(url: str, workdir: Path) -> dict:
    import io

    import duckdb
    import pandas as pd
    import requests

    t0 = time.perf_counter()
    response = requests.post(f"{url}/data", json=_payload(), timeout=(10, 120))
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
    return {
        "rows": rows,
        "download_s": t1 - t0,
        "parse_s": t2 - t1,
        "load_s": t3 - t2,
        "total_s": t3 - t0,
    }


_READER_FUNCS = {"project": _project, "floor": _floor, "reference": _reference}


def child_main(argv: list[str]) -> int:
    mode, url, workdir = argv[0], argv[1], Path(argv[2])
    result = _READER_FUNCS[mode](url, workdir)
    (workdir / "timings.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
