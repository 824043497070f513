"""A small valid programme set, written in whichever format a test needs, and a loader."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

from pipelines.constants import programme
from pipelines.orchestration.warehouse import WarehouseResource
from pipelines.programme.checks.identifiers import cvr_check_digit
from pipelines.programme.contract import EntitySchema, load_contract
from pipelines.programme.generations import GenerationLoad, ingest_generations
from pipelines.programme.ingest import ProgrammeLoad, ingest_programme

GENERATION = programme().id  # the tests' files report on the current generation

TABLES = (
    "programme_clusters",
    "programme_projects",
    "programme_participants",
    "programme_cluster_finances",
    "_programme_loads",
)


def cvr(first_seven: str) -> str:
    """A valid CVR number starting with ``first_seven`` (which must allow one)."""
    check = cvr_check_digit(first_seven)
    assert check is not None, first_seven
    return f"{first_seven}{check}"


CVR_K01, CVR_K02 = cvr("9000001"), cvr("9000002")
CVR_A, CVR_B, CVR_C, CVR_D = cvr("9100001"), cvr("9100002"), cvr("9100003"), cvr("9100004")
INVALID_CVR = CVR_A[:7] + str((int(CVR_A[7]) + 1) % 10)

CLUSTERS = [
    ["cluster_id", "name", "business_area", "cvr", "region", "grant_dkk"],
    ["K01", "Testklynge Ét (SAMPLE)", "Energi", CVR_K01, "Syddanmark", "60.000.000,00"],
    ["K02", "Testklynge To (SAMPLE)", "Fødevarer", CVR_K02, "Midtjylland", "42000000"],
]
PROJECTS = [
    [
        "project_id",
        "cluster_id",
        "title",
        "start_date",
        "end_date",
        "budget_dkk",
        "cluster_funding_dkk",
        "overhead_dkk",
        "private_cofinancing_dkk",
        "project_type",
    ],
    [
        "K01-P0001",
        "K01",
        "Varmepumper",
        "2025-03-01",
        "2026-08-31",
        "2500000,00",
        "1400000,00",
        "100000,00",
        "950000,00",
        "innovation",
    ],
    [
        "K01-P0002",
        "K01",
        "Forprojekt",
        "01-06-2025",
        "31-12-2025",
        "400000",
        "300000",
        "0",
        "100000",
        "feasibility",
    ],
    [
        "K02-P0001",
        "K02",
        "Fødevaresporbarhed",
        "2026-01-01",
        "2027-12-31",
        "1.234.567,50",
        "800000,5",
        "70000",
        "434567",
        "rd",
    ],
]
PARTICIPANTS = [
    [
        "project_id",
        "cvr",
        "participant_name",
        "participant_type",
        "fte",
        "funding_received_dkk",
        "own_contribution_dkk",
        "new_to_rd",
    ],
    ["K01-P0001", CVR_A, "Alfa ApS (SAMPLE)", "smv", "1,25", "450000,00", "300000,00", "ja"],
    ["K01-P0001", CVR_B, "Beta A/S (SAMPLE)", "large_enterprise", "0,5", "200000", "400000", "nej"],
    ["K01-P0001", "", "Gamma GmbH (SAMPLE)", "foreign", "0", "0", "50000", "false"],
    ["K01-P0002", CVR_A, "Alfa ApS (SAMPLE)", "SMV", "0.75", "150000", "100000", "1"],
    ["K02-P0001", CVR_C, "Eksempeluniversitet (SAMPLE)", "university", "2", "600000", "0", "0"],
]
FINANCES = [
    ["cluster_id", "year", "public_funding_drawn_dkk", "private_financing_attracted_dkk", "note"],
    ["K01", "2025", "14.250.000,00", "6.100.000,00", "Foreløbige tal"],
    ["K01", "2026", "15000000", "7000000", ""],
    ["K02", "2025", "9.000.000,00", "2.500.000,00", "Årsregnskab – godkendt"],
]
BASE = {
    "clusters": CLUSTERS,
    "projects": PROJECTS,
    "participants": PARTICIPANTS,
    "cluster_finances": FINANCES,
}


def copy_rows(rows: list[list[str]]) -> list[list[str]]:
    return [list(r) for r in rows]


def csv_bytes(rows: list[list[object]], delimiter: str = ";", encoding: str = "utf-8-sig") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def write_csv(
    path: Path, rows: list[list[object]], delimiter: str = ";", encoding: str = "utf-8-sig"
) -> Path:
    path.write_bytes(csv_bytes(rows, delimiter, encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]], title_rows: int = 0) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for i in range(title_rows):
        sheet.append([f"Indberetning til klyngeprogrammet, titel {i + 1}"] if i == 0 else [])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_base(inbound: Path, skip: str | None = None) -> dict[str, Path]:
    """The valid set as ``;`` UTF-8 CSV files directly in ``inbound``."""
    inbound.mkdir(parents=True, exist_ok=True)
    return {e: write_csv(inbound / f"{e}.csv", rows) for e, rows in BASE.items() if e != skip}


def inbound_dir(data_dir: Path) -> Path:
    """The current generation's inbound folder."""
    return data_dir / "inbound" / "programme" / GENERATION


def quarantine_dir(data_dir: Path) -> Path:
    """The current generation's quarantine."""
    return data_dir / "inbound" / "quarantine" / GENERATION


def run_ingest(
    data_dir: Path,
    *,
    schemas: dict[str, EntitySchema] | None = None,
    settle_seconds: float = 0.0,
    max_shrink_share: float = 0.5,
) -> ProgrammeLoad:
    """Ingest one generation as a refresh does (``schemas``: its contract; default the current
    generation's); files written by a test count as settled unless a test asks for the settle
    rule."""
    schemas = schemas or load_contract()
    generation = next(iter(schemas.values())).generation
    return ingest_programme(
        data_dir / "inbound" / "programme" / generation,
        data_dir / "inbound" / "quarantine" / generation,
        _connect(data_dir),
        schemas=schemas,
        settle_seconds=settle_seconds,
        max_shrink_share=max_shrink_share,
    )


def run_ingest_generations(data_dir: Path) -> list[GenerationLoad]:
    """Ingest every generation as a refresh does."""
    return ingest_generations(
        data_dir / "inbound" / "programme",
        data_dir / "inbound" / "quarantine",
        _connect(data_dir),
        settle_seconds=0.0,
        max_shrink_share=0.5,
    )


def _connect(data_dir: Path):
    return WarehouseResource(database=str(data_dir / "warehouse.duckdb")).get_connection


def snapshot(data_dir: Path) -> dict[str, list[tuple]]:
    """Every programme raw table's full contents, for byte-equal comparisons."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return {t: con.execute(f"select * from raw.{t} order by all").fetchall() for t in TABLES}


def query(data_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()
