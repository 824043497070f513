"""Each programme generation is read with its own contract: its date windows, the fields it never
reported, its own folder, quarantine and load; the other generations' rows stay untouched."""

from __future__ import annotations

import dataclasses
import re

import duckdb
import pytest

from pipelines.constants import generation
from pipelines.programme.checks.errors import ProgrammeRejectedError
from pipelines.programme.contract import load_contract
from pipelines.programme.generations import contracts
from tests.programme.helpers import (
    BASE,
    GENERATION,
    copy_rows,
    query,
    run_ingest,
    run_ingest_generations,
    snapshot,
    write_csv,
)

OLDER = "2021-2024"


def _earlier(cell: str) -> str:
    """Dates and years four years earlier, whatever their format (2025-03-01, 01-06-2025)."""
    return re.sub(r"\b202[5-9]\b", lambda m: str(int(m.group(0)) - 4), cell)


def _older_set(with_overhead: bool = False) -> dict[str, list[list[str]]]:
    """The tests' base set as 2021-2024 would report it: four years earlier, no overhead."""
    rows = {}
    for entity, table in BASE.items():
        dated = [i for i, name in enumerate(table[0]) if name in ("start_date", "end_date", "year")]
        rows[entity] = [table[0]] + [
            [_earlier(c) if i in dated else c for i, c in enumerate(r)] for r in table[1:]
        ]
    if not with_overhead:
        drop = rows["projects"][0].index("overhead_dkk")
        rows["projects"] = [r[:drop] + r[drop + 1 :] for r in rows["projects"]]
    return rows


def _ingest_older(data_dir):
    return run_ingest(data_dir, schemas=load_contract(generation=generation(OLDER)))


def _write_older(data_dir, rows) -> None:
    folder = data_dir / "inbound" / "programme" / OLDER
    folder.mkdir(parents=True, exist_ok=True)
    for entity, table in rows.items():
        write_csv(folder / f"{entity}.csv", table)


def test_each_generation_reads_the_contract_with_its_own_windows_and_fields():
    older, current = contracts()[OLDER], contracts()[GENERATION]
    assert "overhead_dkk" not in older["projects"].field_names
    assert [f.name for f in older["projects"].absent] == ["overhead_dkk", "grant_type"]
    assert "overhead_dkk" in current["projects"].field_names and not current["projects"].absent
    grant_type = current["projects"].spec("grant_type")  # the generation's own grant types
    assert grant_type.enum == tuple(g.id for g in generation(GENERATION).grant_types)
    start = older["projects"].spec("start_date").window
    assert (start.earliest.year, start.latest.year) == (2021, 2024)
    assert current["projects"].spec("start_date").window.earliest.year == 2025


def test_a_generation_loads_beside_the_other_with_its_absent_field_empty(data_dir, inbound, loaded):
    _write_older(data_dir, _older_set())
    load = _ingest_older(data_dir)
    assert load.rows == {"clusters": 2, "projects": 3, "participants": 5, "cluster_finances": 3}
    assert query(
        data_dir,
        """select programme, count(*), count(overhead_dkk), min(start_date)::varchar,
                  min(_source_file)
           from raw.programme_projects group by all order by 1""",
    ) == [
        (OLDER, 3, 0, "2021-03-01", f"{OLDER}/projects.csv"),
        (GENERATION, 3, 3, "2025-03-01", f"{GENERATION}/projects.csv"),
    ]
    current = {
        table: [r for r in rows if GENERATION in r] for table, rows in snapshot(data_dir).items()
    }
    assert current == {
        table: [r for r in rows if GENERATION in r] for table, rows in loaded.items()
    }  # the current generation's rows and loads, untouched
    assert query(data_dir, "select distinct programme from raw._programme_loads order by 1") == [
        (OLDER,),
        (GENERATION,),
    ]


def test_a_date_of_the_other_generation_is_rejected_by_its_window(data_dir):
    rows = _older_set()
    rows["projects"][1][rows["projects"][0].index("start_date")] = "2025-03-01"
    _write_older(data_dir, rows)
    with pytest.raises(ProgrammeRejectedError) as info:
        _ingest_older(data_dir)
    assert f"{OLDER}/projects.csv, row 2, column start_date: date_range" in str(info.value)
    assert "2021-01-01 to 2024-12-31" in str(info.value)
    assert (data_dir / "inbound" / "quarantine" / OLDER).is_dir()


def test_a_field_the_generation_never_reported_is_noted_and_never_loaded(data_dir):
    _write_older(data_dir, _older_set(with_overhead=True))
    load = _ingest_older(data_dir)
    assert any(f"generation {OLDER} never reported overhead_dkk" in note for note in load.notes), (
        load.notes
    )
    assert query(data_dir, "select count(overhead_dkk) from raw.programme_projects") == [(0,)]


def test_a_grant_type_the_generation_did_not_declare_is_rejected(data_dir, inbound, loaded):
    rows = [[*BASE["projects"][0], "grant_type"]]
    rows += [[*r, "ufm" if i == 1 else ""] for i, r in enumerate(BASE["projects"][1:], 1)]
    write_csv(inbound / "projects.csv", rows)  # ufm: a grant type of 2021-2024
    with pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    message = str(info.value)
    assert (
        f"{GENERATION}/projects.csv, row 2, column grant_type: enum: 'ufm' is not one of" in message
    )
    assert "deb_innovation" in message


def test_a_warehouse_from_before_generations_keeps_its_rows_as_the_current_generation(
    data_dir, inbound, loaded
):
    """The first refresh after the upgrade: raw tables and load records without `programme`
    are the current generation's. While 2021-2024 loads and a bad 2025-2028 file is rejected,
    the old rows stay, now as 2025-2028's, and its load record keeps guarding them."""
    from pipelines.programme.generations import ProgrammeGenerationsError

    tables = [t for t in snapshot(data_dir) if t != "_programme_loads"]
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        for table in [*tables, "_programme_loads"]:
            con.execute(f"alter table raw.{table} drop column programme")
        before = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}
    rows = copy_rows(BASE["participants"])
    rows[1][3] = "ikke en type"
    write_csv(inbound / "participants.csv", rows)
    with pytest.raises(ProgrammeGenerationsError) as info:
        run_ingest_generations(data_dir)
    assert list(info.value.failures) == [GENERATION]
    for table, count in before.items():
        assert query(
            data_dir, f"select count(*) from raw.{table} where programme = '{GENERATION}'"
        ) == [(count,)]
        assert query(
            data_dir, f"select count(*) > 0 from raw.{table} where programme = '{OLDER}'"
        ) == [(True,)]
    assert query(data_dir, "select count(*) from raw._programme_loads where programme is null") == [
        (0,)
    ]


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda root: root / "2029-2032", "folder(s) 2029-2032/ in "),  # not declared yet
        (lambda root: root / "2025_2028", "folder(s) 2025_2028/ in "),  # misnamed
        (lambda root: root / "sample", "folder(s) sample/ in "),  # the sample before generations
    ],
)
def test_files_in_a_folder_that_is_no_generation_stop_the_load_unread(data_dir, make, said):
    from pipelines.programme.generations import StrayReportsError

    folder = make(data_dir / "inbound" / "programme")
    folder.mkdir(parents=True)
    stray = write_csv(folder / "participants.csv", BASE["participants"])
    with pytest.raises(StrayReportsError) as info:
        run_ingest_generations(data_dir)
    assert said in str(info.value) and "no declared generation (2021-2024/, 2025-2028/)" in str(
        info.value
    )
    assert stray.exists() and not (data_dir / "warehouse.duckdb").exists()


def test_a_generation_folder_that_is_a_link_is_named_as_a_link(data_dir, tmp_path):
    from pipelines.programme.generations import StrayReportsError, check_no_stray_reports

    elsewhere = tmp_path / "share"
    elsewhere.mkdir()
    root = data_dir / "inbound" / "programme"
    root.mkdir(parents=True)
    (root / GENERATION).symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(StrayReportsError, match=f"{GENERATION} in .* is a link to a folder"):
        check_no_stray_reports(root)


def test_a_changed_declaration_checks_and_loads_unchanged_files_again(data_dir, inbound, loaded):
    """Files are only skipped as unchanged under the same reading of the contract: a grant
    type renamed in the generation's declaration makes the same files load again, and a file
    using the old name is then rejected, instead of silently keeping the old value."""
    current = generation(GENERATION)
    assert "unchanged" in run_ingest(data_dir).notes[-1]
    renamed = dataclasses.replace(
        current,
        grant_types=tuple(
            dataclasses.replace(g, id="deb_grundtilskud") if g.id == "deb_basis" else g
            for g in current.grant_types
        ),
    )
    schemas = load_contract(generation=renamed)
    assert schemas["projects"].digest != load_contract()["projects"].digest
    assert schemas["clusters"].digest == load_contract()["clusters"].digest
    rows = [[*BASE["projects"][0], "grant_type"]]
    rows += [[*r, "deb_basis"] for r in BASE["projects"][1:]]
    write_csv(inbound / "projects.csv", rows)
    run_ingest(data_dir)  # loaded under the declaration as it is
    with pytest.raises(ProgrammeRejectedError, match="'deb_basis' is not one of"):
        run_ingest(data_dir, schemas=schemas)
