"""What is published: the marts listed in ``config/published.yaml`` and their dbt documentation.

Both the quality gate and the publisher read this, so a mart added to the config is checked
and published with nothing else to change. Descriptions and column types come from the dbt
manifest, the one place they are written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pipelines.config_file import read_yaml
from pipelines.settings import DBT_PROJECT_DIR, PACKAGE_DIR

PUBLISHED_CONFIG = PACKAGE_DIR / "config" / "published.yaml"
MART_SCHEMA = "marts"


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str  # English, the dbt description
    description_da: str = ""  # Danish: the column's dbt meta `description_da`, where written


@dataclass(frozen=True)
class Mart:
    name: str
    keys: tuple[str, ...]
    min_rows: int
    max_rows: int
    source: str  # "dst" or "programme"
    description: str = ""
    columns: tuple[Column, ...] = field(default_factory=tuple)
    grain: str = ""  # what one row is
    answers: str = ""  # the analyst's question the table answers
    # (columns, published mart): every combination of these columns' values is one of the
    # other mart's rows, matched on the columns of the same names (a foreign key)
    references: tuple[tuple[tuple[str, ...], str], ...] = ()

    @property
    def relation(self) -> str:
        return f"{MART_SCHEMA}.{self.name}"


class CatalogError(ValueError):
    """``published.yaml`` names a mart or setting that cannot be; the message says which."""


SOURCES = ("dst", "programme")


def _check_spec(config: Path, name: str, spec: Any, columns: set[str]) -> None:
    where = f"{config}: mart {name}"
    if not isinstance(spec, dict):
        raise CatalogError(f"{where}: give keys, rows and source")
    missing = [k for k in ("keys", "rows", "source") if k not in spec]
    if missing:
        raise CatalogError(f"{where}: {', '.join(missing)} missing")
    rows = spec["rows"]
    if not (
        isinstance(rows, list)
        and len(rows) == 2
        and all(isinstance(r, int) and not isinstance(r, bool) and r >= 0 for r in rows)
        and rows[0] <= rows[1]
    ):
        raise CatalogError(f"{where}: 'rows' must be [fewest, most] whole numbers, got {rows!r}")
    if spec["source"] not in SOURCES:
        raise CatalogError(f"{where}: 'source' must be one of {SOURCES}, got {spec['source']!r}")
    keys = spec["keys"]
    unknown = [k for k in keys if k not in columns] if isinstance(keys, list) else [keys]
    if unknown:
        raise CatalogError(f"{where}: keys {unknown} are not columns of the mart")
    references = spec.get("references", {})
    if not isinstance(references, dict) or not all(
        isinstance(v, list) and v and all(isinstance(c, str) for c in v)
        for v in references.values()
    ):
        raise CatalogError(f"{where}: give 'references' as other_mart: [column, ...]")
    unknown = [c for cols in references.values() for c in cols if c not in columns]
    if unknown:
        raise CatalogError(f"{where}: references {unknown} are not columns of the mart")


def _check_references(config: Path, marts: list[Mart]) -> None:
    """Each reference names a published mart and one of its columns."""
    columns = {m.name: {c.name for c in m.columns} for m in marts}
    for mart in marts:
        for cols, table in mart.references:
            if missing := [c for c in cols if c not in columns.get(table, ())]:
                raise CatalogError(
                    f"{config}: mart {mart.name}: references {table}: {missing} are not "
                    "columns of a published mart of that name"
                )


def _manifest(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _description_da(column: dict[str, Any]) -> str:
    """The column's Danish description: ``description_da`` in its dbt ``meta`` (given under
    ``config:`` or beside it), or "" where only the English one is written."""
    metas = (column.get("meta") or {}, (column.get("config") or {}).get("meta") or {})
    text = next((m["description_da"] for m in metas if m.get("description_da")), "")
    return " ".join(str(text).split())


@cache
def published_marts(
    config: Path = PUBLISHED_CONFIG,
    manifest: Path = DBT_PROJECT_DIR / "target" / "manifest.json",
) -> tuple[Mart, ...]:
    doc = read_yaml(config)
    nodes = {
        n["name"]: n for n in _manifest(manifest)["nodes"].values() if n["resource_type"] == "model"
    }
    if not isinstance(doc, dict) or not isinstance(doc.get("marts"), dict):
        raise CatalogError(f"{config}: give 'marts:' as a mapping of mart name to its settings")
    marts = []
    for name, spec in doc["marts"].items():
        node = nodes.get(name)
        if node is None:
            raise CatalogError(f"{config}: mart {name} is not a dbt model in {manifest}")
        columns = tuple(
            Column(
                c["name"],
                (c.get("data_type") or "").lower(),
                c.get("description", ""),
                _description_da(c),
            )
            for c in node["columns"].values()
        )
        _check_spec(config, name, spec, {c.name for c in columns})
        marts.append(
            Mart(
                name=name,
                keys=tuple(spec["keys"]),
                min_rows=spec["rows"][0],
                max_rows=spec["rows"][1],
                source=spec["source"],
                description=" ".join(node.get("description", "").split()),
                columns=columns,
                grain=spec.get("grain", ""),
                answers=spec.get("answers", ""),
                references=tuple(
                    (tuple(cols), table) for table, cols in spec.get("references", {}).items()
                ),
            )
        )
    _check_references(config, marts)
    return tuple(marts)
