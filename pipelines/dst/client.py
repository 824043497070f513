"""A small client for the DST StatBank API (``tableinfo`` and streamed ``data`` in BULK format).

Why not an existing wrapper: they read whole responses into memory and retry nothing. This one
POSTs JSON, sets a timeout on every request, retries only what can succeed on a second try
(429, 5xx, timeouts, broken connections) with bounded exponential backoff, and streams data
bodies to a file in chunks so memory stays flat whatever the table's size.
"""

from __future__ import annotations

import hashlib
import logging
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


def _api_error(table: str, response: requests.Response) -> DstApiError:
    """Turn an error response into an exception carrying DST's errorTypeCode and message."""
    code: str | None = None
    message = response.text.strip()[:500] or response.reason or "no message"
    try:
        body = response.json()
        if isinstance(body, list) and body:
            body = body[0]
        if isinstance(body, dict):
            code = body.get("errorTypeCode") or None
            message = body.get("message") or message
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
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
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
            try:
                return response.json()
            except ValueError as exc:
                raise DstApiError(
                    table, response.status_code, None, f"tableinfo answer is not JSON: {exc}"
                ) from exc

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
            with open(dest, "wb") as out:
                first = True
                for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
                    if first and chunk.startswith(UTF8_BOM):
                        chunk = chunk[len(UTF8_BOM) :]
                    first = False
                    out.write(chunk)
                    digest.update(chunk)
                    written += len(chunk)
            return Download(written, digest.hexdigest())

        return self._call(table, "data", body, write, stream=True)

    def _call(
        self,
        table: str,
        function: str,
        body: dict[str, Any],
        read: Callable[[requests.Response], Any],
        *,
        stream: bool = False,
        retry: RetryPolicy | None = None,
    ) -> Any:
        policy = retry or self.retry
        url = f"{self.base_url}/{function}"
        last_transport_error: Exception | None = None
        for attempt in range(1, policy.max_attempts + 1):
            final = attempt == policy.max_attempts
            try:
                with self._session.post(
                    url, json=body, timeout=self.timeout, stream=stream
                ) as response:
                    if response.ok:
                        return read(response)
                    if not _is_retryable_status(response.status_code) or final:
                        raise _api_error(table, response)
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
            except _TRANSPORT_ERRORS as exc:
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
            f"timed out or cut off): {type(last_transport_error).__name__}: "
            f"{last_transport_error}",
        )
