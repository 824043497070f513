"""Generate the contract's documentation and templates from the YAML schemas.

    python -m pipelines.programme.docs          # rewrite docs/programme_contract.md, templates
    python -m pipelines.programme.docs --check  # exit 1 if the committed files are stale

The people filling in files read ``docs/programme_contract.md`` and start from
``docs/templates/<entity>.csv`` (a header and one example row, ``;``-separated UTF-8 with BOM so
that Excel shows æøå). Both are generated, never edited by hand; a test keeps them in step
with the schemas. The senders are Danish cluster organisations: the page is in Danish first
(``templates/programme_contract.md.j2``), then in English
(``templates/programme_contract_en.md.j2``); the tables' texts come from the schemas'
``description_da`` / ``description`` and the Danish and English texts below.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from pipelines.bookkeeping import PROGRAMME_LOADS as LOADS_TABLE
from pipelines.constants import Programme, generations, programme
from pipelines.programme.checks.reader import HEADER_SCAN_ROWS, MAX_XLSX_UNPACKED_BYTES
from pipelines.programme.checks.values import FALSE_WORDS, TRUE_WORDS
from pipelines.programme.contract import EntitySchema, FieldSpec, FieldType, load_contract
from pipelines.programme.load import LINEAGE_COLUMNS
from pipelines.settings import REPO_ROOT

DOCS_DIR = REPO_ROOT / "docs"
DOC_PATH = DOCS_DIR / "programme_contract.md"
TEMPLATES_DIR = DOCS_DIR / "templates"

TYPE_TEXT = {
    FieldType.STRING: "text",
    FieldType.INTEGER: "whole number",
    FieldType.DECIMAL: "number",
    FieldType.DATE: "date",
    FieldType.BOOLEAN: "true/false",
    FieldType.ENUM: "one of a list",
    FieldType.CVR: "CVR number",
}

TYPE_TEXT_DA = {
    FieldType.STRING: "tekst",
    FieldType.INTEGER: "heltal",
    FieldType.DECIMAL: "tal",
    FieldType.DATE: "dato",
    FieldType.BOOLEAN: "sand/falsk",
    FieldType.ENUM: "en værdi fra en liste",
    FieldType.CVR: "CVR-nummer",
}

# the date windows of config/programme.yaml, in Danish (their description there is English)
WINDOW_TEXT_DA = {
    "programme": "programperioden",
    "plausible": "programperioden og tre år efter den, da projekter kan slutte senere",
}

# the entities' names for Danish readers
ENTITY_TITLE_DA = {
    "clusters": "Klynger",
    "projects": "Projekter",
    "participants": "Deltagere",
    "cluster_finances": "Klyngernes økonomi",
}

LINEAGE_MEANING_DA = {
    "_source_file": "filen, relativt til `inbound/programme/` (fx `2025-2028/sample/projects.csv`)",
    "_source_sha256": "filens SHA-256-kontrolsum, som den blev indlæst",
    "_source_row": "rækken i filen, som et regneark viser den",
    "_loaded_at": "hvornår indlæsningen kørte (UTC)",
    "_is_sample": "sand for rækker fra det syntetiske eksempel",
    "_contract_version": "den version af kontrakten for filtypen, filen blev kontrolleret mod",
}

LINEAGE_MEANING = {
    "_source_file": (
        "the file, relative to `inbound/programme/` (e.g. `2025-2028/sample/projects.csv`)"
    ),
    "_source_sha256": "SHA-256 checksum of the file as loaded",
    "_source_row": "the row in the file, as a spreadsheet shows it",
    "_loaded_at": "when the load ran (UTC)",
    "_is_sample": "true for rows from the synthetic sample",
    "_contract_version": "the version of this entity's contract the file was checked against",
}


def _limits(spec: FieldSpec, da: bool = False) -> str:
    parts = []
    if spec.enum:
        meanings = spec.enum_descriptions_da if da else spec.enum_descriptions
        if meanings:
            parts.append("<br>".join(f"`{v}`: {meanings.get(v, '')}" for v in spec.enum))
        else:
            parts.append(", ".join(f"`{v}`" for v in spec.enum))
    if spec.min is not None:
        parts.append(f"≥ {spec.min}")
    if spec.max is not None:
        parts.append(f"≤ {spec.max}")
    if spec.type is FieldType.DECIMAL:
        parts.append(f"højst {spec.scale} decimaler" if da else f"at most {spec.scale} decimals")
    if spec.pattern:
        parts.append(f"formen `{spec.pattern}`" if da else f"form `{spec.pattern}`")
    if spec.not_before:
        parts.append(f"ikke før {spec.not_before}" if da else f"not before {spec.not_before}")
    if spec.window:
        w = spec.window
        if da:
            what = WINDOW_TEXT_DA.get(w.name, w.description)
            parts.append(f"fra {w.earliest} til {w.latest} ({what})")
        else:
            parts.append(f"from {w.earliest} to {w.latest} ({w.description})")
    return "; ".join(parts)


def _required(spec: FieldSpec, da: bool = False) -> str:
    yes, no = ("ja", "nej") if da else ("yes", "no")
    if not spec.required:
        return no
    if spec.empty_allowed_when:
        if da:
            cond = " / ".join(
                f"{col} er {' eller '.join(vals)}" for col, vals in spec.empty_allowed_when.items()
            )
            return f"ja (må være tom, når {cond})"
        cond = " / ".join(
            f"{col} is {' or '.join(vals)}" for col, vals in spec.empty_allowed_when.items()
        )
        return f"yes (may be empty when {cond})"
    return yes


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _constraints(schema: EntitySchema, da: bool) -> list[str]:
    constraints = []
    for key in schema.unique:
        cols = ", ".join(f"`{c}`" for c in key)
        if any(schema.spec(c).empty_allowed_when for c in key):
            note = (
                " (rækker med en tom nøglecelle sammenlignes ikke)"
                if da
                else " (rows with an empty key cell are not compared)"
            )
        else:
            note = ""
        if da and len(key) == 1:
            constraints.append(f"{cols} må kun forekomme én gang{note}.")
        elif da:
            both = " og ".join(f"`{c}`" for c in key)
            constraints.append(f"Kombinationen af {both} må kun forekomme én gang{note}.")
        else:
            constraints.append(f"Unique: {cols}{note}.")
    for ref in schema.references:
        cols = ", ".join(f"`{c}`" for c in ref.columns)
        if da:
            constraints.append(f"{cols} skal findes i en `{ref.entity}`-fil.")
        else:
            constraints.append(f"{cols} must exist in a `{ref.entity}` file.")
    return constraints


def _entity(schema: EntitySchema) -> dict[str, object]:
    """What the template shows for one entity: its constraints and one table row per field, in
    English (``rows``, ``constraints``) and in Danish (``*_da``)."""

    def rows(da: bool) -> list[list[str]]:
        return [
            [
                _cell(x)
                for x in (
                    f"`{f.name}`",
                    (TYPE_TEXT_DA if da else TYPE_TEXT)[f.type],
                    _required(f, da),
                    _limits(f, da),
                    (f.description_da or f.description) if da else f.description,
                    f"`{f.example}`",
                )
            ]
            for f in schema.fields
        ]

    return {
        "entity": schema.entity,
        "title_da": ENTITY_TITLE_DA.get(schema.entity, schema.entity),
        "version": schema.version,
        "description": schema.description,
        "description_da": schema.description_da or schema.description,
        "constraints_da": _constraints(schema, da=True),
        "rows_da": rows(da=True),
        "file_prefix": schema.file_prefix,
        "raw_table": schema.raw_table,
        "constraints": _constraints(schema, da=False),
        "rows": rows(da=False),
    }


def _generation(g: Programme) -> dict[str, object]:
    """A generation's row in the contract's table of generations."""
    window = next(w for w in g.windows if w.name == "programme")
    absent = [f"`{entity}.{name}`" for entity, names in g.absent_fields.items() for name in names]
    return {
        "id": g.id,
        "name_da": g.name_da,
        "name_en": g.name_en,
        "contract_version": g.contract_version,
        "programme_window": f"{window.earliest.isoformat()} – {window.latest.isoformat()}",
        "absent_da": ", ".join(absent) or "ingen",
        "absent_en": ", ".join(absent) or "none",
    }


def render_markdown(schemas: Mapping[str, EntitySchema]) -> str:
    """The contract page: prose in ``templates/programme_contract.md.j2``, facts from code."""
    env = Environment(
        loader=PackageLoader("pipelines.programme", "templates"),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template("programme_contract.md.j2").render(
        versions=", ".join(f"{s.entity} v{s.version}" for s in schemas.values()),
        period=programme().period_label,
        current=programme().id,
        generations=[_generation(g) for g in generations()],
        prefixes=", ".join(f"`{s.file_prefix}`" for s in schemas.values()),
        header_scan_rows=HEADER_SCAN_ROWS,
        xlsx_unpacked_gib=MAX_XLSX_UNPACKED_BYTES // 2**30,
        true_words="/".join(sorted(TRUE_WORDS)),
        false_words="/".join(sorted(FALSE_WORDS)),
        entities=[_entity(s) for s in schemas.values()],
        lineage=[(name, sql, LINEAGE_MEANING[name]) for name, sql in LINEAGE_COLUMNS],
        lineage_da=[(name, sql, LINEAGE_MEANING_DA[name]) for name, sql in LINEAGE_COLUMNS],
        loads_table=LOADS_TABLE,
    )


def render_template(schema: EntitySchema) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(schema.field_names)
    writer.writerow([f.example for f in schema.fields])
    return buf.getvalue().encode("utf-8-sig")


def rendered(schemas: Mapping[str, EntitySchema], docs_dir: Path = DOCS_DIR) -> dict[Path, bytes]:
    """Every generated file and its exact bytes."""
    files = {docs_dir / DOC_PATH.name: render_markdown(schemas).encode("utf-8")}
    for schema in schemas.values():
        files[docs_dir / TEMPLATES_DIR.name / f"{schema.entity}.csv"] = render_template(schema)
    return files


def stale(schemas: Mapping[str, EntitySchema], docs_dir: Path = DOCS_DIR) -> list[Path]:
    """Generated files whose committed bytes differ from what the schemas give."""
    return [
        p
        for p, data in rendered(schemas, docs_dir).items()
        if not p.exists() or p.read_bytes() != data
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.programme.docs")
    parser.add_argument(
        "--check", action="store_true", help="only check that the committed files are up to date"
    )
    args = parser.parse_args(argv)
    schemas = load_contract()
    if args.check:
        out_of_date = stale(schemas)
        for path in out_of_date:
            print(f"out of date: {path}", file=sys.stderr)
        return 1 if out_of_date else 0
    for path, data in rendered(schemas).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
