"""The declarative list of DST tables (``pipelines/config/dst_tables.yaml``)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.config_file import ConfigFileError, read_yaml
from pipelines.settings import DST_TABLES_CONFIG

ALL_VALUES = "*"
_TABLE_ID = re.compile(r"^[A-Z0-9]+$")


class DstConfigError(ValueError):
    """The table config file is malformed."""


@dataclass(frozen=True)
class TableSpec:
    """One configured DST table and the values to request for each variable."""

    id: str
    description: str
    unit: str
    lang: str
    owner: str
    variables: dict[str, tuple[str, ...] | str]  # variable id -> value codes, or "*"

    @property
    def raw_table(self) -> str:
        """Name of the table in the ``raw`` schema, e.g. ``dst_forsk01``."""
        return f"dst_{self.id.lower()}"

    @property
    def selection_hash(self) -> str:
        """Changes when the configured selection changes, so a new selection is re-downloaded."""
        payload = json.dumps(
            {"lang": self.lang, "variables": self.variables}, sort_keys=True, default=list
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def load_table_specs(path: Path = DST_TABLES_CONFIG) -> list[TableSpec]:
    """Parse and check the config; errors name the file and the table."""
    try:
        doc = read_yaml(path) or {}
    except ConfigFileError as exc:
        raise DstConfigError(str(exc)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tables") or [], list):
        raise DstConfigError(f"{path}: give 'tables:' as a list of tables (each '- id: ...')")
    defaults = doc.get("defaults") or {}
    specs: list[TableSpec] = []
    seen: set[str] = set()
    for i, entry in enumerate(doc.get("tables") or [], start=1):
        where = f"{path}: table #{i}"
        if not isinstance(entry, dict):
            raise DstConfigError(f"{where}: give the table as a mapping with id and variables")
        table_id = str(entry.get("id", "")).strip().upper()
        if not _TABLE_ID.match(table_id):
            raise DstConfigError(f"{where}: 'id' must be a DST table id like FORSK01")
        if table_id in seen:
            raise DstConfigError(f"{where}: table {table_id} is listed twice")
        seen.add(table_id)
        raw_vars = entry.get("variables")
        if not isinstance(raw_vars, dict) or not raw_vars:
            raise DstConfigError(
                f"{where} ({table_id}): 'variables' must map each variable id "
                "to a list of value codes or '*'"
            )
        variables: dict[str, tuple[str, ...] | str] = {}
        for var_id, values in raw_vars.items():
            if values == ALL_VALUES:
                variables[str(var_id)] = ALL_VALUES
            elif isinstance(values, list) and values and all(isinstance(v, str) for v in values):
                variables[str(var_id)] = tuple(values)
            elif isinstance(values, list) and values:
                raise DstConfigError(
                    f"{where} ({table_id}): variable {var_id}: quote every value code "
                    f"('010', not 010: YAML reads that as the number 8), got {values!r}"
                )
            else:
                raise DstConfigError(
                    f"{where} ({table_id}): variable {var_id}: give a non-empty list of "
                    "value codes or '*'"
                )
        lang = str(entry.get("lang", defaults.get("lang", "da")))
        if lang not in ("da", "en"):
            raise DstConfigError(f"{where} ({table_id}): lang must be 'da' or 'en', not {lang!r}")
        specs.append(
            TableSpec(
                id=table_id,
                description=" ".join(str(entry.get("description", table_id)).split()),
                unit=str(entry.get("unit", "")),
                lang=lang,
                owner=str(entry.get("owner", defaults.get("owner", ""))),
                variables=variables,
            )
        )
    if not specs:
        raise DstConfigError(f"{path}: no tables configured")
    return specs
