"""The programme's constants: its generations (``config/generations/<id>.yaml``), the shared
tolerances (``config/programme.yaml``) and DST's size groups.

Each generation declares its period, clusters, allocation, funders and grant types, the rules in
force (the SME funding cap, the overhead norm; ``null`` when not a rule then), the inbound date
windows and its contract version. Everything else asks this module: dbt (as ``--vars``, through
:func:`dbt_vars` on every invocation), the Great Expectations suites, the figures, the report,
the inbound contract and the sample generator. The number of size groups comes from dbt's seed
``dst_size_groups.csv``, the same rows dbt joins on.

    python -m pipelines.constants        # the dbt vars as JSON (the Makefile's ``dbt parse``)
"""

from __future__ import annotations

import csv
import json
import math
import re
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
GENERATIONS_DIR = PACKAGE_DIR / "config" / "generations"
SIZE_GROUPS_SEED = DBT_PROJECT_DIR / "seeds" / "dst_size_groups.csv"
_GENERATION_ID = re.compile(r"^(\d{4})-(\d{4})$")


class ConstantsError(ValueError):
    """A constants file or the size-group seed is malformed (names the file and the key)."""


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
    description_da: str


@dataclass(frozen=True)
class Funder:
    id: str
    name_da: str
    name_en: str


@dataclass(frozen=True)
class GrantType:
    id: str
    funder: str
    name_da: str
    name_en: str
    amount_dkk: int | None  # None: not declared


@dataclass(frozen=True)
class Programme:
    """One programme generation, as ``config/generations/<id>.yaml`` declares it."""

    id: str
    name_da: str
    name_en: str
    first_year: int
    last_year: int
    clusters: int
    allocation_dkk: int
    allocation_approximate: bool
    allocation_tolerance_pct: float  # 0 unless approximate: how far the grants may differ
    funders: tuple[Funder, ...]
    grant_types: tuple[GrantType, ...]
    smv_funding_cap_pct: float | None  # None: not a rule of this generation
    overhead_norm_pct: float | None  # None: not a rule of this generation
    windows: tuple[Window, ...]
    contract_version: int
    absent_fields: dict[str, tuple[str, ...]]  # entity -> fields this generation never reported
    latest_matching_year: int | None  # None: each cohort in the year before its entry
    tolerances: Tolerances

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.last_year + 1))

    @property
    def allocation_slack_dkk(self) -> float:
        """How far the clusters' grants may differ from an approximate allocation (0: exact)."""
        return self.allocation_dkk * self.allocation_tolerance_pct / 100

    @property
    def period_label(self) -> str:
        """``<first>-<last>``, for titles and messages (also the generation's id)."""
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


def _optional(
    path: Path, raw: dict[str, Any], key: str, kind: type, high: float | None = None
) -> Any:
    """A number, or None where the file says ``null`` (not a rule, not declared)."""
    if key not in raw:
        raise ConstantsError(f"{path.name}: '{key}' is missing (write null if it does not apply)")
    return None if raw[key] is None else _number(path, raw, key, kind, high)


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


def _text(path: Path, raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConstantsError(f"{path.name}: '{key}' must be a non-empty text")
    return value.strip()


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
                str(name),
                date(first, 1, 1),
                date(last + after, 12, 31),
                str(spec["description"]),
                str(spec.get("description_da") or spec["description"]),
            )
        )
    return tuple(windows)


def _list(path: Path, raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = raw.get(key)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ConstantsError(f"{path.name}: '{key}' must be a list of mappings")
    return items


def _funders(path: Path, raw: dict[str, Any]) -> tuple[Funder, ...]:
    return tuple(
        Funder(_text(path, f, "id"), _text(path, f, "name_da"), _text(path, f, "name_en"))
        for f in _list(path, raw, "funders")
    )


def _grant_types(path: Path, raw: dict[str, Any], funders: set[str]) -> tuple[GrantType, ...]:
    types = []
    for g in _list(path, raw, "grant_types"):
        grant = GrantType(
            _text(path, g, "id"),
            _text(path, g, "funder"),
            _text(path, g, "name_da"),
            _text(path, g, "name_en"),
            _optional(path, g, "amount_dkk", int),
        )
        if grant.funder not in funders:
            raise ConstantsError(
                f"{path.name}: grant type {grant.id!r} names funder {grant.funder!r}, "
                f"which is not one of the funders {sorted(funders)}"
            )
        types.append(grant)
    return tuple(types)


def _absent(path: Path, contract: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    absent = contract.get("absent") or {}
    if not isinstance(absent, dict) or not all(
        isinstance(v, list) and all(isinstance(f, str) for f in v) for v in absent.values()
    ):
        raise ConstantsError(
            f"{path.name}: contract 'absent' must map an entity to a list of field names"
        )
    return {str(entity): tuple(fields) for entity, fields in absent.items()}


def read_tolerances(path: Path = PROGRAMME_CONFIG) -> tuple[str, Tolerances]:
    """The current generation's id and the shared tolerances in ``programme.yaml``."""
    raw = _mapping(path)
    tolerances = _section(path, raw, "tolerances")
    return _text(path, raw, "current_generation"), Tolerances(
        **{k: _number(path, tolerances, k, float) for k in Tolerances.__dataclass_fields__}
    )


def _mapping(path: Path) -> dict[str, Any]:
    try:
        raw = read_yaml(path)
    except ConfigFileError as exc:
        raise ConstantsError(str(exc)) from None
    if not isinstance(raw, dict):
        raise ConstantsError(f"{path.name}: is not a mapping")
    return raw


def read_generation(path: Path, tolerances: Tolerances) -> Programme:
    """The generation declared in ``path``, checked: a bad value fails with file and key named."""
    raw = _mapping(path)
    period = _section(path, raw, "period")
    first, last = (_year(path, period, key) for key in ("first_year", "last_year"))
    if first > last:
        raise ConstantsError(f"{path.name}: period first_year {first} is after last_year {last}")
    ident = _text(path, raw, "id")
    if ident != f"{first}-{last}" or path.stem != ident:
        raise ConstantsError(
            f"{path.name}: id {ident!r} must be the period '{first}-{last}' and the file's name"
        )
    rules = _section(path, raw, "rules")
    contract = _section(path, raw, "contract")
    evaluation = _section(path, raw, "evaluation")
    funders = _funders(path, raw)
    matching = evaluation.get("latest_matching_year")
    approximate = raw.get("allocation_approximate", False)
    if not isinstance(approximate, bool):
        raise ConstantsError(f"{path.name}: 'allocation_approximate' must be true or false")
    return Programme(
        id=ident,
        name_da=_text(path, raw, "name_da"),
        name_en=_text(path, raw, "name_en"),
        first_year=first,
        last_year=last,
        clusters=_number(path, raw, "clusters", int),
        allocation_dkk=_number(path, raw, "allocation_dkk", int),
        allocation_approximate=approximate,
        allocation_tolerance_pct=_number(path, raw, "allocation_tolerance_pct", float, high=100)
        if approximate
        else 0.0,
        funders=funders,
        grant_types=_grant_types(path, raw, {f.id for f in funders}),
        smv_funding_cap_pct=_optional(path, rules, "smv_funding_cap_pct", float, high=100),
        overhead_norm_pct=_optional(path, rules, "overhead_norm_pct", float, high=100),
        windows=_windows(path, raw, first, last),
        contract_version=_number(path, contract, "version", int),
        absent_fields=_absent(path, contract),
        latest_matching_year=None
        if matching is None
        else _year(path, evaluation, "latest_matching_year"),
        tolerances=tolerances,
    )


def read_generations(
    directory: Path = GENERATIONS_DIR, config: Path = PROGRAMME_CONFIG
) -> tuple[Programme, ...]:
    """Every generation declared in ``directory``, oldest first; the current one must be there."""
    current, tolerances = read_tolerances(config)
    found = tuple(
        sorted(
            (read_generation(p, tolerances) for p in sorted(directory.glob("*.yaml"))),
            key=lambda g: g.first_year,
        )
    )
    if current not in {g.id for g in found}:
        raise ConstantsError(
            f"{config.name}: current_generation {current!r} has no declaration in "
            f"{directory.name}/ (found {[g.id for g in found]})"
        )
    for older, newer in zip(found, found[1:], strict=False):
        if newer.first_year <= older.last_year:
            raise ConstantsError(
                f"{directory.name}/: generations {older.id} and {newer.id} overlap"
            )
    return found


@cache
def generations() -> tuple[Programme, ...]:
    """The programme's generations, oldest first, read once per process."""
    return read_generations()


def generation(ident: str) -> Programme:
    """The generation with id ``ident`` (e.g. ``2021-2024``)."""
    for g in generations():
        if g.id == ident:
            return g
    raise ConstantsError(
        f"no programme generation {ident!r}; declared: {', '.join(g.id for g in generations())}"
    )


@cache
def programme() -> Programme:
    """The current generation (``current_generation`` in ``config/programme.yaml``)."""
    return generation(read_tolerances()[0])


def generations_text(lang: str = "en") -> str:
    """The generations for a sentence: ``2021-2024 and 2025-2028`` (``og`` in Danish)."""
    ids = [g.id for g in generations()]
    joined = ", ".join(ids[:-1])
    return f"{joined} {'og' if lang == 'da' else 'and'} {ids[-1]}" if joined else ids[-1]


def is_generation_id(text: str) -> bool:
    """``<first>-<last>``: the shape of a generation's id and of its inbound folder's name."""
    return bool(_GENERATION_ID.match(text))


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
    """The constants dbt's models and tests use (``var('...')``), for ``--vars``: every
    generation's period, clusters, allocation and rules (``programme_generations``; a rule not in
    force then is ``None``; ``reports_grant_type`` is false when the generation's contract
    declares the projects' grant_type absent), every generation's declared grant types
    (``programme_grant_types``; an amount not declared is ``None``), the current generation's id
    and the reconciliation tolerance. dbt builds ``int_programme__generations`` and
    ``int_programme__grant_types`` from them; no model reads a single period, rule or grant
    type."""
    p = programme()
    return {
        "reconciliation_tolerance_dkk": p.tolerances.reconciliation_dkk,
        "current_programme": p.id,
        "programme_generations": [
            {
                "programme": g.id,
                "first_year": g.first_year,
                "last_year": g.last_year,
                "clusters": g.clusters,
                "allocation_dkk": g.allocation_dkk,
                "smv_funding_cap_pct": None
                if g.smv_funding_cap_pct is None
                else _plain(g.smv_funding_cap_pct),
                "overhead_norm_pct": None
                if g.overhead_norm_pct is None
                else _plain(g.overhead_norm_pct),
                "reports_grant_type": "grant_type" not in g.absent_fields.get("projects", ()),
            }
            for g in generations()
        ],
        "programme_grant_types": [
            {
                "programme": g.id,
                "grant_type": t.id,
                "funder": t.funder,
                "name_da": t.name_da,
                "name_en": t.name_en,
                "amount_dkk": t.amount_dkk,
            }
            for g in generations()
            for t in g.grant_types
        ],
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
