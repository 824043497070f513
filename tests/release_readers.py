"""Each kind of release file read the way an analyst's tool reads it, reduced to facets.

A reader takes the file and a ``mask`` (the release's run-to-run values to placeholders) and
returns ``{facet: value}``: row counts and column lists as they are, content as short hashes of
normalised text (see ``tests/release_fingerprint.py`` for what is ignored and why).
"""

from __future__ import annotations

import ast
import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

DIGITS = 9  # significant digits kept of a float
HASH_CHARS = 16

GX_RUN_FOLDER = re.compile(r"^(gx_data_docs/validations/[^/]+/[^/]+/)[^/]+/")
# A validation's run time, masked before the manifest's values: the last validation can fall in
# the same second as the release's creation time, which the manifest masker would name instead.
GX_RUN_TIMES = [
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"), "<gx-time>"),
    (re.compile(r"'_run_time_sort': [\d.]+"), "'_run_time_sort': '<gx-time>'"),
]
GX_VOLATILE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\d{8}T\d{6}\.\d{6}Z"), "<gx-run>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"), "<gx-time>"),
]
GX_TABLE_DATA = re.compile(r"^(\s*data: )(\[.*\]),?$", re.MULTILINE)
# GX's own validation result (quality/gx/<table>.json): its ids and times, with any UTC offset
GX_RESULT_VOLATILE = [
    *GX_VOLATILE,
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?[+-]\d\d:\d\d"), "<gx-time>"),
]


def digest(text: str | bytes) -> str:
    """A short SHA-256, in groups of four so no run of digits looks like a CPR number."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    hexdigest = hashlib.sha256(data).hexdigest()[:HASH_CHARS]
    return "sha256:" + "-".join(hexdigest[i : i + 4] for i in range(0, HASH_CHARS, 4))


def canon(value: Any, mask: Callable[[str], str]) -> str:
    """One cell as text that is equal exactly when the content is."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value == 0:
            return "0"
        digits = max(DIGITS, math.floor(math.log10(abs(value))) + 3)  # never coarser than 0.01
        return format(value, f".{digits}g")
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
        name = column.split(" ")[0]
        facets[f"{prefix}column {name}"] = digest("\n".join(sorted(r[i] for r in cells)))
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
    point = "," if sep == ";" else "."
    integer = re.compile(r"-?(0|[1-9]\d*)")  # '010' is a code, not the number 10
    decimal = re.compile(rf"-?(0|[1-9]\d*){re.escape(point)}\d+")

    def cell(value: str) -> Any:  # '0,722335' is the float 0.722335 in a Danish CSV
        if integer.fullmatch(value):
            return int(value)
        return float(value.replace(point, ".")) if decimal.fullmatch(value) else value

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


def _cff(path: Path, mask: Callable[[str], str]) -> dict[str, Any]:
    """CITATION.cff as text, its release date (the day it was built) masked like its time."""
    text = re.sub(r"(?m)^date-released: .*$", "date-released: <date>", mask(path.read_text()))
    return {"lines": text.count("\n"), "text": digest(text)}


def _gx_page(path: Path, mask: Callable[[str], str]) -> dict[str, Any]:
    """A GX Data Docs page without run times and generated ids; the index's table rows sorted
    (their order follows the validations' run times)."""
    text = path.read_text(encoding="utf-8")
    for pattern, placeholder in GX_RUN_TIMES:
        text = pattern.sub(placeholder, text)
    text = mask(text)
    for pattern, placeholder in GX_VOLATILE:
        text = pattern.sub(placeholder, text)

    def sort_rows(match: re.Match) -> str:
        rows = ast.literal_eval(match.group(2))
        return match.group(1) + json.dumps(sorted(rows, key=repr), sort_keys=True)

    text = GX_TABLE_DATA.sub(sort_rows, text)
    return {"lines": text.count("\n"), "text": digest(text)}


def _gx_result(path: Path, mask: Callable[[str], str]) -> dict[str, Any]:
    """GX's validation result without its run's ids and times, as dotted facets."""
    text = path.read_text(encoding="utf-8")
    for pattern, placeholder in GX_RESULT_VOLATILE:
        text = pattern.sub(placeholder, text)
    facets: dict[str, Any] = {}
    for key, value in json.loads(text).items():
        facets.update(_flat(key, value, mask))
    return facets


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
    ".cff": _cff,
    "": _text,  # SHA256SUMS
}


def reader_for(rel: str) -> Callable[[Path, Callable[[str], str]], dict[str, Any]]:
    """The reader of the release file at ``rel`` (a path inside the release)."""
    if rel.startswith("gx_data_docs/"):  # releases before 2026-12: GX's pages, fonts, styles
        return _gx_page if rel.endswith(".html") else _bytes
    if rel.startswith("quality/gx/"):
        return _gx_result
    return READERS.get(Path(rel).suffix, _bytes)
