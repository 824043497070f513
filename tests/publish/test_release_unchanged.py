"""The release keeps its content: a refresh on the bundled data publishes what the committed
fingerprint (``tests/release_fingerprint.json``) says the release held before.

The fast tests build small releases in ``tmp_path`` with every kind of file a real release has,
and check that the fingerprint ignores what differs between two builds of the same content
(release name, run id, times, commit, row order, float noise, PNG metadata, GX run ids) and names
the file and the table, column or check whenever real content changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image, PngImagePlugin

from pipelines.programme.checks.identifiers import find_cpr
from tests.release_fingerprint import COMMITTED, diff, fingerprint
from tests.release_readers import canon

BUILD_A = {
    "release": "20260101T020000000001Z",
    "run_id": "11111111-2222-4333-8444-555555555555",
    "created_at": "2026-01-01T02:00:00+00:00",
    "git_commit": "a" * 40,
    "git_dirty": False,
    "loaded_at": "2026-01-01 01:59:00.000001",
    "load_id": "0123456789abcdef0123456789abcdef",
    "gx_run": "20260101T020001.000001Z",
    "gx_uuid": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
}
BUILD_B = {
    "release": "20260315T231500123456Z",
    "run_id": "99999999-8888-4777-8666-555555555555",
    "created_at": "2026-03-15T23:15:00+00:00",
    "git_commit": "b" * 40,
    "git_dirty": True,
    "loaded_at": "2026-03-15 23:14:02.654321",
    "load_id": "fedcba9876543210fedcba9876543210",
    "gx_run": "20260315T231459.987654Z",
    "gx_uuid": "12345678-90ab-4cde-8f01-234567890abc",
}
ROWS = [  # year, deflator, amount_dkk, source_mode, dst_updated
    (2022, 0.9123456789, "1234567.25", "snapshot", "2025-10-30T08:00:00"),
    (2023, 0.95, "2345678.50", "snapshot", "2025-10-30T08:00:00"),
    (2024, 1.0, "3456789.75", "snapshot", "2025-10-30T08:00:00"),
]
CHECKS = [
    {"expectation": "expect_table_row_count_to_be_between", "column": None, "success": True},
    {"expectation": "expect_column_values_to_not_be_null", "column": "year", "success": True},
]


def _duckdb(release: Path, build: dict, rows: list[tuple]) -> None:
    with duckdb.connect(str(release / "klynge.duckdb")) as con:
        con.execute(
            "create table price_index (year integer, deflator double, amount_dkk decimal(18,2), "
            "source_mode varchar, dst_updated varchar)"
        )
        con.executemany("insert into price_index values (?, ?, ?, ?, ?)", rows)
        con.execute("comment on table price_index is 'The GDP deflator.'")
        con.execute("comment on column price_index.source_mode is 'live or snapshot.'")
        con.execute("create table release_info (key varchar, value varchar)")
        info = [(k, build[k]) for k in ("release", "run_id", "created_at", "git_commit")]
        con.executemany("insert into release_info values (?, ?)", info)
        (release / "parquet").mkdir()
        meta = ", ".join(f"{k}: '{v}'" for k, v in info) + ", notice: 'SYNTHETIC'"
        target = release / "parquet" / "price_index.parquet"
        con.execute(f"copy price_index to '{target}' (format parquet, kv_metadata {{{meta}}})")


def _sheets(release: Path, build: dict, rows: list[tuple]) -> None:
    (release / "csv").mkdir()
    lines = ["year;deflator;amount_dkk;source_mode;dst_updated"]
    for year, deflator, amount, mode, updated in rows:  # rounded, decimal comma, as published
        lines.append(f"{year};{round(deflator, 6)};{amount};{mode};{updated}".replace(".", ","))
    (release / "csv" / "price_index.csv").write_bytes(
        ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
    )
    book = openpyxl.Workbook()
    readme = book.active
    readme.title = "READ_ME"
    readme.append([f"klynge-pipeline release {build['release']}"])
    readme.append(["Run id", build["run_id"]])
    readme.append(["Created (UTC)", datetime.fromisoformat(build["created_at"][:19])])
    sheet = book.create_sheet("price_index")
    sheet.append(["year", "deflator", "amount_dkk", "source_mode", "dst_updated"])
    for year, deflator, amount, mode, updated in rows:
        sheet.append([year, deflator, float(amount), mode, updated])
        sheet.cell(sheet.max_row, 2).number_format = "0.0000"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:E{sheet.max_row}"
    book.properties.created = datetime.fromisoformat(build["created_at"][:19])
    book.save(release / "klynge.xlsx")


def _documents(release: Path, build: dict) -> None:
    (release / "figures").mkdir()
    image = Image.new("RGB", (12, 8), "white")
    image.putpixel((3, 4), (200, 30, 30))
    info = PngImagePlugin.PngInfo()
    info.add_text("Date", build["created_at"])  # metadata: differs between builds
    image.save(release / "figures" / "figure1.png", pnginfo=info)
    dirty = " (with uncommitted changes)" if build["git_dirty"] else ""
    (release / "README.md").write_text(
        f"# release {build['release']}\n\nRun {build['run_id']}; code {build['git_commit']}.\n"
    )
    (release / "report").mkdir()
    (release / "report" / "provenance.html").write_text(
        f"<p>Release {build['release']} · {build['created_at']}</p>\n"
        f"<dd><code>{build['git_commit']}</code>{dirty}</dd>\n"
    )
    (release / "quality").mkdir()
    (release / "quality" / "price_index.json").write_text(
        json.dumps({"mart": "price_index", "success": True, "expectations": CHECKS})
    )
    (release / "evaluation").mkdir()
    (release / "evaluation" / "SHA256SUMS").write_text("0f0f  participants.csv\n")


def _gx_docs(release: Path, build: dict, reverse: bool) -> None:
    run = build["gx_run"]
    entries = [
        {
            "run_time": f"{build['created_at'][:10]} 02:00:01 UTC",
            "_run_time_sort": 1767232801.000001 + i,
            "_table_row_link_path": f"validations/{suite}/__none__/{run}/marts-{suite}.html",
            "asset_name": suite,
        }
        for i, suite in enumerate(["price_index_suite", "smv_rd_share_suite"])
    ]
    entries = entries[::-1] if reverse else entries
    docs = release / "gx_data_docs"
    (docs / "static").mkdir(parents=True)
    (docs / "static" / "style.css").write_text("body { color: black; }\n")
    (docs / "index.html").write_text(f"<script>\n        data: {entries!r},\n</script>\n")
    page = docs / "validations" / "price_index_suite" / "__none__" / run / "marts-price_index.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        f'<a href="#collapse-{build["gx_uuid"]}">Run Time</a> {build["created_at"][:19]}Z\n'
        '<i class="fas fa-check-circle text-success"></i> row count between 1 and 10\n'
    )


def build_release(root: Path, build: dict, *, shuffle: bool = False) -> Path:
    """A small release with one file of every kind; ``shuffle`` writes the same content in
    another row order, with float noise below the fingerprint's precision."""
    release = root / "releases" / build["release"]
    release.mkdir(parents=True)
    rows = ROWS
    if shuffle:
        rows = [(y, d * (1 + 1e-14), a, m, u) for y, d, a, m, u in reversed(ROWS)]
    _duckdb(release, build, rows)
    _sheets(release, build, rows)
    _documents(release, build)
    _gx_docs(release, build, reverse=shuffle)
    files = [
        {"path": p.relative_to(release).as_posix(), "sha256": build["run_id"], "bytes": 1}
        for p in sorted(release.rglob("*"))
        if p.is_file()
    ]
    manifest = {
        **{k: build[k] for k in ("release", "run_id", "created_at", "git_commit", "git_dirty")},
        "dst": {
            "tables": {"NAN1": {"updated": "2025-10-30T08:00:00", "loaded_at": build["loaded_at"]}}
        },
        "programme": {"inputs": [{"load_id": build["load_id"], "loaded_at": build["loaded_at"]}]},
        "checks": {"price_index": {"success": True, "evaluated": 2, "failed": 0}},
        "files": files,
    }
    (release / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return release


def test_two_builds_of_the_same_content_have_one_fingerprint(tmp_path):
    a = fingerprint(build_release(tmp_path / "a", BUILD_A))
    b = fingerprint(build_release(tmp_path / "b", BUILD_B, shuffle=True))
    assert diff(a, b) == []
    assert a == b
    text = json.dumps(a)
    for key in ("release", "run_id", "git_commit", "gx_run", "gx_uuid", "load_id"):
        assert BUILD_A[key] not in text, key
    assert len(a["files"]) == 13  # every file (the GX run folder as <run>)
    assert (
        "gx_data_docs/validations/price_index_suite/__none__/<run>/marts-price_index.html"
        in (a["files"])
    )


def test_a_validation_in_the_releases_own_second_still_reads_as_a_run_time(tmp_path):
    """The last validation can run in the same second the release is created; the GX index
    must then read as any other run time, not as the release's creation time."""
    from tests.release_fingerprint import Masker
    from tests.release_readers import reader_for

    page = tmp_path / "index.html"
    row = "data: [{'run_time': '%s UTC', '_run_time_sort': %s}]\n"
    manifest = {"created_at": "2026-11-29T18:43:53+00:00"}
    mask = Masker(tmp_path, manifest)
    read = reader_for("gx_data_docs/index.html")
    page.write_text(row % ("2026-11-29 18:43:53", "1795977833.3"), encoding="utf-8")
    same_second = read(page, mask)
    page.write_text(row % ("2026-11-29 18:43:47", "1795977827.2"), encoding="utf-8")
    assert same_second == read(page, mask)


def test_numbers_compare_to_nine_digits_and_kroner_to_the_ore():
    def same(a, b):
        return canon(a, str) == canon(b, str)

    assert same(1 / 3, 1 / 3 + 1e-15) and same(0.1 + 0.2, 0.3)  # summation noise
    assert not same(0.5, 0.5000001) and not same(123.45678, 123.45679)
    assert not same(1234567890.12, 1234567890.13)  # 12 digits: an amount keeps its øre
    assert same(Decimal("1.50"), Decimal("1.5")) and not same(Decimal("1.50"), Decimal("1.51"))
    assert canon(10**12 + 1, str) == "1000000000001"  # integers are exact
    assert canon(None, str) != canon("", str)


def test_csv_codes_keep_their_leading_zeros(tmp_path):
    def fp(body: str) -> dict:
        release = tmp_path / str(len(list(tmp_path.iterdir())))
        (release / "csv").mkdir(parents=True)
        (release / "csv" / "t.csv").write_bytes(f"\ufeffcode;value\r\n{body}\r\n".encode())
        return fingerprint(release)

    assert diff(fp("010;1,5"), fp("010;1,50")) == []  # the same number
    changes = diff(fp("010;1,5"), fp("10;1,5"))
    assert changes and all(c.startswith("csv/t.csv: ") for c in changes)
    assert any("column code" in c for c in changes), changes


def _sql(release: Path, statement: str) -> None:
    with duckdb.connect(str(release / "klynge.duckdb")) as con:
        con.execute(statement)


def _parquet(release: Path, change: Callable[[pa.Table], pa.Table]) -> None:
    path = release / "parquet" / "price_index.parquet"
    pq.write_table(change(pq.read_table(path)), path)


def _deflator_plus_a_cent(table: pa.Table) -> pa.Table:
    i = table.schema.get_field_index("deflator")
    values = table.column(i).to_pylist()
    values[0] += 0.01
    return table.set_column(i, table.schema.field(i), pa.array(values, pa.float64()))


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _xlsx(release: Path, change: Callable[[openpyxl.Workbook], None]) -> None:
    book = openpyxl.load_workbook(release / "klynge.xlsx")
    change(book)
    book.save(release / "klynge.xlsx")


def _json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def _pixel(release: Path) -> None:
    path = release / "figures" / "figure1.png"
    with Image.open(path) as image:
        changed = image.copy()
    changed.putpixel((0, 0), (254, 255, 255))
    changed.save(path)


MUTATIONS = {
    "a number in a DuckDB table": (
        lambda r: _sql(
            r, "update price_index set amount_dkk = amount_dkk + 0.01 where year = 2023"
        ),
        "klynge.duckdb: price_index.column amount_dkk",
    ),
    "a label in a DuckDB table": (
        lambda r: _sql(r, "update price_index set source_mode = 'live' where year = 2022"),
        "klynge.duckdb: price_index.column source_mode",
    ),
    "a column description in DuckDB": (
        lambda r: _sql(r, "comment on column price_index.source_mode is 'where from'"),
        "klynge.duckdb: price_index.column_comments",
    ),
    "a provenance column dropped from DuckDB": (
        lambda r: _sql(r, "alter table price_index drop column dst_updated"),
        "klynge.duckdb: price_index.columns: removed ['dst_updated VARCHAR']",
    ),
    "a number in a Parquet file": (
        lambda r: _parquet(r, _deflator_plus_a_cent),
        "parquet/price_index.parquet: column deflator",
    ),
    "a provenance column dropped from Parquet": (
        lambda r: _parquet(r, lambda t: t.drop_columns(["dst_updated"])),
        "parquet/price_index.parquet: columns: removed ['dst_updated string",
    ),
    "the notice dropped from Parquet's metadata": (
        lambda r: _parquet(r, lambda t: t.replace_schema_metadata({b"release": b"x"})),
        'parquet/price_index.parquet: metadata.notice: "SYNTHETIC" -> (absent)',
    ),
    "a number in a CSV file": (
        lambda r: _replace(r / "csv" / "price_index.csv", "0,95;", "0,96;"),
        "csv/price_index.csv: column deflator",
    ),
    "a label in the XLSX workbook": (
        lambda r: _xlsx(r, lambda b: setattr(b["price_index"]["D3"], "value", "live")),
        "klynge.xlsx: price_index.column source_mode",
    ),
    "a number format in the XLSX workbook": (
        lambda r: _xlsx(r, lambda b: setattr(b["price_index"]["B2"], "number_format", "0.0")),
        "klynge.xlsx: price_index.column deflator",
    ),
    "a figure removed": (
        lambda r: (r / "figures" / "figure1.png").unlink(),
        "figures/figure1.png: missing",
    ),
    "a pixel of a figure": (_pixel, "figures/figure1.png: pixels"),
    "a check removed from the quality results": (
        lambda r: _json(r / "quality" / "price_index.json", lambda d: d["expectations"].pop()),
        "quality/price_index.json: check expect_column_values_to_not_be_null year #1",
    ),
    "a gate count in the manifest": (
        lambda r: _json(r / "manifest.json", lambda d: d["checks"]["price_index"].update(failed=1)),
        'manifest.json: checks.price_index.failed: "0" -> "1"',
    ),
    "a word of the README": (
        lambda r: _replace(r / "README.md", "code", "commit"),
        "README.md: text",
    ),
    "a GX check's outcome in Data Docs": (
        lambda r: _replace(
            next((r / "gx_data_docs" / "validations").rglob("*.html")), "success", "danger"
        ),
        "gx_data_docs/validations/price_index_suite/__none__/<run>/marts-price_index.html: text",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_changed_value_changes_the_fingerprint_and_is_named(tmp_path, mutation):
    change, expected = MUTATIONS[mutation]
    before = fingerprint(build_release(tmp_path / "before", BUILD_A))
    after_release = build_release(tmp_path / "after", BUILD_B, shuffle=True)
    change(after_release)
    changes = diff(before, fingerprint(after_release))
    assert any(line.startswith(expected) for line in changes), changes
    path = expected.split(":")[0]
    assert all(line.startswith(path) for line in changes), changes  # nothing else differs


def test_a_difference_across_a_new_year_says_the_calendar_may_be_why(tmp_path):
    before = fingerprint(build_release(tmp_path / "a", BUILD_A))
    after = {**before, "calendar_year": "2027"}
    assert diff(before, after) == []  # the year alone is no difference
    after["files"] = {**before["files"], "README.md": {"lines": 3, "text": "sha256:0"}}
    changes = diff(before, after)
    assert changes[0].startswith("(built in 2026 and 2027: checks bounded by the calendar year")
    assert changes[1].startswith("README.md: text: ")


def test_the_committed_fingerprint_covers_every_kind_of_release_file():
    text = COMMITTED.read_text(encoding="utf-8")
    assert not find_cpr(text)  # short hashes are grouped: no digit run reads as a CPR number
    files = json.loads(text)["files"]
    kinds = {path.split("/")[0] for path in files}
    assert kinds >= {
        "klynge.duckdb", "klynge.xlsx", "manifest.json", "README.md", "data_dictionary.md",
        "parquet", "csv", "figures", "report", "quality", "evaluation",
        "datapackage.json", "CITATION.cff", "changes.md",
    }  # fmt: skip
    assert any(path.startswith("quality/gx/") for path in files)  # GX's own results
    duckdb_tables = files["klynge.duckdb"]["tables"]
    own_records = ("main.release_info", "main.release_changes")  # in klynge.duckdb only
    for table in (t.split(".", 1)[1] for t in duckdb_tables if t not in own_records):
        assert files[f"parquet/{table}.parquet"]["rows"] == files["klynge.duckdb"][f"{table}.rows"]
        assert files[f"csv/{table}.csv"]["rows"] == files["klynge.xlsx"][f"{table}.rows"]


@pytest.mark.slow
def test_refreshed_release_has_the_content_of_the_release_before(refreshed):
    release = refreshed[0] / "data" / "published" / "current"
    changes = diff(json.loads(COMMITTED.read_text(encoding="utf-8")), fingerprint(release))
    assert not changes, (
        f"the release built on the bundled data differs from {COMMITTED.name} "
        f"in {len(changes)} place(s):\n"
        + "\n".join(changes[:80])
        + "\nIf the change is meant to alter the release, regenerate the fingerprint "
        "(python -m tests.release_fingerprint RELEASE --write tests/release_fingerprint.json) "
        "and commit it with the change."
    )
