"""Number formatting for the report: Danish (``1.234,5``) and English (``1,234.5``).

Formatting only: values arrive already computed by DuckDB; this module never does arithmetic on
them beyond rounding for display. Missing values (suppressed by DST, or not yet reported) print
as an en dash, never as 0. Negative numbers use the minus sign (U+2212), as typeset Danish does.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

MINUS = "\u2212"
MISSING = "\u2013"
SEPARATORS = {"da": (".", ","), "en": (",", ".")}  # (thousands, decimal)
PERCENT = {"da": "\u00a0%", "en": "%"}
POINTS = {"da": "\u00a0pct.-point", "en": "\u00a0pp"}


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def number(value: Any, decimals: int = 0, lang: str = "da", signed: bool = False) -> str:
    """``value`` rounded half-up to ``decimals`` places with the language's separators."""
    thousands, point = SEPARATORS[lang]
    exact = _decimal(value)
    if exact is None:
        return MISSING
    rounded = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0,0"
    whole, _, frac = f"{abs(rounded):f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = thousands.join(groups or ["0"]) + (point + frac if frac else "")
    if rounded < 0:
        return MINUS + text
    return ("+" + text) if signed and rounded > 0 else text


def percent(value: Any, decimals: int = 1, lang: str = "da") -> str:
    text = number(value, decimals, lang)
    return text if text == MISSING else text + PERCENT[lang]


def points(value: Any, decimals: int = 1, lang: str = "da", signed: bool = True) -> str:
    """A change in percentage points, with its sign (``signed=False``: a size, e.g. an MDE)."""
    text = number(value, decimals, lang, signed=signed)
    return text if text == MISSING else text + POINTS[lang]


def signed_percent(value: Any, decimals: int = 1, lang: str = "da") -> str:
    text = number(value, decimals, lang, signed=True)
    return text if text == MISSING else text + PERCENT[lang]


def parse(text: str, lang: str = "da") -> Decimal:
    """The inverse of :func:`number` (for tests and for reading the report back)."""
    thousands, point = SEPARATORS[lang]
    cleaned = text.strip().replace(MINUS, "-").replace("+", "").replace(thousands, "")
    return Decimal(cleaned.replace(point, "."))
