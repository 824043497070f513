"""Files that must LOAD: other delimiters and encodings, Excel with title rows, Danish
number and date formats; and the rule choosing between real reports and the sample."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pipelines.programme.checks.errors import ProgrammeHeldError
from pipelines.programme.shrink import MARKER_NAME, write_acknowledgement
from tests.programme.helpers import (
    CLUSTERS,
    FINANCES,
    GENERATION,
    PARTICIPANTS,
    PROJECTS,
    query,
    run_ingest,
    snapshot,
    write_base,
    write_csv,
    write_xlsx,
)


def test_base_set_loads_typed_with_lineage(data_dir, inbound):
    write_base(inbound)
    load = run_ingest(data_dir)
    assert load.rows == {"clusters": 2, "projects": 3, "participants": 5, "cluster_finances": 3}
    assert query(
        data_dir,
        """select project_id, start_date, end_date, budget_dkk,
                                     cluster_funding_dkk, _source_file, _source_row,
                                     _is_sample, _contract_version, programme
                              from raw.programme_projects order by project_id""",
    ) == [
        (
            "K01-P0001",
            date(2025, 3, 1),
            date(2026, 8, 31),
            Decimal("2500000.00"),
            Decimal("1400000.00"),
            f"{GENERATION}/projects.csv",
            2,
            False,
            3,
            GENERATION,
        ),
        (
            "K01-P0002",
            date(2025, 6, 1),
            date(2025, 12, 31),
            Decimal("400000.00"),
            Decimal("300000.00"),
            f"{GENERATION}/projects.csv",
            3,
            False,
            3,
            GENERATION,
        ),
        (
            "K02-P0001",
            date(2026, 1, 1),
            date(2027, 12, 31),
            Decimal("1234567.50"),
            Decimal("800000.50"),
            f"{GENERATION}/projects.csv",
            4,
            False,
            3,
            GENERATION,
        ),
    ]
    assert query(
        data_dir,
        """select cvr, participant_type, fte, new_to_rd
                              from raw.programme_participants order by _source_row""",
    ) == [
        (PARTICIPANTS[1][1], "smv", Decimal("1.25"), True),
        (PARTICIPANTS[2][1], "large_enterprise", Decimal("0.50"), False),
        (None, "foreign", Decimal("0.00"), False),  # foreign without CVR is fine
        (PARTICIPANTS[4][1], "smv", Decimal("0.75"), True),  # "SMV" -> smv
        (PARTICIPANTS[5][1], "university", Decimal("2.00"), False),
    ]
    assert query(
        data_dir, "select year, note from raw.programme_cluster_finances order by _source_row"
    ) == [(2025, "Foreløbige tal"), (2026, None), (2025, "Årsregnskab – godkendt")]
    types = dict(
        query(
            data_dir,
            """select column_name, data_type from information_schema.columns
                                    where table_name = 'programme_participants'""",
        )
    )
    assert types["fte"] == "DECIMAL(18,2)" and types["new_to_rd"] == "BOOLEAN"
    assert types["_loaded_at"] == "TIMESTAMP" and types["_source_row"] == "INTEGER"
    loads = query(
        data_dir,
        "select entity, file, row_count, is_sample from raw._programme_loads order by file",
    )
    assert loads == [
        ("cluster_finances", f"{GENERATION}/cluster_finances.csv", 3, False),
        ("clusters", f"{GENERATION}/clusters.csv", 2, False),
        ("participants", f"{GENERATION}/participants.csv", 5, False),
        ("projects", f"{GENERATION}/projects.csv", 3, False),
    ]
    sha = query(data_dir, "select distinct _source_sha256 from raw.programme_clusters")
    assert sha == [(load.files_of("clusters")[0].sha256,)]


def test_comma_delimited_csv_loads(data_dir, inbound):
    write_base(inbound)
    rows = [[c.replace(",", ".") if i >= 5 else c for i, c in enumerate(r)] for r in PROJECTS]
    rows[3][5] = "1,234,567.50"  # thousands commas in a ','-file: quoted by the writer
    write_csv(inbound / "projects.csv", rows, delimiter=",", encoding="utf-8")
    run_ingest(data_dir)
    assert query(
        data_dir, "select budget_dkk from raw.programme_projects where project_id = 'K02-P0001'"
    ) == [(Decimal("1234567.50"),)]


def test_windows_1252_with_danish_letters_loads(data_dir, inbound):
    write_base(inbound)
    rows = [list(r) for r in CLUSTERS]
    rows[1][1] = "Klyngen for Grøn Økonomi og Åer (SAMPLE)"
    write_csv(inbound / "clusters.csv", rows, encoding="cp1252")
    write_csv(inbound / "cluster_finances.csv", FINANCES, encoding="cp1252")
    load = run_ingest(data_dir)
    assert "Windows-1252" in load.files_of("clusters")[0].format
    assert query(data_dir, "select name from raw.programme_clusters where cluster_id = 'K01'") == [
        ("Klyngen for Grøn Økonomi og Åer (SAMPLE)",)
    ]
    assert ("Årsregnskab – godkendt",) in query(
        data_dir, "select note from raw.programme_cluster_finances"
    )


def test_xlsx_with_title_rows_and_typed_cells_loads(data_dir, inbound):
    write_base(inbound)
    (inbound / "clusters.csv").unlink()
    rows = [list(r) for r in CLUSTERS]
    rows[0] = [" Cluster_ID ", "NAME", "business_area", "CVR", "Region", "grant_dkk"]
    rows[1][3] = int(rows[1][3])  # a CVR typed in as a number
    rows[1][5] = 60_000_000  # amounts as Excel numbers
    rows[2][5] = 42_000_000.5
    rows[2][4] = "midtjylland"
    write_xlsx(inbound / "clusters.xlsx", rows, title_rows=2)
    (inbound / "projects.csv").unlink()
    projects = [list(r) for r in PROJECTS]
    projects[1][3], projects[1][4] = date(2025, 3, 1), date(2026, 8, 31)  # Excel date cells
    write_xlsx(inbound / "projects.xlsx", projects)
    run_ingest(data_dir)
    assert query(
        data_dir,
        """select cluster_id, cvr, region, grant_dkk, _source_row
                              from raw.programme_clusters order by cluster_id""",
    ) == [
        ("K01", CLUSTERS[1][3], "Syddanmark", Decimal("60000000.00"), 4),
        ("K02", CLUSTERS[2][3], "Midtjylland", Decimal("42000000.50"), 5),
    ]
    assert query(
        data_dir, "select start_date from raw.programme_projects where project_id = 'K01-P0001'"
    ) == [(date(2025, 3, 1),)]


def test_several_files_per_entity_are_read_together(data_dir, inbound):
    write_base(inbound)
    write_csv(inbound / "participants.csv", PARTICIPANTS[:3])
    write_csv(
        inbound / "participants_K02.csv",
        [PARTICIPANTS[0], *PARTICIPANTS[3:]],
        delimiter=",",
        encoding="utf-8",
    )
    load = run_ingest(data_dir)
    assert load.rows["participants"] == 5
    assert query(
        data_dir,
        """select _source_file, count(*) from raw.programme_participants
                              group by all order by 1""",
    ) == [(f"{GENERATION}/participants.csv", 2), (f"{GENERATION}/participants_K02.csv", 3)]


@pytest.mark.slow  # loads the full sample
def test_sample_is_used_only_without_real_reports(data_dir, inbound):
    write_base(inbound / "sample")
    load = run_ingest(data_dir)
    assert load.stamp.is_sample
    assert query(
        data_dir, "select distinct _is_sample, _source_file from raw.programme_clusters"
    ) == [(True, f"{GENERATION}/sample/clusters.csv")]
    write_base(inbound)
    load = run_ingest(data_dir)
    assert not load.stamp.is_sample
    assert any("sample/ is ignored" in note for note in load.notes)
    assert query(
        data_dir, "select distinct _is_sample, _source_file from raw.programme_clusters"
    ) == [(False, f"{GENERATION}/clusters.csv")]


def test_header_only_file_loads_as_empty_table(data_dir, inbound):
    write_base(inbound)
    write_csv(inbound / "cluster_finances.csv", FINANCES[:1])
    load = run_ingest(data_dir)
    assert load.rows["cluster_finances"] == 0


def test_raw_files_are_never_modified(data_dir, inbound):
    paths = write_base(inbound)
    before = {p: p.read_bytes() for p in paths.values()}
    run_ingest(data_dir)
    assert {p: p.read_bytes() for p in paths.values()} == before


@pytest.mark.slow  # three loads
def test_reload_replaces_tables(data_dir, inbound):
    write_base(inbound)
    run_ingest(data_dir)
    first = snapshot(data_dir)
    write_csv(inbound / "participants.csv", PARTICIPANTS[:2])
    with pytest.raises(ProgrammeHeldError, match="participants from 5 to 1 rows"):
        run_ingest(data_dir)  # the shrink guard: 5 -> 1 participants waits for a person
    assert snapshot(data_dir) == first
    write_acknowledgement(inbound)
    run_ingest(data_dir)
    assert query(data_dir, "select count(*) from raw.programme_participants") == [(1,)]
    assert len(snapshot(data_dir)["_programme_loads"]) == len(first["_programme_loads"]) + 4
    assert not (inbound / MARKER_NAME).exists()  # an acknowledgement covers one load
