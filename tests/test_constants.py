"""One home for the programme's constants: each generation's file is read once, and its
consumers agree.

The consumers are dbt (``--vars`` on every invocation), the GX suites, the figures, the inbound
contract, the sample generator and the report's release README. The values themselves are not
repeated here: each assertion compares a consumer with ``config/generations/<id>.yaml``.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from pipelines.constants import (
    GENERATIONS_DIR,
    PROGRAMME_CONFIG,
    SIZE_GROUPS_SEED,
    ConstantsError,
    dbt_vars,
    generation,
    generations,
    programme,
    read_generations,
    size_groups,
    with_dbt_vars,
)
from pipelines.settings import REPO_ROOT

SHARED = yaml.safe_load(PROGRAMME_CONFIG.read_text(encoding="utf-8"))
DECLARED = {
    path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
    for path in sorted(GENERATIONS_DIR.glob("*.yaml"))
}
RAW = DECLARED[SHARED["current_generation"]]

# Code and configuration that consumers are written in (prose in docs/ and in dbt's model
# descriptions may name the programme; generated files and data follow from the constants).
CODE_GLOBS = (
    "pipelines/**/*.py",
    "pipelines/**/*.sql",
    "pipelines/**/*.yaml",
    "pipelines/**/*.html",
    "dbt_project/models/**/*.sql",
    "dbt_project/tests/*.sql",
    "dbt_project/macros/*.sql",
    "dbt_project/dbt_project.yml",
    "bench/*.py",
    "Makefile",
)
# Where a year of the period appears as something else: DST's own years and timestamps (the
# demo snapshot, the benchmark's synthetic table), examples of dates in the contract and its
# docs, a Unicode code point, a comment on number formats.
YEAR_ELSEWHERE = {
    "pipelines/synthetic/dst_snapshot.py",
    "bench/dst_stream.py",
    "pipelines/programme/docs.py",
    "pipelines/programme/checks/columns.py",
    "pipelines/publish/exports.py",
    "pipelines/config/programme_contract/cluster_finances.yaml",
    "pipelines/config/programme_contract/projects.yaml",
}


def _code_files() -> list[Path]:
    files = {p for g in CODE_GLOBS for p in REPO_ROOT.glob(g)}
    return sorted(
        p
        for p in files
        if p != PROGRAMME_CONFIG and p.parent != GENERATIONS_DIR and "target" not in p.parts
    )


def _hits(pattern: str, skip: set[str] = frozenset()) -> list[str]:
    found = []
    for path in _code_files():
        rel = path.relative_to(REPO_ROOT).as_posix()
        if rel in skip:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(pattern, line):
                found.append(f"{rel}:{n}: {line.strip()}")
    return found


def _number_pattern(value: float) -> str:
    """The value as code may write it: 662000000, 662_000_000, 662 mio.; a percentage as
    ``70 %`` or given to a limit's name (``MAX_FUNDING_RATE_PCT = 70``), not as any bare 70."""
    whole = int(value)
    if whole >= 100:
        grouped = f"{whole:,}".replace(",", "[_,. ]?")
        return rf"(?<![\w.]){grouped}(?![\w.])|\b{whole // 1_000_000}\s*mio\b"
    return rf"\b{whole}\s*%|(?i:norm|cap|funding_rate|overhead)\w*\s*[=:]\s*{whole}\b"


@pytest.mark.parametrize("ident", sorted(DECLARED))
def test_each_generation_file_holds_its_constants_and_the_loader_reads_it(ident):
    raw, g = DECLARED[ident], generation(ident)
    assert g.id == ident == f"{g.first_year}-{g.last_year}"
    assert (g.first_year, g.last_year) == (raw["period"]["first_year"], raw["period"]["last_year"])
    assert (g.allocation_dkk, g.clusters) == (raw["allocation_dkk"], raw["clusters"])
    assert g.smv_funding_cap_pct == raw["rules"]["smv_funding_cap_pct"]
    assert g.overhead_norm_pct == raw["rules"]["overhead_norm_pct"]
    assert g.latest_matching_year == raw["evaluation"]["latest_matching_year"]
    assert [t.id for t in g.grant_types] == [t["id"] for t in raw["grant_types"]]
    assert g.years == tuple(range(g.first_year, g.last_year + 1))


def test_the_current_generation_is_named_once_and_read_once():
    p = programme()
    assert p.id == SHARED["current_generation"] and p is generation(p.id)
    assert programme() is p and generations() is generations()  # cached: read once
    assert [g.id for g in generations()] == sorted(DECLARED)  # oldest first


def _values(key: str) -> list[float]:
    found = [g.get(key, g["rules"].get(key)) for g in DECLARED.values()]
    return sorted({v for v in found if v is not None})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (name, value)
        for name in ("allocation_dkk", "smv_funding_cap_pct", "overhead_norm_pct")
        for value in _values(name)
    ],
)
def test_no_code_repeats_a_constant(name, value):
    assert _hits(_number_pattern(value)) == []


def test_no_code_repeats_the_current_period():
    """A year of the period used as a number; a generation's id (2025-2028) names it."""
    years = rf"(?<![\w.-])({RAW['period']['first_year']}|{RAW['period']['last_year']})(?![\w.]|-\d)"
    assert _hits(years, YEAR_ELSEWHERE) == []


def test_no_code_counts_size_groups_by_hand():
    assert _hits(r"min_count=\d|n_groups\s*=\s*\d|smv_groups\s*=\s*\d") == []


def _declare(folder: Path, ident: str, **changes) -> None:
    (folder / f"{ident}.yaml").write_text(
        yaml.safe_dump({**DECLARED[ident], **changes}), encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"rules": {"smv_funding_cap_pct": "seventy", "overhead_norm_pct": None}},
            r"2025-2028.yaml: 'smv_funding_cap_pct' must be a non-negative number",
        ),
        (
            {"rules": {"overhead_norm_pct": 20}},
            r"2025-2028.yaml: 'smv_funding_cap_pct' is missing \(write null",
        ),
        ({"period": {"first_year": 2030, "last_year": 2029}}, "first_year 2030 is after"),
        (
            {"period": {"first_year": 2024, "last_year": 2028}},
            r"id '2025-2028' must be the period '2024-2028'",
        ),
        (
            {
                "grant_types": [
                    {"id": "x", "funder": "eu", "name_da": "x", "name_en": "x", "amount_dkk": None}
                ]
            },
            r"names funder 'eu', which is not one of",
        ),
        ({"contract": {"version": 1, "absent": ["overhead_dkk"]}}, "'absent' must map an entity"),
    ],
)
def test_a_bad_generation_names_the_file_and_key(tmp_path, change, message):
    for ident in DECLARED:
        _declare(tmp_path, ident)
    _declare(tmp_path, "2025-2028", **change)
    with pytest.raises(ConstantsError, match=message):
        read_generations(tmp_path)


def test_the_current_generation_must_be_declared_and_generations_may_not_overlap(tmp_path):
    _declare(tmp_path, "2021-2024")
    with pytest.raises(ConstantsError, match="current_generation '2025-2028' has no declaration"):
        read_generations(tmp_path)
    _declare(tmp_path, "2025-2028")
    overlapping = dict(
        DECLARED["2021-2024"], id="2022-2025", period={"first_year": 2022, "last_year": 2025}
    )
    (tmp_path / "2022-2025.yaml").write_text(yaml.safe_dump(overlapping), encoding="utf-8")
    with pytest.raises(ConstantsError, match="2021-2024 and 2022-2025 overlap"):
        read_generations(tmp_path)


def test_a_rule_not_in_force_is_none_and_an_absent_field_names_a_contract_field(tmp_path):
    older = generation("2021-2024")
    assert older.smv_funding_cap_pct is None and older.overhead_norm_pct is None
    assert older.absent_fields == {"projects": ("overhead_dkk", "grant_type")}
    from pipelines.programme.contract import ContractError, load_contract

    wrong = dataclasses.replace(older, absent_fields={"projects": ("overhead",)})
    with pytest.raises(
        ContractError, match=r"absent fields that are not in the contract: \['overhead'\]"
    ):
        load_contract(generation=wrong)
    keyed = dataclasses.replace(older, absent_fields={"projects": ("cluster_id",)})
    with pytest.raises(ContractError, match="a key or referenced field cannot be absent"):
        load_contract(generation=keyed)


def test_size_groups_follow_the_seed():
    with SIZE_GROUPS_SEED.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    groups = size_groups()
    assert set(groups.smv) == {r["size_group"] for r in rows if r["is_smv"] == "true"}
    assert set(groups.large) == {r["size_group"] for r in rows if r["is_smv"] == "false"}
    assert len(groups.all) == len(rows) - 1  # all but the all-sizes total


def test_dbt_gets_the_file_as_vars_on_every_invocation(monkeypatch):
    from dagster_dbt import DbtCliResource

    from pipelines.orchestration.resources import local_dbt
    from pipelines.settings import load_settings

    declared = dbt_vars()
    assert declared["current_programme"] == SHARED["current_generation"]
    assert declared["reconciliation_tolerance_dkk"] == SHARED["tolerances"]["reconciliation_dkk"]
    assert [
        (
            g["programme"],
            g["first_year"],
            g["last_year"],
            g["clusters"],
            g["allocation_dkk"],
            g["smv_funding_cap_pct"],
            g["overhead_norm_pct"],
        )
        for g in declared["programme_generations"]
    ] == [
        (
            ident,
            raw["period"]["first_year"],
            raw["period"]["last_year"],
            raw["clusters"],
            raw["allocation_dkk"],
            raw["rules"]["smv_funding_cap_pct"],
            raw["rules"]["overhead_norm_pct"],
        )
        for ident, raw in sorted(DECLARED.items())
    ]  # a rule not in force reaches dbt as null
    seen = []
    monkeypatch.setattr(DbtCliResource, "cli", lambda self, args, **kw: seen.append(args))
    settings = load_settings({"KLYNGE_DATA_DIR": "/srv/klynge", "KLYNGE_PRICE_BASE_YEAR": "2020"})
    local_dbt(settings).cli(["build"])
    [args] = seen
    assert args[:-2] == ["build"] and args[-2] == "--vars"
    assert json.loads(args[-1]) == {
        **dbt_vars(),
        "price_base_year": 2020,
        "warehouse_path": "/srv/klynge/warehouse.duckdb",
    }
    # a caller's own vars are merged, not dropped, and the constants still go with them
    merged = with_dbt_vars(["build", "--vars", "{price_base_year: 2015}"])
    assert json.loads(merged[-1]) == {**dbt_vars(), "price_base_year": 2015}
    assert merged.count("--vars") == 1


def test_the_manifest_parse_and_the_makefile_pass_the_vars(monkeypatch, tmp_path):
    from dagster_dbt import DbtCliResource

    from pipelines.orchestration.assets import dbt

    seen = []
    monkeypatch.setattr(
        DbtCliResource,
        "cli",
        lambda self, args, **kw: seen.append(args) or SimpleNamespace(wait=lambda: None),
    )
    monkeypatch.setattr(dbt, "DBT_PROJECT_DIR", tmp_path)  # no manifest there: it is parsed
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(REPO_ROOT / "dbt_project" / name, tmp_path / name)
    dbt.klynge_dbt_project.cache_clear()
    try:
        dbt.klynge_dbt_project()
    finally:
        dbt.klynge_dbt_project.cache_clear()
    [args] = seen
    assert args[:2] == ["parse", "--quiet"] and json.loads(args[args.index("--vars") + 1]) == (
        dbt_vars()
    )
    project = yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text("utf-8"))
    assert not set(project["vars"]) & set(dbt_vars())  # not repeated in dbt_project.yml
    printed = subprocess.run(
        ["make", "-n", "-B", "dbt_project/target/manifest.json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "dbt parse" in printed and "--vars" in printed and "pipelines.constants" in printed


def test_gx_suites_judge_each_generation_by_its_own_file():
    import pandas as pd

    from pipelines.catalog import Mart
    from pipelines.quality.suites import build_suite

    recorded = []

    def expectation(**kwargs):
        recorded.append(kwargs)
        return kwargs

    gx = SimpleNamespace(
        expectations=SimpleNamespace(
            **{
                name: expectation
                for name in (
                    "ExpectColumnValuesToBeBetween",
                    "ExpectColumnValuesToBeInSet",
                    "ExpectTableColumnsToMatchOrderedList",
                    "ExpectTableRowCountToBeBetween",
                    "ExpectColumnValuesToBeInTypeList",
                    "ExpectColumnValuesToNotBeNull",
                    "ExpectColumnDistinctValuesToEqualSet",
                )
            }
        )
    )
    older, current = generation("2021-2024"), programme()
    mart = Mart("cluster_outcomes", ("programme", "cluster_id", "year"), 1, 100, "programme")
    assert older.allocation_approximate and not current.allocation_approximate
    slack = older.allocation_dkk * older.allocation_tolerance_pct / 100
    frame = pd.DataFrame(
        {  # the exact allocation off by 1 kr. fails; the approximate one may miss by its slack
            "programme": [older.id, older.id, older.id, current.id],
            "cluster_id": ["K01", "K02", "K01", "K01"],
            "year": [older.first_year, older.first_year, older.last_year, current.last_year],
            "grant_dkk": [
                older.allocation_dkk + slack - 1.0,
                1.0,
                older.allocation_dkk + slack + 2.0,
                current.allocation_dkk + 1.0,
            ],
        }
    )
    checked, _ = build_suite(mart, frame, gx)
    gaps = checked["_check_cluster_grants_minus_allocation"].tolist()
    assert gaps == [0.0, 0.0, 2.0, 1.0]
    [allocation] = [
        r for r in recorded if r.get("column") == "_check_cluster_grants_minus_allocation"
    ]
    assert allocation["max_value"] == current.tolerances.amount_dkk
    rule = allocation["meta"]["rule"]
    assert f"{current.id}: {current.allocation_dkk / 1e6:g} mio. kr." in rule
    assert f"{older.id}: about {older.allocation_dkk / 1e6:g} mio. kr., within " in rule
    assert checked["_check_year_outside_generation"].tolist() == [0, 0, 0, 0]


def test_figures_contract_and_generator_read_the_file(tmp_path):
    from pipelines.programme.contract import load_contract, load_date_windows
    from pipelines.publish.cluster_figure import _cap_label
    from pipelines.synthetic.firm_panel import PanelSpec
    from pipelines.synthetic.programme_sample import generate

    p = programme()
    assert _cap_label() == f"{p.smv_funding_cap_pct:g} %"
    window = load_date_windows()["programme"]
    assert (window.earliest.year, window.latest.year) == (p.first_year, p.last_year)
    year = next(f for f in load_contract()["cluster_finances"].fields if f.name == "year")
    assert (year.min, year.max) == (p.first_year, p.last_year)
    assert PanelSpec().last_year == p.last_year
    out = generate(tmp_path / "set", participants=200, seed=1)
    assert out.rows["cluster_finances"] == 11 * len(p.years)
    import openpyxl

    sheet = openpyxl.load_workbook(out.paths["clusters"], read_only=True).worksheets[0]
    grants = [r[5] for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert sum(grants) == p.allocation_dkk
