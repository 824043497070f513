"""Render the report into ``<release>/report/``: Danish at the top, English in ``en/``.

Layout (both languages from the same templates)::

    report/index.html              forside (headline numbers, figures, cluster overview)
    report/klynger/<id>.html       one scorecard per cluster
    report/datakvalitet.html       the gate's result per table, warnings, findings by rule
    report/datagrundlag.html       provenance: release, how to cite, DST tables, programme files
    report/aendringer.html         what changed since the previous release; pinned releases
    report/generationer.html       the programme's generations compared (programme_generations)
    report/effekter.html           effects per generation (effect_estimates)
    report/en/...                  the same pages in English (clusters/, quality.html, ...)

Every page is static HTML with inline CSS and inline SVG; the only script is a small inline
table sorter that the page does not need. Nothing is fetched from anywhere.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pipelines.constants import generations as declared_generations
from pipelines.publish.cells import without_bidi_controls
from pipelines.publish.facts import fallback_text
from pipelines.publish.package import citation_text
from pipelines.report import clusters, effects, front, generations, provenance
from pipelines.report.data import ReleaseData
from pipelines.report.i18n import LANGUAGES, Text

REPORT_DIR = "report"


@dataclass(frozen=True)
class Paths:
    """Where one language's pages go, relative to ``report/``."""

    prefix: str  # "" for Danish, "en/" for English
    clusters: str
    quality: str
    provenance: str
    changes: str
    generations: str
    effects: str


PATHS = {
    "da": Paths(
        "",
        "klynger",
        "datakvalitet.html",
        "datagrundlag.html",
        "aendringer.html",
        "generationer.html",
        "effekter.html",
    ),
    "en": Paths(
        "en/",
        "clusters",
        "quality.html",
        "provenance.html",
        "changes.html",
        "generations.html",
        "effects.html",
    ),
}
CHANGES_SHOWN = 200  # rows per list on the page; every change is in release_changes


def _shown(value: Any) -> Any:
    """A value as a page shows it: text without directional controls (markup stays markup)."""
    if isinstance(value, Markup):
        return Markup(without_bidi_controls(value))  # our own markup, only controls taken out
    return without_bidi_controls(value) if isinstance(value, str) else value


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pipelines.report", "templates"),
        autoescape=select_autoescape(("html", "svg"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # every value a page shows: a sender's text cannot reverse the page's own words
        finalize=_shown,
    )
    env.globals["checksum"] = provenance.grouped_checksum
    env.globals["fallback_text"] = fallback_text  # the reader's sentence, not the exception
    return env


def _links(lang: str, page: str, cluster_page: str = "") -> dict[str, str]:
    """Relative links from one page (front, cluster, quality or provenance) to the others,
    to the release's data files, and to the same page in the other language."""
    paths, other = PATHS[lang], PATHS["en" if lang == "da" else "da"]
    up = "../" if page == "cluster" else ""
    to_report = up + ("../" if paths.prefix else "")
    same = {
        "front": "index.html",
        "cluster": f"{other.clusters}/{cluster_page}",
        "quality": other.quality,
        "provenance": other.provenance,
        "changes": other.changes,
        "generations": other.generations,
        "effects": other.effects,
    }[page]
    return {
        "home": f"{up}index.html",
        "quality": f"{up}{paths.quality}",
        "provenance": f"{up}{paths.provenance}",
        "changes": f"{up}{paths.changes}",
        "generations": f"{up}{paths.generations}",
        "effects": f"{up}{paths.effects}",
        "clusters": f"{up}{paths.clusters}/",
        "data": f"{to_report}../",
        "other_lang": f"{to_report}{other.prefix}{same}",
    }


def _write(env: Environment, template: str, target: Path, **context: Any) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    html = env.get_template(template).render(**context)
    target.write_text(html, encoding="utf-8")
    return target


def _common(db: ReleaseData, manifest: dict[str, Any]) -> dict[str, Any]:
    info = db.release_info()
    return {
        "info": info,
        "manifest": manifest,
        "synthetic": info.get("synthetic") == "True",
        "sample": info.get("sample") == "True",
    }


def render_language(
    env: Environment, out: Path, lang: str, db: ReleaseData, release: Path, manifest: dict[str, Any]
) -> list[Path]:
    years = [r["year"] for r in db.rows("programme_years") if r["year"] is not None]
    period = f"{min(years)}–{max(years)}" if years else ""
    text, paths = Text(lang, {"period": period}), PATHS[lang]
    root = out / paths.prefix
    common = {**_common(db, manifest), "t": text, "lang": lang}
    overview = clusters.overview(db)
    rule_limits = clusters.limits(db)
    tables = list(manifest.get("tables", {}))
    headline_programme = db.row("headline_programme")
    current = (
        generations.name(headline_programme["programme"], lang)
        if headline_programme and headline_programme.get("programme")
        else ""
    )
    common["current_generation"] = current
    common["generation_count"] = len(declared_generations())
    written = [
        _write(
            env,
            "index.html",
            root / "index.html",
            **common,
            page="front",
            link=_links(lang, "front"),
            headline=front.headline(db, text),
            sections=front.sections(db, text),
            clusters=overview,
            programme=db.rows("programme_years"),
        )
    ]
    for cluster in overview:
        written.append(
            _write(
                env,
                "cluster.html",
                root / paths.clusters / cluster["page"],
                **common,
                page="cluster",
                link=_links(lang, "cluster", cluster["page"]),
                card=clusters.scorecard(db, cluster, text, rule_limits),
            )
        )
    written.append(
        _write(
            env,
            "quality.html",
            root / paths.quality,
            **common,
            page="quality",
            link=_links(lang, "quality"),
            gates=provenance.gate_results(release, tables, lang),
            findings=db.rows("findings_by_rule"),
        )
    )
    written.append(
        _write(
            env,
            "provenance.html",
            root / paths.provenance,
            **common,
            page="provenance",
            link=_links(lang, "provenance"),
            price_base=db.row("price_base"),
            citation=citation_text(
                manifest.get("version") or manifest["release"], manifest["created_at"], lang
            ),
            files=provenance.data_files(release, tables),
        )
    )
    written.append(
        _write(
            env,
            "changes.html",
            root / paths.changes,
            **common,
            page="changes",
            link=_links(lang, "changes"),
            previous=(manifest.get("changes") or {}).get("previous"),
            changes=_changes_by_kind(db),
            details=[
                c
                for c in db.rows("release_changes")
                if c["change_kind"] in ("row_added", "row_removed", "value_changed")
            ],
            limit=CHANGES_SHOWN,
            pinned=manifest.get("pinned", []),
        )
    )
    written.append(
        _write(
            env,
            "generations.html",
            root / paths.generations,
            **common,
            page="generations",
            link=_links(lang, "generations"),
            gen=generations.page(db, text),
        )
    )
    written.append(
        _write(
            env,
            "effects.html",
            root / paths.effects,
            **common,
            page="effects",
            link=_links(lang, "effects"),
            eff=effects.page(db, text),
            effect=lambda v, scale, signed=True: effects.value(v, scale, text, signed),
        )
    )
    return written


def _file_kind(change: dict[str, Any]) -> str:
    old, new = change.get("file_old"), change.get("file_new")
    if old and new:
        return "corrected" if old == new else "replaced"
    return "added" if new else "removed"


def _changes_by_kind(db: ReleaseData) -> dict[str, list[dict[str, Any]]]:
    """The release's ``release_changes`` rows, by kind (programme files with their kind)."""
    out: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("dst_table", "dst_revision", "programme_file", "table")
    }
    for change in db.rows("release_changes"):
        if change["change_kind"] == "programme_file":
            change = {**change, "file_kind": _file_kind(change)}
        if change["change_kind"] in out:
            out[change["change_kind"]].append(change)
    return out


def build_report(release: Path, manifest: dict[str, Any]) -> list[Path]:
    """Write ``release/report/`` from ``release/klynge.duckdb`` and the release's own records.

    ``manifest`` is the release's manifest without its file list (the report is itself listed
    there). Any failure propagates: a release is not published without its report.
    """
    out = release / REPORT_DIR
    if out.exists():
        shutil.rmtree(out)
    env = environment()
    written: list[Path] = []
    with ReleaseData(release / "klynge.duckdb") as db:
        for lang in LANGUAGES:
            written += render_language(env, out, lang, db, release, manifest)
    return written
