"""Turn one cell (text from a CSV, or a typed XLSX value) into a value of a contract type.

Each parser returns the canonical value or raises :class:`CellError` with the rule broken.
Decimals come back as canonical text (``-1234567.5``) that DuckDB casts exactly to DECIMAL,
dates as ISO text (which also compares correctly as text).

Numbers, the rule people filling in files must know (also in docs/programme_contract.md):

* spaces (also non-breaking) are ignored, so ``1 234 567,50`` is fine;
* when both ``.`` and ``,`` occur, the last one is the decimal separator and the other one
  separates thousands in groups of three: ``1.234.567,50`` and ``1,234,567.50``;
* when only one of them occurs, more than once, it separates thousands: ``1.234.567``;
* when only one of them occurs once, it is the decimal separator: ``1234567,5`` and
  ``1234567.5`` are both 1234567.5 -- except when exactly three digits follow it and one to
  three digits (not a lone 0) precede it: ``1.234`` could mean 1234 or 1.234, so it is
  rejected as ambiguous (write ``1234`` or ``1234,00``);
* at most as many decimals as the field keeps (2 for amounts and FTE); trailing zeros do not
  count.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time
from decimal import Context, Decimal

from pipelines.programme.checks.identifiers import is_valid_cvr


class CellError(Exception):
    def __init__(self, rule: str, message: str):
        self.rule = rule
        self.message = message
        super().__init__(message)


TRUE_WORDS = frozenset({"true", "ja", "1", "sand"})  # SAND/FALSK: Danish Excel's own words
FALSE_WORDS = frozenset({"false", "nej", "0", "falsk"})

_DROP_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")
_SIMPLE_DECIMAL = re.compile(r"[0-9]+(?:[.,][0-9]{1,2})?")
_NUMBER_CHARS = re.compile(r"[0-9.,]+")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_DMY_DATE = re.compile(r"([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_MAX_INTEGER_DIGITS = 30
_EVERY_DIGIT = Context(prec=400)


def is_empty(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def as_text(raw: object) -> str:
    """A cell as text: trimmed, Unicode NFC (so an å typed on a Mac matches); numbers whole."""
    if isinstance(raw, str):
        text = raw.strip()
        return text if text.isascii() else unicodedata.normalize("NFC", text)
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == time(0) else raw.isoformat(sep=" ")
    return str(raw)


def _group_ok(int_part: str, sep: str) -> bool:
    """``1.234.567``: a first group of 1-3 digits, then groups of exactly three."""
    groups = int_part.split(sep)
    return (
        1 <= len(groups[0]) <= 3
        and all(len(g) == 3 for g in groups[1:])
        and all(g.isdigit() for g in groups)
    )


def _split_number(body: str) -> tuple[str, str]:
    """Integer and fraction digits of an unsigned number written by a person."""
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        dec = "." if body.rfind(".") > body.rfind(",") else ","
        thousands = "," if dec == "." else "."
        if body.count(dec) > 1:
            raise CellError("type", f"{body!r} is not a number (more than one {dec!r})")
        int_part, frac = body.split(dec)
        if not _group_ok(int_part, thousands):
            raise CellError(
                "type",
                f"{body!r} is not a number (thousands separators "
                f"{thousands!r} must group three digits)",
            )
        return int_part.replace(thousands, ""), frac
    sep = "." if dots else ","
    n = dots or commas
    if n == 0:
        return body, ""
    if n > 1:
        if not _group_ok(body, sep):
            raise CellError(
                "type",
                f"{body!r} is not a number (thousands separators {sep!r} must group three digits)",
            )
        return body.replace(sep, ""), ""
    int_part, frac = body.split(sep)
    if len(frac) == 3 and 1 <= len(int_part) <= 3 and int_part[0] != "0":
        raise CellError(
            "type",
            f"{body!r} is ambiguous: {sep!r} could separate thousands "
            f"or decimals; write {int_part}{frac} for the whole number, "
            "or use at most 2 decimals",
        )
    return int_part, frac


def parse_decimal(raw: object, scale: int) -> str:
    """Canonical text of a decimal number with at most ``scale`` decimals."""
    if raw.__class__ is str and scale >= 2 and _SIMPLE_DECIMAL.fullmatch(raw):
        return raw.replace(",", ".")  # the common case, fast
    if isinstance(raw, bool):
        raise CellError("type", f"{raw!r} is not a number")
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return _float_decimal(raw, scale)
    if not isinstance(raw, str):
        raise CellError("type", f"{as_text(raw)!r} is not a number")
    text = raw.strip()
    body = text.translate(_DROP_SPACES)
    sign = ""
    if body[:1] in ("-", "+", "\u2212"):
        sign = "" if body[0] == "+" else "-"
        body = body[1:]
    if not body or not _NUMBER_CHARS.fullmatch(body):
        raise CellError("type", f"{text!r} is not a number")
    int_part, frac = _split_number(body)
    if not (int_part or frac) or not (int_part + frac).isdigit():
        raise CellError("type", f"{text!r} is not a number")
    frac = frac.rstrip("0")
    if len(frac) > scale:
        raise CellError("type", f"{text!r} has more than {scale} decimals")
    return f"{sign}{int_part or '0'}{'.' + frac if frac else ''}"


def _float_decimal(value: float, scale: int) -> str:
    """An XLSX number: binary floating point, so round to ``scale`` if it is that close."""
    if not math.isfinite(value):
        raise CellError("type", f"{value!r} is not a number")
    exact = Decimal(repr(value))
    # every digit of a double (up to 1e308) kept: the "too large" rule judges the size
    rounded = exact.quantize(Decimal(1).scaleb(-scale), context=_EVERY_DIGIT)
    if abs(exact - rounded) > Decimal("1e-6"):
        raise CellError("type", f"{value!r} has more than {scale} decimals")
    return format(rounded.normalize(_EVERY_DIGIT), "f")


def decimal_below(canonical: str, limit: Decimal) -> bool:
    if limit == 0:
        return canonical.startswith("-") and Decimal(canonical) != 0
    return Decimal(canonical) < limit


def decimal_above(canonical: str, limit: Decimal) -> bool:
    return Decimal(canonical) > limit


def parse_integer(raw: object) -> int:
    if isinstance(raw, bool):
        raise CellError("type", f"{raw!r} is not a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    text = as_text(raw)
    if not _INTEGER.fullmatch(text):
        raise CellError("type", f"{text!r} is not a whole number")
    if len(text) > _MAX_INTEGER_DIGITS:  # int() refuses more than 4300 digits
        raise CellError("type", f"a whole number of {len(text.lstrip('+-')):,} digits is too large")
    return int(text)


def parse_date(raw: object) -> str:
    """ISO text of a date given as yyyy-mm-dd, dd-mm-yyyy or an Excel date cell."""
    if isinstance(raw, datetime):
        if raw.time() != time(0):
            raise CellError("type", f"{raw.isoformat(sep=' ')!r} is a time, not a date")
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    text = as_text(raw)
    if m := _ISO_DATE.fullmatch(text):
        y, mo, d = m.groups()
    elif m := _DMY_DATE.fullmatch(text):
        d, mo, y = m.groups()
    else:
        raise CellError("type", f"{text!r} is not a date (write yyyy-mm-dd or dd-mm-yyyy)")
    try:
        return date(int(y), int(mo), int(d)).isoformat()
    except ValueError:
        raise CellError("type", f"{text!r} is not a valid date") from None


_BOOLEAN_WORDS = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}


def parse_boolean(raw: object) -> bool:
    if (fast := _BOOLEAN_WORDS.get(raw)) is not None:  # type: ignore[call-overload]
        return fast
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    word = as_text(raw).casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError("type", f"{as_text(raw)!r} is not true/false (write true/false, ja/nej or 1/0)")


def parse_cvr(raw: object) -> str:
    """8 digits passing modulus 11; spaces and a leading DK are ignored."""
    if raw.__class__ is str and is_valid_cvr(raw):
        return raw  # the common case, fast
    text = as_text(raw).replace(" ", "").replace("\u00a0", "")
    if text[:2].upper() == "DK":
        text = text[2:]
    if not (len(text) == 8 and text.isascii() and text.isdigit()):
        raise CellError("cvr", "a CVR number has 8 digits")
    if text[0] == "0":
        raise CellError("cvr", "a CVR number does not start with 0")
    if not is_valid_cvr(text):
        raise CellError("cvr", "fails the CVR modulus-11 check (weights 2,7,6,5,4,3,2,1)")
    return text


def parse_enum(raw: object, allowed: dict[str, str]) -> str:
    """``allowed`` maps casefolded values to their canonical spelling."""
    text = as_text(raw)
    try:
        return allowed[text.casefold()]
    except KeyError:
        raise CellError("enum", f"{text!r} is not one of: {', '.join(allowed.values())}") from None
