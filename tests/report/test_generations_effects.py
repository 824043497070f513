"""The generations page and the effects page: true to programme_generations and
effect_estimates, in both languages, withheld cells without numbers, linked from the front.

Uses the session's offline refresh (``refreshed``) through a copy whose report is rebuilt
(:mod:`tests.report.generation_release`).
"""

from __future__ import annotations

import html
import math
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import constants
from pipelines.report import build_report, numbers
from tests.report.generation_release import (
    GENERATION,
    WITHHELD_EVENT,
    WITHHELD_OVERALL,
    release_with_generations,
)

PAGES = {
    "da": ("generationer.html", "effekter.html"),
    "en": ("en/generations.html", "en/effects.html"),
}
DECIMAL_NUMBER = re.compile(r"\d,\d|\d\.\d")  # a number with decimals, either language


@pytest.fixture(scope="module")
def release(refreshed, tmp_path_factory) -> Path:
    published = (refreshed[0] / "data" / "published" / "current").resolve()
    return release_with_generations(published, tmp_path_factory.mktemp("generations") / "rel")


def page(release: Path, lang: str, which: int) -> str:
    return (release / "report" / PAGES[lang][which]).read_text(encoding="utf-8")


def text_of(markup: str) -> str:
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def block(markup: str, start: str, end: str) -> str:
    """The markup from ``start`` (which must be there) to the next ``end``."""
    assert start in markup, start
    return markup.split(start, 1)[1].split(end, 1)[0]


def mart(release: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(release / "klynge.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def shown(value, unit: str, lang: str) -> str:
    """A measure's value as the page must show it, formatted here independently."""
    if unit == "pct":
        return numbers.percent(value, 1, lang)
    text = numbers.number(value, 0, lang)
    return text + "\u00a0kr." if unit == "dkk" and value is not None else text


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_measure_with_every_generation_and_the_marts_values(release, lang):
    rows = mart(
        release,
        "select measure, programme, value, unit from programme_generations order by 1, 2",
    )
    generations = sorted({r[1] for r in rows})
    assert generations == ["2021-2024", "2025-2028"]
    markup = page(release, lang, 0)
    table = block(markup, 'id="generations-table"', "</table>")
    for measure, programme, value, unit in rows:
        body = block(table, f'<tbody class="measure" id="measure-{measure}">', "</tbody>")
        cell = re.search(rf'<td class="num" data-programme="{programme}">(.*?)</td>', body)
        assert cell, (measure, programme)
        assert html.unescape(cell.group(1)) == shown(value, unit, lang), (measure, programme)
    assert table.count('<tbody class="measure"') == len({r[0] for r in rows})


def test_a_measure_that_does_not_compare_shows_why_in_both_languages(release):
    rows = mart(
        release,
        "select distinct measure, comparable_reason_da, comparable_reason_en"
        " from programme_generations where not comparable",
    )
    assert {r[0] for r in rows} >= {"overhead_share_pct", "smv_funding_rate_above_cap_share_pct"}
    comparable = [
        r[0]
        for r in mart(
            release, "select distinct measure from programme_generations where comparable"
        )
    ]
    for lang, reason_at in (("da", 1), ("en", 2)):
        markup = page(release, lang, 0)
        for row in rows:
            body = block(markup, f'id="measure-{row[0]}">', "</tbody>")
            assert "≠" in body and 'class="reason"' in body, row[0]
            assert html.escape(row[reason_at], quote=True) in body or row[
                reason_at
            ] in html.unescape(body)
        for measure in comparable:
            body = block(markup, f'id="measure-{measure}">', "</tbody>")
            assert "✓" in body and 'class="reason"' not in body, measure
    assert "Kan ikke sammenlignes" in page(release, "da", 0)
    assert "Not comparable" in page(release, "en", 0)


def test_declarations_and_caveats(release):
    da, en = text_of(page(release, "da", 0)), text_of(page(release, "en", 0))
    for generation in constants.generations():
        assert generation.name_da in da and generation.name_en in en
        millions = numbers.number(generation.allocation_dkk / 1e6, 0, "da")
        about = "ca. " if generation.allocation_approximate else ""
        assert f"{about}{millions} mio. kr." in da, generation.id
        for funder in generation.funders:
            assert funder.name_da in da and funder.name_en in en
    older = constants.generation("2021-2024")
    assert older.smv_funding_cap_pct is None and older.overhead_norm_pct is None
    assert da.count("ikke en regel dengang") >= 2 and en.count("not a rule then") >= 2
    assert "ca. 640 mio. kr." in da and "about 640 m. kr." in en
    # caveats in plain words: sample data per generation, and what does not compare
    if mart(release, "select bool_or(is_sample) from programme_generations")[0][0]:
        assert "genereret prøvesæt" in da and "generated sample" in en
        assert 'id="data-warning"' in page(release, "da", 0)
    assert "kan ikke sammenlignes" in da and "cannot be compared" in en
    # the figure: funding per SME and firms funded, desktop and phone drawings
    markup = page(release, "da", 0)
    figure = block(markup, 'id="fig-generations"', "</figure>")
    assert figure.count('data-size="desktop"') == 2 and figure.count('data-size="phone"') == 2


def effect_rows(release: Path) -> list[dict]:
    with duckdb.connect(str(release / "klynge.duckdb"), read_only=True) as con:
        cursor = con.execute(
            "select * from effect_estimates where programme = ? and group_type = 'overall'"
            " and group_value = 'all'",
            [GENERATION],
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def in_scale(outcome: str, value: float) -> float:
    return 100 * (math.exp(value) - 1) if outcome.startswith("log_") else 100 * value


@pytest.mark.parametrize("lang", ["da", "en"])
def test_withheld_cells_show_withheld_and_never_their_numbers(release, lang):
    markup = page(release, lang, 1)
    word = "tilbageholdt" if lang == "da" else "withheld"
    section = block(markup, f'id="gen-{GENERATION}"', "</section>")
    outcome, _ = WITHHELD_OVERALL
    row = block(section, f'<tr data-outcome="{outcome}" class="withheld">', "</tr>")
    assert word in text_of(row)
    assert ("færre end 3 virksomheder" if lang == "da" else "fewer than 3 firms") in text_of(row)
    assert not DECIMAL_NUMBER.search(text_of(row)), text_of(row)
    outcome, period, _ = WITHHELD_EVENT
    figure = block(section, f'id="fig-effect-{GENERATION}-{outcome}"', "</figure>")
    event_row = block(figure, f'<tr class="withheld"><th scope="row">{period}</th>', "</tr>")
    assert word in text_of(event_row) and not DECIMAL_NUMBER.search(text_of(event_row))
    # every withheld cell of the generation: its numbers appear nowhere in its outcome's figure
    for r in effect_rows(release):
        if r["suppressed"] and r["estimate"] is not None and r["period"] != "overall":
            figure = block(section, f'id="fig-effect-{GENERATION}-{r["outcome"]}"', "</figure>")
            number = numbers.number(in_scale(r["outcome"], r["estimate"]), 1, lang, signed=True)
            assert f">{number}" not in figure, (r["outcome"], r["period"])
    assert "suppression" not in text_of(markup).lower() and "not estimable" not in text_of(markup)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_one_conclusion_per_outcome(release, lang):
    markup = page(release, lang, 1)
    section = block(markup, f'id="gen-{GENERATION}"', "</section>")
    overall = [r for r in effect_rows(release) if r["period"] == "overall"]
    assert len(overall) == 6
    for r in overall:
        sentence = text_of(
            block(section, f'<li class="conclusion" data-outcome="{r["outcome"]}">', "</li>")
        )
        log = r["outcome"].startswith("log_")
        if r["suppressed"]:
            assert ("tilbageholdt" if lang == "da" else "withheld") in sentence
            assert not DECIMAL_NUMBER.search(sentence)
        elif r["ci_lower"] > 0 or r["ci_upper"] < 0:
            assert (
                "statistisk sikker" if lang == "da" else "statistically significant"
            ) in sentence
            estimate = numbers.number(in_scale(r["outcome"], r["estimate"]), 1, lang, signed=True)
            assert estimate in sentence, (sentence, estimate)
        else:
            mde = in_scale(r["outcome"], r["mde"])
            size = (
                numbers.percent(mde, 1, lang) if log else numbers.points(mde, 1, lang, signed=False)
            )
            expected = (
                f"Ingen effekt kan påvises; effekter mindre end {size} kan ikke udelukkes."
                if lang == "da"
                else f"No effect detectable; effects smaller than {size} cannot be ruled out."
            )
            assert expected in sentence, sentence
        if not log:  # shares: percentage points, never per cent
            assert ("pct.-point" if lang == "da" else "pp") in sentence or r["suppressed"]


def test_effects_banner_order_and_a_generation_without_rows(release):
    da, en = page(release, "da", 1), page(release, "en", 1)
    assert da.index(f'id="gen-{GENERATION}"') < da.index('id="gen-2025-2028"')
    assert "i tide til beslutningen om programmet i 2027" in text_of(da)
    if mart(
        release,
        f"select bool_or(is_synthetic) from effect_estimates where programme = '{GENERATION}'",
    )[0][0]:
        assert f'id="effects-warning-{GENERATION}"' in da and "SYNTETISKE DATA" in da
        assert "SYNTHETIC DATA" in en
    has_rows = mart(release, "select count(*) from effect_estimates where programme = '2025-2028'")[
        0
    ][0]
    if not has_rows:
        assert "Der er ingen effektskøn for Klyngeprogrammet 2025-2028" in text_of(da)
        assert "There are no effect estimates for The cluster programme 2025-2028" in text_of(en)
    # every outcome has its event study, drawn for desktop and phone
    section = block(da, f'id="gen-{GENERATION}"', "</section>")
    assert section.count('<figure id="fig-effect-') == 6
    assert section.count('data-size="desktop"') == section.count('data-size="phone"') == 6


def test_front_page_links_both_pages_and_names_the_generation(release):
    current = constants.programme()
    for lang, (gen_page, eff_page) in PAGES.items():
        front = (release / "report" / ("en/" if lang == "en" else "") / "index.html").read_text(
            "utf-8"
        )
        gen_href, eff_href = Path(gen_page).name, Path(eff_page).name
        nav = block(front, "<nav", "</nav>")
        assert f'href="{gen_href}"' in nav and f'href="{eff_href}"' in nav
        intro = block(front, 'id="front-pages"', "</p>")
        assert f'href="{gen_href}"' in intro and f'href="{eff_href}"' in intro
        name = current.name_da if lang == "da" else current.name_en
        cards = block(front, 'class="cards programme-cards"', "</ul>")
        assert (
            cards.count(f'<span class="gen-tag">{name}</span>')
            == cards.count('<li class="card">')
            > 0
        )
        # every other page links both too
        for other in ("datakvalitet.html", "en/quality.html"):
            markup = (release / "report" / other).read_text("utf-8")
            assert "generationer.html" in markup or "generations.html" in markup


def test_a_release_without_effects_by_generation_still_has_the_page(release, tmp_path):
    copy = tmp_path / "rel"
    shutil.copytree(release, copy, ignore=shutil.ignore_patterns("report"))
    with duckdb.connect(str(copy / "klynge.duckdb")) as con:
        con.execute("alter table effect_estimates drop column programme")
    import json

    build_report(copy, json.loads((copy / "manifest.json").read_text(encoding="utf-8")))
    da = text_of((copy / "report" / "effekter.html").read_text("utf-8"))
    assert "Udgivelsen har endnu ingen effektskøn opdelt efter generation." in da
    assert "Der er ingen effektskøn for" in da
