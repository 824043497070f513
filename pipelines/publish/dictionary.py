"""``data_dictionary.md``: every published table and column, from the dbt descriptions."""

from __future__ import annotations

from pipelines.catalog import Mart


def data_dictionary(marts: tuple[Mart, ...], rows: dict[str, int], notice: str | None) -> str:
    out = ["# Data dictionary", ""]
    if notice:
        out += [f"> **{notice}**", ""]
    out += ["Every table is in `klynge.duckdb` (unqualified: `select * from smv_rd_share`), in "
            "`parquet/<table>.parquet`, in `csv/<table>.csv` (UTF-8 with BOM, `;`, decimal "
            "comma) and as a sheet of `klynge.xlsx`.", ""]
    for mart in marts:
        out += [f"## {mart.name}", "", mart.description, "",
                f"Rows: {rows.get(mart.name, 0)}. Key: {', '.join(mart.keys)}.", "",
                "| column | type | description |", "|---|---|---|"]
        out += [f"| `{c.name}` | {c.data_type} | {c.description.replace('|', '/')} |"
                for c in mart.columns]
        out.append("")
    return "\n".join(out)
