"""The SMV-share marts against an independent pandas computation from the snapshot files."""

from __future__ import annotations

import json
import shutil

import duckdb
import pandas as pd
import pytest

from pipelines.orchestration.resources import dbt_vars
from pipelines.settings import BUNDLED_SNAPSHOT_DIR, load_settings
from tests.warehouse_helpers import load_snapshot, query, run_dbt

pytestmark = pytest.mark.slow  # a dbt build of the DST marts

# These tests load DST tables only: leave out the models built on programme data.
DST_ONLY_EXCLUDE = "path:models/staging/programme+"
SMV_CODES = {"3010", "3020", "3030"}
LARGE_CODE = "3040"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A warehouse with the snapshot loaded and every dbt model built and tested."""
    data_dir = tmp_path_factory.mktemp("smv") / "data"
    data_dir.mkdir()
    load_snapshot(data_dir / "warehouse.duckdb")
    run_dbt(data_dir, "build", "--exclude", DST_ONLY_EXCLUDE)
    return data_dir


def copy_of(built, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(built, data_dir, ignore=shutil.ignore_patterns("dbt_*"))
    return data_dir


def read_snapshot(table: str) -> pd.DataFrame:
    """The BULK body as text, parsed with pandas, nothing shared with the pipeline's loader."""
    body = pd.read_csv(
        BUNDLED_SNAPSHOT_DIR / table / "data.csv", sep=";", dtype=str, keep_default_na=False
    )
    body["value"] = pd.to_numeric(
        body["INDHOLD"]
        .str.replace(",", ".", regex=False)
        .replace({"..": None, "-": None, "": None})
    )
    return body


def oracle_summary(base_year: int | None = None) -> pd.DataFrame:
    rd = read_snapshot("FORSK01")
    rd = rd[rd["FUI08"] == "10"]
    nan1 = read_snapshot("NAN1")
    gdp = nan1[nan1["TRANSAKT"] == "B1GQK"].pivot(index="Tid", columns="PRISENHED", values="value")
    deflator = (gdp["V_M"] / gdp["LAN_M"]).rename(index=int)
    years = sorted(int(y) for y in rd["Tid"].unique())
    if base_year is None:
        base_year = max(y for y in years if y in deflator.index)
    rows = []
    for year in years:
        cells = rd[rd["Tid"] == str(year)].set_index("FUI01")["value"]
        smv = sum(cells[c] for c in SMV_CODES)
        large = cells[LARGE_CODE]
        factor = deflator[base_year] / deflator[year]
        rows.append(
            {
                "year": year,
                "total_rd_current_mio_dkk": cells["3000"],
                "smv_rd_current_mio_dkk": smv,
                "large_rd_current_mio_dkk": large,
                "total_rd_fixed_mio_dkk": cells["3000"] * factor,
                "smv_rd_fixed_mio_dkk": smv * factor,
                "large_rd_fixed_mio_dkk": large * factor,
                "smv_share_pct": 100 * smv / (smv + large),
                "price_base_year": base_year,
                "series_break": year == 2017,
            }
        )
    out = pd.DataFrame(rows).set_index("year")
    out["smv_rd_fixed_cagr_10y_pct"] = 100 * (
        (out["smv_rd_fixed_mio_dkk"] / out["smv_rd_fixed_mio_dkk"].shift(10)) ** 0.1 - 1
    )
    out["large_rd_fixed_yoy_change_pct"] = 100 * (
        out["large_rd_fixed_mio_dkk"] / out["large_rd_fixed_mio_dkk"].shift(1) - 1
    )
    return out


def compare(mart: pd.DataFrame, expected: pd.DataFrame) -> None:
    mart = mart.set_index("year")
    assert list(mart.index) == list(expected.index)
    for column in expected.columns:
        pd.testing.assert_series_equal(
            mart[column],
            expected[column],
            check_dtype=False,
            check_names=False,
            rtol=1e-9,
            obj=column,
        )


def test_summary_matches_independent_computation(built):
    mart = query(
        built / "warehouse.duckdb", "select * from marts.smv_rd_share_summary order by year"
    )
    compare(mart, oracle_summary())
    assert mart["is_complete"].all()
    assert mart.loc[mart["year"] == 2024, "total_rd_current_mio_dkk"].item() == 59_213


def test_size_group_rows_match_and_shares_add_up(built):
    mart = query(built / "warehouse.duckdb", "select * from marts.smv_rd_share")
    rd = read_snapshot("FORSK01")
    rd = rd[(rd["FUI08"] == "10")]
    cells = rd.set_index(["Tid", "FUI01"])["value"]
    for row in mart.itertuples():
        code = {"under_10": "3010", "10_49": "3020", "50_249": "3030", "250_plus": "3040"}[
            row.size_group
        ]
        assert row.rd_current_mio_dkk == cells[str(row.year), code]
        assert row.share_of_total_pct == pytest.approx(
            100 * cells[str(row.year), code] / cells[str(row.year), "3000"]
        )
        assert row.is_smv == (code != "3040")
    sums = mart.groupby("year")["share_of_total_pct"].sum()
    assert sums.between(99.99, 100.01).all()


def test_business_share_answers_the_smv_question_in_one_query(built):
    shares = query(
        built / "warehouse.duckdb",
        """
        select year, sum(firms_share_pct) as firms, sum(turnover_share_pct) as turnover
        from marts.smv_business_share where is_smv group by year order by year""",
    )
    gf13 = read_snapshot("GF13")
    for row in shares.itertuples():
        year = gf13[gf13["Tid"] == str(row.year)]

        def measure(unit, classes, year=year):
            return year[(year["ENHED"] == unit) & year["FIRMSTR"].isin(classes)]["value"].sum()

        smv = ["0000", "010", "101", "102"]
        assert row.firms == pytest.approx(100 * measure("AFI", smv) / measure("AFI", ["TOT"]))
        assert row.turnover == pytest.approx(100 * measure("OMS", smv) / measure("OMS", ["TOT"]))
        assert row.firms > 99  # "SMEs are 99 % of firms"


def test_purchased_rd_marks_universities_and_gts_and_keeps_suppression(built):
    mart = query(
        built / "warehouse.duckdb",
        """
        select * from marts.rd_purchased_by_supplier where year = 2019""",
    )
    uni = mart[(mart["size_group"] == "under_10") & (mart["supplier_type"] == "university_dk")]
    assert uni["is_knowledge_institution"].item()
    assert uni["is_suppressed"].item() and pd.isna(uni["purchased_rd_mio_dkk"].item())
    gts = mart[(mart["size_group"] == "50_249") & (mart["supplier_type"] == "gts")]
    total = mart[(mart["size_group"] == "50_249") & mart["is_total"]]
    assert gts["share_of_size_group_pct"].item() == pytest.approx(
        100 * gts["purchased_rd_mio_dkk"].item() / total["purchased_rd_mio_dkk"].item()
    )


# staging model -> DST table, {variable: (code column, label column)}, value column
STAGING = {
    "stg_dst__forsk01": (
        "FORSK01",
        {
            "FUI01": ("breakdown_code", "breakdown_label_da"),
            "FUI08": ("expenditure_type_code", "expenditure_type_label_da"),
        },
        "rd_mio_dkk",
    ),
    "stg_dst__nan1": (
        "NAN1",
        {
            "TRANSAKT": ("transaction_code", "transaction_label_da"),
            "PRISENHED": ("price_unit_code", "price_unit_label_da"),
        },
        "value_mio_dkk",
    ),
    "stg_dst__gf13": (
        "GF13",
        {
            "ENHED": ("measure_code", "measure_label_da"),
            "FIRMSTR": ("firm_size_code", "firm_size_label_da"),
            "BRANCHEDB0738": ("industry_code", "industry_label_da"),
        },
        "value",
    ),
    "stg_dst__forsk02": (
        "FORSK02",
        {
            "FUI01": ("size_group_code", "size_group_label_da"),
            "LEVRTYP": ("supplier_type_code", "supplier_type_label_da"),
        },
        "purchased_rd_mio_dkk",
    ),
}


def wide_rows(table: str, variables: list[str]) -> list[tuple]:
    """The wide layout the raw tables had (code and label per variable, value, suppression,
    provenance on every row), built from the snapshot files alone."""
    info = json.loads((BUNDLED_SNAPSHOT_DIR / table / "tableinfo.json").read_text("utf-8"))
    manifest = json.loads((BUNDLED_SNAPSHOT_DIR / "manifest.json").read_text("utf-8"))
    labels = {v["id"]: {x["id"]: x["text"] for x in v["values"]} for v in info["variables"]}
    rows = []
    for record in read_snapshot(table).to_dict("records"):
        value = None if pd.isna(record["value"]) else float(record["value"])
        rows.append(
            (
                *[x for v in variables for x in (record[v], labels[v][record[v]])],
                int(record["Tid"]),
                value,
                record["INDHOLD"].strip() in ("..", "-", ""),
                "snapshot",
                info["updated"],
                manifest["synthetic"],
            )
        )
    return sorted(rows, key=repr)


@pytest.mark.parametrize("model", sorted(STAGING))
def test_staging_reproduces_the_wide_raw_layout(built, model):
    """Narrow raw table + label lookup + load record give back every column analysts had."""
    table, variables, value_column = STAGING[model]
    columns = [c for v in variables.values() for c in v]
    columns += ["year", value_column, "is_suppressed", "source_mode", "dst_updated", "is_synthetic"]
    with duckdb.connect(str(built / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(f"select {', '.join(columns)} from staging.{model}").fetchall()
    expected = wide_rows(table, list(variables))
    assert len(rows) == len(expected) == len(read_snapshot(table))
    assert sorted(rows, key=repr) == expected


def test_suppressed_smv_group_nulls_smv_aggregates_not_large(built, tmp_path):
    data_dir = copy_of(built, tmp_path)
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute("""update raw.dst_forsk01 set value = null, is_suppressed = true
                       where fui01 = '3020' and fui08 = '10' and tid = '2015'""")
    run_dbt(data_dir, "build", "--select", "+smv_rd_share_summary")
    mart = query(
        data_dir / "warehouse.duckdb", "select * from marts.smv_rd_share_summary"
    ).set_index("year")
    expected = oracle_summary()
    row = mart.loc[2015]
    assert pd.isna(row["smv_rd_current_mio_dkk"]) and pd.isna(row["smv_rd_fixed_mio_dkk"])
    assert pd.isna(row["smv_share_pct"])
    assert not row["is_complete"]
    assert row["large_rd_current_mio_dkk"] == expected.loc[2015, "large_rd_current_mio_dkk"]
    assert row["total_rd_current_mio_dkk"] == expected.loc[2015, "total_rd_current_mio_dkk"]
    assert pd.isna(mart.loc[2016, "smv_rd_fixed_yoy_change_pct"])  # needs 2015's SMV
    assert mart.drop(index=2015)["is_complete"].all()


def test_price_base_year_from_the_setting(built, tmp_path):
    settings = load_settings({"KLYNGE_DATA_DIR": str(tmp_path), "KLYNGE_PRICE_BASE_YEAR": "2015"})
    data_dir = copy_of(built, tmp_path)
    run_dbt(
        data_dir,
        "build",
        "--select",
        "+smv_rd_share_summary",
        "--vars",
        json.dumps({"price_base_year": dbt_vars(settings)["price_base_year"]}),
    )
    mart = query(data_dir / "warehouse.duckdb", "select * from marts.smv_rd_share_summary")
    compare(mart, oracle_summary(base_year=2015))
    row = mart.set_index("year").loc[2015]
    assert row["smv_rd_fixed_mio_dkk"] == pytest.approx(row["smv_rd_current_mio_dkk"])


def test_price_base_year_without_deflator_is_an_error(built, tmp_path):
    data_dir = copy_of(built, tmp_path)
    result = run_dbt(
        data_dir,
        "build",
        "--select",
        "+smv_rd_share_summary",
        "--vars",
        "{price_base_year: 1990}",
        check=False,
    )
    assert result.returncode != 0
    assert "price_base_year 1990 has no GDP deflator in NAN1" in result.stdout
    # the marts from the earlier good build are still there and unchanged
    mart = query(data_dir / "warehouse.duckdb", "select * from marts.smv_rd_share_summary")
    compare(mart, oracle_summary())


def test_size_groups_not_adding_up_fail_the_gate(built, tmp_path):
    """The size-group sum is the quality gate's rule (GX), not repeated as a dbt test."""
    from pipelines.catalog import published_marts
    from pipelines.quality.gx_runner import validate_mart

    data_dir = copy_of(built, tmp_path)
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        # 300 mio. kr. is beyond DST's rounding (0.1 % of 42,494) and, as a share of the
        # total (0.7 points), beyond the share-sum tolerance (0.5 points)
        con.execute("""update raw.dst_forsk01 set value = value + 300
                       where fui01 = '3040' and fui08 = '10' and tid = '2020'""")
    run_dbt(data_dir, "build", "--select", "+smv_rd_share_summary +smv_rd_share")
    marts = {m.name: m for m in published_marts()}
    failed = {}
    for name in ("smv_rd_share_summary", "smv_rd_share"):
        df = query(data_dir / "warehouse.duckdb", f"select * from marts.{name}")
        result = validate_mart(marts[name], df, tmp_path / "gx")
        failed[name] = [(o.column, o.unexpected_count) for o in result.failures]
    assert failed == {
        "smv_rd_share_summary": [("_check_smv_plus_large_minus_total_beyond_rounding", 1)],
        "smv_rd_share": [("_check_share_of_total_pct_sum_minus_100", 4)],  # 4 groups of 2020
    }
