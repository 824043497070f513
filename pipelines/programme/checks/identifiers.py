"""Danish identifiers: CVR numbers (firms, checked) and CPR numbers (persons, never accepted).

CVR: 8 digits; the digits weighted 2,7,6,5,4,3,2,1 sum to a multiple of 11 (modulus 11).

CPR: ``ddmmyy-xxxx`` (any dash or space between) or ten digits whose first six are a valid
date ``ddmmyy``. The modulus-11
check is not used, because CPR numbers issued since 2007 need not pass it. A CPR typed into a
numeric Excel cell loses its leading zero (``0101901234`` becomes ``101901234``), so nine digits
that make a valid ``ddmmyy`` once a zero is put in front count too. Participants are firms and
institutions, so anything CPR-like in an inbound file is treated as personal data, and no
message, report or log line may repeat it: :func:`redact` masks every such number.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)
CPR_MASK = "XXXXXX-XXXX"

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212"  # hyphens, en/em dash, minus sign
_SPACES = " \u00a0\u2009\u202f"  # space, no-break, thin and narrow no-break space
# In an amount (a number column), ddmmyy and the last four digits with nothing, one dash or one
# space between, as people and their word processors write them (Word's autocorrect makes an
# en dash). In text, people write a CPR number more ways: the date split by - . or /
# (01.01.90-1234), the last four digits after / . _ or a dash with spaces around it. Patterns
# (groups dd, mm, yy) for Python's re and for RE2 (:mod:`.columns`) alike.
CPR_IN_NUMBER = rf"([0-3][0-9])([01][0-9])([0-9]{{2}})[-{_DASHES}{_SPACES}]?[0-9]{{4}}"
CPR_IN_TEXT = (
    rf"([0-3][0-9])[-./]?([01][0-9])[-./]?([0-9]{{2}})"
    rf"(?:[{_SPACES}]?[-/._{_DASHES}][{_SPACES}]?|[{_SPACES}])?[0-9]{{4}}"
)
# Characters that NFKC or dropping invisible format characters could turn into a digit or a
# separator (full-width ０-９, superscripts, a soft hyphen or zero-width space inside a number):
# text holding one is searched normalised (find_cpr), and goes row by row (.columns). That is
# everything beyond Latin-1 but common typography normalisation leaves alone.
_KEPT_TYPOGRAPHY = "\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u20ac"
NORMALISED_AWAY = f"[\u00ad\u00b2\u00b3\u00b9\u00bc-\u00be]|[^\\x00-\\xff{_KEPT_TYPOGRAPHY}]"
_NEEDS_PLAIN = re.compile(NORMALISED_AWAY)
# Not inside a longer run of digits.
_CPR_NUMBER = re.compile(rf"(?<![0-9]){CPR_IN_NUMBER}(?![0-9])")
_CPR_TEXT = re.compile(rf"(?<![0-9]){CPR_IN_TEXT}(?![0-9])")
# The same with its leading zero lost in a number cell: d mm yy xxxx (day 1-9).
_CPR_LOST_ZERO = re.compile(r"(?<![0-9])([1-9])([01][0-9])([0-9]{2})[0-9]{4}(?![0-9])")


def cvr_weighted_sum(digits: str) -> int:
    return sum(int(d) * w for d, w in zip(digits, CVR_WEIGHTS, strict=True))


def is_valid_cvr(value: str) -> bool:
    """True for 8 digits (first not 0) that pass the modulus-11 check."""
    if not (len(value) == 8 and value.isascii() and value.isdigit() and value[0] != "0"):
        return False
    d = value.encode()  # unrolled: this runs once per participant row
    total = (
        2 * d[0]
        + 7 * d[1]
        + 6 * d[2]
        + 5 * d[3]
        + 4 * d[4]
        + 3 * d[5]
        + 2 * d[6]
        + d[7]
        - 48 * sum(CVR_WEIGHTS)
    )
    return total % 11 == 0


def cvr_check_digit(first_seven: str) -> int | None:
    """The 8th digit that makes a valid CVR, or None when no digit can (remainder 10)."""
    total = sum(int(d) * w for d, w in zip(first_seven, CVR_WEIGHTS[:7], strict=True))
    check = (-total) % 11
    return None if check == 10 else check


def _valid_ddmmyy(dd: str, mm: str, yy: str) -> bool:
    day, month, year = int(dd), int(mm), int(yy)
    for century in (1900, 2000):  # 29 February: valid if the year is a leap year in either
        try:
            date(century + year, month, day)
            return True
        except ValueError:
            continue
    return False


def _cpr_spans(text: str, amount: bool) -> list[tuple[int, int]]:
    spans = [
        m.span()
        for m in (_CPR_NUMBER if amount else _CPR_TEXT).finditer(text)
        if _valid_ddmmyy(*m.groups())
    ]
    if not amount:
        spans += [
            m.span()
            for m in _CPR_LOST_ZERO.finditer(text)
            if _valid_ddmmyy("0" + m.group(1), m.group(2), m.group(3))
        ]
    return spans


def _plain(text: str) -> str:
    """``text`` with digits as ASCII digits (NFKC: full-width ``０１``, superscripts) and
    without invisible format characters (a zero-width space inside a number)."""
    if _NEEDS_PLAIN.search(text) is None:  # nearly always, Danish letters included
        return text
    return "".join(
        c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf"
    )


def find_cpr(text: str, *, amount: bool = False) -> bool:
    """True if ``text`` contains something that looks like a CPR number.

    ``amount=True`` is for a cell of an amount column: only the ten-digit form with at most a
    dash or space, since ``110500000`` (110.5 mio. kr.) is a plausible amount and a CPR
    without its zero is not.
    """
    text = _plain(text)
    pattern = _CPR_NUMBER if amount else _CPR_TEXT
    if pattern.search(text) is None and (amount or _CPR_LOST_ZERO.search(text) is None):
        return False  # nearly always: a regex pass or two, no Python loop
    return bool(_cpr_spans(text, amount))


def redact(text: str) -> str:
    """``text`` with every number that could be a CPR (with or without its leading zero, in
    any of the forms :func:`find_cpr` knows) replaced by ``XXXXXX-XXXX``. Where it takes
    normalising to see one (full-width digits, an invisible character inside), the normalised
    text is returned, masked."""
    plain = _plain(text)
    spans = _cpr_spans(plain, amount=False)
    if not spans:
        return text
    for start, end in sorted(spans, reverse=True):
        plain = plain[:start] + CPR_MASK + plain[end:]
    return plain
