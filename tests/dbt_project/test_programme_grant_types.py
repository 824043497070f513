"""``programme_grant_types`` recomputed from the raw programme rows with pandas.

The bundled samples of every generation (``data/inbound/programme/<generation>/sample/``) are
loaded as the refresh loads them, dbt builds the marts, and each row of the mart is worked out
here again from ``raw.programme_*`` and the generations' declarations alone: no dbt model, no
SQL of the mart. Whether a generation reports grant types is its declaration (the contract's
absent fields), never the data. The samples fill in every grant type of a generation that
reports them, so the copy here empties the grant type of every tenth project of those
generations: those projects draw on several grant types, and the row ``several`` has something
to count.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.constants import generations
from pipelines.settings import DBT_PROJECT_DIR
from tests.warehouse_helpers import build_from_programme_files, copy_samples, query

pytestmark = pytest.mark.slow  # loads the samples and builds the programme marts

EVERY_NTH_SEVERAL = 10
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def _empty_some_grant_types(projects: Path) -> int:
    """Empty the grant type of every tenth project of a sample that reports grant types; how
    many were emptied (0 when the file has no grant_type column)."""
    text = projects.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    if "grant_type" not in rows[0]:
        return 0
    column = rows[0].index("grant_type")
    emptied = 0
    for i, row in enumerate(rows[1:]):
        if i % EVERY_NTH_SEVERAL == 0 and row[column]:
            row[column] = ""
            emptied += 1
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    projects.write_bytes(out.getvalue().encode("utf-8-sig"))
    return emptied


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("grant_types") / "data"
    inbound = copy_samples(data_dir)
    emptied = sum(_empty_some_grant_types(p) for p in inbound.glob("*/sample/projects.csv"))
    assert emptied > 0  # some generation's sample reports grant types
    return build_from_programme_files(data_dir)


@pytest.fixture(scope="module")
def raw(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            t: con.execute(f"select * from raw.programme_{t}").df()
            for t in ("clusters", "projects")
        }


def _generation_rows(g, raw: dict[str, pd.DataFrame]) -> list[dict]:
    """One generation's rows: its declared grant types, then the row without one."""
    projects = raw["projects"][raw["projects"]["programme"] == g.id]
    start = pd.to_datetime(projects["start_date"]).dt.year
    projects = projects[start.between(g.first_year, g.last_year)]
    funding = projects["cluster_funding_dkk"].astype(float)
    total = funding.sum()
    reported = "grant_type" not in g.absent_fields.get("projects", ())
    clusters = raw["clusters"][raw["clusters"]["programme"] == g.id]
    is_sample = bool(clusters["_is_sample"].any())
    # (grant type, funder, English name, declared amount, its projects; None: not known)
    parts = [
        (
            t.id,
            t.funder,
            t.name_en,
            t.amount_dkk,
            projects["grant_type"] == t.id if reported else None,
        )
        for t in g.grant_types
    ]
    # a generation that does not report grant types has all its projects in not_reported
    without = projects["grant_type"].isna() | (not reported)
    if reported:
        parts.append(("several", None, "Several grant types", None, without))
    else:
        parts.append(("not_reported", None, "Grant type not reported", None, without))
    rows = []
    for grant_type, funder, name_en, amount, of in parts:
        money = float(funding[of].sum()) if of is not None else None
        rows.append(
            {
                "programme": g.id,
                "grant_type": grant_type,
                "funder": funder,
                "grant_type_name_en": name_en,
                "declared_amount_dkk": amount,
                "projects": int(of.sum()) if of is not None else None,
                "cluster_funding_dkk": money,
                "share_of_cluster_funding_pct": 100 * money / total
                if money is not None and total
                else None,
                "is_sample": is_sample,
            }
        )
    return rows


def _expected(raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every (generation, grant type) row, from the raw rows and the declarations."""
    return pd.DataFrame([r for g in generations() for r in _generation_rows(g, raw)])


def _same(got, expected) -> bool:
    if expected is None or (isinstance(expected, float) and pd.isna(expected)):
        return pd.isna(got)
    if isinstance(expected, bool | str):
        return got == expected
    return float(got) == pytest.approx(float(expected), rel=1e-9, abs=1e-6)


def test_every_row_recomputed_from_the_raw_rows(warehouse, raw):
    mart = query(warehouse, "select * from marts.programme_grant_types")
    expected = _expected(raw)
    assert sorted(zip(mart["programme"], mart["grant_type"], strict=True)) == sorted(
        zip(expected["programme"], expected["grant_type"], strict=True)
    )
    got = mart.set_index(["programme", "grant_type"])
    for want in expected.to_dict("records"):
        key = (want["programme"], want["grant_type"])
        for column, value in want.items():
            if column in ("programme", "grant_type"):
                continue
            assert _same(got.at[key, column], value), (key, column, got.at[key, column], value)


def test_not_reported_exactly_where_the_generation_declares_the_field_absent(warehouse, raw):
    """The row without a grant type says not_reported in a generation that left grant_type out
    of its contract (all its projects are there) and several in one that reports it. (A
    generation that reports it but left every cell empty: test_programme_marts.)"""
    mart = query(warehouse, "select * from marts.programme_grant_types")
    without = mart[mart["grant_type"].isin(["not_reported", "several"])].set_index("programme")
    assert sorted(without.index) == sorted(g.id for g in generations())
    for g in generations():
        absent = "grant_type" in g.absent_fields.get("projects", ())
        in_raw = raw["projects"].loc[raw["projects"]["programme"] == g.id, "grant_type"]
        assert in_raw.isna().all() == absent, g.id
        assert without.at[g.id, "grant_type"] == ("not_reported" if absent else "several")
        if not absent:
            assert without.at[g.id, "projects"] > 0  # the emptied cells arrive as NULL
    assert any("grant_type" in g.absent_fields.get("projects", ()) for g in generations())


def test_each_generation_adds_up_to_its_cluster_funding(warehouse):
    mart = query(warehouse, "select * from marts.programme_grant_types")
    totals = query(
        warehouse,
        "select programme, sum(cluster_funding_dkk) as funding, sum(projects_started) as started "
        "from marts.cluster_programme_totals group by programme",
    ).set_index("programme")
    by_generation = mart.groupby("programme").agg(
        funding=("cluster_funding_dkk", "sum"),
        projects=("projects", "sum"),
        shares=("share_of_cluster_funding_pct", "sum"),
    )
    for prog, row in by_generation.iterrows():
        assert row["funding"] == pytest.approx(float(totals.at[prog, "funding"]))
        assert row["projects"] == totals.at[prog, "started"]
        assert row["shares"] == pytest.approx(100)


def test_unit_tests_cover_the_grant_type_models():
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    tested = {t["model"] for t in manifest["unit_tests"].values()}
    assert {"int_programme__grant_types", "programme_grant_types"} <= tested
