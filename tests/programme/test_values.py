"""Unit tests: CVR modulus 11, CPR detection, and how cell values are read."""

from __future__ import annotations

import random
from datetime import date, datetime

import pytest

from pipelines.programme.checks.identifiers import (
    cvr_check_digit,
    cvr_weighted_sum,
    find_cpr,
    is_valid_cvr,
    redact,
)
from pipelines.programme.checks.values import (
    CellError,
    parse_boolean,
    parse_cvr,
    parse_date,
    parse_decimal,
    parse_integer,
)


@pytest.mark.parametrize("cvr", ["90000012", "90000020", "10403782", "24256790", "61056416"])
def test_valid_cvr(cvr):
    assert is_valid_cvr(cvr)


@pytest.mark.parametrize(
    "cvr", ["90000013", "12345678", "1234567", "123456789", "0000000A", "", "00000000", "９0000012"]
)
def test_invalid_cvr(cvr):
    assert not is_valid_cvr(cvr)


def test_cvr_weights_and_check_digit():
    # 2*9 + 7*0 + 6*0 + 5*0 + 4*0 + 3*0 + 2*1 + 1*2 = 22, divisible by 11
    assert is_valid_cvr("90000012")
    assert cvr_check_digit("9000001") == 2
    assert all(
        cvr_check_digit(s) is None or is_valid_cvr(s + str(cvr_check_digit(s)))
        for s in (f"{n:07d}" for n in range(1_000_000, 1_000_200))
    )


def test_fast_check_matches_the_definition():
    rng = random.Random(11)
    numbers = [str(rng.randrange(10_000_000, 100_000_000)) for _ in range(5_000)]
    assert [is_valid_cvr(n) for n in numbers] == [cvr_weighted_sum(n) % 11 == 0 for n in numbers]


def test_parse_cvr_forms():
    assert parse_cvr(" 9000 0012 ") == "90000012"
    assert parse_cvr("DK90000012") == "90000012"
    assert parse_cvr(90000012) == "90000012"  # an Excel number cell
    with pytest.raises(CellError, match="modulus-11") as info:
        parse_cvr("90000013")
    assert info.value.rule == "cvr"
    with pytest.raises(CellError, match="8 digits"):
        parse_cvr("9000001")
    # 0,1,0,0,0,0,0,4 weigh 7 + 4 = 11: a multiple of 11, yet no CVR starts with 0
    with pytest.raises(CellError, match="does not start with 0"):
        parse_cvr("01000004")


@pytest.mark.parametrize(
    "text",
    [
        "010190-1234",
        "0101901234",
        "Kontakt: 311285-4321",
        "290200-1234",
        "290204 1234",
        # as word processors write the dash or space: en dash (Word's autocorrect), em dash,
        # non-breaking hyphen, minus sign, no-break, narrow and thin spaces
        "Jens 150285\u20131234",
        "150285\u20141234",
        "150285\u20111234",
        "150285\u22121234",
        "150285\u00a01234",
        "150285\u202f1234",
        "150285\u20091234",
        # in text, more forms: the date split, the last four after / . _ or a spaced dash,
        # full-width digits, an invisible character inside
        "010190/1234",
        "010190.1234",
        "010190_1234",
        "01.01.90-1234",
        "01-01-90 1234",
        "010190 - 1234",
        "\uff10\uff11\uff10\uff11\uff19\uff10-\uff11\uff12\uff13\uff14",
        "010190\u200b1234",
        "0101\u00ad901234",
    ],
)
def test_cpr_like_numbers_are_found(text):
    assert find_cpr(text)
    assert "1234" not in redact(text) and "XXXXXX-XXXX" in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "90000012",
        "2025-03-01",
        "01-03-2025",
        "1234567890",
        "320190-1234",
        "011390-1234",
        "290201-1234",
        "12345678901",
        "1.234.567,50",
        "K01-P0001",
        "01-01-2025",
        "10.10.2025",
        "01.02.2025 1234",
        "2025-03-01 12:00",
        "12 34 56 78",
    ],
)
def test_other_numbers_are_not_cpr(text):
    assert not find_cpr(text)
    assert redact(text) == text


def test_amount_columns_know_only_the_plain_ten_digit_forms():
    """``250125.5000`` is a plausible amount; in text it could be a CPR number."""
    assert find_cpr("250125.5000") and not find_cpr("250125.5000", amount=True)
    assert find_cpr("250125-5000", amount=True) and find_cpr("2501255000", amount=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234567", "1234567"),
        ("1234567,5", "1234567.5"),
        ("1234567.5", "1234567.5"),
        ("1.234.567,50", "1234567.5"),
        ("1,234,567.50", "1234567.5"),
        ("1.234.567", "1234567"),
        ("1 234 567,50", "1234567.5"),
        ("1\u00a0234\u00a0567", "1234567"),
        ("0,125", None),  # three decimals: too many
        ("0,12", "0.12"),
        ("1234,500", "1234.5"),  # trailing zeros do not count
        ("-1.000,00", "-1000"),
        ("+5", "5"),
        (" 12,50 ", "12.5"),
    ],
)
def test_decimal_rule(text, expected):
    if expected is None:
        with pytest.raises(CellError, match="more than 2 decimals"):
            parse_decimal(text, 2)
    else:
        assert parse_decimal(text, 2) == expected


@pytest.mark.parametrize("text", ["1.234", "250,000", "12.345"])
def test_single_separator_before_three_digits_is_ambiguous(text):
    with pytest.raises(CellError, match="ambiguous"):
        parse_decimal(text, 2)


@pytest.mark.parametrize(
    "text", ["12 kr.", "1,2,3", "1.23.456", "abc", "1.234,5.6", "--1", ",", "1e6"]
)
def test_not_numbers(text):
    with pytest.raises(CellError) as info:
        parse_decimal(text, 2)
    assert info.value.rule == "type"


def test_excel_numbers():
    assert parse_decimal(0.1 + 0.2, 2) == "0.3"
    assert parse_decimal(42000000.5, 2) == "42000000.5"
    assert parse_decimal(60_000_000, 2) == "60000000"
    with pytest.raises(CellError):
        parse_decimal(0.333, 2)
    with pytest.raises(CellError):
        parse_decimal(True, 2)
    # beyond Python's 28 decimal digits: the whole number, for the "too large" rule to judge
    assert parse_decimal(1e30, 2) == str(10**30)
    assert parse_decimal(-1e27, 2) == "-" + str(10**27)
    assert parse_decimal(1e308, 2) == str(10**308)


def test_dates():
    assert parse_date("2025-03-01") == "2025-03-01"
    assert parse_date("01-03-2025") == "2025-03-01"
    assert parse_date(datetime(2025, 3, 1)) == "2025-03-01"
    assert parse_date(date(2025, 3, 1)) == "2025-03-01"
    for bad in ("2025/03/01", "03-01-25", "2025-02-30", "1. marts 2025"):
        with pytest.raises(CellError):
            parse_date(bad)


def test_booleans():
    for word in ("true", "TRUE", "ja", "Ja", "1", "SAND", True, 1):
        assert parse_boolean(word) is True
    for word in ("false", "nej", "NEJ", "0", "FALSK", False, 0):
        assert parse_boolean(word) is False
    with pytest.raises(CellError):
        parse_boolean("måske")


def test_integers():
    assert parse_integer("2025") == 2025
    assert parse_integer(2025.0) == 2025
    with pytest.raises(CellError):
        parse_integer("2025,5")
    # int() refuses over 4300 digits with a ValueError; here it is a cell error
    with pytest.raises(CellError, match="5,000 digits is too large") as info:
        parse_integer("9" * 5000)
    assert info.value.rule == "type"
