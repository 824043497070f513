"""The programme's constants, read from ``config/programme.yaml``, and DST's size groups.

One file holds the programme period, the allocation, the SME funding cap, the overhead norm and
the checks' rounding tolerances; everything else asks this module: dbt (as ``--vars``, through
:func:`dbt_vars` on every invocation), the Great Expectations suites, the figures, the report,
the inbound contract's date windows and the sample generator. The number of size groups comes
from dbt's seed ``dst_size_groups.csv``, the same rows dbt joins on.

    python -m pipelines.constants        # the dbt vars as JSON (the Makefile's ``dbt parse``)
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from pipelines.config_file import ConfigFileError, read_yaml
from pipelines.settings import DBT_PROJECT_DIR, PACKAGE_DIR

PROGRAMME_CONFIG = PACKAGE_DIR / "config" / "programme.yaml"
SIZE_GROUPS_SEED = DBT_PROJECT_DIR / "seeds" / "dst_size_groups.csv"


class ConstantsError(ValueError):
    """``programme.yaml`` or the size-group seed is malformed (names the file and the key)."""


@dataclass(frozen=True)
class Tolerances:
    dst_rounding_mio_dkk: float
    dst_rounding_relative: float
    share_sum_pct_points: float
    amount_dkk: float
    reconciliation_dkk: float


@dataclass(frozen=True)
class Window:
    """A date window of the inbound checks: the period, extended by ``years_after``."""

    name: str
    earliest: date
    latest: date
    description: str


@dataclass(frozen=True)
class Programme:
    first_year: int
    last_year: int
    allocation_dkk: int
    smv_funding_cap_pct: float
    overhead_norm_pct: float
    tolerances: Tolerances
    windows: tuple[Window, ...]

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.last_year + 1))

    @property
    def period_label(self) -> str:
        """``<first>-<last>``, for titles and messages."""
        return f"{self.first_year}-{self.last_year}"


@dataclass(frozen=True)
class SizeGroups:
    """FORSK01's size groups (seed ``dst_size_groups.csv``) without the all-sizes total."""

    smv: tuple[str, ...]
    large: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return self.smv + self.large


def _number(
    path: Path, raw: dict[str, Any], key: str, kind: type, high: float | None = None
) -> Any:
    value = raw.get(key)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or (high is not None and value > high)
    ):
        bound = f" of at most {high:g}" if high is not None else ""
        raise ConstantsError(
            f"{path.name}: '{key}' must be a non-negative number{bound}, got {value!r}"
        )
    if kind is int and value != int(value):
        raise ConstantsError(f"{path.name}: '{key}' must be a whole number, got {value!r}")
    return kind(value)


def _year(path: Path, raw: dict[str, Any], key: str) -> int:
    year = _number(path, raw, key, int)
    if not 2000 <= year <= 2100:
        raise ConstantsError(f"{path.name}: '{key}' must be a four-digit year, got {year!r}")
    return year


def _section(path: Path, raw: dict[str, Any], key: str) -> dict[str, Any]:
    section = raw.get(key)
    if not isinstance(section, dict):
        raise ConstantsError(f"{path.name}: '{key}' must be a mapping")
    return section


def _windows(path: Path, raw: dict[str, Any], first: int, last: int) -> tuple[Window, ...]:
    windows = []
    for name, spec in _section(path, raw, "date_windows").items():
        if not isinstance(spec, dict) or "description" not in spec:
            raise ConstantsError(
                f"{path.name}: date window {name!r} needs years_after and description"
            )
        after = _number(path, spec, "years_after", int)
        windows.append(
            Window(
                str(name), date(first, 1, 1), date(last + after, 12, 31), str(spec["description"])
            )
        )
    return tuple(windows)


def read_programme(path: Path = PROGRAMME_CONFIG) -> Programme:
    """The constants in ``path``, checked: a bad value fails with the file and key named."""
    try:
        raw = read_yaml(path)
    except ConfigFileError as exc:
        raise ConstantsError(str(exc)) from None
    if not isinstance(raw, dict):
        raise ConstantsError(f"{path.name}: is not a mapping")
    period = _section(path, raw, "period")
    first, last = (_year(path, period, key) for key in ("first_year", "last_year"))
    if first > last:
        raise ConstantsError(f"{path.name}: period first_year {first} is after last_year {last}")
    tolerances = _section(path, raw, "tolerances")
    return Programme(
        first_year=first,
        last_year=last,
        allocation_dkk=_number(path, raw, "allocation_dkk", int),
        smv_funding_cap_pct=_number(path, raw, "smv_funding_cap_pct", float, high=100),
        overhead_norm_pct=_number(path, raw, "overhead_norm_pct", float, high=100),
        tolerances=Tolerances(
            **{k: _number(path, tolerances, k, float) for k in Tolerances.__dataclass_fields__}
        ),
        windows=_windows(path, raw, first, last),
    )


@cache
def programme() -> Programme:
    """The programme's constants (``config/programme.yaml``), read once per process."""
    return read_programme()


def read_size_groups(path: Path = SIZE_GROUPS_SEED) -> SizeGroups:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if (r.get("is_smv") or "").strip()]
    smv = tuple(
        r["size_group"]
        for r in sorted(rows, key=lambda r: int(r["sort_order"]))
        if r["is_smv"].strip() == "true"
    )
    large = tuple(
        r["size_group"]
        for r in sorted(rows, key=lambda r: int(r["sort_order"]))
        if r["is_smv"].strip() == "false"
    )
    if not smv or not large:
        raise ConstantsError(f"{path.name}: needs SME (is_smv true) and large (false) groups")
    return SizeGroups(smv, large)


@cache
def size_groups() -> SizeGroups:
    """FORSK01's size groups, as dbt's seed lists them, read once per process."""
    return read_size_groups()


def _plain(value: float) -> int | float:
    """A whole number without ``.0`` in dbt's SQL and messages."""
    return int(value) if float(value).is_integer() else value


def dbt_vars() -> dict[str, Any]:
    """The constants dbt's models and tests use (``var('...')``), for ``--vars``."""
    p = programme()
    return {
        "programme_first_year": p.first_year,
        "programme_last_year": p.last_year,
        "max_smv_funding_rate_pct": _plain(p.smv_funding_cap_pct),
        "overhead_norm_pct": _plain(p.overhead_norm_pct),
        "reconciliation_tolerance_dkk": p.tolerances.reconciliation_dkk,
    }


def with_dbt_vars(args: Sequence[str]) -> list[str]:
    """dbt arguments with the constants as ``--vars`` (merged into any ``--vars`` given)."""
    args = list(args)
    merged = dbt_vars()
    if "--vars" in args:
        i = args.index("--vars")
        merged.update(yaml.safe_load(args[i + 1]) or {})
        del args[i : i + 2]
    return [*args, "--vars", json.dumps(merged, sort_keys=True)]


if __name__ == "__main__":
    print(json.dumps(dbt_vars(), sort_keys=True))
