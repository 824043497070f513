"""Geometry for the report's inline SVG charts (line, grouped bar and event-study charts).

Python computes positions only: where each point, bar and tick goes. The markup is drawn by
``templates/charts/*.svg`` with autoescaping, so a label from the data can never inject
markup. No values are derived here; they are the query results, placed on a scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pipelines.report import numbers


@dataclass(frozen=True)
class Size:
    """A chart's drawing box in SVG units, and its text size in those units.

    Every chart is drawn twice: ``DESKTOP`` for screens wider than a phone and ``PHONE`` for
    phones (CSS shows one). The phone box is about as wide as a phone's screen, so its text
    is drawn at about its own size (never below ~11 px), where a desktop chart scaled down to
    a phone would draw its labels at about 5 px.
    """

    name: str
    width: int
    height: int
    left: int
    right: int  # room for a limit's label
    top: int
    bottom: int
    font: float  # tick and label text
    value_font: float  # value labels on bars
    max_x_labels: int  # x ticks on a line chart, at most


DESKTOP = Size("desktop", 720, 340, 64, 96, 24, 44, 13, 11.5, 10)
PHONE = Size("phone", 360, 280, 46, 76, 26, 40, 13, 12, 5)
WIDTH, HEIGHT = DESKTOP.width, DESKTOP.height
CHAR = 0.6  # a label's width per character, in font sizes (an estimate for layout only)
# Okabe-Ito: distinguishable with the common colour-vision deficiencies and in greyscale print.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "", "4 4")


@dataclass(frozen=True)
class Series:
    """One line (or one bar colour): a label and a value per category/x."""

    key: str
    label: str
    values: dict[Any, Any]  # x (year or category) -> value or None


@dataclass
class Chart:
    kind: str
    width: int
    height: int
    plot: tuple[float, float, float, float]  # x0, y0 (top), x1, y1 (bottom)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    bars: list[dict[str, Any]] = field(default_factory=list)
    legend: list[dict[str, Any]] = field(default_factory=list)
    marker: dict[str, Any] | None = None  # vertical: a series break between two years
    reference: dict[str, Any] | None = None  # horizontal: a limit such as the SME funding cap
    size: Size = DESKTOP
    subtitle: str = ""  # a panel's own heading, when a figure has several
    x_rotate: int = 0  # degrees: category labels turned when they do not fit side by side
    value_labels: bool = True  # bar values written above the bars (when they fit)
    x_lines: list[list[str]] = field(default_factory=list)  # bar categories' label lines
    phone: Chart | None = None  # the same chart drawn for a phone's screen
    areas: list[dict[str, Any]] = field(default_factory=list)  # shaded bands (a closed path)
    whiskers: list[dict[str, Any]] = field(default_factory=list)  # vertical intervals
    crosses: list[dict[str, Any]] = field(default_factory=list)  # withheld points, marked x
    zero: float | None = None  # y of a zero line drawn across the plot


def _float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value) if isinstance(value, (int, float, Decimal)) else None
    return number if number is not None and math.isfinite(number) else None


def nice_step(span: float, target: int = 5) -> float:
    """A 1/2/5 x 10^n step that divides ``span`` into about ``target`` intervals."""
    raw = span / target if span > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _y_axis(values: list[float], lang: str) -> tuple[float, float, list[float], int]:
    high = max([0.0, *values])
    low = min([0.0, *values])
    step = nice_step(high - low or 1.0)
    top = math.ceil(high / step) * step or step
    bottom = math.floor(low / step) * step
    ticks = [bottom + i * step for i in range(round((top - bottom) / step) + 1)]
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return bottom, top, ticks, decimals


def _frame(
    kind: str, values: list[float], lang: str, size: Size, extra_bottom: float = 0
) -> tuple[Chart, Any]:
    bottom, top, ticks, decimals = _y_axis(values, lang)
    height = round(size.height + extra_bottom)
    x0, y0, x1, y1 = size.left, size.top, size.width - size.right, height - size.bottom
    y1 = round(y1 - extra_bottom, 1)
    chart = Chart(kind, size.width, height, (x0, y0, x1, y1), size=size)

    def y_of(value: float) -> float:
        return round(y1 - (value - bottom) / (top - bottom) * (y1 - y0), 1)

    chart.y_ticks = [(y_of(t), numbers.number(t, decimals, lang)) for t in ticks]
    return chart, y_of


def _wrap(label: str, room: float) -> list[str]:
    """``label`` in lines of at most ``room`` characters, broken between words."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= room:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [label]


def _legend(chart: Chart, series: list[Series], first_colour: int = 0) -> None:
    """The legend is drawn in HTML under the chart, where long labels can wrap."""
    for i, s in enumerate(series, start=first_colour):
        chart.legend.append(
            {"label": s.label, "color": PALETTE[i % len(PALETTE)], "dash": DASHES[i % len(DASHES)]}
        )


def line_chart(
    series: list[Series],
    lang: str,
    break_after: Any = None,
    break_label: str = "",
    subtitle: str = "",
    first_colour: int = 0,
) -> Chart:
    """Lines over ordered x values (years); a gap where a value is missing.

    ``break_after``: draw a dashed marker between this x and the next one (a series break),
    and do not join the lines across it (as the PNG figures do not).
    """
    chart = _line_chart(series, lang, break_after, break_label, DESKTOP, first_colour)
    chart.phone = _line_chart(series, lang, break_after, break_label, PHONE, first_colour)
    chart.subtitle = chart.phone.subtitle = subtitle
    return chart


def _line_chart(
    series: list[Series],
    lang: str,
    break_after: Any,
    break_label: str,
    size: Size,
    first_colour: int = 0,
) -> Chart:
    xs = sorted({x for s in series for x in s.values})
    values = [v for s in series for v in map(_float, s.values.values()) if v is not None]
    chart, y_of = _frame("line", values, lang, size)
    x0, _, x1, y1 = chart.plot
    span = max(len(xs) - 1, 1)

    def x_of(x: Any) -> float:
        return round(x0 + xs.index(x) / span * (x1 - x0), 1)

    every = max(1, math.ceil(len(xs) / size.max_x_labels))
    chart.x_ticks = [(x_of(x), str(x)) for i, x in enumerate(xs) if i % every == 0]
    for i, s in enumerate(series):
        path, pen_down, points = [], False, []
        for x in xs:
            v = _float(s.values.get(x))
            if v is None:
                pen_down = False
                continue
            if pen_down and xs.index(x) > 0 and xs[xs.index(x) - 1] == break_after:
                pen_down = False  # never across a series break
            path.append(f"{'L' if pen_down else 'M'}{x_of(x)},{y_of(v)}")
            points.append({"x": x_of(x), "y": y_of(v)})
            pen_down = True
        chart.lines.append(
            {
                "label": s.label,
                "path": " ".join(path),
                "points": points,
                "color": PALETTE[(i + first_colour) % len(PALETTE)],
                "dash": DASHES[(i + first_colour) % len(DASHES)],
            }
        )
    if break_after is not None and break_after in xs and xs.index(break_after) + 1 < len(xs):
        nxt = xs[xs.index(break_after) + 1]
        chart.marker = {"x": round((x_of(break_after) + x_of(nxt)) / 2, 1), "label": break_label}
    _legend(chart, series, first_colour)
    return chart


def bar_chart(
    series: list[Series],
    categories: list[tuple[Any, str]],
    lang: str,
    decimals: int = 1,
    reference: tuple[Any, str] | None = None,
) -> Chart:
    """Grouped bars: one group per category, one bar per series, each labelled with its value.

    ``reference``: (value, label) of a horizontal limit line, e.g. the funding-rate cap.
    """
    chart = _bar_chart(series, categories, lang, decimals, reference, DESKTOP)
    chart.phone = _bar_chart(series, categories, lang, decimals, reference, PHONE)
    return chart


def _bar_chart(
    series: list[Series],
    categories: list[tuple[Any, str]],
    lang: str,
    decimals: int,
    reference: tuple[Any, str] | None,
    size: Size,
) -> Chart:
    values = [v for s in series for v in map(_float, s.values.values()) if v is not None]
    limit = _float(reference[0]) if reference else None
    group = (size.width - size.left - size.right) / max(len(categories), 1)
    room = group * 0.95 / (CHAR * size.font)  # characters that fit under one group
    wrapped = [_wrap(label, room) for _, label in categories]
    widest = max((len(label) for _, label in categories), default=0) * CHAR * size.font
    # a label wraps onto lines under its group; one with a word too long for that is turned
    rotate = 90 if any(len(w) > room for _, label in categories for w in label.split()) else 0
    lines = max((len(w) for w in wrapped), default=1)
    extra = widest - 12 if rotate else (lines - 1) * size.font * 1.15
    chart, y_of = _frame(
        "bar", values + ([limit] if limit is not None else []), lang, size, extra_bottom=extra
    )
    chart.x_rotate = rotate
    chart.x_lines = [[label] for _, label in categories] if rotate else wrapped
    x0, _, x1, y1 = chart.plot
    bar = group * 0.8 / max(len(series), 1)
    longest = max(
        (len(numbers.number(v, decimals, lang)) for s in series for v in s.values.values()),
        default=0,
    )
    chart.value_labels = (
        len(categories) * len(series) <= 16 and longest * CHAR * size.value_font <= bar + 4
    )
    for c, (key, label) in enumerate(categories):
        left = x0 + c * group + group * 0.1
        chart.x_ticks.append((round(x0 + (c + 0.5) * group, 1), label))
        for i, s in enumerate(series):
            v = _float(s.values.get(key))
            if v is None:
                continue
            top, base = y_of(max(v, 0.0)), y_of(min(v, 0.0))
            chart.bars.append(
                {
                    "x": round(left + i * bar, 1),
                    "y": top,
                    "w": round(bar - 2, 1),
                    "h": round(base - top, 1),
                    "color": PALETTE[i % len(PALETTE)],
                    "label": numbers.number(s.values.get(key), decimals, lang),
                    "title": f"{label}, {s.label}",
                }
            )
    if reference and limit is not None:
        chart.reference = {"y": y_of(limit), "label": reference[1]}
    _legend(chart, series)
    return chart


@dataclass(frozen=True)
class EventPoint:
    """One event time of an event study: its label and values (None where withheld)."""

    event_time: int
    label: str
    estimate: Any
    ci_lower: Any
    ci_upper: Any
    band_lower: Any
    band_upper: Any
    withheld: bool


def event_chart(
    points: list[EventPoint], lang: str, labels: dict[str, str], decimals: int = 1
) -> Chart:
    """An event study: the estimate per event time with its pointwise CI (whiskers) over the
    uniform band (shaded), a zero line, and withheld event times marked with a cross.

    ``labels``: the legend's words for ``estimate``, ``ci``, ``band`` and ``withheld``.
    """
    chart = _event_chart(points, lang, labels, decimals, DESKTOP)
    chart.phone = _event_chart(points, lang, labels, decimals, PHONE)
    return chart


def _event_chart(
    points: list[EventPoint], lang: str, labels: dict[str, str], decimals: int, size: Size
) -> Chart:
    xs = sorted(p.event_time for p in points)
    values = [
        v
        for p in points
        for v in map(_float, (p.estimate, p.ci_lower, p.ci_upper, p.band_lower, p.band_upper))
        if v is not None
    ]
    chart, y_of = _frame("event", values, lang, size)
    x0, _, x1, _ = chart.plot
    span = max(len(xs) - 1, 1)
    pad = (x1 - x0) / (2 * span + 2)  # half a step inside each edge: whiskers clear the axis

    def x_of(x: int) -> float:
        return round(x0 + pad + xs.index(x) / span * (x1 - x0 - 2 * pad), 1)

    ordered = sorted(points, key=lambda p: p.event_time)
    chart.x_ticks = [(x_of(p.event_time), p.label) for p in ordered]
    chart.zero = y_of(0.0)
    colour = PALETTE[0]
    # the uniform band: one shaded polygon per run of event times that have one
    run: list[tuple[float, float, float]] = []
    for p in [*ordered, None]:
        low = _float(p.band_lower) if p else None
        high = _float(p.band_upper) if p else None
        if p is not None and low is not None and high is not None:
            run.append((x_of(p.event_time), y_of(high), y_of(low)))
            continue
        if len(run) > 1:
            top = [f"{x},{y}" for x, y, _ in run]
            bottom = [f"{x},{y}" for x, _, y in reversed(run)]
            chart.areas.append({"path": "M" + " L".join(top + bottom) + " Z", "color": colour})
        run = []
    path, pen_down, dots = [], False, []
    for p in ordered:
        est = _float(p.estimate)
        if p.withheld or est is None:
            pen_down = False
            if p.withheld:
                chart.crosses.append({"x": x_of(p.event_time), "y": chart.zero})
            continue
        path.append(f"{'L' if pen_down else 'M'}{x_of(p.event_time)},{y_of(est)}")
        dots.append({"x": x_of(p.event_time), "y": y_of(est)})
        pen_down = True
        low, high = _float(p.ci_lower), _float(p.ci_upper)
        if low is not None and high is not None:
            chart.whiskers.append(
                {"x": x_of(p.event_time), "y1": y_of(high), "y2": y_of(low), "color": colour}
            )
    chart.lines.append(
        {
            "label": labels["estimate"],
            "path": " ".join(path),
            "points": dots,
            "color": colour,
            "dash": "",
        }
    )
    chart.legend = [
        {"label": labels["estimate"], "color": colour, "dash": "", "shape": "line"},
        {"label": labels["ci"], "color": colour, "dash": "", "shape": "whisker"},
        {"label": labels["band"], "color": colour, "dash": "", "shape": "area"},
    ]
    if chart.crosses:
        chart.legend.append(
            {"label": labels["withheld"], "color": "#59636e", "dash": "", "shape": "cross"}
        )
    return chart
