"""The synthetic generator (deterministic, the allocation, valid CVRs, breaches) and its docs."""

from __future__ import annotations

import csv
import io

import openpyxl

from pipelines.constants import generations, programme
from pipelines.programme.checks.identifiers import is_valid_cvr
from pipelines.programme.contract import load_contract
from pipelines.programme.discover import bundled_sample_dir
from pipelines.programme.docs import stale
from pipelines.synthetic.programme_sample import generate
from tests.programme.helpers import inbound_dir, query, run_ingest


def _sample_dir():
    return bundled_sample_dir(programme().id)


def _clusters(path):
    rows = list(
        openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    header = rows.index(next(r for r in rows if r[0] == "cluster_id"))
    return [dict(zip(rows[header], r, strict=True)) for r in rows[header + 1 :]]


def test_same_seed_gives_identical_bytes(tmp_path):
    a = generate(tmp_path / "a", participants=400, seed=7)
    b = generate(tmp_path / "b", participants=400, seed=7)
    c = generate(tmp_path / "c", participants=400, seed=8)
    for entity in a.paths:
        assert a.paths[entity].read_bytes() == b.paths[entity].read_bytes(), entity
    assert a.paths["participants"].read_bytes() != c.paths["participants"].read_bytes()
    assert a.rows["participants"] == 400 and a.rows["cluster_finances"] == 44


def test_committed_samples_are_what_the_generator_writes(tmp_path):
    for g in generations():
        fresh = generate(tmp_path / g.id, generation=g)
        for path in fresh.paths.values():
            committed = bundled_sample_dir(g.id) / path.name
            assert committed.read_bytes() == path.read_bytes(), (
                f"{committed} is stale: run python -m pipelines.synthetic.programme_sample"
            )
            assert committed.stat().st_size < 1_000_000


def test_grants_sum_to_the_allocation_and_names_are_marked(tmp_path):
    clusters = _clusters(_sample_dir() / "clusters.xlsx")
    assert len(clusters) == 11
    assert sum(c["grant_dkk"] for c in clusters) == programme().allocation_dkk
    assert all(
        c["name"].startswith("Eksempelklynge") and c["name"].endswith("(SAMPLE)") for c in clusters
    )
    assert all(is_valid_cvr(c["cvr"]) for c in clusters)


def test_participants_mix_and_funding_rates():
    text = (_sample_dir() / "participants.csv").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3000
    types = {r["participant_type"] for r in rows}
    assert types == {
        "smv",
        "large_enterprise",
        "university",
        "gts",
        "erhvervsakademi",
        "professionshoejskole",
        "other_public",
        "investor",
        "foreign",
    }
    assert all(is_valid_cvr(r["cvr"]) for r in rows if r["participant_type"] != "foreign")
    assert all(r["participant_name"].endswith("(SAMPLE)") for r in rows)
    smv = [r for r in rows if r["participant_type"] == "smv"]
    cap = programme().smv_funding_cap_pct / 100
    above = [
        r
        for r in smv
        if int(r["funding_received_dkk"])
        > cap * (int(r["funding_received_dkk"]) + int(r["own_contribution_dkk"]))
    ]
    assert 0 < len(above) < 0.1 * len(smv)  # a few breaches for the quality findings


def test_a_small_set_still_plants_every_breach(tmp_path):
    """Even 22 participants in 11 projects break each rule once (rows, not probabilities)."""
    import duckdb

    out = generate(tmp_path / "small", participants=22, seed=5).paths
    p = programme()
    con = duckdb.connect()
    projects = con.execute(f"""
        select count(*) filter (where 100 * replace(overhead_dkk, ',', '.')::double
                                / replace(cluster_funding_dkk, ',', '.')::double
                                > {p.overhead_norm_pct})
        from read_csv('{out["projects"]}', delim=';', all_varchar=true)""").fetchone()[0]
    smv = con.execute(f"""
        select count(*) filter (where 100 * funding_received_dkk
                                / (funding_received_dkk + own_contribution_dkk)
                                > {p.smv_funding_cap_pct}), count(*)
        from read_csv('{out["participants"]}') where participant_type = 'smv'""").fetchone()
    assert projects >= 1
    assert smv[0] >= 1 or smv[1] == 0


def test_generated_set_loads_and_is_internally_consistent(data_dir):
    generate(inbound_dir(data_dir), participants=2_000, seed=3)
    load = run_ingest(data_dir)
    assert load.rows["participants"] == 2_000 and not load.stamp.is_sample
    # project totals add up from participants; one cluster draws more than its grant
    assert query(
        data_dir,
        """
        select count(*) from raw.programme_projects p
        join (select project_id, sum(funding_received_dkk) f, sum(own_contribution_dkk) o
              from raw.programme_participants group by all) s using (project_id)
        where p.cluster_funding_dkk <> s.f + p.overhead_dkk
           or p.budget_dkk <> p.cluster_funding_dkk + s.o""",
    ) == [(0,)]
    assert query(
        data_dir,
        """
        select count(*) from raw.programme_clusters c
        join (select cluster_id, sum(public_funding_drawn_dkk) d
              from raw.programme_cluster_finances group by all) f using (cluster_id)
        where f.d > c.grant_dkk""",
    ) == [(1,)]


def test_generated_docs_and_templates_are_up_to_date():
    assert stale(load_contract()) == [], "run python -m pipelines.programme.docs"


def test_contract_has_danish_texts_for_senders():
    """The senders are Danish: every entity, field and list value has its Danish text beside
    the English one, and every date window a Danish name."""
    from pipelines.programme.contract import load_date_windows
    from pipelines.programme.docs import WINDOW_TEXT_DA

    for entity, schema in load_contract().items():
        assert schema.description_da and schema.description, entity
        for f in schema.fields:
            assert f.description_da and f.description, (entity, f.name)
            if f.enum_descriptions:
                assert set(f.enum_descriptions_da) == set(f.enum_descriptions) == set(f.enum)
                assert all(f.enum_descriptions_da.values()), (entity, f.name)
    assert set(load_date_windows()) <= set(WINDOW_TEXT_DA)


def test_contract_page_is_danish_first_then_english():
    from pipelines.programme.docs import render_markdown

    schemas = load_contract()
    page = render_markdown(schemas)
    english = page.index('<a id="english-version"></a>')
    danish_part, english_part = page[:english], page[english:]
    assert page.startswith("# Klyngeprogrammet: kontrakt for indberetning af data")
    for heading in ("## Filer", "## Værdier", "## Afviste filer", "## Hvad hver fil indeholder"):
        assert heading in danish_part
    for heading in ("## Files", "## Values", "## Rejected files", "## What each file holds"):
        assert heading in english_part and heading not in danish_part
    for schema in schemas.values():
        assert schema.description_da in danish_part and schema.description in english_part
        for f in schema.fields:  # the wire names are the same in both halves
            assert f"| `{f.name}` |" in danish_part and f"| `{f.name}` |" in english_part
            assert f.description_da in danish_part
    assert (
        "| kolonne | type | påkrævet |" in danish_part and "privat medfinansiering" in page.lower()
    )


def test_templates_load_as_a_valid_set(data_dir, inbound):
    from pipelines.programme.docs import TEMPLATES_DIR

    for template in TEMPLATES_DIR.iterdir():
        (inbound / template.name).write_bytes(template.read_bytes())
    load = run_ingest(data_dir)
    assert set(load.rows.values()) == {1}
