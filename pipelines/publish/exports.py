"""Write the published tables in every format analysts use.

The standalone DuckDB file is filled through a read-only ATTACH of the working warehouse, so the
pipeline's own file is never handed out; Parquet, CSV (for Danish Excel) and XLSX are written
from that new file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.catalog import Mart

if TYPE_CHECKING:
    import pandas as pd


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_duckdb(target: Path, warehouse: Path, marts: tuple[Mart, ...]) -> dict[str, int]:
    """Copy each mart into ``target`` unqualified, with table and column comments."""
    rows: dict[str, int] = {}
    with duckdb.connect(str(target)) as con:
        con.execute(f"attach {_sql_string(str(warehouse))} as warehouse (read_only)")
        try:
            for mart in marts:
                con.execute(f'create table "{mart.name}" as '
                            f'select * from warehouse.{mart.relation}')
                con.execute(f'comment on table "{mart.name}" is '
                            f'{_sql_string(mart.description)}')
                for column in mart.columns:
                    con.execute(f'comment on column "{mart.name}"."{column.name}" is '
                                f'{_sql_string(column.description)}')
                rows[mart.name] = con.execute(f'select count(*) from "{mart.name}"').fetchone()[0]
        finally:
            con.execute("detach warehouse")
    return rows


def write_release_info(target: Path, info: dict[str, str]) -> None:
    """A small ``release_info`` table so a query can tell where the data came from."""
    with duckdb.connect(str(target)) as con:
        con.execute("create table release_info (key varchar, value varchar)")
        con.executemany("insert into release_info values (?, ?)", list(info.items()))
        con.execute("comment on table release_info is 'Provenance of this release: run, time, "
                    "source mode, whether the data is synthetic or sample.'")


def read_tables(duckdb_file: Path, marts: tuple[Mart, ...]) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        return {m.name: con.execute(f'select * from "{m.name}"').df() for m in marts}


def write_parquet(duckdb_file: Path, folder: Path, marts: tuple[Mart, ...]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        for mart in marts:
            target = folder / f"{mart.name}.parquet"
            con.execute(f'copy "{mart.name}" to {_sql_string(str(target))} (format parquet)')


def write_csv(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """CSV that Danish Excel opens right: UTF-8 with BOM, ';' separator, decimal comma."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", sep=";", decimal=",", index=False,
                  encoding="utf-8-sig", lineterminator="\r\n")


def write_xlsx(tables: dict[str, pd.DataFrame], target: Path, notice: str | None) -> None:
    import pandas as pd  # imported when publishing, not when the code location loads

    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        if notice:
            pd.DataFrame({"notice": [notice]}).to_excel(writer, sheet_name="READ_ME",
                                                        index=False)
        for name, df in tables.items():
            df.to_excel(writer, sheet_name=name[:31], index=False)
