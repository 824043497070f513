"""Checks across files: unique keys and references between entities.

They run in an in-memory DuckDB over the staged rows, so that a million participants are
checked as fast as eleven clusters. The problem goes to the file holding the offending row:
a repeated key to the later row (files in name order, then rows), a broken reference to the
referencing file. A reference is checked against every readable file of the referenced
entity, also those rejected for other reasons, so that one bad cell in the clusters file does
not also reject every good projects file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb

from pipelines.programme.checks.rules import SOURCE_ROW
from pipelines.programme.checks.validate import CheckedFile
from pipelines.programme.contract import EntitySchema


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _union(
    con: duckdb.DuckDBPyConnection, files: Sequence[tuple[int, CheckedFile]], columns: Sequence[str]
) -> str:
    """SQL over the staged rows of ``files`` (by position): _file, _source_row, columns."""
    parts = []
    for i, checked in files:
        view = f"_staged_{i}"
        con.register(view, checked.table())
        cols = ", ".join(_quote(c) for c in columns)
        parts.append(f"select {i} as _file, {SOURCE_ROW}, {cols} from {view}")
    not_null = " and ".join(f"{_quote(c)} is not null" for c in columns)
    return f"select * from ({' union all '.join(parts)}) where {not_null}"


def _usable(checked: CheckedFile, columns: Sequence[str]) -> bool:
    return checked.schema is not None and set(columns) <= checked.columns


def _key_text(values: Sequence[object]) -> str:
    return ", ".join(str(v) for v in values)


def check_unique(
    con: duckdb.DuckDBPyConnection, checked: list[CheckedFile], schema: EntitySchema, cap: int
) -> None:
    for key in schema.unique:
        files = [(i, c) for i, c in enumerate(checked) if c.schema is schema and _usable(c, key)]
        if not files:
            continue
        cols = ", ".join(_quote(c) for c in key)
        union = _union(con, files, key)
        # Nearly always every key is distinct: a count settles that far faster than ranking.
        [(distinct,)] = con.execute(
            f"select count(*) = count(distinct ({cols})) from ({union})"
        ).fetchall()
        if distinct:
            continue
        rows = con.execute(
            f"""with t as ({union}),
                ranked as (
                    select *,
                        row_number() over w as _n,
                        first_value(_file) over w as _first_file,
                        first_value({SOURCE_ROW}) over w as _first_row
                    from t window w as (partition by {cols} order by _file, {SOURCE_ROW}))
                select _file, {SOURCE_ROW}, _first_file, _first_row,
                       count(*) over (partition by _file) as _total, {cols}
                from ranked where _n > 1
                qualify row_number() over (partition by _file order by {SOURCE_ROW}) <= ?
                order by _file, {SOURCE_ROW}""",
            [cap],
        ).fetchall()
        counted: set[int] = set()
        column = ", ".join(key)
        for file_i, row, first_file, first_row, total, *values in rows:
            target = checked[file_i].problems
            if file_i not in counted:
                counted.add(file_i)
                target.count_more(total - min(total, cap))
            where = (
                f"row {first_row}"
                if first_file == file_i
                else f"{checked[first_file].file.relative} row {first_row}"
            )
            target.add(
                row,
                column,
                "unique",
                f"{column} {_key_text(values)} appears more than once (first in {where})",
                _key_text(values),
            )


def check_references(
    con: duckdb.DuckDBPyConnection,
    checked: list[CheckedFile],
    schema: EntitySchema,
    schemas: Mapping[str, EntitySchema],
    cap: int,
) -> list[str]:
    """Returns notes on references that could not be checked."""
    notes = []
    for ref in schema.references:
        parent = schemas[ref.entity]
        parents = [(i, c) for i, c in enumerate(checked) if c.schema is parent]
        children = [
            (i, c) for i, c in enumerate(checked) if c.schema is schema and _usable(c, ref.columns)
        ]
        if not children:
            continue
        if not parents or not all(_usable(c, ref.columns) for _, c in parents):
            notes.append(
                f"{schema.entity} -> {parent.entity} not checked: a "
                f"{parent.entity} file could not be read"
            )
            continue
        on = " and ".join(f"c.{_quote(col)} = p.{_quote(col)}" for col in ref.columns)
        cols = ", ".join(f"c.{_quote(col)}" for col in ref.columns)
        rows = con.execute(
            f"""select c._file, c.{SOURCE_ROW}, count(*) over (partition by c._file), {cols}
                from ({_union(con, children, ref.columns)}) c
                anti join ({_union(con, parents, ref.columns)}) p on {on}
                qualify row_number() over (partition by c._file order by c.{SOURCE_ROW}) <= ?
                order by c._file, c.{SOURCE_ROW}""",
            [cap],
        ).fetchall()
        counted: set[int] = set()
        column = ", ".join(ref.columns)
        for file_i, row, total, *values in rows:
            target = checked[file_i].problems
            if file_i not in counted:
                counted.add(file_i)
                target.count_more(total - min(total, cap))
            target.add(
                row,
                column,
                "reference",
                f"{column} {_key_text(values)} is not in any {parent.entity} file",
                _key_text(values),
            )
    return notes


def cross_check(
    checked: list[CheckedFile], schemas: Mapping[str, EntitySchema], cap: int
) -> list[str]:
    """Add unique-key and reference problems to ``checked``; notes for the log."""
    notes: list[str] = []
    with duckdb.connect() as con:
        for schema in schemas.values():
            check_unique(con, checked, schema, cap)
            notes += check_references(con, checked, schema, schemas, cap)
    return notes
