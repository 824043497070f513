"""The quality page states each gate rule in its own language, types as the contract has them."""

from __future__ import annotations

import pytest

from pipelines.report import rules


def _e(kind: str, **fields) -> dict:
    return {"expectation": kind, "success": True, "observed": None, **fields}


def test_a_type_check_shows_the_contract_type_not_the_pandas_dtype():
    e = _e(
        "expect_column_values_to_be_in_type_list",
        column="funding_dkk",
        rule="type decimal(18,2)",
        observed="float64",
        kwargs={"type_list": ["float64"]},
    )
    assert rules.observed(e, "da") == "decimal(18,2)"
    assert rules.sentence(e, "da") == "funding_dkk har typen decimal(18,2)"
    assert rules.sentence(e, "en") == "funding_dkk has type decimal(18,2)"
    assert rules.meaning(e, "da") is None  # "type ..." only restates the sentence
    assert rules.observed({**e, "success": False}, "en") == "not decimal(18,2)"


@pytest.mark.parametrize(
    ("kind", "kwargs", "da", "en"),
    [
        (
            "expect_column_values_to_be_between",
            {"min_value": 0, "max_value": 100},
            "Alle værdier i x ligger mellem 0 og 100",
            "Every value of x lies between 0 and 100",
        ),
        (
            "expect_column_values_to_be_between",
            {"min_value": 0, "max_value": 0.5},
            "Alle værdier i x ligger mellem 0 og 0,5",
            "Every value of x lies between 0 and 0.5",
        ),
        (
            "expect_column_values_to_be_between",
            {"min_value": 0, "strict_min": True},
            "Alle værdier i x er større end 0",
            "Every value of x is greater than 0",
        ),
        (
            "expect_column_max_to_be_between",
            {"min_value": 2023},
            "Største værdi i x er mindst 2023",
            "The largest value of x is at least 2023",
        ),
        (
            "expect_table_row_count_to_be_between",
            {"min_value": 10, "max_value": 20000},
            "Antal rækker ligger mellem 10 og 20.000",
            "Number of rows lies between 10 and 20,000",
        ),
        (
            "expect_column_values_to_be_in_set",
            {"value_set": ["2025", "total"]},
            "x er en af 2025, total",
            "x is one of 2025, total",
        ),
    ],
)
def test_rules_read_as_sentences_in_both_languages(kind, kwargs, da, en):
    e = _e(kind, column="x", kwargs=kwargs)
    assert rules.sentence(e, "da") == da
    assert rules.sentence(e, "en") == en


@pytest.mark.parametrize(
    ("rule", "da"),
    [
        ("cluster grants add up to the 662 mio. kr. allocation", "Klyngernes tilskud summer"),
        ("size groups add up to the total (x_pct sums to 100 within rounding)", "Størrelses"),
        ("latest DST year no older than 3 years", "Seneste DST-år er højst 3 år gammelt"),
        ("findings by rule add up to findings_total", "Fund pr. regel summer"),
        (
            "disclosure control: published cells have at least 3 firms and effective "
            "comparison firms",
            "Diskretionering: offentliggjorte celler har mindst 3",
        ),
    ],
)
def test_a_rule_of_its_own_is_said_in_danish_on_the_danish_page(rule, da):
    e = _e("expect_column_values_to_be_between", column="_check_x", rule=rule)
    assert rules.meaning(e, "da").startswith(da)
    assert rules.meaning(e, "en") == rule[:1].upper() + rule[1:]


def test_an_untranslated_rule_leaves_the_danish_sentence_alone():
    e = _e("expect_column_values_to_be_between", column="x", rule="some new rule")
    assert rules.meaning(e, "da") is None  # the Danish page shows the Danish sentence only
    assert rules.meaning(e, "en") == "Some new rule"
