"""The versioned inbound contract for programme data, read from ``config/programme_contract/``.

One YAML file per entity declares its fields (type, required, limits, description, example),
its unique keys and its references to other entities. Texts for senders come in English
(``description``, ``enum_descriptions``) and Danish (``description_da``,
``enum_descriptions_da``); the Danish ones are optional for the loader, and a test requires
them for every entity, field and list value. Everything else (validation, the raw
table columns, the documentation and the templates) is derived from these files, so they are
the one place where the contract changes. A mistake in a contract file fails at import time
with the file and key named.

Each programme generation reads the contract with its own date windows and without the fields it
never reported (``contract: absent`` in ``config/generations/<id>.yaml``): those stay in the
raw tables as NULL columns, so that every generation's rows have the same columns, and are
never invented.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from pipelines.config_file import ConfigFileError, read_yaml
from pipelines.constants import GENERATIONS_DIR, Programme, programme
from pipelines.settings import PACKAGE_DIR

CONTRACT_DIR = PACKAGE_DIR / "config" / "programme_contract"
# Load order: an entity only refers to entities before it.
ENTITIES = ("clusters", "projects", "participants", "cluster_finances")
DEFAULT_SCALE = 2  # decimals kept for amounts and FTE (øre; hundredths of a year's work)
DECIMAL_PRECISION = 18  # digits in all, as DECIMAL(18,2): up to 10^16 kr.


class FieldType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    BOOLEAN = "boolean"
    ENUM = "enum"
    CVR = "cvr"


class ContractError(ValueError):
    """A contract file is malformed (names the file and the key)."""


@dataclass(frozen=True)
class DateWindow:
    """The dates a date field may hold (the generation's ``date_windows``)."""

    name: str
    earliest: date
    latest: date
    description: str

    def __contains__(self, iso_date: str) -> bool:
        return self.earliest.isoformat() <= iso_date <= self.latest.isoformat()


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType
    required: bool
    description: str
    example: str
    enum: tuple[str, ...] = ()
    enum_descriptions: dict[str, str] = field(default_factory=dict)
    min: Decimal | None = None
    max: Decimal | None = None
    pattern: str | None = None
    description_da: str = ""  # the description in Danish, for the Danish senders
    enum_descriptions_da: dict[str, str] = field(default_factory=dict)
    not_before: str | None = None  # another date field this one may not precede
    # e.g. {"participant_type": ("foreign",)}: may be empty when that column holds one of these
    empty_allowed_when: dict[str, tuple[str, ...]] = field(default_factory=dict)
    scale: int = DEFAULT_SCALE
    window: DateWindow | None = None  # date fields: the dates allowed
    enum_from: str | None = None  # the values come from the generation (ENUM_SOURCES)

    @property
    def sql_type(self) -> str:
        """Column type in the raw table."""
        return {
            FieldType.INTEGER: "INTEGER",
            FieldType.DECIMAL: f"DECIMAL({DECIMAL_PRECISION},{self.scale})",
            FieldType.DATE: "DATE",
            FieldType.BOOLEAN: "BOOLEAN",
        }.get(self.type, "VARCHAR")


@dataclass(frozen=True)
class Reference:
    columns: tuple[str, ...]
    entity: str  # the referenced entity; its unique key of the same column names


@dataclass(frozen=True)
class EntitySchema:
    entity: str
    version: int
    file_prefix: str
    description: str
    fields: tuple[FieldSpec, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    references: tuple[Reference, ...] = ()
    source: Path | None = None
    description_da: str = ""  # the description in Danish
    generation: str = ""  # the programme generation whose contract this is
    absent: tuple[FieldSpec, ...] = ()  # fields this generation never reported: NULL columns
    declared: tuple[FieldSpec, ...] = ()  # every field of the contract file, in its order

    @property
    def raw_table(self) -> str:
        return f"programme_{self.entity}"

    @property
    def digest(self) -> str:
        """Identifies what the generation's files are checked and loaded against: the entity's
        fields, keys, windows and values as this generation reads them (a changed grant type
        list or absent field makes unchanged files load again)."""
        facts = {k: v for k, v in asdict(self).items() if k != "source"}
        text = json.dumps(facts, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def contract_fields(self) -> tuple[FieldSpec, ...]:
        """Every field of the contract (the raw table's columns), absent ones included."""
        return self.declared or self.fields

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def spec(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)


_ENTITY_KEYS = {
    "entity",
    "version",
    "file_prefix",
    "description",
    "description_da",
    "unique",
    "references",
    "fields",
}
_FIELD_KEYS = {
    "name",
    "type",
    "required",
    "description",
    "description_da",
    "example",
    "enum",
    "enum_descriptions",
    "enum_descriptions_da",
    "min",
    "max",
    "pattern",
    "not_before",
    "empty_allowed_when",
    "scale",
    "window",
    "enum_from",
}
# Lists of values a generation declares (``config/generations/<id>.yaml``) rather than the
# contract: a field with ``enum_from: grant_types`` takes the generation's grant type ids.
ENUM_SOURCES = ("grant_types",)


def _fail(path: Path, detail: str) -> ContractError:
    return ContractError(f"programme contract {path.name}: {detail}")


def load_date_windows(generation: Programme | None = None) -> dict[str, DateWindow]:
    """The generation's windows (default: the current one), spanning its period."""
    windows = (generation or programme()).windows
    return {w.name: DateWindow(w.name, w.earliest, w.latest, w.description) for w in windows}


def _window(
    path: Path, raw: dict[str, Any], ftype: FieldType, windows: dict[str, DateWindow]
) -> DateWindow | None:
    name = raw.get("window")
    if name is None:
        return None
    if ftype not in (FieldType.DATE, FieldType.INTEGER):
        raise _fail(
            path,
            f"field {raw.get('name')!r}: 'window' goes with type date (dates "
            "within it) or integer (years within it) only",
        )
    if name not in windows:
        raise _fail(
            path,
            f"field {raw.get('name')!r}: window {name!r} is not one of "
            f"{sorted(windows)} in {GENERATIONS_DIR.name}/",
        )
    return windows[name]


def _limit(path: Path, where: str, raw: dict[str, Any], key: str) -> Decimal | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, f"{where}: '{key}' must be a number, got {value!r}")
    return Decimal(str(value))


def _whole(path: Path, where: str, raw: dict[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(path, f"{where}: '{key}' must be a whole number, got {value!r}")
    return value


def _field(path: Path, raw: Any, windows: dict[str, DateWindow]) -> FieldSpec:
    if not isinstance(raw, dict):
        raise _fail(path, f"a field must be a mapping with name, type, ..., got {raw!r}")
    name = raw.get("name")
    where = f"field {name!r}"
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise _fail(path, f"{where}: unknown keys {sorted(unknown)}")
    for key in ("name", "type", "required", "description", "example"):
        if key not in raw:
            raise _fail(path, f"{where}: '{key}' is missing")
    try:
        ftype = FieldType(raw["type"])
    except ValueError:
        raise _fail(
            path, f"{where}: type {raw['type']!r} is not one of {[t.value for t in FieldType]}"
        ) from None
    enum = tuple(str(v) for v in raw.get("enum") or ())
    enum_from = raw.get("enum_from")
    if enum_from is not None and (enum_from not in ENUM_SOURCES or enum):
        raise _fail(path, f"{where}: 'enum_from' is one of {list(ENUM_SOURCES)}, instead of 'enum'")
    if (ftype is FieldType.ENUM) != bool(enum or enum_from):
        raise _fail(path, f"{where}: 'enum' values go with type enum, and only with it")
    limits = {k: _limit(path, where, raw, k) for k in ("min", "max")}
    if None not in limits.values() and limits["min"] > limits["max"]:
        raise _fail(path, f"{where}: 'min' {limits['min']} is above 'max' {limits['max']}")
    if raw.get("pattern") is not None:
        try:
            re.compile(str(raw["pattern"]))
        except re.error as exc:
            raise _fail(path, f"{where}: 'pattern' is not a regular expression: {exc}") from None
    window = _window(path, raw, ftype, windows)
    if ftype is FieldType.INTEGER and window is not None:  # a year: within the window's years
        if raw.get("min") is not None or raw.get("max") is not None:
            raise _fail(path, f"{where}: 'window' replaces 'min' and 'max' for a year")
        limits = {"min": Decimal(window.earliest.year), "max": Decimal(window.latest.year)}
        window = None
    return FieldSpec(
        name=str(name),
        type=ftype,
        required=bool(raw["required"]),
        description=" ".join(str(raw["description"]).split()),
        example=str(raw["example"]),
        enum=enum,
        enum_from=enum_from,
        enum_descriptions={str(k): str(v) for k, v in (raw.get("enum_descriptions") or {}).items()},
        pattern=raw.get("pattern"),
        description_da=" ".join(str(raw.get("description_da") or "").split()),
        enum_descriptions_da={
            str(k): " ".join(str(v).split())
            for k, v in (raw.get("enum_descriptions_da") or {}).items()
        },
        not_before=raw.get("not_before"),
        empty_allowed_when={
            str(k): tuple(str(x) for x in v)
            for k, v in (raw.get("empty_allowed_when") or {}).items()
        },
        scale=_whole(path, where, raw, "scale", DEFAULT_SCALE),
        window=window,
        **limits,
    )


def load_entity(path: Path, windows: dict[str, DateWindow] | None = None) -> EntitySchema:
    try:
        raw = read_yaml(path)
    except ConfigFileError as exc:
        raise ContractError(f"programme contract {exc}") from None
    if not isinstance(raw, dict):
        raise _fail(path, "is not a mapping")
    unknown = set(raw) - _ENTITY_KEYS
    if unknown:
        raise _fail(path, f"unknown keys {sorted(unknown)}")
    for key in ("entity", "version", "file_prefix", "description", "fields"):
        if key not in raw:
            raise _fail(path, f"'{key}' is missing")
    windows = load_date_windows() if windows is None else windows
    if not isinstance(raw["fields"], list):
        raise _fail(path, "'fields' must be a list of fields")
    fields = tuple(_field(path, f, windows) for f in raw["fields"])
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise _fail(path, f"field names repeat: {names}")
    schema = EntitySchema(
        entity=str(raw["entity"]),
        version=_whole(path, "the entity", raw, "version", 0),
        file_prefix=str(raw["file_prefix"]).lower(),
        description=" ".join(str(raw["description"]).split()),
        fields=fields,
        unique=tuple(tuple(k) for k in raw.get("unique") or ()),
        references=tuple(
            Reference(tuple(r["columns"]), str(r["entity"])) for r in raw.get("references") or ()
        ),
        source=path,
        description_da=" ".join(str(raw.get("description_da") or "").split()),
    )
    _check_names(path, schema)
    return schema


def _check_names(path: Path, schema: EntitySchema) -> None:
    names = set(schema.field_names)
    used = [c for key in schema.unique for c in key]
    used += [c for ref in schema.references for c in ref.columns]
    for f in schema.fields:
        used += [c for c in (f.not_before, *f.empty_allowed_when) if c]
    missing = sorted(set(used) - names)
    if missing:
        raise _fail(path, f"refers to columns that are not fields: {missing}")


def load_contract(
    directory: Path = CONTRACT_DIR, generation: Programme | None = None
) -> dict[str, EntitySchema]:
    """All entities as ``generation`` (default: the current one) reports them, in load order
    (an entity's references point to earlier ones)."""
    generation = generation or programme()
    schemas: dict[str, EntitySchema] = {}
    windows = load_date_windows(generation)
    for entity in ENTITIES:
        path = directory / f"{entity}.yaml"
        schema = _without_absent(path, load_entity(path, windows), generation)
        if schema.entity != entity:
            raise _fail(path, f"declares entity {schema.entity!r}, expected {entity!r}")
        for ref in schema.references:
            if ref.entity not in schemas:
                raise _fail(path, f"refers to {ref.entity!r}, which is not loaded before it")
            if ref.columns not in schemas[ref.entity].unique:
                raise _fail(
                    path, f"reference {list(ref.columns)} is not a unique key of {ref.entity}"
                )
        prefixes = {s.file_prefix: e for e, s in schemas.items()}
        if schema.file_prefix in prefixes:
            raise _fail(
                path, f"file_prefix {schema.file_prefix!r} is {prefixes[schema.file_prefix]}'s too"
            )
        schemas[entity] = schema
    unknown = sorted(set(generation.absent_fields) - set(ENTITIES))
    if unknown:
        raise ContractError(
            f"generation {generation.id}: contract 'absent' names entities that do not exist: "
            f"{unknown} (entities: {', '.join(ENTITIES)})"
        )
    return schemas


def _without_absent(path: Path, schema: EntitySchema, generation: Programme) -> EntitySchema:
    """The entity without the fields the generation never reported; a required key or a field
    another refers to cannot be absent."""
    names = generation.absent_fields.get(schema.entity, ())
    unknown = sorted(set(names) - set(schema.field_names))
    if unknown:
        raise _fail(
            path,
            f"generation {generation.id} declares absent fields that are not in the contract: "
            f"{unknown}",
        )
    keyed = {c for key in schema.unique for c in key} | {
        c for ref in schema.references for c in ref.columns
    }
    for f in schema.fields:
        keyed |= {c for c in (f.not_before, *f.empty_allowed_when) if c}
    if clash := sorted(set(names) & keyed):
        raise _fail(
            path, f"generation {generation.id}: a key or referenced field cannot be absent: {clash}"
        )
    fields = tuple(_values_of(f, generation) for f in schema.fields)
    return replace(
        schema,
        fields=tuple(f for f in fields if f.name not in names),
        absent=tuple(f for f in fields if f.name in names),
        declared=fields,
        generation=generation.id,
    )


def _values_of(spec: FieldSpec, generation: Programme) -> FieldSpec:
    """A field whose list of values the generation declares, with the generation's values."""
    if spec.enum_from != "grant_types":
        return spec
    return replace(
        spec,
        enum=tuple(g.id for g in generation.grant_types),
        enum_descriptions={g.id: g.name_en for g in generation.grant_types},
        enum_descriptions_da={g.id: g.name_da for g in generation.grant_types},
    )
