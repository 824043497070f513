"""Number formatting of the report (Danish and English), and the chart scale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipelines.report import charts, numbers


@pytest.mark.parametrize(
    ("value", "decimals", "da", "en"),
    [
        (1234.5, 1, "1.234,5", "1,234.5"),
        (1234567.891, 2, "1.234.567,89", "1,234,567.89"),
        (0.05, 1, "0,1", "0.1"),  # half-up, not banker's rounding
        (2.25, 1, "2,3", "2.3"),
        (-0.04, 1, "0,0", "0.0"),  # never "-0,0"
        (-1234, 0, "\u22121.234", "\u22121,234"),
        (999.96, 1, "1.000,0", "1,000.0"),
        (Decimal("12.345"), 2, "12,35", "12.35"),
        (7, 0, "7", "7"),
    ],
)
def test_number_in_both_languages(value, decimals, da, en):
    assert numbers.number(value, decimals, "da") == da
    assert numbers.number(value, decimals, "en") == en


@pytest.mark.parametrize("missing", [None, float("nan"), float("inf")])
def test_missing_is_a_dash_never_zero(missing):
    assert numbers.number(missing, 1) == "\u2013"
    assert numbers.percent(missing) == "\u2013"


def test_percent_points_and_signed_changes():
    assert numbers.percent(31.26) == "31,3\u00a0%"
    assert numbers.percent(31.26, lang="en") == "31.3%"
    assert numbers.points(-4.04) == "\u22124,0\u00a0pct.-point"
    assert numbers.points(2.0, lang="en") == "+2.0\u00a0pp"
    assert numbers.signed_percent(12.34) == "+12,3\u00a0%"


@pytest.mark.parametrize("text", ["1.234,5", "\u22120,4", "+12,0", "7"])
def test_parse_reverses_number(text):
    value = numbers.parse(text)
    decimals = len(text.partition(",")[2])
    assert numbers.number(value, decimals, "da", signed=text.startswith("+")) == text


def test_chart_scale_covers_the_data_and_places_a_series_break():
    series = [charts.Series("a", "A", {2015: 1.0, 2016: 2.0, 2017: None, 2018: 9.7})]
    chart = charts.line_chart(series, "da", break_after=2016, break_label="brud")
    x0, y0, x1, y1 = chart.plot
    top_tick = min(y for y, _ in chart.y_ticks)
    assert top_tick == y0 and chart.y_ticks[-1][1] == "10"
    assert chart.lines[0]["path"].count("M") == 2  # the missing 2017 breaks the line
    assert x0 < chart.marker["x"] < x1 and chart.marker["label"] == "brud"
    bars = charts.bar_chart(series, [(2015, "2015"), (2018, "2018")], "en")
    assert [b["label"] for b in bars.bars] == ["1.0", "9.7"]
    assert all(y0 <= b["y"] <= y1 and b["h"] >= 0 for b in bars.bars)


def test_every_text_the_templates_ask_for_exists_in_both_languages():
    import re

    from pipelines.report.i18n import LANGUAGES, TEXT_FILE, catalogue

    texts = catalogue()
    templates = TEXT_FILE.parent / "templates"
    asked = {
        key
        for page in templates.rglob("*.html")
        for key in re.findall(r"""\bt\(["']([a-z0-9_]+)["'][,)]""", page.read_text("utf-8"))
    }
    assert len(asked) > 50
    assert asked - set(texts) == set()
    assert all(texts[k][lang].strip() for k in asked for lang in LANGUAGES)
