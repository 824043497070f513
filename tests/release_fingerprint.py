r"""A published release reduced to its content, so a change can prove it left the release alone.

``fingerprint(release)`` reads every file of a release folder the way an analyst's tool does
(DuckDB, Parquet, CSV, Excel, images by their pixels, JSON, HTML and Markdown as text) and
returns ``{"files": {path: {facet: value}}}``: row counts, column lists and short hashes of the
normalised content, per table and per column, so a difference names the file, table and column.

Ignored, because it changes between two builds of the same code and data: the release name, run
id, creation time, git commit (and its "uncommitted changes" note), load times and load ids
(all read from the release's own ``manifest.json`` and masked wherever they appear), the
release folder's absolute path, the manifest's per-file checksums and sizes (Parquet metadata,
XLSX and GX pages hold timestamps; every file's content is fingerprinted here instead), PNG
metadata, XLSX document properties, GX Data Docs' run times, run folders, data-context and
element ids, and row order (tables compare as multisets). Floats are rounded to 9 significant
digits to absorb summation noise; decimals and integers are exact.

Not ignored: the calendar year. The DST freshness rule's bound is today's year - 3, so a release
built in a later year differs there; ``diff`` says so. When a change is meant to alter the
release, regenerate the committed fingerprint from a release built on the bundled data::

    python -m tests.release_fingerprint data/published/current \
        --write tests/release_fingerprint.json
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import io
import json
import math
import re
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

COMMITTED = Path(__file__).with_suffix(".json")  # the release before, on the bundled data
DIGITS = 9  # significant digits kept of a float
HASH_CHARS = 16
LONGEST_PLAIN = 80  # a facet's text longer than this is stored as its hash
MIN_MASKED = 8  # shorter manifest values (e.g. "unknown") are too common to mask by value

GX_RUN_FOLDER = re.compile(r"^(gx_data_docs/validations/[^/]+/[^/]+/)[^/]+/")
GX_VOLATILE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\d{8}T\d{6}\.\d{6}Z"), "<gx-run>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"), "<gx-time>"),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"), "<gx-time>"),
    (re.compile(r"'_run_time_sort': [\d.]+"), "'_run_time_sort': '<gx-time>'"),
]
GX_TABLE_DATA = re.compile(r"^(\s*data: )(\[.*\]),?$", re.MULTILINE)
DIRTY_NOTE = re.compile(r"(<git-commit>(?:</code>)?)\s*\([^()<]*\)")
MANIFEST_VOLATILE = {
    "release": "<release>",
    "run_id": "<run-id>",
    "created_at": "<created-at>",
    "git_commit": "<git-commit>",
    "loaded_at": "<loaded-at>",
    "load_id": "<load-id>",
}


class ReleaseFileError(ValueError):
    """A release file that its reader cannot open (named, with the reader's error)."""


def digest(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return "sha256:" + hashlib.sha256(data).hexdigest()[:HASH_CHARS]


class Masker:
    """Replaces this release's volatile values (read from its manifest) with placeholders."""

    def __init__(self, release_dir: Path, manifest: dict[str, Any] | None) -> None:
        pairs: dict[str, str] = {str(release_dir.resolve()): "<release-dir>"}
        pairs[str(release_dir)] = "<release-dir>"
        for key, value in _walk_items(manifest or {}):
            if key in MANIFEST_VOLATILE and isinstance(value, str) and len(value) >= MIN_MASKED:
                pairs[value] = MANIFEST_VOLATILE[key]
                if key == "created_at":  # also as Excel and README show it: '2026-11-29 14:38:18'
                    pairs[value[:19].replace("T", " ")] = "<created-at>"
        self.pairs = sorted(pairs.items(), key=lambda p: -len(p[0]))
        self.year = str((manifest or {}).get("created_at", ""))[:4] or None

    def __call__(self, text: str) -> str:
        for value, placeholder in self.pairs:
            text = text.replace(value, placeholder)
        return DIRTY_NOTE.sub(r"\1", text)


def _walk_items(node: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk_items(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_items(item)


def canon(value: Any, mask: Callable[[str], str]) -> str:
    """One cell as text that is equal exactly when the content is."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return "0" if value == 0 else format(value, f".{DIGITS}g")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return mask(value.isoformat(sep=" "))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(canon(v, mask) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {canon(v, mask)}" for k, v in sorted(value.items())) + "}"
    return mask(str(value))


def table_facets(
    prefix: str, columns: list[str], rows: list[tuple], mask: Callable[[str], str]
) -> dict[str, Any]:
    """Rows as a multiset (order-independent), plus one hash per column for readable diffs."""
    cells = [[canon(v, mask) for v in row] for row in rows]
    facets: dict[str, Any] = {f"{prefix}columns": columns, f"{prefix}rows": len(rows)}
    facets[f"{prefix}content"] = digest("\n".join(sorted("\x1f".join(r) for r in cells)))
    for i, column in enumerate(columns):
        facets[f"{prefix}{column.split(' ')[0]}"] = digest("\n".join(sorted(r[i] for r in cells)))
    return facets


def _duckdb(path: Path, mask: Callable[[str], str]) -> dict[str, Any]:
    import duckdb

    facets: dict[str, Any] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name, comment from duckdb_tables() order by all"
        ).fetchall()
        facets["tables"] = [f"{s}.{t}" for s, t, _ in tables]
        for schema, table, comment in tables:
            columns = con.execute(
                "select column_name, data_type, is_nullable, comment from duckdb_columns() "
                "where schema_name = ? and table_name = ? order by column_index",
                [schema, table],
            ).fetchall()
            name = f'"{schema}"."{table}"'
            rows = con.execute(f"select * from {name}").fetchall()
            typed = [f"{c} {t}{'' if n else ' NOT NULL'}" for c, t, n, _ in columns]
            facets.update(table_facets(f"{table}.", typed, rows, mask))
            facets[f"{table}.comment"] = mask(comment or "")
            notes = {c: mask(note or "") for c, _, _, note in columns}
            facets[f"{table}.column_comments"] = digest(json.dumps(notes, sort_keys=True))
        views = con.execute(
            "select schema_name, view_name, sql from duckdb_views() where not internal"
        ).fetchall()
        facets["views"] = [f"{s}.{v} {digest(sql)}" for s, v, sql in sorted(views)]
    return facets


def _parquet(path: Path, mask: Callable[[str], str]) -> dict[str, Any]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    typed = [f"{f.name} {f.type}{'' if f.nullable else ' NOT NULL'}" for f in table.schema]
    rows = list(zip(*(table.column(i).to_pylist() for i in range(table.num_columns)), strict=True))
    facets = table_facets("", typed, rows, mask)
    for key, value in sorted((table.schema.metadata or {}).items()):
        facets[f"metadata.{key.decode()}"] = mask(value.decode("utf-8"))
    return facets


def _csv(path: Path, mask: Callable[[str], str]) -> dict[str, Any]:
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") >= first.count(",") else ","
    eol = "CRLF" if "\r\n" in text else "LF"
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    header, body = (records[0], records[1:]) if records else ([], [])
    number = re.compile(r"-?\d+([,.]\d+)?" if sep == ";" else r"-?\d+(\.\d+)?")

    def cell(value: str) -> Any:  # '0,722335' is the float 0.722335 in a Danish CSV
        return float(value.replace(",", ".")) if number.fullmatch(value) else value

    bom = raw.startswith(b"\xef\xbb\xbf")
    facets = {"dialect": f"bom={bom} sep={sep} eol={eol}"}
    facets.update(table_facets("", header, [tuple(cell(v) for v in r) for r in body], mask))
    return facets


def _xlsx(path: Path, mask: Callable[[str], str]) -> dict[str, Any]:
    import openpyxl

    book = openpyxl.load_workbook(path)
    facets: dict[str, Any] = {"sheets": book.sheetnames}
    for sheet in book.worksheets:
        name = sheet.title
        grid = [tuple(_cell(c, mask) for c in row) for row in sheet.iter_rows()]
        facets[f"{name}.layout"] = f"freeze={sheet.freeze_panes} filter={sheet.auto_filter.ref}"
        if sheet.auto_filter.ref and grid:  # a data sheet: header row, then rows in any order
            header = [canon(c.value, mask) for c in sheet[1]]
            facets.update(table_facets(f"{name}.", header, grid[1:], lambda s: s))
        else:  # a text sheet (READ_ME): its lines in order
            facets[f"{name}.rows"] = len(grid)
            facets[f"{name}.content"] = digest("\n".join("\x1f".join(r) for r in grid))
    return facets


def _cell(cell: Any, mask: Callable[[str], str]) -> str:
    """Value, kind and number format as Excel shows them: an empty string is a blank cell, and
    shared or inline strings are both text (how a writer stores them is not content)."""
    if cell.value is None or cell.value == "":
        return f"NULL||{cell.number_format}"
    kind = "s" if cell.data_type in ("s", "str", "inlineStr") else cell.data_type
    return f"{canon(cell.value, mask)}|{kind}|{cell.number_format}"


def _png(path: Path, mask: Callable[[str], str]) -> dict[str, Any]:
    from PIL import Image

    with Image.open(path) as image:
        return {
            "image": f"{image.width}x{image.height} {image.mode}",
            "pixels": digest(image.tobytes()),
        }


def _text(path: Path, mask: Callable[[str], str]) -> dict[str, Any]:
    text = mask(path.read_text(encoding="utf-8"))
    return {"lines": text.count("\n"), "text": digest(text)}


def _gx_page(path: Path, mask: Callable[[str], str]) -> dict[str, Any]:
    """A GX Data Docs page without run times and generated ids; the index's table rows sorted
    (their order follows the validations' run times)."""
    text = mask(path.read_text(encoding="utf-8"))
    for pattern, placeholder in GX_VOLATILE:
        text = pattern.sub(placeholder, text)

    def sort_rows(match: re.Match) -> str:
        rows = ast.literal_eval(match.group(2))
        return match.group(1) + json.dumps(sorted(rows, key=repr), sort_keys=True)

    text = GX_TABLE_DATA.sub(sort_rows, text)
    return {"lines": text.count("\n"), "text": digest(text)}


def _json(path: Path, mask: Callable[[str], str]) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if path.name == "manifest.json":
        data = _manifest_content(data)
    if not isinstance(data, dict):
        return {"content": digest(canon(data, mask))}
    facets: dict[str, Any] = {}
    for key, value in data.items():
        if key == "expectations" and isinstance(value, list):
            facets["expectations"] = len(value)
            for item in value:  # one facet per check: a dropped check is named in the diff
                label = f"check {item.get('expectation')} {item.get('column')}"
                n = 1
                while f"{label} #{n}" in facets:
                    n += 1
                facets[f"{label} #{n}"] = canon(item, mask)
        else:
            facets.update(_flat(key, value, mask))
    return facets


def _flat(key: str, value: Any, mask: Callable[[str], str]) -> dict[str, Any]:
    """Nested objects as dotted facets (``checks.smv_rd_share``), so a diff names the leaf."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flat(f"{key}.{k}", v, mask))
        return out
    return {key: canon(value, mask)}


def _manifest_content(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest without git's dirty flag and the per-file checksums and sizes."""
    out = {k: v for k, v in manifest.items() if k != "git_dirty"}
    out["files"] = [
        {"path": GX_RUN_FOLDER.sub(r"\1<run>/", f["path"]), "rows": f.get("rows")}
        for f in manifest.get("files", [])
    ]
    return out


def _bytes(path: Path, mask: Callable[[str], str]) -> dict[str, Any]:
    return {"bytes": digest(path.read_bytes())}


READERS: dict[str, Callable[[Path, Callable[[str], str]], dict[str, Any]]] = {
    ".duckdb": _duckdb,
    ".parquet": _parquet,
    ".csv": _csv,
    ".xlsx": _xlsx,
    ".png": _png,
    ".json": _json,
    ".html": _text,
    ".md": _text,
    "": _text,  # SHA256SUMS
}


def _facets(path: Path, rel: str, mask: Masker) -> dict[str, Any]:
    reader = READERS.get(path.suffix, _bytes)
    if rel.startswith("gx_data_docs/"):  # GX's pages; its fonts, logos and styles as bytes
        reader = _gx_page if path.suffix == ".html" else _bytes
    try:
        facets = reader(path, mask)
    except Exception as exc:
        raise ReleaseFileError(f"{rel}: cannot be read: {type(exc).__name__}: {exc}") from exc
    return {k: _plain(v) for k, v in facets.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, str) and len(value) > LONGEST_PLAIN:
        return digest(value)
    return value


def fingerprint(release_dir: Path) -> dict[str, Any]:
    """Every file of ``release_dir`` reduced to what an analyst sees in it (see module doc)."""
    release_dir = Path(release_dir)
    try:
        manifest = json.loads((release_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    mask = Masker(release_dir, manifest)
    files = {}
    for path in sorted(p for p in release_dir.resolve().rglob("*") if p.is_file()):
        rel = path.relative_to(release_dir.resolve()).as_posix()
        files[GX_RUN_FOLDER.sub(r"\1<run>/", rel)] = _facets(path, rel, mask)
    return {"calendar_year": mask.year, "files": files}


def _show(value: Any) -> str:
    return "(absent)" if value is None else json.dumps(value, ensure_ascii=False)


def _facet_change(before: Any, after: Any) -> str:
    if isinstance(before, list) and isinstance(after, list):
        removed = [v for v in before if v not in after]
        added = [v for v in after if v not in before]
        if removed or added:
            return f"removed {removed}, added {added}"
        return f"order {before} -> {after}"
    return f"{_show(before)} -> {_show(after)}"


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs, one line per file and facet: ``path: facet: before -> after``."""
    lines = []
    old, new = before["files"], after["files"]
    for path in sorted(old.keys() | new.keys()):
        if path not in new:
            lines.append(f"{path}: missing (was in the release before)")
        elif path not in old:
            lines.append(f"{path}: new file (not in the release before)")
        else:
            for facet in [*old[path], *(k for k in new[path] if k not in old[path])]:
                b, a = old[path].get(facet), new[path].get(facet)
                if b != a:
                    lines.append(f"{path}: {facet}: {_facet_change(b, a)}")
    if lines and before.get("calendar_year") != after.get("calendar_year"):
        lines.insert(
            0,
            f"(built in {before.get('calendar_year')} and {after.get('calendar_year')}: checks "
            "bounded by the calendar year, such as DST freshness, differ for that reason alone)",
        )
    return lines


def write(fp: dict[str, Any], target: Path) -> None:
    """One facet per line, so a regenerated fingerprint reviews as a readable git diff."""
    target.write_text(json.dumps(fp, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.release_fingerprint", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("release", type=Path, help="a release folder, e.g. data/published/current")
    parser.add_argument("--write", type=Path, help=f"write the fingerprint here (e.g. {COMMITTED})")
    parser.add_argument("--against", type=Path, help="print how the release differs from this one")
    args = parser.parse_args(argv)
    fp = fingerprint(args.release)
    if args.write:
        write(fp, args.write)
        print(f"wrote the fingerprint of {args.release} ({len(fp['files'])} files) to {args.write}")
    if args.against:
        changes = diff(json.loads(args.against.read_text(encoding="utf-8")), fp)
        print("\n".join(changes) or f"{args.release} has the content of {args.against}")
        return 1 if changes else 0
    if not args.write:
        json.dump(fp, sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
