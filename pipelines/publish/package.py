"""The release as a citable data package: its version, ``datapackage.json`` and ``CITATION.cff``.

**Version.** A release folder keeps its unique name (``20261207T021503123456Z``: sorting,
pruning and restoring ``current`` rely on it); its *version* is what a reader cites::

    <release date>+dst.<newest DST 'updated' date>+prog.<8 hex of the programme files>

e.g. ``2026-12-07+dst.2025-10-30+prog.3f9a1c2b``: the UTC date the release was written, the
data version of the newest DST table in it (DST's own ``updated``) and a checksum over the
programme files' names and SHA-256 checksums. Two releases of one day with the same version
hold the same input data; the release id tells them apart.

**datapackage.json** follows Frictionless Data Package v1 (``tabular-data-package``), as
``frictionless`` 5.21 validates it (the tests do): one resource per published table pointing at
its CSV (the dialect of Danish Excel: ``;``, decimal comma, SAND/FALSK), with a table schema
(types from the dbt contract, descriptions from dbt, units from the column's name, the primary
key from ``config/published.yaml`` and its ``references`` as foreign keys). The same table as
Parquet is named in the resource's ``parquet`` property (frictionless cannot read Parquet without
an extra engine; the CSV is the resource it checks). Custom properties (``klynge_*`` on the
package) carry the release id, the synthetic/sample flags and the notice.

The pipeline writes both files itself (plain JSON and YAML); it does not import frictionless.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

import yaml

from pipelines.catalog import Mart
from pipelines.config_file import read_yaml
from pipelines.constants import generations_text, programme
from pipelines.publish.cells import CSV_FALSE, CSV_TRUE, column_format
from pipelines.settings import PACKAGE_DIR

CITATION_CONFIG = PACKAGE_DIR / "config" / "citation.yaml"
STATBANK_URL = "https://www.statbank.dk/{table}"
PACKAGE_NAME = "klynge-evaluation-data"


@cache
def citation_config() -> dict[str, Any]:
    doc = read_yaml(CITATION_CONFIG)
    missing = [k for k in ("title", "title_da", "authors", "licence") if k not in doc]
    if missing:
        raise ValueError(f"{CITATION_CONFIG}: {', '.join(missing)} missing")
    return doc


def title(lang: str = "en") -> str:
    key = "title" if lang == "en" else "title_da"
    return citation_config()[key].format(period=programme().period_label)


def dst_data_date(dst_tables: dict[str, dict[str, Any]]) -> str:
    """The date of the newest DST table in the release (its ``updated``), or ``none``."""
    updated = sorted(str(t["updated"]) for t in dst_tables.values() if t.get("updated"))
    return updated[-1][:10] if updated else "none"


def programme_digest(programme_inputs: list[dict[str, Any]]) -> str:
    """8 hex digits over the programme files' names and checksums, or ``none``."""
    if not programme_inputs:
        return "none"
    lines = sorted(f"{f.get('file')}:{f.get('sha256')}" for f in programme_inputs)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:8]


def release_version(
    created_at: str, dst_tables: dict[str, dict[str, Any]], programme_inputs: list[dict[str, Any]]
) -> str:
    """The citable version of a release (module docstring)."""
    return (
        f"{created_at[:10]}+dst.{dst_data_date(dst_tables)}"
        f"+prog.{programme_digest(programme_inputs)}"
    )


def citation_text(version: str, created_at: str, lang: str = "en") -> str:
    """How to cite a release, in one line (README, report)."""
    authors = "; ".join(_author_name(a) for a in citation_config()["authors"])
    return f"{authors} ({created_at[:4]}). {title(lang)}. Version {version}."


def _author_name(author: dict[str, Any]) -> str:
    if "name" in author:
        return str(author["name"])
    return " ".join(str(author.get(k, "")) for k in ("given-names", "family-names")).strip()


# --- datapackage.json ------------------------------------------------------------------------

_NUMBER_TYPES = ("double", "float", "real", "decimal", "numeric")


def _field(name: str, data_type: str, description: str) -> dict[str, Any]:
    fmt = column_format(name, data_type)
    dtype = data_type.lower()
    out: dict[str, Any] = {"name": name, "description": description}
    if fmt.kind == "boolean":
        out |= {"type": "boolean", "trueValues": [CSV_TRUE], "falseValues": [CSV_FALSE]}
    elif fmt.kind == "date":
        out["type"] = "date"
    elif fmt.kind == "integer":
        out["type"] = "integer"
    elif dtype.startswith(_NUMBER_TYPES):
        out |= {"type": "number", "decimalChar": ","}
    else:  # text, and text holding ISO timestamps (DST's 'updated')
        out["type"] = "string"
    if fmt.unit:
        out["unit"] = fmt.unit
    return out


def _resource(mart: Mart, rows: int) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "fields": [_field(c.name, c.data_type, c.description) for c in mart.columns],
        "primaryKey": list(mart.keys),
        "missingValues": [""],
    }
    if mart.references:
        schema["foreignKeys"] = [
            {"fields": list(cols), "reference": {"resource": table, "fields": list(cols)}}
            for cols, table in mart.references
        ]
    return {
        "name": mart.name,
        "path": f"csv/{mart.name}.csv",
        "profile": "tabular-data-resource",
        "title": mart.grain and f"{mart.name}: one row per {mart.grain}",
        "description": mart.description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig",
        "dialect": {"delimiter": ";", "lineTerminator": "\r\n", "header": True},
        "schema": schema,
        "parquet": f"parquet/{mart.name}.parquet",
        "rows": rows,
    }


def sources(
    dst_tables: dict[str, dict[str, Any]], programme_inputs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The release's inputs: each DST table with its ``updated``, each programme file with its
    checksum."""
    out = [
        {
            "title": f"Statistics Denmark (Danmarks Statistik), StatBank table {table_id}",
            "path": STATBANK_URL.format(table=table_id),
            "version": str(t.get("updated")),
            "source_mode": t.get("source_mode"),
            "synthetic": bool(t.get("synthetic")),
        }
        for table_id, t in sorted(dst_tables.items())
    ]
    out += [
        {
            "title": f"Cluster programme file {f.get('file')} ({f.get('entity')})",
            "version": f"sha256:{f.get('sha256')}",
            "sample": bool(f.get("sample")),
        }
        for f in programme_inputs
    ]
    return out


def datapackage(
    *,
    release: str,
    version: str,
    created_at: str,
    notice: str | None,
    synthetic: bool,
    sample: bool,
    marts: tuple[Mart, ...],
    rows: dict[str, int],
    dst_tables: dict[str, dict[str, Any]],
    programme_inputs: list[dict[str, Any]],
) -> dict[str, Any]:
    config = citation_config()
    licence = config["licence"]
    description = (
        f"Evaluation datasets of the Danish cluster programme {programme().period_label} and "
        f"its generations ({generations_text()}): Statistics Denmark tables on SMEs' R&D, "
        "firms, jobs and turnover, and the cluster organisations' reported programme data, as "
        "published tables. Each table is a CSV for Danish Excel (';', decimal comma, "
        "SAND/FALSK) and a Parquet file."
    )
    return {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": title("en"),
        "description": f"{notice} {description}" if notice else description,
        "version": version,
        "created": created_at,
        "keywords": list(config.get("keywords", [])),
        "licenses": [{"name": licence["id"], "path": licence["url"], "title": licence["title"]}],
        "contributors": [
            {"title": _author_name(a), "role": "publisher"} for a in config["authors"]
        ],
        "sources": sources(dst_tables, programme_inputs),
        "klynge_release": release,
        "klynge_synthetic": synthetic,
        "klynge_sample": sample,
        "klynge_notice": notice or "",
        "resources": [_resource(m, rows.get(m.name, 0)) for m in marts],
    }


def datapackage_json(package: dict[str, Any]) -> str:
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


# --- CITATION.cff ----------------------------------------------------------------------------


def citation_cff(
    *,
    version: str,
    created_at: str,
    notice: str | None,
    dst_tables: dict[str, dict[str, Any]],
    programme_inputs: list[dict[str, Any]],
) -> str:
    """``CITATION.cff`` (Citation File Format 1.2.0) for one release."""
    config = citation_config()
    abstract = (
        f"Evaluation datasets of the Danish cluster programme {programme().period_label} "
        f"(Klyngeprogrammet) and its generations ({generations_text()}), built from Statistics "
        "Denmark tables and the cluster organisations' reported data. Release version "
        + version
        + "."
    )
    if notice:
        abstract = f"{notice} {abstract}"
    references: list[dict[str, Any]] = [
        {
            "type": "database",
            "title": f"StatBank table {table_id}",
            "authors": [{"name": "Statistics Denmark (Danmarks Statistik)"}],
            "url": STATBANK_URL.format(table=table_id),
            "version": str(t.get("updated")),
            "notes": (
                f"DST 'updated' {t.get('updated')}; source {t.get('source_mode')}"
                + ("; SYNTHETIC demo snapshot, not DST statistics" if t.get("synthetic") else "")
            ),
        }
        for table_id, t in sorted(dst_tables.items())
    ]
    references += [
        {
            "type": "data",
            "title": f"Cluster programme file {f.get('file')}",
            "authors": list(config["authors"]),
            "version": f"sha256:{f.get('sha256')}",
            "notes": f"{f.get('entity')}, {f.get('row_count')} rows"
            + ("; generated SAMPLE, not reported data" if f.get("sample") else ""),
        }
        for f in programme_inputs
    ]
    doc = {
        "cff-version": "1.2.0",
        "message": "If you use these data, please cite this release by its version.",
        "type": "dataset",
        "title": title("en"),
        "version": version,
        "date-released": created_at[:10],
        "abstract": abstract,
        "authors": list(config["authors"]),
        "license": config["licence"]["id"],
        "keywords": list(config.get("keywords", [])),
        "references": references,
    }
    header = "# How to cite this release (Citation File Format 1.2.0)\n"
    return header + yaml.dump(
        doc, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=100
    )


class _PlainDumper(yaml.SafeDumper):
    """YAML without anchors and aliases (the authors repeat in every programme reference)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True
