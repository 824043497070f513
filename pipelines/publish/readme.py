"""The release's ``README.md``: what it is, which table answers which question, where from."""

from __future__ import annotations

from pipelines.catalog import Mart
from pipelines.constants import generations_text, programme
from pipelines.publish.facts import ReleaseFacts
from pipelines.publish.package import citation_text


def dst_source_sentence(facts: ReleaseFacts) -> str:
    """Where the DST data came from, and why, in one sentence."""
    if facts.fallback_reason:
        return (
            f"the bundled snapshot: {facts.fallback_sentence('en')} / "
            f"{facts.fallback_sentence('da')} (technical detail: `manifest.json`, "
            "`dst.fallback_reason`)"
        )
    if facts.dst_source_mode == "snapshot":
        return "the bundled snapshot, as configured (KLYNGE_DST_SOURCE=snapshot): not a fallback"
    return f"{facts.dst_source_mode} (StatBank API)"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "/")


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*[]<>|"})


def _text(text: str) -> str:
    """Text from outside (file names, an error message) as plain Markdown text: no HTML, link,
    image, code span or table cell can start in it."""
    return " ".join(text.split()).translate(_MARKDOWN)


def release_readme(facts: ReleaseFacts, marts: tuple[Mart, ...], rows: dict[str, int]) -> str:
    lines = [f"# klynge-pipeline release {facts.version}", ""]
    lines += [f"> **{n}**\n" for n in facts.notices]
    lines += [
        f"Evaluation datasets of the Danish cluster programme {programme().period_label} "
        f"(Klyngeprogrammet) and its generations ({generations_text()}); tables keyed by "
        f"generation carry it in the column `programme`. Release id `{facts.release}`, "
        f"version `{facts.version}`.",
        "",
        "## Sådan citeres udgivelsen / How to cite this release",
        "",
        "Angiv versionen, når du citerer tal fra udgivelsen; `CITATION.cff` har titel, "
        "version, dato, kilder og licens i Citation File Format, og `datapackage.json` "
        "beskriver tabellerne maskinlæsbart (Frictionless Data Package). / Give the version "
        "when you cite numbers from this release; `CITATION.cff` holds its title, version, "
        "date, sources and licence, and `datapackage.json` describes the tables for tools "
        "(Frictionless Data Package).",
        "",
        f"> {_text(citation_text(facts.version, facts.created_at, 'da'))}",
        ">",
        f"> {_text(citation_text(facts.version, facts.created_at, 'en'))}",
        "",
        "## Hvad er ændret / What changed",
        "",
        "`changes.md` siger, hvad der er ændret siden udgivelsen før: DST-revisioner (gammel "
        "og ny værdi, DST's `updated`), rettede programfiler og rækker tilføjet, fjernet og "
        "ændret pr. tabel; alle ændringer står i tabellen `release_changes` i "
        "`klynge.duckdb`. / `changes.md` says what changed since the release before: DST "
        "revisions (old and new value, DST's `updated`), corrected programme files and rows "
        "added, removed and changed per table; every change is in the table "
        "`release_changes` of `klynge.duckdb`.",
        "",
        "## Which table answers which question",
        "",
        "| table | one row per | answers | rows |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{m.name}` | {_cell(m.grain)} | {_cell(m.answers or m.description)} | "
        f"{rows.get(m.name, 0)} |"
        for m in marts
    ]
    base = facts.price_base_year if facts.price_base_year is not None else "unknown"
    lines += [
        "",
        "## Prices and sources",
        "",
        f"- Fixed prices are in prices of **{base}** (base year), deflated with the GDP "
        "deflator in `price_index` (fixed = current x base_year_deflator / deflator).",
        f"- DST data: {dst_source_sentence(facts)}.",
        f"- DST versions (`updated`): {facts.dst_versions()}.",
        "- Programme data: "
        + (
            "the generated **sample**, not reported data"
            if facts.sample
            else "the cluster organisations' reported files"
        )
        + ": "
        + _text(facts.programme_files())
        + ".",
        "",
        "## Files",
        "",
        "- `klynge.duckdb`: every table, unqualified (`select * from smv_rd_share_summary`),",
        "  with table and column comments; `release_info` holds this release's provenance.",
        "  Open it read-only: `duckdb -readonly klynge.duckdb`.",
        "- `parquet/` (provenance and notice in each file's key-value metadata),",
        "  `csv/` (Danish Excel: UTF-8 with BOM, `;`, decimal comma, booleans SAND/FALSK),",
        "  `klynge.xlsx` (READ_ME sheet first).",
        "- `figures/`: the figures as PNG in Danish; the same in English in `figures/en/`.",
        "- `data_dictionary.md` (every column; which columns are additive).",
        "- `evaluation/`: per programme generation, the DST submission package "
        "(`dst_submission/<generation>/`) and event-study figures (`figures/<generation>/`).",
        "- `report/index.html`: the evaluation report (Danish; English in `report/en/`), opens",
        "  offline; every number in it is read from `klynge.duckdb`.",
        "- Data quality: read `report/datakvalitet.html` (English: `report/en/quality.html`),",
        "  the quality gate's result per table and every rule, offline. For tools:",
        "  `quality/<table>.json` (the same results as data) and `quality/gx/<table>.json`",
        "  (Great Expectations' own validation results).",
        "- `manifest.json`: provenance and the checksum of every file.",
        "- `datapackage.json` (Frictionless Data Package: every table's CSV with its schema,",
        "  keys, units and sources), `CITATION.cff` (how to cite), `changes.md` (what changed).",
        "",
        f"Run {facts.run_id}; code {facts.git_commit}.",
    ]
    return "\n".join(lines) + "\n"
