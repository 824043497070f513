"""An unchanged set of inbound files is not checked or loaded again; any change is."""

from __future__ import annotations

import pytest

from tests.programme.helpers import CLUSTERS, run_ingest, snapshot, write_base, write_csv


def test_unchanged_files_are_not_loaded_again(data_dir, inbound):
    write_base(inbound)
    first = run_ingest(data_dir)
    tables = snapshot(data_dir)
    again = run_ingest(data_dir)
    assert again.stamp.load_id == first.stamp.load_id
    assert again.rows == first.rows
    assert {(f.file, f.sha256) for f in again.files} == {(f.file, f.sha256) for f in first.files}
    assert "not checked or loaded again" in again.notes[-1]
    assert snapshot(data_dir) == tables  # no new load row, no rewrite


@pytest.mark.slow  # three loads
def test_a_changed_file_is_loaded(data_dir, inbound):
    write_base(inbound)
    first = run_ingest(data_dir)
    rows = [list(r) for r in CLUSTERS]
    rows[1][1] = "Testklynge Ét, nyt navn (SAMPLE)"
    write_csv(inbound / "clusters.csv", rows)
    second = run_ingest(data_dir)
    assert second.stamp.load_id != first.stamp.load_id


@pytest.mark.slow  # three loads
def test_a_new_file_is_loaded(data_dir, inbound):
    write_base(inbound)
    first = run_ingest(data_dir)
    write_csv(
        inbound / "cluster_finances_extra.csv",
        [
            ["cluster_id", "year", "public_funding_drawn_dkk", "private_financing_attracted_dkk"],
            ["K02", "2026", "1000", "0"],
        ],
    )
    second = run_ingest(data_dir)
    assert second.stamp.load_id != first.stamp.load_id
    assert second.rows["cluster_finances"] == first.rows["cluster_finances"] + 1
