"""The sample's money: participants' costs scaled to the grants, project totals, finances.

Each cluster's projects use 65-80 % of its grant (the rest runs the organisation); project
totals are the sums of their participants, so the files agree with each other exactly. Every
cluster draws close to its grant over the period, except one that draws a little more (a
planted ``public_funding_above_grant`` finding).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from pipelines.synthetic.programme_catalogue import NEW_TO_RD_P, PRIVATE_TYPES, TYPES
from pipelines.synthetic.programme_plan import (
    GenerationSpec,
    Participants,
    ProjectMoney,
    Projects,
    assign_participants,
    funding_rates,
    pool_sizes,
)

GRANT_OVERDRAWN = (1.01, 1.03)  # the one cluster drawing more than its grant: by this factor


@dataclass(frozen=True)
class Finances:
    drawn: np.ndarray  # clusters x years, kr.
    attracted: np.ndarray


def plan_participants(
    rng: np.random.Generator, spec: GenerationSpec, projects: Projects, grants: np.ndarray
) -> Participants:
    design = spec.design
    project, kind, org = assign_participants(
        rng, spec.participants, len(projects), pool_sizes(spec.participants), design.type_p
    )
    n = len(project)
    cost = np.array([design.mean_cost[t] for t in TYPES], dtype=float)[kind]
    cost = cost * rng.lognormal(-0.18, 0.6, n)  # mean of the lognormal factor ~1
    rate = funding_rates(rng, kind, spec.programme.smv_funding_cap_pct, design.rate_range)
    new_to_rd = rng.random(n) < np.array([NEW_TO_RD_P.get(t, 0.0) for t in TYPES])[kind]
    fte_per_cost = rng.uniform(1 / 900_000, 1 / 650_000, n)
    # scale each cluster's projects to 65-80 % of its grant (the rest runs the organisation)
    n_clusters = len(grants)
    per_project = np.bincount(project, cost * rate, len(projects)) * (1 + projects.overhead_rate)
    per_cluster = np.bincount(projects.cluster, per_project, n_clusters)
    target = grants * rng.uniform(0.65, 0.80, n_clusters)
    total = np.round(cost * (target / per_cluster)[projects.cluster[project]]).astype(np.int64)
    funding = np.round(total * rate).astype(np.int64)
    fte = np.round(total * fte_per_cost * 100).astype(np.int64)
    fte = np.where(kind == TYPES.index("investor"), fte // 10, fte)
    return Participants(project, kind, org, funding, total - funding, fte, new_to_rd)


def project_money(projects: Projects, people: Participants) -> ProjectMoney:
    """Project totals from their participants, plus the overhead on the cluster funding."""
    n = len(projects)
    funding = np.bincount(people.project, people.funding, n).astype(np.int64)
    own = np.bincount(people.project, people.own, n).astype(np.int64)
    private = np.isin(people.kind, [TYPES.index(t) for t in PRIVATE_TYPES])
    private_sum = np.bincount(people.project, np.where(private, people.own, 0), n)
    overhead = np.round(funding * projects.overhead_rate).astype(np.int64)
    cluster_funding = funding + overhead
    return ProjectMoney(
        cluster_funding + own, cluster_funding, overhead, private_sum.astype(np.int64)
    )


def _year_shares(spec: GenerationSpec, projects: Projects) -> np.ndarray:
    """Share of each project's days falling in each programme year (projects x years)."""
    years = spec.programme.years
    shares = np.zeros((len(projects), len(years)))
    for j, year in enumerate(years):
        y0 = (date(year, 1, 1) - spec.first_day).days
        y1 = (date(year, 12, 31) - spec.first_day).days
        shares[:, j] = np.clip(
            np.minimum(projects.end, y1) - np.maximum(projects.start, y0) + 1, 0, None
        )
    return shares / shares.sum(axis=1, keepdims=True)


def plan_finances(
    rng: np.random.Generator,
    spec: GenerationSpec,
    grants: np.ndarray,
    projects: Projects,
    money: ProjectMoney,
) -> Finances:
    shares = _year_shares(spec, projects)
    shape = (len(grants), len(spec.programme.years))
    funded, private = np.zeros(shape), np.zeros(shape)
    np.add.at(funded, projects.cluster, shares * money.cluster_funding[:, None])
    np.add.at(private, projects.cluster, shares * money.private[:, None])
    operations = (grants - funded.sum(axis=1)) / shape[1]
    factor = rng.uniform(0.96, 1.0, shape)
    factor[rng.integers(shape[0])] = rng.uniform(*GRANT_OVERDRAWN)
    attracted = private * rng.uniform(1.0, 1.4, shape) + rng.uniform(500_000, 2_000_000, shape)
    return Finances((funded + operations[:, None]) * factor, attracted)
