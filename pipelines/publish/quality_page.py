"""``quality/``: the quality gate's results in the release, readable offline.

GX's Data Docs load their styles and scripts from CDNs and render blank from ``file://``
without internet. This page is rendered from the same validation results with a template:
one self-contained HTML file (inline CSS, no scripts, no external links), so it opens from a
USB stick on a closed network. ``quality/<table>.json`` point to it (and to the release's own
copy of the GX Data Docs), not to the working folder.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from pipelines.catalog import Mart
from pipelines.publish.cells import without_bidi_controls

if TYPE_CHECKING:
    import pandas as pd

    from pipelines.publish.facts import ReleaseFacts

GX_DOCS_DIR = "gx_data_docs"  # the release's copy of the GX Data Docs, beside quality/

PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Quality gate results, release $release</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 80em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; max-width: 32em; }
th { background: #ddebf7; }
.pass { color: #176f2c; font-weight: bold; }
.fail { color: #b00000; font-weight: bold; }
.notice { border: 2px solid #b00000; color: #b00000; padding: 0.5em 1em; font-weight: bold; }
code { font-size: 0.9em; }
</style>
</head>
<body>
<h1>Quality gate results</h1>
<p>Release <code>$release</code>, run <code>$run_id</code>. Every published table was validated
by its Great Expectations suite before the release was written; a failed suite stops
publication.</p>
$notice
<h2>Summary</h2>
<table id="summary">
<tr><th>table</th><th>result</th><th>expectations</th><th>failed</th></tr>
$summary
</table>
$findings
$sections
</body>
</html>
""")


def _e(value: Any) -> str:
    return html.escape(without_bidi_controls(str(value)), quote=True)


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _result(ok: bool | None) -> str:
    if ok is None:
        return "<span>not run</span>"
    return '<span class="pass">passed</span>' if ok else '<span class="fail">FAILED</span>'


def _section(name: str, result: dict[str, Any] | None) -> str:
    if result is None:
        return f'<h2 id="{_e(name)}">{_e(name)}</h2>\n<p>No gate result in this release.</p>'
    rows = []
    for o in sorted(result["expectations"], key=lambda o: bool(o["success"])):
        found = (
            f"{o['unexpected_count']} unexpected, e.g. {_short(o['unexpected_examples'])}"
            if o.get("unexpected_count")
            else _short(o.get("observed"))
        )
        column = _short((o.get("column") or "").replace(",", ", "))
        rows.append(
            f"<tr><td>{_result(bool(o['success']))}</td><td>{_e(o['expectation'])}</td>"
            f"<td>{_e(column)}</td><td>{_e(o.get('rule', ''))}</td>"
            f"<td>{_e(found)}</td></tr>"
        )
    return (
        f'<h2 id="{_e(name)}">{_e(name)}: {_result(bool(result["success"]))}</h2>\n'
        "<table><tr><th>result</th><th>expectation</th><th>column</th><th>rule</th>"
        "<th>observed / unexpected</th></tr>\n" + "\n".join(rows) + "\n</table>"
    )


def _findings(counts: dict[str, int] | None) -> str:
    if counts is None:
        return ""
    rows = "\n".join(f"<tr><td>{_e(rule)}</td><td>{n}</td></tr>" for rule, n in counts.items())
    return (
        "<h2>Programme rule findings (table quality_findings)</h2>\n<p>Breaches that do not "
        "stop publication but stay visible, one row each in <code>quality_findings</code>."
        "</p>\n<table><tr><th>rule</th><th>findings</th></tr>\n"
        + (rows or "<tr><td colspan=2>none</td></tr>")
        + "\n</table>"
    )


def render(
    results: dict[str, dict[str, Any] | None],
    facts: ReleaseFacts,
    findings_by_rule: dict[str, int] | None,
) -> str:
    summary = "\n".join(
        f'<tr><td><a href="#{_e(name)}">{_e(name)}</a></td>'
        f"<td>{_result(None if r is None else bool(r['success']))}</td>"
        f"<td>{'' if r is None else len(r['expectations'])}</td>"
        f"<td>{'' if r is None else sum(not o['success'] for o in r['expectations'])}</td></tr>"
        for name, r in results.items()
    )
    return PAGE.substitute(
        release=_e(facts.release),
        run_id=_e(facts.run_id),
        notice=f'<p class="notice">{_e(facts.notice)}</p>' if facts.notice else "",
        summary=summary,
        findings=_findings(findings_by_rule),
        sections="\n".join(_section(name, r) for name, r in results.items()),
    )


def count_findings(findings: pd.DataFrame | None) -> dict[str, int] | None:
    """Findings per rule of ``quality_findings`` (None when the release has no such table)."""
    if findings is None:
        return None
    return {str(k): int(v) for k, v in findings["rule"].value_counts().sort_index().items()}


def write_quality(
    quality_dir: Path,
    target: Path,
    marts: tuple[Mart, ...],
    facts: ReleaseFacts,
    findings: pd.DataFrame | None,
) -> None:
    """Copy each mart's results into ``target`` (re-pointed) and render ``index.html``.

    The results link to the release's copy of the GX Data Docs (``gx_data_docs/`` beside
    ``target``) when the release has one.
    """
    target.mkdir(parents=True, exist_ok=True)
    has_gx_docs = (target.parent / GX_DOCS_DIR).is_dir()
    results: dict[str, dict[str, Any] | None] = {}
    for mart in marts:
        source = quality_dir / f"{mart.name}.json"
        if not source.exists():
            results[mart.name] = None
            continue
        result = json.loads(source.read_text(encoding="utf-8"))
        result["data_docs"] = f"quality/index.html#{mart.name}"
        result["gx_data_docs"] = f"{GX_DOCS_DIR}/index.html" if has_gx_docs else None
        (target / source.name).write_text(
            json.dumps(result, indent=2, default=str), encoding="utf-8"
        )
        results[mart.name] = result
    (target / "index.html").write_text(
        render(results, facts, count_findings(findings)), encoding="utf-8"
    )
