"""Check a configured selection against ``tableinfo`` and expand ``*`` to explicit codes."""

from __future__ import annotations

from typing import Any

from pipelines.dst.config import ALL_VALUES, TableSpec
from pipelines.dst.errors import DstSelectionError


def resolve_selection(spec: TableSpec, tableinfo: dict[str, Any]) -> dict[str, list[str]]:
    """Explicit value codes for every variable of the table, in tableinfo's variable order.

    Raises when the config names a variable or value the table does not have, or leaves out a
    variable (BULK needs values for all of them).
    """
    info_vars = {str(v["id"]): v for v in tableinfo.get("variables", [])}
    unknown_vars = [v for v in spec.variables if v not in info_vars]
    if unknown_vars:
        raise DstSelectionError(
            spec.id,
            f"unknown variable(s) {', '.join(unknown_vars)}; the table has "
            f"{', '.join(info_vars) or 'no variables'}",
        )
    missing = [v for v in info_vars if v not in spec.variables]
    if missing:
        raise DstSelectionError(
            spec.id,
            f"no values configured for variable(s) {', '.join(missing)}: the BULK format "
            "needs a selection for every variable (use '*' for all values)",
        )
    selection: dict[str, list[str]] = {}
    for var_id, info in info_vars.items():
        known = [str(v["id"]) for v in info.get("values", [])]
        wanted = spec.variables[var_id]
        if wanted == ALL_VALUES:
            selection[var_id] = known
            continue
        known_set = set(known)
        unknown = [code for code in wanted if code not in known_set]
        if unknown:
            raise DstSelectionError(
                spec.id, f"variable {var_id} has no value(s) {', '.join(unknown)}"
            )
        selection[var_id] = list(wanted)
    return selection


def value_labels(tableinfo: dict[str, Any]) -> dict[str, dict[str, str]]:
    """variable id -> value code -> label text."""
    return {
        str(var["id"]): {str(v["id"]): str(v.get("text", "")) for v in var.get("values", [])}
        for var in tableinfo.get("variables", [])
    }
