"""The ``evaluation`` group: effect estimates on the firm panel, then their dbt mart.

``raw/effect_estimates`` runs the estimator (:mod:`pipelines.evaluation`) once per programme
generation on the real firm panel when ``data/inbound/firm_panel/`` holds one, otherwise on a
synthetic panel generated (once per register) into ``data/evaluation/synthetic_firm_panel/``;
each generation's estimates (``data/evaluation/estimates/<generation>/``) are reused while its
register, the firms excluded from its controls, the panel and the estimator code are unchanged.
``marts/effect_estimates`` types them to the published contract, so they pass the quality gate
and are published like every mart.
"""

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_dbt import DbtProject, dbt_assets

from pipelines.orchestration.assets.dbt import PRODUCTION_BUILD, KlyngeDbtTranslator
from pipelines.orchestration.resources import LocalDbtCliResource, SettingsResource
from pipelines.orchestration.warehouse import WarehouseResource

REGISTER = AssetKey(["marts", "participant_register"])
CODE_DIR = Path(__file__).resolve().parents[2] / "evaluation"


def _fingerprint(register, panel_files: list[Path], config: Any) -> str:
    """Changes with anything one generation's estimates depend on: its register, the firms
    excluded from its controls, the panel files, the settings and the code."""
    from dataclasses import replace

    from pipelines.checksums import sha256_file

    keys = ["cvr", "cluster_id", "treatment_year", "size_group_at_entry", "is_sample"]
    rows = register[keys].astype(str).sort_values(keys).to_csv(index=False)
    excluded = ",".join(str(c) for c in sorted(config.exclude))
    parts = [hashlib.sha256(rows.encode()).hexdigest(), excluded]
    parts.append(repr(replace(config, exclude=frozenset())))  # a set's repr has no fixed order
    parts += [f"{p.name}:{sha256_file(p)}" for p in panel_files]
    parts += [f"{p.name}:{sha256_file(p)}" for p in sorted(CODE_DIR.glob("*.py"))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _panel(data_dir: Path, register, log):
    """The panel folder, and the panel itself when it was just generated (no need to re-read).
    The synthetic panel covers every generation's participants, each from its first entry."""
    from pipelines.evaluation import contract
    from pipelines.synthetic import firm_panel as panel

    real = data_dir / "inbound" / "firm_panel"
    if real.is_dir() and contract.panel_files(real):
        return real, None
    synthetic = data_dir / "evaluation" / "synthetic_firm_panel"
    if panel.is_current(synthetic, register, panel.REFRESH_PANEL):
        return synthetic, None
    log.info("no firm panel in data/inbound/firm_panel/: generating the synthetic panel")
    return synthetic, panel.write_panel(register, synthetic, panel.REFRESH_PANEL)


@asset(
    key=AssetKey(["raw", "effect_estimates"]),
    deps=[REGISTER],
    group_name="evaluation",
    kinds={"python", "duckdb"},
    owners=["team:klynge-data"],
    description="Matched staggered difference-in-differences of the participants against "
    "never-participating firms, each entry cohort with its own matched controls "
    "(pipelines.evaluation), disclosure-controlled and audited, one evaluation per programme "
    "generation (its own register and matching year; the other generations' participants "
    "never controls). Runs on the real firm panel when one is present, else on a synthetic "
    "panel with a planted effect (marked synthetic in every row).",
)
def effect_estimates_raw(
    context: AssetExecutionContext, warehouse: WarehouseResource, settings: SettingsResource
) -> MaterializeResult:
    import pandas as pd

    from pipelines.constants import generation
    from pipelines.evaluation.contract import panel_files, read_panel
    from pipelines.evaluation.effects import write_outputs
    from pipelines.evaluation.generations import (
        generation_config,
        own_rows,
        programmes,
        run_generation,
    )
    from pipelines.evaluation.register import check_register

    started = time.perf_counter()
    data_dir = settings.get().data_dir
    with warehouse.get_connection() as con:
        register = check_register(con.execute("select * from marts.participant_register").df())
    folder, data = _panel(data_dir, register, context.log)
    files = panel_files(folder)
    tables, metadata = [], {}
    for programme in programmes(register):
        config = generation_config(register, programme, generation(programme).latest_matching_year)
        out = data_dir / "evaluation" / "estimates" / programme
        fingerprint = _fingerprint(own_rows(register, programme), files, config)
        cached = out / "diagnostics.json"
        diagnostics = json.loads(cached.read_text(encoding="utf-8")) if cached.exists() else {}
        reused = diagnostics.get("fingerprint") == fingerprint
        if reused:
            table = pd.read_parquet(out / "effect_estimates.parquet")
        else:
            data = read_panel(folder) if data is None else data
            table, diagnostics = run_generation(data, register, programme, config)
            diagnostics["fingerprint"] = fingerprint
            write_outputs(table, diagnostics, out, figures=False)  # the release draws them
        tables.append(table)
        metadata[programme] = {
            "rows": len(table),
            "withheld": int(table["suppressed"].sum()),
            "participants_matched": diagnostics.get("matched", 0),
            "participants_not_matched": diagnostics.get("not_matched", 0),
            "latest_matching_year": config.latest_matching_year,
            "also_in_generation": diagnostics.get("also_in_generation", {}),
            "reused_previous_estimates": reused,
        }
    estimates = pd.concat(tables, ignore_index=True)
    with warehouse.get_connection() as con:
        con.execute("create schema if not exists raw")
        con.register("effect_estimates_df", estimates)
        con.execute(
            "create or replace table raw.effect_estimates as select * from effect_estimates_df"
        )
        con.unregister("effect_estimates_df")
    return MaterializeResult(
        metadata={
            "panel_source": diagnostics.get("panel_source", ""),
            "panel": MetadataValue.path(str(folder)),
            "rows": len(estimates),
            "withheld": int(estimates["suppressed"].sum()),
            "generations": MetadataValue.json(metadata),
            "seconds": round(time.perf_counter() - started, 1),
            "outputs": MetadataValue.path(str(data_dir / "evaluation" / "estimates")),
        }
    )


class EvaluationTranslator(KlyngeDbtTranslator):
    def get_group_name(self, dbt_resource_props) -> str | None:
        return "evaluation"


def build_evaluation_assets(project: DbtProject) -> list[AssetsDefinition]:
    """The estimator's asset and the dbt build of its mart."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select="effect_estimates",
        dagster_dbt_translator=EvaluationTranslator(),
    )
    def effect_estimates_mart(
        context: AssetExecutionContext, dbt: LocalDbtCliResource, settings: SettingsResource
    ) -> Iterator[Any]:
        """``dbt build`` of effect_estimates (contract and tests) from what the estimator
        wrote."""
        target = settings.get().data_dir / "dbt_target"
        yield from dbt.cli(
            ["build", *PRODUCTION_BUILD], context=context, target_path=target
        ).stream()

    return [effect_estimates_raw, effect_estimates_mart]
