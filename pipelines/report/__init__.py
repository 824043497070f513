"""The evaluation report: static HTML in each release, Danish with English beside it.

``build_report(release, manifest)`` writes ``<release>/report/`` from that release's own
``klynge.duckdb``, ``quality/*.json`` and manifest; the publish step calls it before the atomic
switch. Modules: ``data`` (queries on the release's DuckDB file), ``numbers`` (Danish/English
number format), ``charts`` (SVG geometry), ``front``/``clusters``/``provenance`` (what each page
shows), ``render`` (Jinja2 templates to files). See docs/report.md.
"""

from pipelines.report.render import build_report

__all__ = ["build_report"]
