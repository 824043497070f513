"""Write the published tables in every format analysts use.

The standalone DuckDB file is filled through a read-only ATTACH of the working warehouse, so the
pipeline's own file is never handed out; Parquet, CSV (for Danish Excel) and XLSX are written
from that new file. A release built from synthetic or sample data says so inside each file:
table comments, Parquet key-value metadata, the XLSX READ_ME sheet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.catalog import Mart
from pipelines.publish.cells import CSV_FALSE, CSV_TRUE, column_format, neutralise
from pipelines.publish.facts import RELEASE_INFO_COLUMNS, RELEASE_INFO_COMMENT

if TYPE_CHECKING:
    import pandas as pd


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table_comment(mart: Mart, notice: str | None) -> str:
    return f"{notice} {mart.description}" if notice else mart.description


def write_duckdb(
    target: Path, warehouse: Path, marts: tuple[Mart, ...], notice: str | None = None
) -> dict[str, int]:
    """Copy each mart into ``target`` unqualified, with table and column comments."""
    rows: dict[str, int] = {}
    with duckdb.connect(str(target)) as con:
        con.execute(f"attach {_sql_string(str(warehouse))} as warehouse (read_only)")
        try:
            for mart in marts:
                con.execute(
                    f'create table "{mart.name}" as select * from warehouse.{mart.relation}'
                )
                con.execute(
                    f'comment on table "{mart.name}" is {_sql_string(table_comment(mart, notice))}'
                )
                for column in mart.columns:
                    con.execute(
                        f'comment on column "{mart.name}"."{column.name}" is '
                        f"{_sql_string(column.description)}"
                    )
                rows[mart.name] = con.execute(f'select count(*) from "{mart.name}"').fetchone()[0]
        finally:
            con.execute("detach warehouse")
    return rows


def write_release_info(target: Path, info: dict[str, str]) -> None:
    """A small ``release_info`` table so a query can tell where the data came from."""
    with duckdb.connect(str(target)) as con:
        con.execute("create table release_info (key varchar, value varchar)")
        con.executemany("insert into release_info values (?, ?)", list(info.items()))
        con.execute(f"comment on table release_info is {_sql_string(RELEASE_INFO_COMMENT)}")
        for column, text in RELEASE_INFO_COLUMNS.items():
            con.execute(f"comment on column release_info.{column} is {_sql_string(text)}")


def read_tables(duckdb_file: Path, marts: tuple[Mart, ...]) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        return {m.name: con.execute(f'select * from "{m.name}"').df() for m in marts}


def write_parquet(
    duckdb_file: Path, folder: Path, marts: tuple[Mart, ...], metadata: dict[str, str]
) -> None:
    """One file per table; ``metadata`` (provenance, notice) in each file's key-value metadata."""
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        for mart in marts:
            target = folder / f"{mart.name}.parquet"
            kv = ", ".join(
                f'"{k}": {_sql_string(v)}'
                for k, v in {
                    **metadata,
                    "table": mart.name,
                    "description": mart.description,
                }.items()
            )
            con.execute(
                f'copy "{mart.name}" to {_sql_string(str(target))} '
                f"(format parquet, kv_metadata {{{kv}}})"
            )


def csv_frame(df: pd.DataFrame, mart: Mart) -> pd.DataFrame:
    """``df`` as Danish Excel should read it: neutralised text, SAND/FALSK, rounded doubles."""
    import pandas as pd

    out = df.copy()
    types = {c.name: c.data_type for c in mart.columns}
    for name in out.columns:
        fmt = column_format(name, types.get(name, ""))
        column = out[name]
        if fmt.kind in ("text", "timestamp_text"):
            out[name] = column.map(
                lambda v: v if pd.isna(v) else neutralise(str(v)), na_action="ignore"
            ).astype(object)
        elif fmt.kind == "boolean":
            out[name] = column.map(
                lambda v: "" if pd.isna(v) else (CSV_TRUE if v else CSV_FALSE), na_action=None
            ).astype(object)
        elif fmt.kind == "integer" and column.dtype.kind == "f":
            out[name] = column.astype("Int64")  # NULLs made it float: 2025, not 2025,0
        elif fmt.csv_decimals is not None and column.dtype.kind == "f":
            out[name] = column.round(fmt.csv_decimals)
    return out


def write_csv(tables: dict[str, pd.DataFrame], marts: tuple[Mart, ...], folder: Path) -> None:
    """CSV that Danish Excel opens right: UTF-8 with BOM, ';' separator, decimal comma."""
    folder.mkdir(parents=True, exist_ok=True)
    by_name = {m.name: m for m in marts}
    for name, df in tables.items():
        csv_frame(df, by_name[name]).to_csv(
            folder / f"{name}.csv",
            sep=";",
            decimal=",",
            index=False,
            encoding="utf-8-sig",
            lineterminator="\r\n",
        )
