"""The release as a data package: ``datapackage.json`` validated by frictionless against the files
it describes, ``CITATION.cff``, and the release's version."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines.catalog import published_marts
from pipelines.constants import generations
from pipelines.programme.discover import bundled_sample_dir
from pipelines.publish.package import programme_digest, release_version

SAMPLE_DIRS = [bundled_sample_dir(g.id) for g in generations()]
# DuckDB's types as a frictionless field type (the CSV's dialect decides how they are written)
FRICTIONLESS_TYPE = {
    "VARCHAR": "string",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "DOUBLE": "number",
    "BOOLEAN": "boolean",
    "DATE": "date",
}


def test_the_version_is_the_date_the_newest_dst_data_and_the_programme_files():
    dst = {
        "FORSK01": {"updated": "2025-10-30T08:00:00"},
        "NAN1": {"updated": "2026-02-03T08:00:00"},
    }
    files = [
        {"file": "projects.csv", "sha256": "b" * 64},
        {"file": "clusters.xlsx", "sha256": "a" * 64},
    ]
    expected = hashlib.sha256(
        f"clusters.xlsx:{'a' * 64}\nprojects.csv:{'b' * 64}".encode()
    ).hexdigest()[:8]
    version = release_version("2026-12-07T02:15:03+00:00", dst, files)
    assert version == f"2026-12-07+dst.2026-02-03+prog.{expected}"
    assert programme_digest(list(reversed(files))) == expected  # order of loading is no content
    corrected = [{**files[0], "sha256": "c" * 64}, files[1]]
    assert release_version("2026-12-07T02:15:03+00:00", dst, corrected) != version
    assert release_version("2026-12-07T00:00:00+00:00", {}, []) == "2026-12-07+dst.none+prog.none"


@pytest.fixture(scope="module")
def release(refreshed) -> Path:
    return (refreshed[0] / "data" / "published" / "current").resolve()


def _validate(package: Path):
    import frictionless

    return frictionless.validate(str(package))


def test_datapackage_validates_against_the_files_it_describes(release):
    report = _validate(release / "datapackage.json")
    errors = [(t.name, e.type, e.message) for t in report.tasks for e in t.errors]
    assert report.valid, errors[:10]
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    marts = published_marts()
    assert [r["name"] for r in package["resources"]] == [m.name for m in marts]
    # frictionless read every row of every table: as many as the release's DuckDB file holds
    rows = {t.name: t.stats["rows"] for t in report.tasks}
    with duckdb.connect(str(release / "klynge.duckdb"), read_only=True) as con:
        for mart in marts:
            count = con.execute(f'select count(*) from "{mart.name}"').fetchone()[0]
            assert rows[mart.name] == count
            types = dict(
                con.execute(
                    "select column_name, data_type from duckdb_columns() where table_name = ?",
                    [mart.name],
                ).fetchall()
            )
            resource = next(r for r in package["resources"] if r["name"] == mart.name)
            assert resource["schema"]["primaryKey"] == list(mart.keys)
            assert (release / resource["path"]).is_file()
            assert (release / resource["parquet"]).is_file()
            for field in resource["schema"]["fields"]:
                duck = types[field["name"]]
                expected = "number" if duck.startswith("DECIMAL") else FRICTIONLESS_TYPE[duck]
                if field["name"] in ("year", "source_row") and duck == "DOUBLE":
                    expected = "integer"
                assert field["type"] == expected, (mart.name, field["name"], duck)
                assert field["description"], (mart.name, field["name"])
    fields = {
        f["name"]: f
        for f in next(r for r in package["resources"] if r["name"] == "smv_rd_share_summary")[
            "schema"
        ]["fields"]
    }
    assert fields["smv_share_pct"]["unit"] == "% (0-100)"
    outcomes = next(r for r in package["resources"] if r["name"] == "cluster_outcomes")
    key = ["programme", "cluster_id"]  # K01 of one generation is not K01 of the other
    assert outcomes["schema"]["foreignKeys"] == [
        {"fields": key, "reference": {"resource": "cluster_programme_totals", "fields": key}}
    ]
    # version, notice and sources as the manifest and the input files themselves say
    assert package["version"] == manifest["version"]
    assert package["klynge_synthetic"] is True and package["klynge_sample"] is True
    assert package["description"].startswith(manifest["notice"])
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    by_title = {s["title"]: s for s in package["sources"]}
    for table_id, table in manifest["dst"]["tables"].items():
        source = by_title[f"Statistics Denmark (Danmarks Statistik), StatBank table {table_id}"]
        assert source["version"] == table["updated"]
    for path in sorted(p for folder in SAMPLE_DIRS for p in folder.iterdir()):
        if path.suffix in (".csv", ".xlsx"):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert any(s["version"] == f"sha256:{digest}" for s in package["sources"]), path.name


def test_datapackage_catches_a_file_that_breaks_its_schema(release, tmp_path):
    """The schema is strict enough to matter: a text in a number column, a cluster that the
    totals do not know, and a cluster of one generation given to the other are all found."""
    copy = tmp_path / "release"
    shutil.copytree(release, copy, ignore=shutil.ignore_patterns("gx_data_docs", "report"))
    path = copy / "csv" / "cluster_outcomes.csv"
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")
    header = lines[0].split(";")
    cells = lines[1].split(";")
    cells[header.index("cluster_id")] = "K99"
    lines[1] = ";".join(cells)
    cells = lines[2].split(";")
    cells[header.index("projects_started")] = "not a number"
    lines[2] = ";".join(cells)
    only_older = "K14"  # 2021-2024 had 14 clusters, 2025-2028 has 11
    row = next(i for i, line in enumerate(lines[1:], 1) if line.startswith("2025-2028;"))
    cells = lines[row].split(";")
    cells[header.index("cluster_id")] = only_older
    lines[row] = ";".join(cells)
    path.write_bytes("\r\n".join(lines).encode("utf-8-sig"))
    report = _validate(copy / "datapackage.json")
    assert not report.valid
    errors = [e for t in report.tasks for e in t.errors]
    assert {"foreign-key", "type-error"} <= {e.type for e in errors}
    assert sum(e.type == "foreign-key" for e in errors) == 2, [e.message for e in errors]


def test_citation_cff_names_version_sources_and_licence(release):
    cff = yaml.safe_load((release / "CITATION.cff").read_text(encoding="utf-8"))
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert cff["version"] == manifest["version"]
    assert str(cff["date-released"]) == manifest["created_at"][:10]
    assert cff["license"] == "CC-BY-4.0" and cff["authors"] and cff["title"]
    assert "SYNTHETIC" in cff["abstract"] and "SAMPLE" in cff["abstract"]
    versions = {r["title"]: r["version"] for r in cff["references"]}
    for table_id, table in manifest["dst"]["tables"].items():
        assert versions[f"StatBank table {table_id}"] == table["updated"]
    for f in manifest["programme"]["inputs"]:
        assert versions[f"Cluster programme file {f['file']}"] == f"sha256:{f['sha256']}"
