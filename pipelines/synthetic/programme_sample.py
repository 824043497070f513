"""Write a synthetic, deterministic set of programme files (the sample, or a benchmark set).

    python -m pipelines.synthetic.programme_sample [--out DIR] [--participants N] [--seed S]

Everything is invented and marked as such: cluster names read "Eksempelklynge for ... (SAMPLE)",
participant names end in "(SAMPLE)", and the CVR numbers pass modulus 11 but are drawn at
random from the 9xxxxxxx range to keep clear of real firms' numbers (unlikely to hit one, but
not checked against the CVR register: never look them up as if they were real).
The 11 clusters' grants add up to exactly the programme's allocation, over its period
(``config/programme.yaml``). A few rows break each programme rule on purpose (SME funding above
the cap, overhead above the norm, a grant overdrawn), so that every rule of the
``quality_findings`` mart has something to find (:mod:`~pipelines.synthetic.programme_plan`).
The files mix the formats the reader must handle (:mod:`~pipelines.synthetic.programme_files`).

The same seed and size give byte-identical files (on the same numpy version).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.constants import programme
from pipelines.programme.discover import BUNDLED_SAMPLE_DIR
from pipelines.synthetic import programme_files as files
from pipelines.synthetic.programme_catalogue import CLUSTERS
from pipelines.synthetic.programme_money import plan_finances, plan_participants, project_money
from pipelines.synthetic.programme_plan import (
    Clusters,
    GenerationSpec,
    allocate_grants,
    plan_projects,
    pool_sizes,
    type_cvrs,
)

DEFAULT_PARTICIPANTS = 3_000
DEFAULT_SEED = 20250101
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


def generate(
    out: Path, participants: int = DEFAULT_PARTICIPANTS, seed: int = DEFAULT_SEED
) -> GeneratedSet:
    """Write the four files into ``out`` (created if missing); returns paths and row counts."""
    spec = GenerationSpec(participants, seed, programme())
    if participants < 2 * len(CLUSTERS):
        raise ValueError(f"at least {2 * len(CLUSTERS)} participants are needed")
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    grants = allocate_grants(rng, len(CLUSTERS), spec.programme.allocation_dkk)
    cluster_cvrs, cvrs = type_cvrs(rng, pool_sizes(participants))
    clusters = Clusters(grants, cluster_cvrs)
    projects = plan_projects(rng, spec, grants)
    people = plan_participants(rng, spec, projects, grants)
    money = project_money(projects, people)
    finances = plan_finances(rng, spec, grants, projects, money)

    paths = {entity: out / name for entity, name in ENTITY_FILES.items()}
    ids = files.project_ids(projects, clusters.ids)
    files.write_clusters(paths["clusters"], clusters, spec.programme.period_label)
    files.write_projects(paths["projects"], ids, clusters.ids, projects, money, spec.first_day)
    files.write_participants(paths["participants"], ids, people, cvrs)
    files.write_finances(paths["cluster_finances"], clusters.ids, spec.programme.years, finances)
    rows = {
        "clusters": len(CLUSTERS),
        "projects": len(projects),
        "participants": len(people.project),
        "cluster_finances": len(CLUSTERS) * len(spec.programme.years),
    }
    return GeneratedSet(paths, rows, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.synthetic.programme_sample", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=BUNDLED_SAMPLE_DIR,
        help=f"folder to write into (default: {BUNDLED_SAMPLE_DIR})",
    )
    parser.add_argument("--participants", type=int, default=DEFAULT_PARTICIPANTS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    result = generate(args.out, args.participants, args.seed)
    for entity, path in result.paths.items():
        print(f"{path}: {result.rows[entity]} rows, {path.stat().st_size:,} bytes")
    print(f"generated in {result.seconds:.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
