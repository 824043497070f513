"""The sample's numbers: grants, projects, participants and money, as numpy arrays.

Funding rates are mostly within the generation's rules (``config/generations/<id>.yaml``: the
SME funding cap and the overhead norm), but a few rows break each rule in force on purpose so
that every rule of the ``quality_findings`` mart has something to find: SMEs funded above the
cap, projects with overhead above the norm, and one cluster drawing more than its grant. Each
planted breach happens at least once in any generated set. A rule not in force in the
generation (``null``) is neither followed nor broken on purpose: without a cap SME rates are
drawn from the design's whole range, and a generation that never reported overhead has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from pipelines.constants import Programme
from pipelines.synthetic.programme_catalogue import (
    CLUSTERS,
    FIXED_POOLS,
    PROJECT_MONTHS,
    PROJECT_TYPES,
    SHARED_SMV_SHARE,
    TITLE_FOR,
    TITLE_WHAT,
    TYPES,
    Design,
    design_for,
)

GRANT_UNIT_DKK = 100_000  # grants are whole multiples of 100,000 kr.
SMV_ABOVE_CAP_SHARE = 0.04  # SME participations funded above the cap
OVERHEAD_ABOVE_NORM_SHARE = 0.07  # projects with overhead above the norm
BREACH_MARGIN_PCT = (1.0, 8.0)  # how far a planted breach lies above its limit, points


@dataclass(frozen=True)
class GenerationSpec:
    """What to generate: size, seed and the programme the set belongs to."""

    participants: int
    seed: int
    programme: Programme

    @property
    def first_day(self) -> date:
        return date(self.programme.first_year, 1, 1)

    @property
    def last_day(self) -> date:
        return date(self.programme.last_year, 12, 31)

    @property
    def design(self) -> Design:
        return design_for(self.programme.id)

    @property
    def has_overhead(self) -> bool:
        """False where the generation never reported overhead: its projects then have none."""
        return "overhead_dkk" not in self.programme.absent_fields.get("projects", ())


@dataclass(frozen=True)
class Clusters:
    grants: np.ndarray
    cvrs: np.ndarray

    @property
    def ids(self) -> list[str]:
        return [c[0] for c in CLUSTERS[: len(self.grants)]]


@dataclass(frozen=True)
class Projects:
    cluster: np.ndarray  # index into CLUSTERS, sorted
    kind: np.ndarray  # index into PROJECT_TYPES
    start: np.ndarray  # days after the programme's first day
    end: np.ndarray
    overhead_rate: np.ndarray  # overhead / participants' funding
    title_what: np.ndarray
    title_for: np.ndarray

    def __len__(self) -> int:
        return len(self.cluster)


@dataclass(frozen=True)
class Participants:
    project: np.ndarray
    kind: np.ndarray  # index into TYPES
    org: np.ndarray  # index into the type's pool of organisations
    funding: np.ndarray
    own: np.ndarray
    fte_hundredths: np.ndarray
    new_to_rd: np.ndarray


@dataclass(frozen=True)
class ProjectMoney:
    budget: np.ndarray
    cluster_funding: np.ndarray
    overhead: np.ndarray
    private: np.ndarray


def allocate_grants(rng: np.random.Generator, n: int, total_dkk: int) -> np.ndarray:
    """``n`` grants in whole units of 100,000 kr. summing exactly to ``total_dkk``."""
    units = total_dkk // GRANT_UNIT_DKK
    weights = rng.uniform(0.6, 1.4, n)
    exact = weights / weights.sum() * units
    whole = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - whole), kind="stable")  # largest remainders get the rest
    whole[order[: units - whole.sum()]] += 1
    return whole * GRANT_UNIT_DKK


def valid_cvrs(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct CVR numbers passing modulus 11, all 9xxxxxxx."""
    weights = np.array([2, 7, 6, 5, 4, 3, 2])
    need = int(n * 1.15) + 16
    if need > 1_000_000:
        raise ValueError(f"cannot draw {n} distinct CVR numbers from the 9xxxxxxx range")
    bases = 9_000_000 + rng.choice(1_000_000, size=need, replace=False)
    digits = (bases[:, None] // 10 ** np.arange(6, -1, -1)) % 10
    check = (-(digits * weights).sum(axis=1)) % 11
    ok = check != 10
    cvrs = bases[ok] * 10 + check[ok]
    if len(cvrs) < n:
        raise ValueError("not enough valid CVR numbers drawn")
    return cvrs[:n]


def pool_sizes(n_participants: int) -> dict[str, int]:
    """How many distinct organisations of each type take part."""
    sizes = dict(FIXED_POOLS)
    sizes.update(
        smv=min(max(200, n_participants // 3), 500_000),
        large_enterprise=min(max(40, n_participants // 40), 60_000),
        other_public=min(max(30, n_participants // 200), 5_000),
        investor=min(max(20, n_participants // 300), 5_000),
        foreign=max(50, n_participants // 50),
    )
    return sizes


def type_cvrs(
    rng: np.random.Generator, pools: dict[str, int], n_clusters: int
) -> tuple[np.ndarray, dict]:
    """CVRs for the clusters and for each type's pool (foreign participants have none)."""
    pool = valid_cvrs(rng, n_clusters + sum(v for k, v in pools.items() if k != "foreign"))
    by_type, offset = {}, n_clusters
    for name in TYPES:
        if name != "foreign":
            by_type[name] = pool[offset : offset + pools[name]]
            offset += pools[name]
    return pool[:n_clusters], by_type


def _planted(rng: np.random.Generator, eligible: np.ndarray, share: float) -> np.ndarray:
    """Rows chosen for a planted breach: about ``share`` of ``eligible``, at least one."""
    chosen = eligible & (rng.random(len(eligible)) < share)
    if eligible.any() and not chosen.any():
        chosen[rng.choice(np.flatnonzero(eligible))] = True
    return chosen


def _breach_share(rng: np.random.Generator, limit_pct: float, n: int) -> np.ndarray:
    """Shares (0-1) a little above ``limit_pct``."""
    return (limit_pct + rng.uniform(*BREACH_MARGIN_PCT, n)) / 100


def plan_projects(rng: np.random.Generator, spec: GenerationSpec, grants: np.ndarray) -> Projects:
    n_clusters = len(grants)
    n = max(n_clusters, min(round(spec.participants / 10), spec.participants // 2))
    cluster = np.r_[
        np.arange(n_clusters), rng.choice(n_clusters, size=n - n_clusters, p=grants / grants.sum())
    ]
    cluster.sort(kind="stable")
    kind = rng.choice(len(PROJECT_TYPES), size=n, p=spec.design.project_type_p)
    # projects start by the end of the period's second-last year, and end within the period
    last_start = date(max(spec.programme.first_year, spec.programme.last_year - 1), 12, 31)
    start = rng.integers(0, (last_start - spec.first_day).days + 1, n)
    lo, hi = (np.array([PROJECT_MONTHS[PROJECT_TYPES[t]][i] for t in kind]) for i in (0, 1))
    months = rng.integers(lo, hi + 1)
    end = np.minimum(
        start + np.round(months * 30.44).astype(np.int64) - 1, (spec.last_day - spec.first_day).days
    )
    # overhead as a share of the project's cluster funding; rate = share / (1 - share)
    share = rng.uniform(0.03, 0.09, n) if spec.has_overhead else np.zeros(n)
    norm = spec.programme.overhead_norm_pct
    if spec.has_overhead and norm is not None:
        above = _planted(rng, np.ones(n, dtype=bool), OVERHEAD_ABOVE_NORM_SHARE)
        share = np.where(above, _breach_share(rng, norm, n), share)
    return Projects(
        cluster,
        kind,
        start,
        end,
        share / (1 - share),
        rng.integers(0, len(TITLE_WHAT), n),
        rng.integers(0, len(TITLE_FOR), n),
    )


def group_rank(keys: np.ndarray) -> np.ndarray:
    """Position of each element among the elements with the same key (0, 1, 2, ...)."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    first = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(keys)), 0))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(keys)) - group_start
    return rank


def assign_participants(
    rng: np.random.Generator,
    n_participants: int,
    n_projects: int,
    pools: dict[str, int],
    type_p: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each participation's project, type and organisation (no organisation twice a project)."""
    weights = rng.gamma(2.0, 1.0, n_projects)  # n_projects <= participants / 2
    per_project = 2 + rng.multinomial(n_participants - 2 * n_projects, weights / weights.sum())
    project = np.repeat(np.arange(n_projects), per_project)
    kind = rng.choice(len(TYPES), size=len(project), p=type_p / type_p.sum())
    pool_size = np.array([pools[t] for t in TYPES])
    smv = TYPES.index("smv")
    for _ in range(2):  # more of a type in one project than its pool has: make them SMEs
        rank = group_rank(project * len(TYPES) + kind)
        kind = np.where(rank >= pool_size[kind], smv, kind)
    rank = group_rank(project * len(TYPES) + kind)
    start_at = rng.integers(0, 2**31 - 1, size=(n_projects, len(TYPES)))
    org = (start_at[project, kind] + rank) % pool_size[kind]
    return project, kind, org


def funding_rates(
    rng: np.random.Generator,
    kind: np.ndarray,
    cap_pct: float | None,
    rate_range: Mapping[str, tuple[float, float]],
) -> np.ndarray:
    """Each participation's funding rate; SMEs within the cap (if any) but for the planted
    breaches."""
    lo = np.array([rate_range[t][0] for t in TYPES])[kind]
    hi = np.array([rate_range[t][1] for t in TYPES])[kind]
    if cap_pct is None:
        return rng.uniform(lo, hi)
    smv = kind == TYPES.index("smv")
    rate = rng.uniform(lo, np.where(smv, np.minimum(hi, cap_pct / 100), hi))
    above = _planted(rng, smv, SMV_ABOVE_CAP_SHARE)
    return np.where(above, _breach_share(rng, cap_pct, len(kind)), rate)


def shared_smv_cvrs(
    cvrs: dict[str, np.ndarray],
    taken: np.ndarray,
    used: np.ndarray,
    later_cvrs: np.ndarray,
    later_used: np.ndarray,
) -> dict[str, np.ndarray]:
    """``cvrs`` with about SHARED_SMV_SHARE of the ``used`` SME pool positions taking the CVR
    the next generation's sample has at the same position (so the same name too): firms in
    both generations. Positions the later sample does not use, and CVRs already ``taken``
    here, are skipped; the choice is evenly spaced, so it repeats."""
    both = np.intersect1d(used, later_used[later_used < len(cvrs["smv"])])
    both = both[~np.isin(later_cvrs[both], taken)]
    n = min(len(both), round(SHARED_SMV_SHARE * len(used)))
    chosen = both[np.round(np.linspace(0, len(both) - 1, n)).astype(np.int64)]
    smv = cvrs["smv"].copy()
    smv[chosen] = later_cvrs[chosen]
    return {**cvrs, "smv": smv}
