"""Write a synthetic, deterministic set of programme files (the samples, or a benchmark set).

    python -m pipelines.synthetic.programme_sample [--generation ID] [--out DIR]
        [--participants N] [--seed S]

One set per programme generation (``config/generations/<id>.yaml``); by default every
generation's, each into its bundled sample folder ``data/inbound/programme/<id>/sample/``.
Everything is invented and marked as such: cluster names read "Eksempelklynge for ...
(SAMPLE)", participant names end in "(SAMPLE)", and the CVR numbers pass modulus 11 but are
drawn at random from the 9xxxxxxx range to keep clear of real firms' numbers (unlikely to hit
one, but not checked against the CVR register: never look them up as if they were real).
A generation's clusters (14 in 2021-2024, 11 in 2025-2028) have grants adding up to exactly its
allocation. A few rows break each rule in force in the generation on purpose (SME funding above
the cap, overhead above the norm) and one cluster overdraws its grant, so that every rule of the
``quality_findings`` mart has something to find (:mod:`~pipelines.synthetic.programme_plan`);
a rule not in force is not planted, and a field the generation never reported is not written.
Each generation draws with its own design and seed
(:mod:`~pipelines.synthetic.programme_catalogue`), and about 7 % of its SMEs reappear, same CVR
and name, in the next generation's bundled sample: firms in both generations, as in reality.
The files mix the formats the reader must handle (:mod:`~pipelines.synthetic.programme_files`).

The same seed and size give byte-identical files (on the same numpy version).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.constants import Programme, generations, programme
from pipelines.programme.discover import bundled_sample_dir
from pipelines.synthetic import programme_files as files
from pipelines.synthetic.programme_catalogue import CLUSTERS, TYPES, design_for
from pipelines.synthetic.programme_money import (
    Finances,
    plan_finances,
    plan_participants,
    project_money,
)
from pipelines.synthetic.programme_plan import (
    Clusters,
    GenerationSpec,
    Participants,
    ProjectMoney,
    Projects,
    allocate_grants,
    plan_projects,
    pool_sizes,
    shared_smv_cvrs,
    type_cvrs,
)

ENTITY_FILES = {
    "clusters": "clusters.xlsx",
    "projects": "projects.csv",
    "participants": "participants.csv",
    "cluster_finances": "cluster_finances.csv",
}


@dataclass(frozen=True)
class GeneratedSet:
    paths: dict[str, Path]
    rows: dict[str, int]
    seconds: float


@dataclass(frozen=True)
class Plan:
    """One generated set before it is written."""

    clusters: Clusters
    projects: Projects
    people: Participants
    money: ProjectMoney
    finances: Finances
    cvrs: dict[str, np.ndarray]  # each type's pool of CVRs

    @property
    def smv_used(self) -> np.ndarray:
        """The SME pool positions taking part."""
        return np.unique(self.people.org[self.people.kind == TYPES.index("smv")])


def default_seed(generation: Programme) -> int:
    """The generation's own seed, 1 January of its first year as a number (20250101): the
    generations' CVRs and projects differ, and each sample repeats."""
    return int(f"{generation.first_year}0101")


def bundled_spec(generation: Programme) -> GenerationSpec:
    """What the generation's bundled sample is drawn with."""
    return GenerationSpec(
        design_for(generation.id).participants, default_seed(generation), generation
    )


def plan(spec: GenerationSpec) -> Plan:
    n_clusters = spec.programme.clusters
    if n_clusters > len(CLUSTERS):
        raise ValueError(f"the catalogue names {len(CLUSTERS)} clusters, not {n_clusters}")
    if spec.participants < 2 * n_clusters:
        raise ValueError(f"at least {2 * n_clusters} participants are needed")
    rng = np.random.default_rng(spec.seed)
    grants = allocate_grants(rng, n_clusters, spec.programme.allocation_dkk)
    cluster_cvrs, cvrs = type_cvrs(rng, pool_sizes(spec.participants), n_clusters)
    projects = plan_projects(rng, spec, grants)
    people = plan_participants(rng, spec, projects, grants)
    money = project_money(projects, people)
    finances = plan_finances(rng, spec, grants, projects, money)
    return Plan(Clusters(grants, cluster_cvrs), projects, people, money, finances, cvrs)


def _with_shared_smvs(own: Plan, generation: Programme) -> dict[str, np.ndarray]:
    """The CVRs, some SMEs' taken from the next generation's bundled sample (if any)."""
    later = [g for g in generations() if g.first_year > generation.last_year]
    if not later:
        return own.cvrs
    successor = plan(bundled_spec(later[0]))
    taken = np.concatenate([own.clusters.cvrs, *own.cvrs.values()])
    return shared_smv_cvrs(own.cvrs, taken, own.smv_used, successor.cvrs["smv"], successor.smv_used)


def generate(
    out: Path,
    participants: int | None = None,
    seed: int | None = None,
    generation: Programme | None = None,
) -> GeneratedSet:
    """Write the generation's four files into ``out`` (created if missing); returns paths and
    row counts. Defaults: the current generation, its sample size and its own seed."""
    g = generation or programme()
    default = bundled_spec(g)
    spec = GenerationSpec(
        participants or default.participants, default.seed if seed is None else seed, g
    )
    started = time.perf_counter()
    own = plan(spec)
    cvrs = _with_shared_smvs(own, g)
    out.mkdir(parents=True, exist_ok=True)
    paths = {entity: out / name for entity, name in ENTITY_FILES.items()}
    omit = {entity: g.absent_fields.get(entity, ()) for entity in ENTITY_FILES}
    ids = files.project_ids(own.projects, own.clusters.ids)
    cluster_ids = own.clusters.ids
    files.write_clusters(paths["clusters"], own.clusters, g.name_da, omit["clusters"])
    files.write_projects(
        paths["projects"],
        ids,
        cluster_ids,
        own.projects,
        own.money,
        spec.first_day,
        [grant.id for grant in g.grant_types],
        omit["projects"],
    )
    files.write_participants(paths["participants"], ids, own.people, cvrs, omit["participants"])
    files.write_finances(
        paths["cluster_finances"], cluster_ids, g.years, own.finances, omit["cluster_finances"]
    )
    rows = {
        "clusters": len(cluster_ids),
        "projects": len(own.projects),
        "participants": len(own.people.project),
        "cluster_finances": len(cluster_ids) * len(g.years),
    }
    return GeneratedSet(paths, rows, time.perf_counter() - started)


def _out_dir(out: Path | None, generation: Programme, several: bool) -> Path:
    """``--out`` itself for one generation, its sub-folder ``<id>`` for several; without it,
    the generation's bundled sample folder."""
    if out is None:
        return bundled_sample_dir(generation.id)
    return out / generation.id if several else out


def main(argv: list[str] | None = None) -> int:
    declared = {g.id: g for g in generations()}
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.synthetic.programme_sample", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--generation",
        metavar="ID",
        choices=sorted(declared),
        help=f"the generation to write ({', '.join(declared)}; default: every one)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="folder to write into (default: data/inbound/programme/<id>/sample/); "
        "with several generations, its sub-folder <id> for each",
    )
    parser.add_argument(
        "--participants", type=int, help="participation rows (default: the generation's sample's)"
    )
    parser.add_argument(
        "--seed", type=int, help="default: the generation's own; needs --generation"
    )
    args = parser.parse_args(argv)
    chosen = [declared[args.generation]] if args.generation else list(declared.values())
    if args.seed is not None and len(chosen) > 1:
        parser.error("--seed needs --generation: each generation has its own seed")
    for g in chosen:
        out = _out_dir(args.out, g, len(chosen) > 1)
        result = generate(out, args.participants, args.seed, g)
        for entity, path in result.paths.items():
            print(f"{path}: {result.rows[entity]} rows, {path.stat().st_size:,} bytes")
        print(f"{g.id}: generated in {result.seconds:.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
