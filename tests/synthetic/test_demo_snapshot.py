"""The bundled DST snapshot is exactly what its committed, deterministic script writes."""

from __future__ import annotations

import json

from pipelines.settings import BUNDLED_SNAPSHOT_DIR
from pipelines.synthetic.dst_snapshot import RD_TOTALS, write_demo_snapshot

PUBLISHED = {
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


def test_script_reproduces_the_bundled_snapshot_byte_for_byte(tmp_path):
    write_demo_snapshot(tmp_path)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    bundled = sorted(
        p.relative_to(BUNDLED_SNAPSHOT_DIR) for p in BUNDLED_SNAPSHOT_DIR.rglob("*") if p.is_file()
    )
    assert written == bundled
    for rel in written:
        assert (tmp_path / rel).read_bytes() == (BUNDLED_SNAPSHOT_DIR / rel).read_bytes(), rel


def test_manifest_says_synthetic_and_totals_follow_dst():
    manifest = json.loads((BUNDLED_SNAPSHOT_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["synthetic"] is True and "SYNTHETIC" in manifest["note"]
    assert {y: v for y, v in RD_TOTALS.items() if y >= 2014} == PUBLISHED
