"""Write the synthetic demo snapshot shipped in ``data/snapshots/dst/`` (deterministic).

The pipeline must run offline, and DST cannot be reached from every machine, so the repository
ships stand-in responses shaped exactly like the API's. They are SYNTHETIC: business R&D totals
for 2014-2024 follow DST's published figures (mio. kr., current prices); every other number,
including the whole split by size group, is illustrative. The manifest says so and everything
published from it is marked.

    python -m pipelines.synthetic.dst_snapshot [--out DIR]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipelines.dst.snapshot import SnapshotStore
from pipelines.settings import BUNDLED_SNAPSHOT_DIR

UPDATED = "2025-10-30T08:00:00"
NOTE = (
    "SYNTHETIC demo snapshot made by pipelines/synthetic/dst_snapshot.py. Business own R&D totals "
    "2014-2024 follow DST's published figures (mio. kr., current prices; 2024 preliminary); "
    "all other values, including the split by size group, are illustrative and must not be "
    "cited as statistics."
)

# Published totals of business own R&D, mio. kr., current prices (DST); 2007-2013 illustrative.
RD_TOTALS = {
    2007: 32_100,
    2008: 35_600,
    2009: 35_900,
    2010: 34_400,
    2011: 35_200,
    2012: 35_700,
    2013: 36_100,
    2014: 36_815,
    2015: 39_487,
    2016: 42_418,
    2017: 40_757,
    2018: 42_187,
    2019: 41_571,
    2020: 42_494,
    2021: 44_602,
    2022: 49_286,
    2023: 53_417,
    2024: 59_213,
}
SIZE_GROUPS = {
    "3000": "Alle virksomheder",
    "3010": "Under 10 årsværk",
    "3020": "10-49 årsværk",
    "3030": "50-249 årsværk",
    "3040": "250 årsværk og derover",
}
INDUSTRIES = {
    "1000": "Industri i alt",
    "1010": "Føde-, drikke- og tobaksvareindustri",
    "1020": "Kemisk og farmaceutisk industri",
    "1030": "Metal- og maskinindustri",
    "1040": "Elektronikindustri",
    "1050": "Anden industri",
    "1060": "Bygge og anlæg",
    "1070": "Handel og transport",
    "1080": "Information og kommunikation",
    "1090": "Videnservice og finansiering",
}
REGIONS = {
    "0": "Hele landet",
    "81": "Region Nordjylland",
    "82": "Region Midtjylland",
    "83": "Region Syddanmark",
    "84": "Region Hovedstaden",
    "85": "Region Sjælland",
}
EXPENDITURE = {"10": "Egne FoU-udgifter i alt", "20": "Driftsudgifter", "50": "Investeringer"}


def _tableinfo(
    table: str,
    text: str,
    unit: str,
    variables: list[tuple[str, str, dict]],
) -> dict[str, Any]:
    return {
        "id": table,
        "text": text,
        "description": f"{text} (SYNTHETIC demo snapshot)",
        "unit": unit,
        "updated": UPDATED,
        "active": True,
        "variables": [
            {
                "id": vid,
                "text": vtext,
                "elimination": vid != "Tid",
                "time": vid == "Tid",
                "values": [{"id": k, "text": v} for k, v in values.items()],
            }
            for vid, vtext, values in variables
        ],
    }


def _years(first: int, last: int) -> dict[str, str]:
    return {str(y): str(y) for y in range(first, last + 1)}


def _da(x: float, decimals: int = 0) -> str:
    """A number as DST writes it with lang=da: decimal comma, no thousands separator."""
    return f"{x:.{decimals}f}".replace(".", ",")


def _forsk01(rng: random.Random) -> tuple[dict, Iterable[list[str]]]:
    info = _tableinfo(
        "FORSK01",
        "Erhvervslivets egne FoU-udgifter efter branche, størrelse, region og udgiftstype",
        "mio. kr.",
        [
            ("FUI01", "branche, størrelse og region", {**SIZE_GROUPS, **INDUSTRIES, **REGIONS}),
            ("FUI08", "udgiftstype", EXPENDITURE),
            ("Tid", "tid", _years(2007, 2024)),
        ],
    )
    rows: list[list[str]] = []
    for year, total in RD_TOTALS.items():
        step = (year - 2007) / (2024 - 2007)
        smv_share = 0.34 - 0.12 * step + rng.uniform(-0.01, 0.01)  # illustrative decline
        parts = {"3010": 0.24, "3020": 0.40, "3030": 0.36}
        by_group = {g: round(total * smv_share * w) for g, w in parts.items()}
        by_group["3040"] = total - sum(by_group.values())
        by_group["3000"] = total
        ind_weights = [rng.uniform(0.5, 1.5) for _ in INDUSTRIES]
        by_industry = {
            c: round(total * w / sum(ind_weights))
            for c, w in zip(INDUSTRIES, ind_weights, strict=True)
        }
        reg_weights = {"81": 0.07, "82": 0.22, "83": 0.15, "84": 0.50, "85": 0.06}
        by_region = {c: round(total * w) for c, w in reg_weights.items()}
        by_region["0"] = total
        for code, value in {**by_group, **by_industry, **by_region}.items():
            operating = round(value * rng.uniform(0.90, 0.95))
            cells = {"10": value, "20": operating, "50": value - operating}
            for exp, cell in cells.items():
                suppressed = (code == "1080" and exp == "50") or (
                    code == "81" and exp == "50" and year == 2009
                )
                rows.append([code, exp, str(year), ".." if suppressed else _da(cell)])
    return info, rows


def _nan1(rng: random.Random) -> tuple[dict, Iterable[list[str]]]:
    info = _tableinfo(
        "NAN1",
        "Forsyningsbalance, BNP, indkomster, forbrug og investeringer",
        "mio. kr.",
        [
            (
                "TRANSAKT",
                "transaktion",
                {
                    "B1GQK": "B.1*g Bruttonationalprodukt, BNP",
                    "P7K": "P.7 Import af varer og tjenester",
                },
            ),
            (
                "PRISENHED",
                "prisenhed",
                {
                    "V_M": "Løbende priser, (mia. kr.)",
                    "LAN_M": "2020-priser, kædede værdier, (mia. kr.)",
                    "L_V": "Pct. realvækst",
                },
            ),
            ("Tid", "tid", _years(2000, 2025)),
        ],
    )
    real_growth = {2009: -0.049, 2020: -0.024, 2021: 0.068, 2022: 0.027}
    inflation = {2022: 0.065, 2023: 0.021, 2009: 0.005}
    real, deflator = {2020: 2_330_000.0}, {2020: 1.0}
    for year in range(2021, 2026):
        real[year] = real[year - 1] * (1 + real_growth.get(year, 0.018))
        deflator[year] = deflator[year - 1] * (1 + inflation.get(year, 0.017))
    for year in range(2019, 1999, -1):
        real[year] = real[year + 1] / (1 + real_growth.get(year + 1, 0.018))
        deflator[year] = deflator[year + 1] / (1 + inflation.get(year + 1, 0.017))
    rows = []
    for year in range(2000, 2026):
        current = real[year] * deflator[year] * (1 + rng.uniform(-1e-4, 1e-4))
        rows.append(["B1GQK", "V_M", str(year), _da(current, 1)])
        rows.append(["B1GQK", "LAN_M", str(year), _da(real[year], 1)])
    return info, rows


def _gf13(rng: random.Random) -> tuple[dict, Iterable[list[str]]]:
    classes = {
        "TOT": "I alt",
        "0000": "Ingen ansatte",
        "010": "1-9 ansatte",
        "101": "10-49 ansatte",
        "102": "50-249 ansatte",
        "103": "250 ansatte og derover",
    }
    info = _tableinfo(
        "GF13",
        "Firmaer, fuldtidsansatte og omsætning efter firmastørrelse og branche",
        "antal / mio. kr.",
        [
            (
                "ENHED",
                "enhed",
                {
                    "AFI": "Firmaer (antal)",
                    "AFU": "Fuldtidsansatte (antal)",
                    "OMS": "Omsætning (mio. kr.)",
                },
            ),
            ("FIRMSTR", "firmastørrelse", classes),
            ("BRANCHEDB0738", "branche (DB07 38-grp)", {"TOT": "Alle brancher"}),
            ("Tid", "tid", _years(2019, 2024)),
        ],
    )
    base = {  # firms, full-time employees, turnover in mio. kr. (illustrative)
        "0000": (190_000, 0, 150_000),
        "010": (110_000, 300_000, 600_000),
        "101": (21_000, 420_000, 900_000),
        "102": (4_200, 400_000, 950_000),
        "103": (900, 820_000, 1_400_000),
    }
    rows = []
    for year in range(2019, 2025):
        growth = 1 + 0.015 * (year - 2019)
        totals = [0.0, 0.0, 0.0]
        cells: dict[str, list[float]] = {}
        for cls, values in base.items():
            cells[cls] = [round(v * growth * rng.uniform(0.98, 1.02)) for v in values]
            totals = [t + c for t, c in zip(totals, cells[cls], strict=True)]
        cells["TOT"] = totals
        for cls, (firms, fte, turnover) in cells.items():
            for unit, value in (("AFI", firms), ("AFU", fte), ("OMS", turnover)):
                rows.append([unit, cls, "TOT", str(year), _da(value)])
    return info, rows


def _forsk02(rng: random.Random) -> tuple[dict, Iterable[list[str]]]:
    suppliers = {
        "80": "Køb af FoU i alt",
        "90": "Andre virksomheder i Danmark",
        "100": "Virksomheder i udlandet",
        "110": "Offentlige forskningsinstitutioner i øvrigt",
        "120": "GTS-institutter",
        "130": "Universiteter i Danmark",
        "140": "Andre leverandører",
    }
    info = _tableinfo(
        "FORSK02",
        "Erhvervslivets køb af FoU efter størrelse og leverandørtype",
        "mio. kr.",
        [
            ("FUI01", "størrelse", SIZE_GROUPS),
            ("LEVRTYP", "leverandørtype", suppliers),
            ("Tid", "tid", _years(2017, 2023)),
        ],
    )
    weights = {"90": 0.42, "100": 0.33, "110": 0.04, "120": 0.07, "130": 0.09, "140": 0.05}
    group_share = {"3010": 0.07, "3020": 0.12, "3030": 0.16, "3040": 0.65}
    rows = []
    for year in range(2017, 2024):
        total_purchases = 9_000 + 400 * (year - 2017)
        cells = {
            (group, supplier): round(total_purchases * share * w * rng.uniform(0.8, 1.2))
            for group, share in group_share.items()
            for supplier, w in weights.items()
        }
        for supplier in weights:
            cells["3000", supplier] = sum(cells[g, supplier] for g in group_share)
        for group in ["3000", *group_share]:
            cells[group, "80"] = sum(cells[group, s] for s in weights)
        for (group, supplier), value in sorted(cells.items()):
            suppressed = group == "3010" and supplier == "130" and year == 2019
            rows.append([group, supplier, str(year), ".." if suppressed else _da(value)])
    return info, rows


def write_demo_snapshot(out: Path) -> None:
    rng = random.Random(20251030)
    store = SnapshotStore(out)
    entries = {}
    builders = {"FORSK01": _forsk01, "NAN1": _nan1, "GF13": _gf13, "FORSK02": _forsk02}
    with tempfile.TemporaryDirectory() as tmp:
        for table, build in builders.items():
            info, rows = build(rng)
            body = Path(tmp) / f"{table}.csv"
            header = [v["id"] for v in info["variables"]] + ["INDHOLD"]
            body.write_text(
                "\n".join(";".join(r) for r in [header, *rows]) + "\n", encoding="utf-8"
            )
            entries[table] = {**store.write_table(table, info, body), "lang": "da"}
    store.write_manifest(
        synthetic=True,
        origin="pipelines/synthetic/dst_snapshot.py",
        note=NOTE,
        tables=entries,
        recorded_at=UPDATED,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=BUNDLED_SNAPSHOT_DIR)
    args = parser.parse_args()
    write_demo_snapshot(args.out)
    print(f"wrote synthetic demo snapshot to {args.out}")


if __name__ == "__main__":
    main()
