"""A local HTTP server that behaves like the DST StatBank API, with faults on demand.

It serves ``tableinfo`` (JSON) and ``data`` (BULK: ';'-separated codes, header of variable ids
plus INDHOLD) for tables given to it, checks requests the way DST does (BULK needs values for
every variable; unknown tables and values are 400 with an errorTypeCode), and can be told to
answer the next requests with an error status, a delay, a dropped connection or a cut body.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeTable:
    info: dict[str, Any]
    rows: list[list[str]]  # codes in variable order, then the value text

    @property
    def variable_ids(self) -> list[str]:
        return [v["id"] for v in self.info["variables"]]


@dataclass
class Fault:
    """What to do instead of (or before) a normal answer to one request."""

    status: int | None = None  # answer with this status
    body: dict | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # sleep before answering (longer than the client timeout = timeout)
    drop: bool = False  # close the connection without an answer
    cut_body_at: int | None = None  # send only this many bytes of a longer declared body
    chunk_bytes: int | None = None  # send the body chunked, in pieces of this many bytes
    chunk_delay: float = 0.0  # ... with this pause before each piece (a dripping server)
    drip_delay: float = 0.0  # send the declared body a byte at a time, with this pause


@dataclass
class BodyStyle:
    bom: bool = False
    crlf: bool = False
    header_case: str = "as-is"  # or "upper", or "wrong" (first column misnamed)


class FakeDst:
    def __init__(self) -> None:
        self.tables: dict[str, FakeTable] = {}
        self.faults: deque[Fault] = deque()
        self.style = BodyStyle()
        self.requests: list[tuple[str, dict]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # a short poll: shutdown() waits up to one poll interval (0.5 s by default) per server
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def calls(self, function: str) -> int:
        return sum(1 for path, _ in self.requests if path.endswith("/" + function))

    def __enter__(self) -> FakeDst:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def body_for(self, table: FakeTable, selection: dict[str, list[str]]) -> bytes:
        ids = table.variable_ids
        header = [i.upper() if self.style.header_case == "upper" else i for i in ids]
        if self.style.header_case == "wrong":
            header[0] = "WRONG"
        lines = [";".join([*header, "INDHOLD"])]
        for row in table.rows:
            if all(row[i] in selection[v] for i, v in enumerate(ids)):
                lines.append(";".join(row))
        newline = "\r\n" if self.style.crlf else "\n"
        text = newline.join(lines) + newline
        return (b"\xef\xbb\xbf" if self.style.bom else b"") + text.encode("utf-8")

    def _answer(self, payload: dict) -> tuple[int, bytes, str]:
        table_id = str(payload.get("table", "")).upper()
        table = self.tables.get(table_id)
        if table is None:
            return _error(400, "EXTRACT-NOTFOUND", f"Tabellen {table_id!r} blev ikke fundet")
        return 200, json.dumps(table.info).encode(), "application/json"

    def _data(self, payload: dict) -> tuple[int, bytes, str]:
        status, content, ctype = self._answer(payload)
        if status != 200:
            return status, content, ctype
        table = self.tables[str(payload["table"]).upper()]
        if payload.get("format") != "BULK":
            return _error(400, "EXTRACT-NOTALLOWED", "only BULK is served by this fake")
        requested = {v["code"]: [str(x) for x in v["values"]] for v in payload["variables"]}
        info_vars = {v["id"]: {x["id"] for x in v["values"]} for v in table.info["variables"]}
        for var_id, known in info_vars.items():
            if var_id not in requested:
                return _error(
                    400, "EXTRACT-NOTALLOWED", f"Variablen {var_id} skal angives ved BULK-udtræk"
                )
            unknown = [x for x in requested[var_id] if x not in known]
            if unknown:
                return _error(
                    400,
                    "EXTRACT-VALUENOTFOUND",
                    f"Værdien {unknown[0]} findes ikke for variablen {var_id}",
                )
        return 200, self.body_for(table, requested), "text/csv; charset=utf-8"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append((self.path, payload))
                fault = fake.faults.popleft() if fake.faults else None
                if fault and fault.delay:
                    time.sleep(fault.delay)
                if fault and fault.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                if self.path.endswith("/tableinfo"):
                    status, content, ctype = fake._answer(payload)
                elif self.path.endswith("/data"):
                    status, content, ctype = fake._data(payload)
                else:
                    status, content, ctype = 404, b"Not Found", "text/plain"
                if fault and fault.status is not None:
                    status = fault.status
                    body = fault.body if fault.body is not None else {"message": "fault"}
                    content = (json.dumps(body) if isinstance(body, dict) else body).encode()
                    ctype = "application/json"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                for key, value in (fault.headers if fault else {}).items():
                    self.send_header(key, value)
                if fault and fault.chunk_bytes:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self._send_chunked(content, fault)
                    return
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                if fault and fault.drip_delay:
                    try:
                        for byte in content:
                            time.sleep(fault.drip_delay)
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                    except OSError:  # the client gave up on the drip
                        self.close_connection = True
                    return
                if fault and fault.cut_body_at is not None:
                    self.wfile.write(content[: fault.cut_body_at])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(content)

            def _send_chunked(self, content: bytes, fault: Fault) -> None:
                size = fault.chunk_bytes or len(content)
                try:
                    for start in range(0, len(content), size):
                        time.sleep(fault.chunk_delay)
                        piece = content[start : start + size]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:  # the client gave up on a dripping answer
                    self.close_connection = True

        return Handler


def _error(status: int, code: str, message: str) -> tuple[int, bytes, str]:
    return (
        status,
        json.dumps({"errorTypeCode": code, "message": message}).encode(),
        ("application/json"),
    )


def table_from_snapshot(snapshot_dir, table_id: str) -> FakeTable:
    """Serve a table exactly as the bundled snapshot holds it."""
    info = json.loads((snapshot_dir / table_id / "tableinfo.json").read_text(encoding="utf-8"))
    lines = (snapshot_dir / table_id / "data.csv").read_text(encoding="utf-8").splitlines()
    return FakeTable(info, [line.split(";") for line in lines[1:] if line])
