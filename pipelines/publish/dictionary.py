"""``data_dictionary.md``: every published table and column, from the dbt descriptions."""

from __future__ import annotations

from pipelines.catalog import Mart
from pipelines.publish.changes import CHANGE_COLUMNS, CHANGES_COMMENT
from pipelines.publish.facts import RELEASE_INFO_COLUMNS, RELEASE_INFO_COMMENT, RELEASE_INFO_KEYS


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "/")


def _release_info() -> list[str]:
    out = [
        "## release_info",
        "",
        RELEASE_INFO_COMMENT,
        "",
        "Key: key. Query: `select * from release_info`.",
        "",
        "| column | type | description |",
        "|---|---|---|",
    ]
    out += [
        f"| `{name}` | varchar | {_cell(text)} |" for name, text in RELEASE_INFO_COLUMNS.items()
    ]
    out += ["", "| key | meaning |", "|---|---|"]
    out += [f"| `{key}` | {_cell(text)} |" for key, text in RELEASE_INFO_KEYS.items()]
    return [*out, ""]


def _release_changes() -> list[str]:
    out = [
        "## release_changes",
        "",
        CHANGES_COMMENT,
        "",
        "Key: change_id. Query: `select * from release_changes order by change_id`.",
        "",
        "| column | type | description |",
        "|---|---|---|",
    ]
    out += [
        f"| `{name}` | {kind} | {_cell(text)} |" for name, (kind, text) in CHANGE_COLUMNS.items()
    ]
    return [*out, ""]


def data_dictionary(marts: tuple[Mart, ...], rows: dict[str, int], notice: str | None) -> str:
    out = ["# Data dictionary", ""]
    if notice:
        out += [f"> **{notice}**", ""]
    out += [
        "Every table is in `klynge.duckdb` (unqualified: `select * from smv_rd_share`), in "
        "`parquet/<table>.parquet`, in `csv/<table>.csv` (UTF-8 with BOM, `;`, decimal "
        "comma, booleans SAND/FALSK, doubles rounded for reading; full precision in DuckDB "
        "and Parquet) and as a sheet of `klynge.xlsx`.",
        "",
        "Columns marked *Additive.* can be summed over rows (over clusters or years); "
        "*Not additive.* columns (distinct counts, rates, shares) cannot: summing "
        "`smv_funded` over years counts an SME once per year.",
        "",
    ]
    for mart in marts:
        out += [f"## {mart.name}", "", mart.description, ""]
        if mart.answers:
            out += [f"Answers: {mart.answers}", ""]
        out += [
            f"Rows: {rows.get(mart.name, 0)}. One row per {mart.grain or 'row'}. "
            f"Key: {', '.join(mart.keys)}.",
            "",
            "| column | type | description |",
            "|---|---|---|",
        ]
        out += [f"| `{c.name}` | {c.data_type} | {_cell(c.description)} |" for c in mart.columns]
        out.append("")
    out += _release_info()
    out += _release_changes()
    return "\n".join(out)
