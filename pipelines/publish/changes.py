"""What changed since the previous release: the ``release_changes`` table and ``changes.md``.

The release being built is compared with the release that was current before it (its
``manifest.json`` and its Parquet files), table by table, by each table's primary key from
``config/published.yaml``:

1. DST revisions first: each DST table whose ``updated`` changed (``dst_table``), then each value
   of a DST table that changed (``dst_revision``: table, key, column, old and new value, with
   the ``updated`` before and after of the DST tables the mart is built from).
2. Programme corrections: which programme files replaced which (``programme_file``: a file with
   the same name and a new checksum is ``corrected``; one file of an entity in place of another
   is ``replaced``; otherwise ``added`` or ``removed``).
3. Per table, rows added, removed and changed (``table``), then the rows themselves
   (``row_added``, ``row_removed``) and, for the programme's tables, each changed value
   (``value_changed``); at most :data:`MAX_DETAIL` detail rows per table and kind (the
   ``table`` row always has the full counts).

A first release holds one row, ``first_release``. Doubles count as changed beyond a relative
difference of 1e-9 (summation noise is no change); columns that only say which DST version a
row came from (``*_updated``, ``source_mode``) are reported once, in ``dst_table``, not per row.
"""

from __future__ import annotations

import json
import math
from dataclasses import astuple, dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from pipelines.catalog import Mart
from pipelines.publish.switch import read_manifest
from pipelines.settings import DBT_PROJECT_DIR

MAX_DETAIL = 1000  # detail rows per table and kind; the table's counts are always complete
RELATIVE_TOLERANCE = 1e-9
PROVENANCE_COLUMNS = ("source_mode",)
PROVENANCE_SUFFIXES = ("_updated",)

# the table's columns and what each holds (table and column comments, data dictionary)
CHANGE_COLUMNS: dict[str, tuple[str, str]] = {
    "change_id": (
        "integer",
        "Order of the change: DST revisions first, then programme files, then each table's rows.",
    ),
    "change_kind": (
        "varchar",
        "first_release, dst_table (DST republished a table), "
        "dst_revision (a DST value changed), programme_file (a programme file "
        "replaced, corrected, added or removed), table (a table's counts), "
        "row_added, row_removed, value_changed (a programme value changed).",
    ),
    "table_name": ("varchar", "Published table the change is in (empty for files and DST tables)."),
    "key": ("varchar", "The row's primary key as column=value pairs."),
    "column_name": ("varchar", "The column whose value changed."),
    "old_value": ("varchar", "Value in the previous release, as text (empty: NULL)."),
    "new_value": ("varchar", "Value in this release, as text (empty: NULL)."),
    "dst_table": ("varchar", "DST table(s) behind the change."),
    "dst_updated_old": ("varchar", "DST's 'updated' of that table in the previous release."),
    "dst_updated_new": ("varchar", "DST's 'updated' of that table in this release."),
    "file_old": ("varchar", "Programme file in the previous release."),
    "file_new": ("varchar", "Programme file in this release."),
    "sha256_old": ("varchar", "SHA-256 of the previous file."),
    "sha256_new": ("varchar", "SHA-256 of the new file."),
    "rows_added": ("bigint", "Rows in this release whose key the previous one lacks (table)."),
    "rows_removed": ("bigint", "Rows of the previous release whose key is gone (table)."),
    "rows_changed": ("bigint", "Rows with the same key and another value (table)."),
    "detail": ("varchar", "The change in words."),
}
CHANGES_COMMENT = (
    "What changed since the previous release (see changes.md): DST revisions, programme file "
    "corrections, and per table the rows added, removed and changed, by primary key."
)


@dataclass(frozen=True)
class Change:
    change_kind: str
    table_name: str | None = None
    key: str | None = None
    column_name: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    dst_table: str | None = None
    dst_updated_old: str | None = None
    dst_updated_new: str | None = None
    file_old: str | None = None
    file_new: str | None = None
    sha256_old: str | None = None
    sha256_new: str | None = None
    rows_added: int | None = None
    rows_removed: int | None = None
    rows_changed: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class Comparison:
    """The previous release (None for a first release) and every change against it."""

    previous: dict[str, Any] | None  # release, version, created_at of the previous release
    changes: list[Change]

    def of(self, *kinds: str) -> list[Change]:
        return [c for c in self.changes if c.change_kind in kinds]


# --- which DST tables each mart is built from -----------------------------------------------


@cache
def mart_dst_tables(manifest: Path = DBT_PROJECT_DIR / "target" / "manifest.json") -> dict:
    """Per model, the DST table ids (``FORSK01``) among its upstream sources (dbt's graph)."""
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    parents = {k: n.get("depends_on", {}).get("nodes", []) for k, n in doc["nodes"].items()}
    out: dict[str, tuple[str, ...]] = {}
    for key, node in doc["nodes"].items():
        if node.get("resource_type") != "model":
            continue
        seen, stack, tables = set(), [key], set()
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            if current.startswith("source."):
                name = doc["sources"].get(current, {}).get("name", "")
                if name.startswith("dst_"):
                    tables.add(name.removeprefix("dst_").split("_")[0].upper())
            stack.extend(parents.get(current, []))
        out[node["name"]] = tuple(sorted(tables))
    return out


# --- values ---------------------------------------------------------------------------------


def value_text(value: Any) -> str | None:
    """A cell as text: floats in their shortest exact form, NULL as None."""
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value_text(value.item())
    return str(value)


def _same(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    if isinstance(old, float) or isinstance(new, float):
        a, b = float(old), float(new)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return abs(a - b) <= RELATIVE_TOLERANCE * max(abs(a), abs(b))
    return old == new


def _records(path: Path) -> tuple[list[str], list[tuple]]:
    with duckdb.connect() as con:
        cursor = con.execute("select * from read_parquet(?)", [str(path)])
        columns = [d[0] for d in cursor.description]
        return columns, cursor.fetchall()


def _none(row: tuple) -> tuple:
    return tuple(None if isinstance(v, float) and math.isnan(v) else v for v in row)


# --- comparing ------------------------------------------------------------------------------


def _dst_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    out = []
    old_tables, new_tables = old.get("dst", {}).get("tables", {}), new["dst_tables"]
    for table_id in sorted(old_tables.keys() | new_tables.keys()):
        before, after = old_tables.get(table_id), new_tables.get(table_id)
        was = (before or {}).get("updated")
        now = (after or {}).get("updated")
        if before and after and was == now:
            if before.get("source_mode") != after.get("source_mode"):
                out.append(
                    Change(
                        "dst_table",
                        dst_table=table_id,
                        dst_updated_old=was,
                        dst_updated_new=now,
                        detail=f"{table_id}: same DST version, now from "
                        f"{after.get('source_mode')} (was {before.get('source_mode')})",
                    )
                )
            continue
        if before is None:
            detail = f"{table_id}: new DST table (updated {now})"
        elif after is None:
            detail = f"{table_id}: no longer in the release (was updated {was})"
        else:
            detail = f"{table_id}: DST republished the table (updated {was} -> {now})"
        out.append(
            Change(
                "dst_table",
                dst_table=table_id,
                dst_updated_old=was,
                dst_updated_new=now,
                detail=detail,
            )
        )
    return out


def _programme_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    def by_entity(inputs: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for f in inputs:
            out.setdefault(str(f.get("entity")), {})[str(f.get("file"))] = str(f.get("sha256"))
        return out

    before = by_entity(old.get("programme", {}).get("inputs", []))
    after = by_entity(new["programme_inputs"])
    out = []
    for entity in sorted(before.keys() | after.keys()):
        was, now = before.get(entity, {}), after.get(entity, {})
        for name in sorted(was.keys() & now.keys()):
            if was[name] != now[name]:
                out.append(
                    Change(
                        "programme_file",
                        file_old=name,
                        file_new=name,
                        sha256_old=was[name],
                        sha256_new=now[name],
                        detail=f"{entity}: {name} corrected (same name, new content)",
                    )
                )
        gone = sorted(set(was) - set(now))
        came = sorted(set(now) - set(was))
        if len(gone) == 1 and len(came) == 1:
            out.append(
                Change(
                    "programme_file",
                    file_old=gone[0],
                    file_new=came[0],
                    sha256_old=was[gone[0]],
                    sha256_new=now[came[0]],
                    detail=f"{entity}: {gone[0]} replaced by {came[0]}",
                )
            )
            continue
        out += [
            Change(
                "programme_file",
                file_old=name,
                sha256_old=was[name],
                detail=f"{entity}: {name} removed",
            )
            for name in gone
        ]
        out += [
            Change(
                "programme_file",
                file_new=name,
                sha256_new=now[name],
                detail=f"{entity}: {name} added",
            )
            for name in came
        ]
    return out


def _compared(name: str) -> bool:
    return name not in PROVENANCE_COLUMNS and not name.endswith(PROVENANCE_SUFFIXES)


def _table_changes(
    mart: Mart,
    old_file: Path,
    new_file: Path,
    dst: tuple[str | None, str | None, str | None],
) -> tuple[Change, list[Change], list[Change]]:
    """The table's counts, its value changes, and its rows added and removed."""
    old_columns, old_rows = _records(old_file)
    new_columns, new_rows = _records(new_file)
    keys = list(mart.keys)
    if not all(k in old_columns for k in keys):
        summary = Change(
            "table",
            table_name=mart.name,
            rows_added=len(new_rows),
            rows_removed=len(old_rows),
            rows_changed=0,
            detail=f"{mart.name}: the previous release's table has no key {', '.join(keys)}; "
            "every row counts as replaced",
        )
        return summary, [], []

    def index(columns: list[str], rows: list[tuple]) -> dict[tuple, tuple]:
        at = [columns.index(k) for k in keys]
        return {tuple(row[i] for i in at): _none(row) for row in rows}

    old_by_key, new_by_key = index(old_columns, old_rows), index(new_columns, new_rows)
    common = [c for c in new_columns if c in old_columns and c not in keys and _compared(c)]
    o_at = {c: old_columns.index(c) for c in common}
    n_at = {c: new_columns.index(c) for c in common}

    def key_text(key: tuple) -> str:
        return ", ".join(f"{k}={value_text(v)}" for k, v in zip(keys, key, strict=True))

    kind = "dst_revision" if mart.source == "dst" else "value_changed"
    values: list[Change] = []
    changed = 0
    for key in sorted(new_by_key.keys() & old_by_key.keys(), key=_sort_key):
        old, new = old_by_key[key], new_by_key[key]
        differing = [c for c in common if not _same(old[o_at[c]], new[n_at[c]])]
        if not differing:
            continue
        changed += 1
        for column in differing:
            if len(values) >= MAX_DETAIL:
                break
            values.append(
                Change(
                    kind,
                    table_name=mart.name,
                    key=key_text(key),
                    column_name=column,
                    old_value=value_text(old[o_at[column]]),
                    new_value=value_text(new[n_at[column]]),
                    dst_table=dst[0],
                    dst_updated_old=dst[1],
                    dst_updated_new=dst[2],
                    detail=f"{mart.name} {key_text(key)}: {column} "
                    f"{value_text(old[o_at[column]])} -> {value_text(new[n_at[column]])}",
                )
            )
    added = sorted(new_by_key.keys() - old_by_key.keys(), key=_sort_key)
    removed = sorted(old_by_key.keys() - new_by_key.keys(), key=_sort_key)
    rows = [
        Change("row_added", table_name=mart.name, key=key_text(k), detail="row added")
        for k in added[:MAX_DETAIL]
    ] + [
        Change("row_removed", table_name=mart.name, key=key_text(k), detail="row removed")
        for k in removed[:MAX_DETAIL]
    ]
    columns_note = sorted(set(new_columns) ^ set(old_columns))
    detail = f"{mart.name}: {len(added)} added, {len(removed)} removed, {changed} changed"
    if columns_note:
        detail += f"; columns added or removed: {', '.join(columns_note)}"
    if len(values) >= MAX_DETAIL or len(added) > MAX_DETAIL or len(removed) > MAX_DETAIL:
        detail += f" (the first {MAX_DETAIL} of each kind listed)"
    summary = Change(
        "table",
        table_name=mart.name,
        rows_added=len(added),
        rows_removed=len(removed),
        rows_changed=changed,
        detail=detail,
    )
    return summary, values, rows


def _sort_key(key: tuple) -> tuple:
    return tuple((v is None, str(type(v)), v if v is not None else 0) for v in key)


def _dst_of(mart: Mart, dst_changes: list[Change], new_tables: dict[str, Any]) -> tuple:
    """The DST table(s) of a mart and their ``updated`` before and after, as text."""
    tables = mart_dst_tables().get(mart.name, ()) or tuple(sorted(new_tables))
    moved = [c for c in dst_changes if c.dst_table in tables]
    if len(moved) == 1:
        c = moved[0]
        return c.dst_table, c.dst_updated_old, c.dst_updated_new
    if moved:
        return (
            ", ".join(c.dst_table or "" for c in moved),
            ", ".join(f"{c.dst_table} {c.dst_updated_old}" for c in moved),
            ", ".join(f"{c.dst_table} {c.dst_updated_new}" for c in moved),
        )
    updated = ", ".join(f"{t} {new_tables.get(t, {}).get('updated')}" for t in tables)
    return ", ".join(tables), updated, updated


def compare(
    previous: Path | None,
    building: Path,
    marts: tuple[Mart, ...],
    dst_tables: dict[str, dict[str, Any]],
    programme_inputs: list[dict[str, Any]],
) -> Comparison:
    """Every change of the release in ``building`` against the complete release ``previous``."""
    manifest = read_manifest(previous) if previous is not None else None
    if manifest is None:
        return Comparison(
            None,
            [Change("first_release", detail="first release: nothing to compare with")],
        )
    assert previous is not None
    new = {"dst_tables": dst_tables, "programme_inputs": programme_inputs}
    dst = _dst_changes(manifest, new)
    files = _programme_changes(manifest, new)
    summaries, revisions, values, rows = [], [], [], []
    for mart in marts:
        old_file = previous / "parquet" / f"{mart.name}.parquet"
        new_file = building / "parquet" / f"{mart.name}.parquet"
        if not old_file.is_file():
            count = len(_records(new_file)[1])
            summaries.append(
                Change(
                    "table",
                    table_name=mart.name,
                    rows_added=count,
                    rows_removed=0,
                    rows_changed=0,
                    detail=f"{mart.name}: new table",
                )
            )
            continue
        summary, cells, added_removed = _table_changes(
            mart, old_file, new_file, _dst_of(mart, dst, dst_tables)
        )
        summaries.append(summary)
        (revisions if mart.source == "dst" else values).extend(cells)
        rows.extend(added_removed)
    previous_info = {
        "release": manifest.get("release"),
        "version": manifest.get("version") or manifest.get("release"),
        "created_at": manifest.get("created_at"),
    }
    return Comparison(previous_info, [*dst, *revisions, *files, *summaries, *rows, *values])


# --- writing --------------------------------------------------------------------------------


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_release_changes(db_file: Path, comparison: Comparison) -> None:
    """The ``release_changes`` table of the release's ``klynge.duckdb``."""
    assert [f.name for f in fields(Change)] == list(CHANGE_COLUMNS)[1:]
    columns = ", ".join(f"{name} {kind}" for name, (kind, _) in CHANGE_COLUMNS.items())
    with duckdb.connect(str(db_file)) as con:
        con.execute(f"create table release_changes ({columns})")
        con.executemany(
            f"insert into release_changes values ({', '.join('?' * len(CHANGE_COLUMNS))})",
            [[i, *astuple(c)] for i, c in enumerate(comparison.changes, start=1)],
        )
        con.execute(f"comment on table release_changes is {_sql_string(CHANGES_COMMENT)}")
        for name, (_, text) in CHANGE_COLUMNS.items():
            con.execute(f"comment on column release_changes.{name} is {_sql_string(text)}")


# --- changes.md -----------------------------------------------------------------------------

_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*[]<>|_"})


def _md(text: Any) -> str:
    """Text from the data or a file name as plain Markdown text (no markup, no table cell)."""
    return " ".join(str("" if text is None else text).split()).translate(_MARKDOWN)


def changes_markdown(comparison: Comparison, version: str, notice: str | None) -> str:
    """``changes.md``: Danish headings with the English beside them."""
    lines = [f"# Hvad er ændret / What changed: {_md(version)}", ""]
    if notice:
        lines += [f"> **{_md(notice)}**", ""]
    if comparison.previous is None:
        lines += [
            "Dette er den første udgivelse: der er ingen tidligere udgivelse at sammenligne "
            "med. / This is the first release: there is no earlier release to compare with.",
            "",
        ]
        return "\n".join(lines)
    prev = comparison.previous
    lines += [
        f"Sammenlignet med udgivelsen før / Compared with the release before: "
        f"**{_md(prev['version'])}** ({_md(prev['release'])}, {_md(prev['created_at'])}).",
        "",
        "Alle ændringer står i tabellen `release_changes` i `klynge.duckdb`. / Every change "
        "is in the table `release_changes` of `klynge.duckdb`.",
        "",
        "## Revisioner fra Danmarks Statistik / Revisions by Statistics Denmark",
        "",
    ]
    dst = comparison.of("dst_table")
    revisions = comparison.of("dst_revision")
    if not dst and not revisions:
        lines += ["Ingen. / None.", ""]
    if dst:
        lines += [
            "| DST-tabel / DST table | opdateret før / updated before | "
            "opdateret nu / updated now |",
            "|---|---|---|",
        ]
        lines += [
            f"| {_md(c.dst_table)} | {_md(c.dst_updated_old)} | {_md(c.dst_updated_new)} |"
            for c in dst
        ]
        lines.append("")
    if revisions:
        lines += [
            "| tabel / table | række / row | kolonne / column | før / before | nu / now |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| `{c.table_name}` | {_md(c.key)} | `{c.column_name}` | "
            f"{_md(c.old_value)} | {_md(c.new_value)} |"
            for c in revisions[:200]
        ]
        if len(revisions) > 200:
            lines.append(f"\n… {len(revisions) - 200} mere / more in `release_changes`.")
        lines.append("")
    lines += ["## Rettelser i programfilerne / Corrections to the programme files", ""]
    files = comparison.of("programme_file")
    if files:
        lines += [
            "| fil før / file before | fil nu / file now | hvad / what |",
            "|---|---|---|",
        ]
        lines += [
            f"| {_md(c.file_old)} {_md(_short(c.sha256_old))} | "
            f"{_md(c.file_new)} {_md(_short(c.sha256_new))} | {_md(c.detail)} |"
            for c in files
        ]
    else:
        lines += ["Ingen. / None."]
    lines += [
        "",
        "## Tabellerne / The tables",
        "",
        "| tabel / table | rækker tilføjet / rows added | fjernet / removed | ændret / changed |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{c.table_name}` | {c.rows_added} | {c.rows_removed} | {c.rows_changed} |"
        for c in comparison.of("table")
    ]
    lines.append("")
    return "\n".join(lines)


def _short(digest: str | None) -> str:
    return f"(sha256 {digest[:12]})" if digest else ""
