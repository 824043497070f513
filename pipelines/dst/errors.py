"""Errors raised while getting DST tables; each names the table and what went wrong."""

from __future__ import annotations


class DstError(Exception):
    """Base class: something went wrong with one DST table."""

    def __init__(self, table: str, detail: str):
        self.table = table
        self.detail = detail
        super().__init__(f"DST table {table}: {detail}")


class DstApiError(DstError):
    """DST answered with an error (a 4xx, or a 429/5xx that persisted through every retry)."""

    def __init__(self, table: str, status: int, error_type_code: str | None, message: str):
        self.status = status
        self.error_type_code = error_type_code
        self.message = message
        code = f" {error_type_code}" if error_type_code else ""
        super().__init__(table, f"HTTP {status}{code}: {message}")


class DstUnavailableError(DstError):
    """DST could not be reached at all (connection errors or timeouts on every attempt)."""


class DstSelectionError(DstError):
    """The configured selection does not fit the table (unknown variable or value code)."""


class DstDataError(DstError):
    """The data body does not parse or does not match what was requested."""


class DstSnapshotError(DstError):
    """The snapshot has no usable copy of the table."""
