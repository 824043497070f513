"""The quality gate's rules in the reader's language.

A gate result (``quality/<table>.json``) names each expectation by its GX type, its column, its
arguments (``kwargs``) and the rule it stands for in English (``rule``, from
``pipelines/quality/``). The quality page states each rule as a sentence in the page's language:
the rule's meaning where it has one of its own (``MEANINGS``: the rules relating rows to each
other, which check a derived ``_check_*`` column), else a sentence made from the expectation's
type and arguments. Column types are stated as the dbt contract declares them
(``decimal(18,2)``), never as the pandas dtype GX saw.
"""

from __future__ import annotations

import re
from typing import Any

from pipelines.report import numbers

# English rule text (pipelines/quality/) -> the same rule in Danish; groups carry numbers,
# column names and periods over. English pages show the rule as written.
MEANINGS_DA: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(f"^{pattern}$"), da)
    for pattern, da in (
        (
            r"size groups add up to the total \((\S+) sums to 100 within rounding\)",
            r"størrelsesgrupperne summer til totalen (\1 summer til 100 inden for afrunding)",
        ),
        (
            r"size classes add up to the total \((\S+) sums to 100 within rounding\)",
            r"størrelsesklasserne summer til totalen (\1 summer til 100 inden for afrunding)",
        ),
        (
            r"SMV \+ large = total within DST's rounding",
            "SMV + store = total inden for DST's afrunding",
        ),
        (
            r"most years have an SMV share \(suppression is the exception\)",
            "de fleste år har en SMV-andel (diskretionering er undtagelsen)",
        ),
        (
            r"cluster grants add up to the (\S+) mio\. kr\. allocation",
            r"klyngernes tilskud summer til bevillingen på \1 mio. kr.",
        ),
        (
            r"one row per programme year (\S+) plus the total",
            r"én række pr. programår \1 plus totalen",
        ),
        (r"exactly one row is the base year", "præcis én række er basisåret"),
        (
            r"base_year_deflator is the base year's deflator",
            "base_year_deflator er basisårets deflator",
        ),
        (r"deflator = GDP current / chained prices", "deflator = BNP løbende / kædede priser"),
        (r"deflator positive", "deflatoren er positiv"),
        (r"findings by rule add up to findings_total", "fund pr. regel summer til findings_total"),
        (
            r"distinct SMEs funded never exceed SME participations",
            "antal forskellige støttede SMV'er er aldrig større end antal SMV-deltagelser",
        ),
        (r"treatment year within the programme period", "behandlingsåret ligger i programperioden"),
        (r"(\S+) within the programme period (\S+)", r"\1 ligger i programperioden \2"),
        (r"CVR is 8 digits", "CVR-nummeret har 8 cifre"),
        (r"withheld cells carry no numbers", "tilbageholdte celler har ingen tal"),
        (r"estimate inside its confidence interval", "estimatet ligger i sit konfidensinterval"),
        (
            r"the uniform band contains the pointwise CI",
            "det uniforme bånd indeholder det punktvise konfidensinterval",
        ),
        (
            r"disclosure control: published cells have at least (\d+) firms and effective "
            r"comparison firms",
            r"diskretionering: offentliggjorte celler har mindst \1 virksomheder og effektive "
            "sammenligningsvirksomheder",
        ),
        (
            r"disclosure audit: no withheld cell can be worked out from the published ones",
            "diskretioneringskontrol: ingen tilbageholdt celle kan regnes ud af de offentliggjorte",
        ),
        (
            r"estimates of a declared programme generation, each on its own",
            "estimater for en erklæret programgeneration, hver for sig",
        ),
        (r"p-value within 0-1", "p-værdien ligger mellem 0 og 1"),
        (r"minimum detectable effect > 0", "mindste påviselige effekt er større end 0"),
        (r"breakdown M-bar >= 0", "breakdown M-bar er mindst 0"),
        (r"latest DST year no older than (\d+) years", r"seneste DST-år er højst \1 år gammelt"),
        (r"share within 0-100", "andelen ligger mellem 0 og 100"),
    )
)
# Rules that only restate the expectation: the sentence from type and arguments says it better.
GENERIC_RULES = re.compile(
    r"^(type .+|columns as the dbt contract|row count within expected bounds|share within 0-100)$"
)

SENTENCES = {
    "expect_table_columns_to_match_ordered_list": {
        "da": "Kolonnerne er dbt-kontraktens, i samme rækkefølge",
        "en": "The columns are the dbt contract's, in the same order",
    },
    "expect_table_row_count_to_be_between": {
        "da": "Antal rækker {range}",
        "en": "Number of rows {range}",
    },
    "expect_column_values_to_be_between": {
        "da": "Alle værdier i {column} {range}",
        "en": "Every value of {column} {range}",
    },
    "expect_column_max_to_be_between": {
        "da": "Største værdi i {column} {range}",
        "en": "The largest value of {column} {range}",
    },
    "expect_column_values_to_match_regex": {
        "da": "Alle værdier i {column} har formen {regex}",
        "en": "Every value of {column} has the form {regex}",
    },
    "expect_column_values_to_not_be_null": {
        "da": "{column} er udfyldt i mindst {mostly} af rækkerne",
        "en": "{column} is filled in at least {mostly} of the rows",
    },
    "expect_column_values_to_be_in_set": {
        "da": "{column} er en af {values}",
        "en": "{column} is one of {values}",
    },
    "expect_column_distinct_values_to_equal_set": {
        "da": "{column} har netop værdierne {values}",
        "en": "{column} holds exactly the values {values}",
    },
    "expect_column_values_to_be_in_type_list": {
        "da": "{column} har typen {type}",
        "en": "{column} has type {type}",
    },
}
RANGE = {
    "between": {"da": "ligger mellem {low} og {high}", "en": "lies between {low} and {high}"},
    "equal": {"da": "er {low}", "en": "is {low}"},
    "min": {"da": "er mindst {low}", "en": "is at least {low}"},
    "min_strict": {"da": "er større end {low}", "en": "is greater than {low}"},
    "max": {"da": "er højst {high}", "en": "is at most {high}"},
}
TYPE_RULE = re.compile(r"^type (.+)$")


def contract_type(expectation: dict[str, Any]) -> str | None:
    """The dbt contract's type of a type check (``decimal(18,2)``), from its rule."""
    match = TYPE_RULE.match(expectation.get("rule") or "")
    return match.group(1) if match else None


def _num(value: Any, lang: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if float(value).is_integer() and abs(value) < 10000:  # years and small counts: 2023
        return str(int(value))
    decimals = 0 if float(value).is_integer() else min(12, len(f"{value:g}".split(".")[-1]))
    if "e" in f"{value:g}":
        return f"{value:g}"
    return numbers.number(value, decimals, lang)


def _range(kwargs: dict[str, Any], lang: str) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    fields = {"low": _num(low, lang), "high": _num(high, lang)}
    if low is not None and high is not None:
        kind = "equal" if low == high else "between"
    elif low is not None:
        kind = "min_strict" if kwargs.get("strict_min") else "min"
    else:
        kind = "max"
    return RANGE[kind][lang].format(**fields)


def _column(expectation: dict[str, Any]) -> str:
    return str(expectation.get("column") or "")


def sentence(expectation: dict[str, Any], lang: str) -> str:
    """What the expectation checks, from its GX type and arguments, in ``lang``."""
    kind = expectation.get("expectation") or ""
    kwargs = expectation.get("kwargs") or {}
    words = SENTENCES.get(kind, {}).get(lang)
    if words is None:  # a type this page does not know: its GX name, as GX states it
        return kind
    fields = {
        "column": _column(expectation),
        "type": contract_type(expectation) or "",
        "regex": kwargs.get("regex", ""),
        "mostly": numbers.percent(100 * float(kwargs.get("mostly") or 1), 0, lang),
        "values": ", ".join(str(v) for v in kwargs.get("value_set") or []),
    }
    if "{range}" in words:
        fields["range"] = _range(kwargs, lang) if kwargs else ""
    return words.format(**fields).strip()


def meaning(expectation: dict[str, Any], lang: str) -> str | None:
    """The rule's own meaning in ``lang``, when it says more than the expectation's sentence."""
    rule = (expectation.get("rule") or "").strip()
    if not rule or GENERIC_RULES.match(rule):
        return None
    if lang == "en":
        return rule[:1].upper() + rule[1:]
    for pattern, da in MEANINGS_DA:
        if pattern.match(rule):
            text = pattern.sub(da, rule)
            return text[:1].upper() + text[1:]
    return None  # no Danish for it yet: the sentence from type and arguments stands alone


def observed(expectation: dict[str, Any], lang: str) -> str:
    """The observed value in the page's terms: a type check shows the contract's type (the
    pandas dtype GX saw is an implementation detail); other checks their observed value."""
    kind = expectation.get("expectation")
    if kind == "expect_column_values_to_be_in_type_list":
        declared = contract_type(expectation) or ""
        if expectation.get("success"):
            return declared
        return {"da": "ikke {t}", "en": "not {t}"}[lang].format(t=declared)
    if kind == "expect_table_columns_to_match_ordered_list":
        value = expectation.get("observed")
        count = len(value) if isinstance(value, list) else 0
        return {"da": "{n} kolonner", "en": "{n} columns"}[lang].format(n=count)
    value = expectation.get("observed")
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _num(value, lang)
    return str(value)
