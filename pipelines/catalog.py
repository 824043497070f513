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

import yaml

from pipelines.settings import DBT_PROJECT_DIR, PACKAGE_DIR

PUBLISHED_CONFIG = PACKAGE_DIR / "config" / "published.yaml"
MART_SCHEMA = "marts"


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str


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

    @property
    def relation(self) -> str:
        return f"{MART_SCHEMA}.{self.name}"


def _manifest(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def published_marts(
    config: Path = PUBLISHED_CONFIG,
    manifest: Path = DBT_PROJECT_DIR / "target" / "manifest.json",
) -> tuple[Mart, ...]:
    doc = yaml.safe_load(config.read_text(encoding="utf-8"))
    nodes = {
        n["name"]: n for n in _manifest(manifest)["nodes"].values() if n["resource_type"] == "model"
    }
    marts = []
    for name, spec in doc["marts"].items():
        node = nodes.get(name)
        if node is None:
            raise ValueError(f"{config}: mart {name} is not a dbt model in {manifest}")
        columns = tuple(
            Column(c["name"], (c.get("data_type") or "").lower(), c.get("description", ""))
            for c in node["columns"].values()
        )
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
            )
        )
    return tuple(marts)
