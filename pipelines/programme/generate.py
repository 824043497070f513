"""Write a synthetic, deterministic set of programme files (the sample, or a benchmark set).

    python -m pipelines.programme.generate [--out DIR] [--participants N] [--seed S]

Everything is invented and marked as such: cluster names read "Eksempelklynge for ... (SAMPLE)",
participant names end in "(SAMPLE)", and the CVR numbers pass modulus 11 but are drawn at
random from the 9xxxxxxx range to keep clear of real firms' numbers (unlikely to hit one, but
not checked against the CVR register: never look them up as if they were real).
The 11 clusters' grants add up to exactly 662,000,000 kr. Funding rates are mostly within the
programme's norms (SMEs at most 70 %, overhead at most 10 % of cluster funding) but a few
rows break them on purpose, so that the quality findings downstream have something to find.

The files mix the formats the reader must handle, one per entity:

* ``clusters.xlsx``: XLSX with a title row above the header, amounts as numbers;
* ``projects.csv``: ``;``-separated UTF-8 with BOM, decimal comma (``1234567,00``);
* ``participants.csv``: ``,``-separated UTF-8 without BOM, decimal point, ja/nej;
* ``cluster_finances.csv``: ``;``-separated Windows-1252, ``1.234.567,00``, notes with æøå.

The same seed and size give byte-identical files (on the same numpy version). Participants are
generated as numpy arrays and written in chunks, so a million rows take seconds.
"""

from __future__ import annotations

import argparse
import csv
import io
import time
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

from pipelines.programme.discover import BUNDLED_SAMPLE_DIR

TOTAL_GRANT_DKK = 662_000_000
GRANT_UNIT_DKK = 100_000  # grants are whole multiples of 100,000 kr.
DEFAULT_PARTICIPANTS = 3_000
DEFAULT_SEED = 20250101
YEARS = (2025, 2026, 2027, 2028)
FIRST_DAY, LAST_DAY = date(2025, 1, 1), date(2028, 12, 31)
CHUNK_ROWS = 100_000
_FIXED_TIME = datetime(2025, 1, 1)
_CSV_LINE_END = "\r\n"

# id, invented name, business area, region
CLUSTERS = [
    ("K01", "Eksempelklynge for Grøn Energi (SAMPLE)", "Energi og grøn omstilling", "Syddanmark"),
    ("K02", "Eksempelklynge for Life Science (SAMPLE)", "Life science og velfærdsteknologi",
     "Hovedstaden"),
    ("K03", "Eksempelklynge for Robotter og Automation (SAMPLE)", "Robotteknologi og automation",
     "Syddanmark"),
    ("K04", "Eksempelklynge for Fødevarer (SAMPLE)", "Fødevarer og bioressourcer", "Midtjylland"),
    ("K05", "Eksempelklynge for Digitale Teknologier (SAMPLE)", "Digitale teknologier",
     "Hovedstaden"),
    ("K06", "Eksempelklynge for Det Blå Danmark (SAMPLE)", "Maritime erhverv", "Nordjylland"),
    ("K07", "Eksempelklynge for Byggeri (SAMPLE)", "Byggeri og arkitektur", "Sjælland"),
    ("K08", "Eksempelklynge for Vand og Miljø (SAMPLE)", "Miljø- og vandteknologi",
     "Midtjylland"),
    ("K09", "Eksempelklynge for Avanceret Produktion (SAMPLE)", "Produktion og materialer",
     "Midtjylland"),
    ("K10", "Eksempelklynge for Turisme (SAMPLE)", "Turisme og oplevelsesøkonomi", "Nordjylland"),
    ("K11", "Eksempelklynge for Transport og Logistik (SAMPLE)", "Transport og logistik",
     "Sjælland"),
]

PROJECT_TYPES = ("feasibility", "innovation", "rd", "network", "internationalisation")
PROJECT_TYPE_P = (0.25, 0.35, 0.15, 0.15, 0.10)
PROJECT_MONTHS = {"feasibility": (3, 9), "innovation": (12, 30), "rd": (18, 36),
                  "network": (6, 24), "internationalisation": (6, 18)}
TITLE_WHAT = ("Digital tvilling", "Datadrevet kvalitetskontrol", "Cirkulære materialer",
              "Energioptimering", "Sensorbaseret overvågning", "Automatiseret montage",
              "Grøn omstilling", "Klimavenlig emballage", "Kunstig intelligens",
              "Præcisionsdosering", "Fleksibelt elforbrug", "Genanvendelse af spildevarme",
              "Sporbarhed", "Prototypeudvikling", "Markedsmodning", "Videndeling")
TITLE_FOR = ("i små virksomheder", "til varmepumper", "i fødevareproduktionen",
             "på havne og skibe", "i byggeriet", "til sundhedssektoren", "i logistikkæder",
             "for oplevelsesøkonomien", "i vandforsyningen", "i metalindustrien",
             "på tværs af klynger", "med europæiske partnere")

# participant types: (name, share of rows, pool size rule, mean cost, funding-rate range)
TYPES = ("smv", "large_enterprise", "university", "gts", "erhvervsakademi",
         "professionshoejskole", "other_public", "investor", "foreign")
TYPE_P = np.array([0.62, 0.08, 0.08, 0.05, 0.03, 0.03, 0.03, 0.03, 0.05])
FIXED_POOLS = {"university": 8, "gts": 7, "erhvervsakademi": 9, "professionshoejskole": 6}
MEAN_COST = {"smv": 500_000, "large_enterprise": 900_000, "university": 700_000,
             "gts": 600_000, "erhvervsakademi": 350_000, "professionshoejskole": 350_000,
             "other_public": 300_000, "investor": 250_000, "foreign": 400_000}
RATE_RANGE = {"smv": (0.40, 0.70), "large_enterprise": (0.20, 0.50), "university": (0.85, 1.0),
              "gts": (0.80, 1.0), "erhvervsakademi": (0.85, 1.0),
              "professionshoejskole": (0.85, 1.0), "other_public": (0.50, 1.0),
              "investor": (0.0, 0.0), "foreign": (0.0, 0.30)}
SMV_ABOVE_NORM_SHARE = 0.04  # SMEs funded above 70 % (quality findings)
OVERHEAD_ABOVE_NORM_SHARE = 0.07  # projects with overhead above 10 %
NEW_TO_RD_P = {"smv": 0.25, "large_enterprise": 0.03}
PRIVATE_TYPES = ("smv", "large_enterprise", "investor", "foreign")
NAME_WORDS = ("Nord", "Syd", "Vest", "Øst", "Fjord", "Skov", "Hav", "Eng", "Bølge", "Klit",
              "Strand", "Mølle", "Bro", "Dal", "Sø", "Lyng")
NAME_TRADES = ("Teknik", "Robotik", "Analyse", "Energi", "Design", "Fødevarer", "Data",
               "Maskiner", "Materialer", "Rådgivning", "Software", "Logistik")
NAME_FORMS = {"smv": "ApS", "large_enterprise": "A/S", "investor": "Invest ApS"}
INSTITUTION_NAMES = {"university": "Eksempeluniversitet", "gts": "Eksempel-GTS-institut",
                     "erhvervsakademi": "Eksempel Erhvervsakademi",
                     "professionshoejskole": "Eksempel Professionshøjskole",
                     "other_public": "Eksempelkommune"}
FINANCE_NOTES = {2025: "Årsregnskab godkendt", 2026: "Foreløbige tal",
                 2027: "Budget – prognose, ikke endelige tal",
                 2028: "Budget – prognose, ikke endelige tal"}


@dataclass(frozen=True)
class GeneratedSet:
    paths: dict[str, Path]
    rows: dict[str, int]
    seconds: float


def allocate_grants(rng: np.random.Generator, n: int) -> list[int]:
    """``n`` grants in whole units of 100,000 kr. summing exactly to the programme total."""
    units = TOTAL_GRANT_DKK // GRANT_UNIT_DKK
    weights = rng.uniform(0.6, 1.4, n)
    exact = weights / weights.sum() * units
    whole = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - whole), kind="stable")  # largest remainders get the rest
    whole[order[: units - whole.sum()]] += 1
    return [int(u) * GRANT_UNIT_DKK for u in whole]


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


def _group_rank(keys: np.ndarray) -> np.ndarray:
    """Position of each element among the elements with the same key (0, 1, 2, ...)."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    first = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(keys)), 0))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(keys)) - group_start
    return rank


def _pool_sizes(n_participants: int) -> dict[str, int]:
    sizes = dict(FIXED_POOLS)
    sizes.update(smv=min(max(200, n_participants // 3), 500_000),
                 large_enterprise=min(max(40, n_participants // 40), 60_000),
                 other_public=min(max(30, n_participants // 200), 5_000),
                 investor=min(max(20, n_participants // 300), 5_000),
                 foreign=max(50, n_participants // 50))
    return sizes


def _participant_name(type_name: str, idx: int) -> str:
    if type_name in INSTITUTION_NAMES:
        return f"{INSTITUTION_NAMES[type_name]} {idx + 1} (SAMPLE)"
    word = NAME_WORDS[idx % len(NAME_WORDS)]
    trade = NAME_TRADES[(idx // len(NAME_WORDS)) % len(NAME_TRADES)]
    if type_name == "foreign":
        return f"Example {trade} GmbH {idx + 1} (SAMPLE)"
    return f"{word}{trade.lower()} {NAME_FORMS[type_name]} nr. {idx + 1} (SAMPLE)"


def _kr_comma(value: int) -> str:
    return f"{value},00"


def _kr_dotted(value: int | float) -> str:
    """``14.250.000,00``: thousands dots and a decimal comma."""
    return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def _write_csv(path: Path, header: list[str], rows, *, delimiter: str, encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator=_CSV_LINE_END)
        writer.writerow(header)
        writer.writerows(rows)


def _write_xlsx(path: Path, title: str, header: list[str], rows: list[list[object]]) -> None:
    """An XLSX with a title row; zip entries and document times fixed, so bytes repeat."""
    import openpyxl
    from openpyxl.writer.excel import ExcelWriter

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Klynger"
    sheet.append([title])
    sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.properties.creator = "pipelines.programme.generate"
    book.properties.created = book.properties.modified = _FIXED_TIME
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=_FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(item.filename))


def generate(out: Path, participants: int = DEFAULT_PARTICIPANTS,
             seed: int = DEFAULT_SEED) -> GeneratedSet:
    """Write the four files into ``out`` (created if missing); returns paths and row counts."""
    if participants < 2 * len(CLUSTERS):
        raise ValueError(f"at least {2 * len(CLUSTERS)} participants are needed")
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_clusters = len(CLUSTERS)
    grants = allocate_grants(rng, n_clusters)
    pools = _pool_sizes(participants)
    cvr_pool = valid_cvrs(rng, n_clusters + sum(v for k, v in pools.items() if k != "foreign"))
    cluster_cvrs = cvr_pool[:n_clusters]
    type_cvrs: dict[str, np.ndarray] = {}
    offset = n_clusters
    for name in TYPES:
        if name != "foreign":
            type_cvrs[name] = cvr_pool[offset:offset + pools[name]]
            offset += pools[name]

    # --- projects ------------------------------------------------------------------------
    n_projects = max(n_clusters, min(round(participants / 10), participants // 2))
    grant_w = np.array(grants, dtype=float) / sum(grants)
    proj_cluster = np.r_[np.arange(n_clusters),
                         rng.choice(n_clusters, size=n_projects - n_clusters, p=grant_w)]
    proj_cluster.sort(kind="stable")
    proj_type = rng.choice(len(PROJECT_TYPES), size=n_projects, p=PROJECT_TYPE_P)
    span = (date(2027, 12, 31) - FIRST_DAY).days
    start = rng.integers(0, span + 1, n_projects)
    lo = np.array([PROJECT_MONTHS[PROJECT_TYPES[t]][0] for t in proj_type])
    hi = np.array([PROJECT_MONTHS[PROJECT_TYPES[t]][1] for t in proj_type])
    months = rng.integers(lo, hi + 1)
    end = np.minimum(start + np.round(months * 30.44).astype(np.int64) - 1,
                     (LAST_DAY - FIRST_DAY).days)
    overhead_rate = np.where(rng.random(n_projects) < OVERHEAD_ABOVE_NORM_SHARE,
                             rng.uniform(0.12, 0.22, n_projects),
                             rng.uniform(0.03, 0.10, n_projects))
    title_what = rng.integers(0, len(TITLE_WHAT), n_projects)
    title_for = rng.integers(0, len(TITLE_FOR), n_projects)

    # --- participants: project, type, organisation, money -----------------------------------
    weights = rng.gamma(2.0, 1.0, n_projects)  # n_projects <= participants / 2
    per_project = 2 + rng.multinomial(participants - 2 * n_projects, weights / weights.sum())
    part_project = np.repeat(np.arange(n_projects), per_project)
    n = len(part_project)
    ptype = rng.choice(len(TYPES), size=n, p=TYPE_P / TYPE_P.sum())
    pool_size = np.array([pools[t] for t in TYPES])
    smv = TYPES.index("smv")
    for _ in range(2):  # more of a type in one project than its pool has: make them SMEs
        rank = _group_rank(part_project * len(TYPES) + ptype)
        ptype = np.where(rank >= pool_size[ptype], smv, ptype)
    rank = _group_rank(part_project * len(TYPES) + ptype)
    start_at = rng.integers(0, 2**31 - 1, size=(n_projects, len(TYPES)))
    org = (start_at[part_project, ptype] + rank) % pool_size[ptype]

    mean_cost = np.array([MEAN_COST[t] for t in TYPES], dtype=float)[ptype]
    cost = mean_cost * rng.lognormal(-0.18, 0.6, n)  # mean of the lognormal factor ~1
    rate_lo = np.array([RATE_RANGE[t][0] for t in TYPES])[ptype]
    rate_hi = np.array([RATE_RANGE[t][1] for t in TYPES])[ptype]
    rate = rng.uniform(rate_lo, rate_hi)
    above = (ptype == smv) & (rng.random(n) < SMV_ABOVE_NORM_SHARE)
    rate = np.where(above, rng.uniform(0.71, 0.90, n), rate)
    new_p = np.array([NEW_TO_RD_P.get(t, 0.0) for t in TYPES])[ptype]
    new_to_rd = rng.random(n) < new_p
    fte_per_cost = rng.uniform(1 / 900_000, 1 / 650_000, n)

    # scale each cluster's projects to 65-80 % of its grant (the rest runs the organisation)
    raw_funding = cost * rate
    raw_cluster = np.bincount(part_project, raw_funding, n_projects) * (1 + overhead_rate)
    per_cluster = np.bincount(proj_cluster, raw_cluster, n_clusters)
    target = np.array(grants) * rng.uniform(0.65, 0.80, n_clusters)
    factor = (target / per_cluster)[proj_cluster[part_project]]
    total = np.round(cost * factor).astype(np.int64)
    funding = np.round(total * rate).astype(np.int64)
    own = total - funding
    fte_hundredths = np.round(total * fte_per_cost * 100).astype(np.int64)
    fte_hundredths = np.where(ptype == TYPES.index("investor"), fte_hundredths // 10,
                              fte_hundredths)

    funding_sum = np.bincount(part_project, funding, n_projects).astype(np.int64)
    own_sum = np.bincount(part_project, own, n_projects).astype(np.int64)
    private = np.isin(ptype, [TYPES.index(t) for t in PRIVATE_TYPES])
    private_sum = np.bincount(part_project, np.where(private, own, 0), n_projects
                              ).astype(np.int64)
    overhead = np.round(funding_sum * overhead_rate).astype(np.int64)
    cluster_funding = funding_sum + overhead
    budget = cluster_funding + own_sum

    ids = [c[0] for c in CLUSTERS]
    width = max(4, len(str(np.bincount(proj_cluster).max())))
    first_of_cluster = np.searchsorted(proj_cluster, np.arange(n_clusters))
    serial = np.arange(n_projects) - first_of_cluster[proj_cluster] + 1
    project_ids = [f"{ids[c]}-P{s:0{width}d}" for c, s in zip(proj_cluster, serial,
                                                               strict=True)]

    paths = {e: out / f"{e}{ext}" for e, ext in
             (("clusters", ".xlsx"), ("projects", ".csv"), ("participants", ".csv"),
              ("cluster_finances", ".csv"))}
    _write_xlsx(
        paths["clusters"],
        "Klyngeprogrammet 2025-2028: klyngeorganisationer (SYNTETISKE EKSEMPELDATA)",
        ["cluster_id", "name", "business_area", "cvr", "region", "grant_2025_2028_dkk"],
        [[cid, name, area, str(cvr), region, grant] for (cid, name, area, region), cvr, grant
         in zip(CLUSTERS, cluster_cvrs, grants, strict=True)])

    day0 = np.datetime64(FIRST_DAY.isoformat())
    starts = (day0 + start).astype(str)
    ends = (day0 + end).astype(str)
    _write_csv(
        paths["projects"],
        ["project_id", "cluster_id", "title", "start_date", "end_date", "budget_dkk",
         "cluster_funding_dkk", "overhead_dkk", "private_cofinancing_dkk", "project_type"],
        ([project_ids[p], ids[proj_cluster[p]],
          f"{TITLE_WHAT[title_what[p]]} {TITLE_FOR[title_for[p]]}", starts[p], ends[p],
          _kr_comma(budget[p]), _kr_comma(cluster_funding[p]), _kr_comma(overhead[p]),
          _kr_comma(private_sum[p]), PROJECT_TYPES[proj_type[p]]]
         for p in range(n_projects)),
        delimiter=";", encoding="utf-8-sig")

    _write_participants(paths["participants"], project_ids, part_project, ptype, org,
                        type_cvrs, fte_hundredths, funding, own, new_to_rd)

    _write_finances(paths["cluster_finances"], rng, ids, grants, proj_cluster, start, end,
                    cluster_funding, private_sum)
    rows = {"clusters": n_clusters, "projects": n_projects, "participants": n,
            "cluster_finances": n_clusters * len(YEARS)}
    return GeneratedSet(paths, rows, time.perf_counter() - started)


def _write_participants(path: Path, project_ids: list[str], part_project: np.ndarray,
                        ptype: np.ndarray, org: np.ndarray, type_cvrs: dict[str, np.ndarray],
                        fte_hundredths: np.ndarray, funding: np.ndarray, own: np.ndarray,
                        new_to_rd: np.ndarray) -> None:
    """Streamed in chunks: one chunk of rows is formatted at a time."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=",", lineterminator=_CSV_LINE_END)
        writer.writerow(["project_id", "cvr", "participant_name", "participant_type", "fte",
                         "funding_received_dkk", "own_contribution_dkk", "new_to_rd"])
        for lo in range(0, len(part_project), CHUNK_ROWS):
            hi = min(lo + CHUNK_ROWS, len(part_project))
            chunk_types = ptype[lo:hi].tolist()
            chunk_org = org[lo:hi].tolist()
            cvrs = [("" if TYPES[t] == "foreign" else str(type_cvrs[TYPES[t]][o]))
                    for t, o in zip(chunk_types, chunk_org, strict=True)]
            fte = fte_hundredths[lo:hi].tolist()
            writer.writerows(
                [project_ids[p], cvr, _participant_name(TYPES[t], o), TYPES[t],
                 f"{f // 100}.{f % 100:02d}", fund, own_c, "ja" if new else "nej"]
                for p, cvr, t, o, f, fund, own_c, new in zip(
                    part_project[lo:hi].tolist(), cvrs, chunk_types, chunk_org, fte,
                    funding[lo:hi].tolist(), own[lo:hi].tolist(), new_to_rd[lo:hi].tolist(),
                    strict=True))


def _year_shares(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Share of each project's days falling in each programme year (projects x years)."""
    shares = np.zeros((len(start), len(YEARS)))
    for j, year in enumerate(YEARS):
        y0 = (date(year, 1, 1) - FIRST_DAY).days
        y1 = (date(year, 12, 31) - FIRST_DAY).days
        shares[:, j] = np.clip(np.minimum(end, y1) - np.maximum(start, y0) + 1, 0, None)
    return shares / shares.sum(axis=1, keepdims=True)


def _write_finances(path: Path, rng: np.random.Generator, ids: list[str], grants: list[int],
                    proj_cluster: np.ndarray, start: np.ndarray, end: np.ndarray,
                    cluster_funding: np.ndarray, private_sum: np.ndarray) -> None:
    shares = _year_shares(start, end)
    n_clusters = len(ids)
    funded = np.zeros((n_clusters, len(YEARS)))
    private = np.zeros((n_clusters, len(YEARS)))
    np.add.at(funded, proj_cluster, shares * cluster_funding[:, None])
    np.add.at(private, proj_cluster, shares * private_sum[:, None])
    operations = (np.array(grants) - funded.sum(axis=1)) / len(YEARS)
    drawn = (funded + operations[:, None]) * rng.uniform(0.96, 1.0, funded.shape)
    attracted = private * rng.uniform(1.0, 1.4, private.shape) + rng.uniform(
        500_000, 2_000_000, private.shape)
    rows = [[cid, str(year), _kr_dotted(round(drawn[c, j], 2)),
             _kr_dotted(round(attracted[c, j], 2)), FINANCE_NOTES[year]]
            for c, cid in enumerate(ids) for j, year in enumerate(YEARS)]
    _write_csv(path, ["cluster_id", "year", "public_funding_drawn_dkk",
                      "private_financing_attracted_dkk", "note"], rows,
               delimiter=";", encoding="cp1252")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.programme.generate",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=BUNDLED_SAMPLE_DIR,
                        help=f"folder to write into (default: {BUNDLED_SAMPLE_DIR})")
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
