"""Every environment variable and path the pipeline reads, in one place.

Other modules ask this module; none of them read ``os.environ`` themselves. Paths are resolved
to absolute ones so that child processes (dbt) see the same files whatever their working
directory is.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlparse

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DST_TABLES_CONFIG = PACKAGE_DIR / "config" / "dst_tables.yaml"

BUNDLED_SNAPSHOT_DIR = REPO_ROOT / "data" / "snapshots" / "dst"
DEFAULT_DST_API_BASE_URL = "https://api.statbank.dk/v1"
DEFAULT_DAGSTER_HOME = REPO_ROOT / ".dagster_home"


class SettingsError(ValueError):
    """An environment variable holds a value the pipeline cannot use; the message names it."""


class SourceMode(StrEnum):
    """Where DST data comes from (``KLYNGE_DST_SOURCE``)."""

    LIVE = "live"
    SNAPSHOT = "snapshot"
    AUTO = "auto"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    dst_source: SourceMode
    dst_api_base_url: str
    dst_snapshot_dir: Path
    keep_releases: int
    alert_webhook_url: str | None
    # An inbound file modified less than this long ago is still being written: not loaded yet.
    inbound_settle_seconds: float = 30.0
    # A load that shrinks an entity by more than this share is held until acknowledged.
    max_shrink_share: float = 0.5
    # The fixed-price base year; None: the latest year with both R&D and GDP deflator data.
    price_base_year: int | None = None

    @property
    def warehouse_path(self) -> Path:
        """The working DuckDB file the pipeline writes (never the published copy)."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def programme_inbound_dir(self) -> Path:
        """Where cluster organisations' report files land."""
        return self.data_dir / "inbound" / "programme"

    @property
    def quarantine_dir(self) -> Path:
        """Rejected inbound files, each with a report of why."""
        return self.data_dir / "inbound" / "quarantine"

    @property
    def failure_log(self) -> Path:
        """One line per failed run, for whoever watches the pipeline."""
        return self.data_dir / "logs" / "run_failures.log"

    @property
    def published_dir(self) -> Path:
        """The current release that analysts read."""
        return self.data_dir / "published"


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment (or a given mapping, for tests)."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("KLYNGE_DATA_DIR") or REPO_ROOT / "data").resolve()
    raw_mode = (env.get("KLYNGE_DST_SOURCE") or SourceMode.AUTO.value).strip().lower()
    try:
        mode = SourceMode(raw_mode)
    except ValueError:
        allowed = ", ".join(m.value for m in SourceMode)
        raise SettingsError(f"KLYNGE_DST_SOURCE={raw_mode!r} is not one of: {allowed}") from None
    # The snapshot is shipped with the code, so it stays in the repo when KLYNGE_DATA_DIR moves.
    snapshot_dir = Path(env.get("KLYNGE_DST_SNAPSHOT_DIR") or BUNDLED_SNAPSHOT_DIR).resolve()
    keep = env.get("KLYNGE_KEEP_RELEASES") or "10"
    if not keep.isdigit() or int(keep) < 1:
        raise SettingsError(f"KLYNGE_KEEP_RELEASES={keep!r} must be a whole number of at least 1")
    settle = _number(env, "KLYNGE_INBOUND_SETTLE_SECONDS", "30", low=0.0)
    shrink = _number(env, "KLYNGE_MAX_SHRINK_SHARE", "0.5", low=0.0, high=1.0)
    base_year = (env.get("KLYNGE_PRICE_BASE_YEAR") or "").strip()
    if base_year and not (base_year.isdigit() and len(base_year) == 4 and base_year >= "1900"):
        raise SettingsError(
            f"KLYNGE_PRICE_BASE_YEAR={base_year!r} must be a year such as 2024 "
            "(or empty for the latest year with data)"
        )
    return Settings(
        price_base_year=int(base_year) if base_year else None,
        inbound_settle_seconds=settle,
        max_shrink_share=shrink,
        data_dir=data_dir,
        keep_releases=int(keep),
        alert_webhook_url=(env.get("KLYNGE_ALERT_WEBHOOK_URL") or "").strip() or None,
        dst_source=mode,
        dst_api_base_url=_api_url(env.get("DST_API_BASE_URL") or DEFAULT_DST_API_BASE_URL),
        dst_snapshot_dir=snapshot_dir,
    )


def dagster_home(env: dict[str, str] | None = None) -> Path | None:
    """Dagster's instance folder (``DAGSTER_HOME``, which Dagster itself reads too), or None."""
    raw = (os.environ if env is None else env).get("DAGSTER_HOME")
    return Path(raw).resolve() if raw else None


def _api_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"DST_API_BASE_URL={raw!r} is not an http(s) URL such as {DEFAULT_DST_API_BASE_URL}"
        )
    return url


def _number(
    env: dict[str, str], name: str, default: str, *, low: float, high: float | None = None
) -> float:
    raw = (env.get(name) or default).strip()
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value >= low and (high is None or value <= high)):
        bounds = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise SettingsError(f"{name}={raw!r} must be a finite number {bounds}")
    return value
