"""The sample generator per programme generation: each generation's clusters, allocation and
rules, and the firms taking part in two generations."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from pipelines.constants import generation, generations
from pipelines.programme.discover import bundled_sample_dir
from pipelines.synthetic.programme_sample import GeneratedSet, generate, main

KNOWLEDGE_INSTITUTIONS = ("university", "gts", "erhvervsakademi", "professionshoejskole")


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict[str, GeneratedSet]:
    """Each generation's set with its defaults (what its bundled sample holds)."""
    out = tmp_path_factory.mktemp("sets")
    return {g.id: generate(out / g.id, generation=g) for g in generations()}


def _sheet(path) -> list[tuple]:
    return list(
        openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)
    )


def _projects(s: GeneratedSet) -> pd.DataFrame:
    return pd.read_csv(s.paths["projects"], sep=";", decimal=",", encoding="utf-8-sig")


def _participants(s: GeneratedSet) -> pd.DataFrame:
    frame = pd.read_csv(s.paths["participants"], dtype={"cvr": str})
    cost = frame.funding_received_dkk + frame.own_contribution_dkk
    return frame.assign(rate_pct=100 * frame.funding_received_dkk / cost)


def _smv_rates(s: GeneratedSet) -> pd.Series:
    frame = _participants(s)
    return frame.loc[frame.participant_type == "smv", "rate_pct"]


def test_2021_2024_has_14_clusters_whose_grants_add_up_to_its_allocation(sets):
    g = generation("2021-2024")
    rows = _sheet(sets[g.id].paths["clusters"])
    assert rows[0][0].startswith(g.name_da) and "SYNTETISKE EKSEMPELDATA" in rows[0][0]
    header = rows[2]
    clusters = [dict(zip(header, r, strict=True)) for r in rows[3:]]
    assert header[-1] == "grant_dkk"
    assert [c["cluster_id"] for c in clusters] == [f"K{i:02d}" for i in range(1, 15)]
    assert len(clusters) == g.clusters == 14
    assert sum(c["grant_dkk"] for c in clusters) == g.allocation_dkk
    assert all(c["name"].startswith("Eksempelklynge for ") for c in clusters)
    assert all(c["name"].endswith("(SAMPLE)") for c in clusters)
    assert sets[g.id].rows["cluster_finances"] == 14 * len(g.years)


def test_2025_2028_title_names_its_generation_and_has_11_clusters(sets):
    g = generation("2025-2028")
    rows = _sheet(sets[g.id].paths["clusters"])
    assert rows[0][0].startswith(g.name_da)
    assert sum(r[5] for r in rows[3:]) == g.allocation_dkk and len(rows) - 3 == 11


def test_2021_2024_projects_have_no_overhead_column(sets):
    """overhead_dkk is absent from 2021-2024's contract: never written, not even empty."""
    assert "overhead_dkk" in generation("2021-2024").absent_fields["projects"]
    projects = _projects(sets["2021-2024"])
    assert "overhead_dkk" not in projects.columns
    # no overhead at all: the cluster funding is the participants' funding
    funding = _participants(sets["2021-2024"]).groupby("project_id").funding_received_dkk.sum()
    assert (projects.set_index("project_id").cluster_funding_dkk == funding).all()


def test_2021_2024_smv_funding_rates_are_not_capped(sets):
    """No cap was in force: many SMEs above 70 %, not a few planted breaches."""
    assert generation("2021-2024").smv_funding_cap_pct is None
    rates = _smv_rates(sets["2021-2024"])
    assert (rates > 70).mean() > 0.2
    assert rates.between(40, 85.01).all()


def test_2025_2028_keeps_its_rules_and_planted_breaches(sets):
    g = generation("2025-2028")
    rates = _smv_rates(sets[g.id])
    above = rates > g.smv_funding_cap_pct
    assert 0 < above.mean() < 0.1  # the planted breaches only
    assert (rates[above] <= g.smv_funding_cap_pct + 8.01).all()
    projects = _projects(sets[g.id])
    overhead_pct = 100 * projects.overhead_dkk / projects.cluster_funding_dkk
    assert 0 < (overhead_pct > g.overhead_norm_pct).mean() < 0.15


def test_2021_2024_design_has_more_smaller_smvs_fewer_knowledge_institutions(sets):
    """Illustrative: more SMEs with smaller amounts, less private co-financing, fewer
    projects with a knowledge institution than 2025-2028."""

    def figures(s: GeneratedSet) -> tuple[float, float, float, float]:
        people, projects = _participants(s), _projects(s)
        smv = people.participant_type == "smv"
        with_ki = people[people.participant_type.isin(KNOWLEDGE_INSTITUTIONS)].project_id
        return (
            smv.mean(),
            people.loc[smv, "funding_received_dkk"].mean(),
            projects.private_cofinancing_dkk.sum() / projects.budget_dkk.sum(),
            with_ki.nunique() / people.project_id.nunique(),
        )

    old, new = figures(sets["2021-2024"]), figures(sets["2025-2028"])
    assert old[0] > new[0] and old[1] < new[1] and old[2] < new[2] and old[3] < new[3]


def test_some_2021_2024_smvs_take_part_in_2025_2028_too(sets):
    old, new = (_participants(sets[g]) for g in ("2021-2024", "2025-2028"))
    old_smv = old[old.participant_type == "smv"][["cvr", "participant_name"]].drop_duplicates()
    new_smv = new[new.participant_type == "smv"][["cvr", "participant_name"]].drop_duplicates()
    both = old_smv.merge(new_smv, on="cvr", suffixes=("_old", "_new"))
    assert 0.05 <= len(both) / len(old_smv) <= 0.10
    assert (both.participant_name_old == both.participant_name_new).all()
    assert old.dropna(subset="cvr").groupby("cvr").participant_name.nunique().max() == 1


@pytest.mark.parametrize("gen", [g.id for g in generations()])
def test_same_seed_gives_identical_bytes_per_generation(tmp_path, gen):
    g = generation(gen)
    a = generate(tmp_path / "a", 500, 11, g)
    b = generate(tmp_path / "b", 500, 11, g)
    assert all(a.paths[e].read_bytes() == b.paths[e].read_bytes() for e in a.paths)


def test_generations_draw_different_firms_and_projects(sets):
    old, new = (_participants(sets[g]) for g in ("2021-2024", "2025-2028"))
    assert len(set(old.cvr.dropna()) & set(new.cvr.dropna())) < 0.1 * old.cvr.nunique()


def test_cli_writes_every_generation(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--participants", "300"]) == 0
    for g in generations():
        assert sorted(p.name for p in (tmp_path / g.id).iterdir()) == sorted(
            p.name for p in bundled_sample_dir(g.id).iterdir()
        )
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--seed", "3"])
    assert "--seed needs --generation" in capsys.readouterr().err
