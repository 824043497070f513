"""A small client for the DST StatBank API (``tableinfo`` and streamed ``data`` in BULK format).

Why not an existing wrapper: they read whole responses into memory and retry nothing. This one
POSTs JSON, sets a timeout on every request, retries only what can succeed on a second try
(429, 5xx, timeouts, broken connections, a 200 that is not JSON such as a maintenance page)
with bounded exponential backoff, and streams data bodies to a file in chunks so memory stays
flat whatever the table's size.

A server can also misbehave without failing: it may drip an answer a byte at a time (each
answer's body has a deadline, beside the socket timeouts), redirect to another
host (redirects are not followed: the base URL is the only place data comes from), or answer
200 with DST's error object or with JSON that is no table description (an error naming the
table and what is missing, never a KeyError).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from pipelines.dst.errors import DstApiError, DstUnavailableError

log = logging.getLogger(__name__)

UTF8_BOM = b"\xef\xbb\xbf"
_CHUNK_BYTES = 1 << 20
_SHOWN_BODY_CHARS = 200  # of an unexpected answer, in the error message
_ERROR_BYTES = 64 << 10
_MAX_TABLEINFO_BYTES = 64 << 20  # the bundled FORSK01 tableinfo is 4 kB
_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass(frozen=True)
class Download:
    """A body streamed to a file: its size and SHA-256, hashed while it was written."""

    bytes: int
    sha256: str


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff: delay = base * 2**(attempt-1), capped at ``max_delay``."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        backoff = self.base_delay * 2 ** (attempt - 1)
        if retry_after is not None:
            backoff = max(backoff, retry_after)
        return min(backoff, self.max_delay)


def _is_retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


class UnusableAnswerError(Exception):
    """A 200 answer that a second try may well fix (a maintenance page, JSON cut short)."""


def _shown(text: str) -> str:
    """The start of an answer for a message: one line, no control characters, bounded."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= _SHOWN_BODY_CHARS else flat[:_SHOWN_BODY_CHARS] + "..."


class _Deadline:
    """Ends an answer still arriving when its deadline passes. Socket timeouts bound each
    wait for a byte, so a server sending one byte at a time could keep a run going for ever;
    a timer shuts the socket's read side (urllib3's ``HTTPResponse.shutdown``), which wakes
    the blocked read, and the read's outcome, whatever it is, becomes a timeout."""

    def __init__(self, response: requests.Response, seconds: float, what: str):
        self.what, self.seconds = what, seconds
        self._expired = self._finished = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire, args=(response,))
        self._timer.daemon = True

    def _expire(self, response: requests.Response) -> None:
        with self._lock:
            if self._finished:
                return
            self._expired = True
        with contextlib.suppress(Exception):  # already finished, or released to the pool
            response.raw.shutdown()

    def _finish(self) -> bool:
        """Stop the timer; whether it had already cut the answer off."""
        self._timer.cancel()
        with self._lock:
            self._finished = True
            return self._expired

    def run(self, read: Callable[[], Any]) -> Any:
        self._timer.start()
        try:
            result = read()
        except Exception as exc:
            if self._finish():
                raise self._timeout() from exc
            raise
        if self._finish():  # a close-delimited answer just ends when the socket is shut
            raise self._timeout()
        return result

    def _timeout(self) -> requests.Timeout:
        return requests.Timeout(f"{self.what} still arriving after {self.seconds:g} s")


def _checked_tableinfo(table: str, status: int, info: Any) -> dict[str, Any]:
    """tableinfo as the rest of the pipeline reads it, or an error saying what is wrong."""
    if isinstance(info, dict) and info.get("errorTypeCode"):
        message = _shown(str(info.get("message") or "")) or "no message"
        raise DstApiError(table, status, _shown(str(info["errorTypeCode"])), message)
    if not isinstance(info, dict) or not isinstance(info.get("variables"), list):
        raise DstApiError(
            table, status, None, f"tableinfo answer has no list of variables: {_shown(str(info))}"
        )
    for n, var in enumerate(info["variables"], start=1):
        if not isinstance(var, dict) or var.get("id") in (None, ""):
            raise DstApiError(table, status, None, f"tableinfo variable {n} has no id")
        values = var.get("values")
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, dict) and v.get("id") not in (None, "") for v in values)
        ):
            raise DstApiError(
                table,
                status,
                None,
                f"tableinfo variable {_shown(str(var['id']))} has no list of values with ids",
            )
    return info


def _api_error(table: str, response: requests.Response) -> DstApiError:
    """Turn an error response into an exception carrying DST's errorTypeCode and message
    (read from at most the answer's first 64 KiB: an error page can be any size)."""
    content = b""
    for chunk in response.iter_content(chunk_size=_ERROR_BYTES):
        content += chunk
        if len(content) >= _ERROR_BYTES:
            break
    text = content[:_ERROR_BYTES].decode("utf-8", errors="replace")
    code: str | None = None
    message = _shown(text) or response.reason or "no message"
    try:
        body = json.loads(text)
        if isinstance(body, list) and body:
            body = body[0]
        if isinstance(body, dict):
            code = _shown(str(body.get("errorTypeCode") or "")) or None
            message = _shown(str(body.get("message") or "")) or message
    except ValueError:
        pass
    return DstApiError(table, response.status_code, code, message)


class DstClient:
    """POST-based access to one StatBank API base URL."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: tuple[float, float] = (10.0, 120.0),
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        tableinfo_deadline: float = 60.0,
        data_deadline: float = 1800.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        # the whole answer, per attempt: socket timeouts alone let a server drip bytes forever
        self.deadlines = {"tableinfo": tableinfo_deadline, "data": data_deadline}
        self.retry = retry or RetryPolicy()
        self._session = session or requests.Session()
        self._sleep = sleep

    def tableinfo(
        self, table: str, lang: str = "da", retry: RetryPolicy | None = None
    ) -> dict[str, Any]:
        """Metadata of a table: variables with their value codes and labels, and ``updated``.

        ``retry`` overrides the client's policy (a quick probe in ``auto`` mode).
        """
        body = {"table": table, "format": "JSON", "lang": lang}

        def read(response: requests.Response) -> dict[str, Any]:
            parts, size = [], 0
            for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
                size += len(chunk)
                if size > _MAX_TABLEINFO_BYTES:
                    raise DstApiError(
                        table,
                        response.status_code,
                        None,
                        f"tableinfo answer is larger than {_MAX_TABLEINFO_BYTES >> 20} MiB; "
                        "no table description is that large",
                    )
                parts.append(chunk)
            content = b"".join(parts)
            try:
                info = json.loads(content)
            except ValueError as exc:
                text = content.decode("utf-8", errors="replace")
                raise UnusableAnswerError(
                    f"tableinfo answer is not JSON ({exc}); it begins: {_shown(text) or '(empty)'}"
                ) from exc
            return _checked_tableinfo(table, response.status_code, info)

        return self._call(table, "tableinfo", body, read, retry=retry)

    def download(
        self,
        table: str,
        selection: Mapping[str, Sequence[str]],
        dest: Path,
        lang: str = "da",
    ) -> Download:
        """Stream the BULK body for ``selection`` into ``dest`` (BOM removed), hashing it.

        Every variable must be given explicit value codes (BULK's own rule). A connection that
        breaks mid-body is retried from the start; ``dest`` and its hash are redone on each
        attempt. Hashing the chunks as they arrive spares reading the file a second time.
        """
        body = {
            "table": table,
            "format": "BULK",
            "lang": lang,
            "valuePresentation": "Code",
            "variables": [{"code": var, "values": list(vals)} for var, vals in selection.items()],
        }

        def write(response: requests.Response) -> Download:
            written = 0
            digest = hashlib.sha256()
            head = b""  # the first bytes, held until a BOM split over chunks can be seen whole
            with open(dest, "wb") as out:
                for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
                    if len(head) < len(UTF8_BOM):
                        head += chunk
                        if len(head) < len(UTF8_BOM):
                            continue
                        chunk = head.removeprefix(UTF8_BOM)
                    out.write(chunk)
                    digest.update(chunk)
                    written += len(chunk)
                if len(head) < len(UTF8_BOM):  # a body shorter than a BOM
                    chunk = b"" if UTF8_BOM.startswith(head) else head
                    out.write(chunk)
                    digest.update(chunk)
                    written += len(chunk)
            return Download(written, digest.hexdigest())

        return self._call(table, "data", body, write)

    def _call(
        self,
        table: str,
        function: str,
        body: dict[str, Any],
        read: Callable[[requests.Response], Any],
        *,
        retry: RetryPolicy | None = None,
    ) -> Any:
        policy = retry or self.retry
        url = f"{self.base_url}/{function}"
        last_transport_error: Exception | None = None
        for attempt in range(1, policy.max_attempts + 1):
            final = attempt == policy.max_attempts
            seconds = self.deadlines[function]
            try:
                with self._session.post(
                    url, json=body, timeout=self.timeout, stream=True, allow_redirects=False
                ) as response:
                    if 300 <= response.status_code < 400:
                        where = _shown(response.headers.get("Location", "")) or "nowhere"
                        raise DstApiError(
                            table,
                            response.status_code,
                            None,
                            f"{url} redirects to {where}; redirects are not followed: "
                            "set DST_API_BASE_URL to the API itself",
                        )
                    deadline = _Deadline(response, seconds, f"{function} answer")
                    if response.ok:
                        return deadline.run(lambda: read(response))
                    if not _is_retryable_status(response.status_code) or final:
                        raise deadline.run(lambda: _api_error(table, response))
                    wait = policy.delay(attempt, _retry_after_seconds(response))
                    log.warning(
                        "DST %s %s: HTTP %s, retry %d/%d in %.1fs",
                        function,
                        table,
                        response.status_code,
                        attempt,
                        policy.max_attempts - 1,
                        wait,
                    )
            except (*_TRANSPORT_ERRORS, UnusableAnswerError) as exc:
                last_transport_error = exc
                if final:
                    break
                wait = policy.delay(attempt)
                log.warning(
                    "DST %s %s: %s, retry %d/%d in %.1fs",
                    function,
                    table,
                    type(exc).__name__,
                    attempt,
                    policy.max_attempts - 1,
                    wait,
                )
            self._sleep(wait)
        raise DstUnavailableError(
            table,
            f"{url}: no complete answer after {policy.max_attempts} attempts (unreachable, "
            f"timed out, cut off or not a usable answer): {type(last_transport_error).__name__}: "
            f"{last_transport_error}",
        )
