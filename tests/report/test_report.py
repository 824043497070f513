"""The evaluation report in a published release: complete, linked, offline, true to the data.

Uses the session's one offline refresh (``refreshed``); tests that change anything work on a copy
of the release folder and rebuild only the report.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb
import pytest

from pipelines.constants import programme
from pipelines.programme.checks.identifiers import find_cpr
from pipelines.publish.provenance import read_provenance
from pipelines.publish.release import PublishError, publish_release
from pipelines.report import build_report, numbers
from pipelines.report.clusters import page_name
from tests.conftest import copy_data_dir

# A Danish number: 1.234,5 or 1234 or 12,5, with an optional sign (U+2212 minus or +).
NUMBER = re.compile(r"[\u2212+]?(?<![\d.,])(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?(?![\d.,]\d)")


@pytest.fixture(scope="module")
def release(refreshed) -> Path:
    return (refreshed[0] / "data" / "published" / "current").resolve()


def pages(release: Path) -> list[Path]:
    return sorted((release / "report").rglob("*.html"))


def visible_text(markup: str) -> str:
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def headline_text(release: Path) -> str:
    page = (release / "report" / "index.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="headline".*?</section>', page, flags=re.S)
    assert section, "no headline section on the front page"
    return visible_text(section.group(0))


def test_report_is_in_the_release_and_its_manifest(release):
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"]: f for f in manifest["files"]}
    for page in pages(release):
        rel = page.relative_to(release).as_posix()
        assert rel in listed, f"{rel} is not in manifest.json"
    assert {
        "report/index.html",
        "report/en/index.html",
        "report/datakvalitet.html",
        "report/en/quality.html",
        "report/datagrundlag.html",
        "report/en/provenance.html",
    } <= set(listed)
    with duckdb.connect(str(release / "klynge.duckdb"), read_only=True) as con:
        ids = [
            r[0]
            for r in con.execute(
                "select distinct cluster_id from cluster_outcomes where programme = ? order by 1",
                [programme().id],
            ).fetchall()
        ]
    assert len(ids) == programme().clusters  # the cluster pages are the current generation's
    for cid in ids:
        assert f"report/klynger/{page_name(cid)}" in listed
        assert f"report/en/clusters/{page_name(cid)}" in listed
    published_link = release.parent.parent / "report"
    assert published_link.is_symlink() and (published_link / "index.html").exists()


def _candidates(release: Path) -> set[Decimal]:
    """Every numeric cell of every table (also in thousands and millions), and the SMV sums
    of smv_business_share, computed here independently of the report's queries."""
    values: set[Decimal] = set()
    with duckdb.connect(str(release / "klynge.duckdb"), read_only=True) as con:
        columns = con.execute("""select table_name, column_name from duckdb_columns()
            where not internal and schema_name = 'main'
              and (data_type in ('INTEGER', 'BIGINT', 'DOUBLE', 'HUGEINT', 'FLOAT', 'SMALLINT')
                   or data_type like 'DECIMAL%')""").fetchall()
        for table, column in columns:
            for (v,) in con.execute(
                f'select distinct "{column}" from "{table}" where "{column}" is not null'
            ).fetchall():
                values.update(Decimal(str(v)) / scale for scale in (1, 1000, 1_000_000))
        for measure in ("firms_share_pct", "full_time_employees_share_pct", "turnover_share_pct"):
            values.update(
                Decimal(str(v))
                for (v,) in con.execute(
                    f"select sum({measure}) from smv_business_share where is_smv group by year"
                ).fetchall()
            )
    return values


def _shown_in(value: Decimal, candidates: set[Decimal]) -> bool:
    exponent = value.as_tuple().exponent
    quantum = Decimal(1).scaleb(exponent)
    return any(c.quantize(quantum, rounding=ROUND_HALF_UP) == value for c in candidates)


def test_every_headline_number_is_in_the_duckdb_file(release):
    text = headline_text(release)
    shown = [numbers.parse(m) for m in NUMBER.findall(text)]
    assert len(shown) >= 20, text  # the section really holds the headline numbers
    candidates = _candidates(release)
    missing = [str(v) for v in shown if not _shown_in(v, candidates)]
    assert missing == [], f"numbers on the front page not in klynge.duckdb: {missing}"


def test_headline_smv_share_is_the_latest_complete_year(release):
    with duckdb.connect(str(release / "klynge.duckdb"), read_only=True) as con:
        year, share = con.execute("""select year, smv_share_pct from smv_rd_share_summary
            where is_complete order by year desc limit 1""").fetchone()
    expected = f"{Decimal(str(share)).quantize(Decimal('0.1'), ROUND_HALF_UP)}".replace(".", ",")
    assert f"{year}" in headline_text(release)
    assert f"{expected}\u00a0%" in headline_text(release)
    english = visible_text((release / "report" / "en" / "index.html").read_text("utf-8"))
    assert f"{expected.replace(',', '.')}%" in english


def test_every_link_resolves_inside_the_release_and_nothing_points_outside(release):
    for page in pages(release):
        markup = page.read_text(encoding="utf-8")
        assert "http://" not in markup.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in markup and "//" not in re.findall(
            r'(?:src|href)="([^"]*)"', markup
        )
        for target in re.findall(r'(?:src|href)="([^"#]+)', markup):
            url = urlparse(target)
            assert not url.scheme and not url.netloc, f"{page}: external link {target}"
            resolved = (page.parent / unquote(url.path)).resolve()
            assert resolved.is_relative_to(release), f"{page}: {target} leaves the release"
            assert resolved.exists(), f"{page}: broken link {target}"
        for fragment in re.findall(r'href="#([^"]+)"', markup):
            assert f'id="{fragment}"' in markup, f"{page}: no anchor #{fragment}"


def test_pages_are_accessible_in_structure(release):
    for page in pages(release):
        markup = page.read_text(encoding="utf-8")
        levels = [int(h) for h in re.findall(r"<h([1-6])\b", markup)]
        assert levels and levels[0] == 1 and levels.count(1) == 1, page
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (page, levels)
        assert re.search(r'<html lang="(da|en)">', markup)
        for table in re.findall(r"<table\b.*?</table>", markup, flags=re.S):
            assert "<th" in table, f"{page}: a table without headers"
        for svg in re.findall(r"<svg class=\"chart\".*?</svg>", markup, flags=re.S):
            assert 'role="img"' in svg and "<title" in svg
            desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg, flags=re.S).group(1)
            assert re.search(r"\d", desc), f"{page}: a chart's text alternative has no number"


def test_banner_on_every_page_and_both_languages(release):
    for page in pages(release):
        markup = page.read_text(encoding="utf-8")
        assert 'id="data-warning"' in markup, page
        english = page.relative_to(release / "report").parts[0] == "en"
        assert ("SYNTHETIC DEMO DATA" if english else "SYNTETISKE DEMODATA") in markup, page
        assert ("SAMPLE PROGRAMME DATA" if english else "PRØVEDATA") in markup, page


def test_quality_page_lists_every_expectation_with_its_observed_value(release):
    """Every expectation is on the page, in the page's language, types as the dbt contract
    states them (never the pandas dtype GX saw), the column-type checks folded apart."""
    from pipelines.quality.suites import PANDAS_TYPES

    markup = (release / "report" / "datakvalitet.html").read_text(encoding="utf-8")
    english = (release / "report" / "en" / "quality.html").read_text(encoding="utf-8")
    assert markup.index('id="quality-summary"') < markup.index('id="expectations"')
    dtypes = {t for types in PANDAS_TYPES.values() for t in types} - {"object", "str"}
    for path in sorted((release / "quality").glob("*.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        start = f'<details class="gate" id="gate-{result["mart"]}"'
        section = markup.split(start, 1)[1].split('<details class="gate"', 1)[0]
        types = [e for e in result["expectations"] if e["expectation"].endswith("type_list")]
        assert section.count('<td class="rule">') == len(result["expectations"]) - len(types)
        assert section.count('<details class="types"') == (1 if types else 0)
        for e in types:
            assert f"<code>{e['rule'].removeprefix('type ')}</code>" in section, e
        text = visible_text(section)
        assert not any(re.search(rf"\b{re.escape(t)}\b", text) for t in dtypes), path.name
        assert "expect_" not in text and " within " not in text, path.name  # no GX, no English
        en_section = english.split(start, 1)[1].split('<details class="gate"', 1)[0]
        assert "Every value of" in en_section or "Number of rows" in en_section
    with duckdb.connect(str(release / "klynge.duckdb"), read_only=True) as con:
        rules = con.execute(  # the current generation's breaches (not_checked: not a rule then)
            "select rule, count(*) from quality_findings "
            "where severity is distinct from 'not_checked' and programme = ? group by 1",
            [programme().id],
        ).fetchall()
    text = visible_text(markup)
    for rule, count in rules:
        assert re.search(rf"{rule}\s+{count}\b", text), (rule, count)


def test_no_cpr_like_number_anywhere_in_the_report(release):
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    for page in pages(release):
        text = page.read_text(encoding="utf-8")
        # identifiers, not numbers: the run id (a UUID) and the git commit (hex)
        for ident in (manifest["run_id"], manifest["git_commit"]):
            text = text.replace(ident, "")
        assert not find_cpr(text), page
        assert not re.search(r"(?<![\d.,])\d{9,10}(?![\d.,])", text), page


HOSTILE = {
    "K01": "<script>alert('x')</script> Klynge & Co",
    "K02": '=HYPERLINK("http://evil.example","klik")',
    "K04": "\u2069Grøn \u202eadnalloH",  # closes an isolate, then overrides, never closed
}


def test_hostile_cluster_names_and_ids_are_escaped(release, tmp_path):
    copy = tmp_path / "release"
    shutil.copytree(release, copy, ignore=shutil.ignore_patterns("report"))
    with duckdb.connect(str(copy / "klynge.duckdb")) as con:
        for table in ("cluster_outcomes", "cluster_programme_totals"):
            for cid, name in HOSTILE.items():
                con.execute(
                    f"update {table} set cluster_name = ? where cluster_id = ?", [name, cid]
                )
        for table in ("cluster_outcomes", "cluster_programme_totals", "quality_findings"):
            con.execute(f"update {table} set cluster_id = '../../x<b>' where cluster_id = 'K03'")
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    written = build_report(copy, manifest)
    assert all(p.resolve().is_relative_to(copy / "report") for p in written)
    front = (copy / "report" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in front and "&lt;script&gt;alert(&#39;x&#39;)" in front
    assert "Klynge &amp; Co" in front
    assert 'href="http://evil' not in front and "=HYPERLINK(&#34;http://evil" in front
    assert "../../x&lt;b&gt;" in front
    hashed = page_name("../../x<b>")
    assert re.fullmatch(r"cluster-[0-9a-f]{12}\.html", hashed)
    assert (copy / "report" / "klynger" / hashed).exists()
    card = (copy / "report" / "klynger" / "K01.html").read_text(encoding="utf-8")
    assert card.count("<script>") == 1  # only the report's own sorter
    # a name's directional controls are left out, in text and in the <title>
    k04 = (copy / "report" / "klynger" / "K04.html").read_text(encoding="utf-8")
    for page in (front, k04):
        assert "Grøn adnalloH" in page
        assert not set(page) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert "Grøn adnalloH" in k04.split("</title>")[0]


def test_a_report_that_cannot_be_built_fails_publishing(refreshed, tmp_path, monkeypatch):
    data_dir = copy_data_dir(refreshed[0], tmp_path)
    published = data_dir / "published"
    current = (published / "current").resolve()
    releases = sorted(p.name for p in (published / "releases").iterdir())
    manifest = json.loads((current / "manifest.json").read_text(encoding="utf-8"))

    def broken(release, manifest):
        raise FileNotFoundError(release / "klynge.duckdb")

    monkeypatch.setattr("pipelines.publish.release.build_report", broken)
    from pipelines.catalog import published_marts

    provenance = read_provenance(data_dir / "warehouse.duckdb", "test-run", manifest["checks"])
    quality = current / "quality"
    with pytest.raises(PublishError, match="evaluation report could not be built"):
        publish_release(
            published=published,
            warehouse=data_dir / "warehouse.duckdb",
            marts=published_marts(),
            provenance=provenance,
            quality_dir=quality,
        )
    assert (published / "current").resolve() == current
    complete = sorted(
        p.name for p in (published / "releases").iterdir() if not p.name.startswith(".")
    )
    assert complete == releases


def test_make_run_prints_where_the_report_is(refreshed):
    root, result = refreshed
    line = next(li for li in result.stdout.splitlines() if "evaluation report" in li)
    path = Path(line.split(":", 1)[1].strip())
    assert path == root / "data" / "published" / "report" / "index.html" and path.is_file()


def test_a_section_shows_only_when_the_release_has_its_tables(release, tmp_path):
    """How a later table (e.g. effect estimates) joins the report: absent table, no section."""
    copy = tmp_path / "release"
    shutil.copytree(release, copy, ignore=shutil.ignore_patterns("report"))
    with duckdb.connect(str(copy / "klynge.duckdb")) as con:
        con.execute("drop table rd_purchased_by_supplier")
    build_report(copy, json.loads((copy / "manifest.json").read_text(encoding="utf-8")))
    front = (copy / "report" / "index.html").read_text(encoding="utf-8")
    assert 'id="fig-purchased-rd"' not in front and 'id="fig-rd-by-size"' in front
    assert 'id="fig-purchased-rd"' in (release / "report" / "index.html").read_text("utf-8")
