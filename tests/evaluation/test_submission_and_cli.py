"""The DST submission package, and the estimator run on its own without the pipeline."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipelines.evaluation.release_files import write_evaluation_files
from pipelines.evaluation.submission import write_submission
from pipelines.synthetic.firm_panel import PanelSpec, write_panel
from tests.evaluation.helpers import register

REPO = Path(__file__).resolve().parents[2]


def test_submission_package(tmp_path):
    reg = register(participants=12)
    reg.loc[0, "cluster_id"] = "=HYPERLINK(1)"
    write_submission(reg, tmp_path, notice="SAMPLE")
    data = pd.read_csv(tmp_path / "participants.csv", sep=";", dtype=str)
    assert list(data.columns) == [
        "cvr",
        "cluster_id",
        "treatment_year",
        "projects",
        "funding_received_dkk",
        "own_contribution_dkk",
        "participation_kind",
        "new_to_rd",
        "size_group_at_entry",
    ]
    assert len(data) == 12 and data["cvr"].str.fullmatch(r"\d{8}").all()
    assert data["cluster_id"].str.startswith("'=").sum() == 1  # formula neutralised
    assert set(data["new_to_rd"]) == {"0"} and data["funding_received_dkk"].eq("100000").all()
    variables = pd.read_csv(tmp_path / "variables.csv", sep=";", dtype=str)
    assert list(variables["name"]) == list(data.columns)
    for line in (tmp_path / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest
    readme = (tmp_path / "README.md").read_text()
    assert "SAMPLE" in readme and "Programme generation 2025-2028" in readme
    assert "`--programme 2025-2028`" in readme and "`--exclude`" in readme


@pytest.mark.slow  # event-study figures
def test_release_files(tmp_path):
    estimates = pd.DataFrame(
        {
            "programme": "2025-2028",
            "outcome": "log_fte",
            "group_type": "overall",
            "group_value": "all",
            "period": ["t-1", "t+0", "t+1"],
            "event_time": [-1, 0, 1],
            "estimate": [0.0, 0.01, 0.02],
            "ci_lower": [None, 0.0, 0.01],
            "ci_upper": [None, 0.02, 0.03],
            "band_lower": [None, -0.01, 0.0],
            "band_upper": [None, 0.03, 0.04],
            "suppressed": False,
            "pretrend_p_value": 0.4,
            "is_synthetic": True,
        }
    )
    earlier = register(participants=4, seed=2).assign(programme="2021-2024")
    registers = pd.concat([register(participants=5), earlier], ignore_index=True)
    write_evaluation_files(
        {"participant_register": registers, "effect_estimates": estimates}, tmp_path
    )
    for generation, rows in (("2025-2028", 5), ("2021-2024", 4)):
        package = tmp_path / "dst_submission" / generation / "participants.csv"
        assert len(package.read_text().splitlines()) == rows + 1  # each generation's own
    assert (tmp_path / "figures" / "2025-2028" / "event_study_log_fte.png").stat().st_size > 1000
    assert not (tmp_path / "figures" / "2021-2024").exists()  # no estimates, no figures


BLOCKER = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("dagster", "dagster_dbt", "dbt", "great_expectations",
                                  "duckdb", "diff_diff", "statsmodels", "scipy", "yaml"):
            raise ImportError("not on the research machine: " + name)
        # only pipelines/evaluation/ (and an empty pipelines/__init__.py) is copied there
        if name.startswith("pipelines.") and not name.startswith("pipelines.evaluation"):
            raise ImportError("not copied to the research machine: " + name)
sys.meta_path.insert(0, Block())
from pipelines.evaluation import effects
sys.exit(effects.main(sys.argv[1:]))
"""


@pytest.mark.slow  # the estimator in a subprocess
def test_estimator_runs_without_the_pipeline(tmp_path):
    reg = register(participants=60)
    reg.to_csv(tmp_path / "register.csv", sep=";", index=False)
    write_panel(reg, tmp_path / "panel", PanelSpec(firms=900, industries=2))
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCKER,
            "--panel",
            str(tmp_path / "panel"),
            "--register",
            str(tmp_path / "register.csv"),
            "--out",
            str(out),
            "--outcomes",
            "log_fte",
            "--groups",
            "overall",
            "--programme",
            "2025-2028",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    table = pd.read_parquet(out / "effect_estimates.parquet")
    assert len(table) == 9 and (table["panel_source"] == "synthetic").all()
    assert list(table.columns)[0] == "programme" and (table["programme"] == "2025-2028").all()
    assert (out / "figures" / "event_study_log_fte.png").exists()
    diagnostics = json.loads((out / "diagnostics.json").read_text())
    assert diagnostics["participants"] == 60 and "register.csv" in diagnostics["inputs_sha256"]
    assert not list(tmp_path.glob(".out*"))  # nothing half-written left behind


@pytest.mark.slow  # the estimator in a subprocess
def test_estimator_reports_a_bad_panel(tmp_path):
    (tmp_path / "panel").mkdir()
    (tmp_path / "panel" / "p.csv").write_text("cvr;year\n1;2\n", encoding="utf-8")
    register(participants=3).to_csv(tmp_path / "r.csv", sep=";", index=False)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.evaluation.effects",
            "--panel",
            str(tmp_path / "panel"),
            "--register",
            str(tmp_path / "r.csv"),
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "p.csv, row 1 (header), column fte: required column missing" in done.stderr
    assert not (tmp_path / "out").exists()


def _cli_inputs(tmp_path):
    from pipelines.synthetic.firm_panel import PanelSpec, write_panel

    reg = register(participants=30)
    reg.to_csv(tmp_path / "r.csv", sep=";", index=False)
    write_panel(reg, tmp_path / "panel", PanelSpec(firms=300, industries=1))
    return ["--panel", str(tmp_path / "panel"), "--register", str(tmp_path / "r.csv")]


@pytest.mark.parametrize("where", ["a folder of other files", "the panel folder", "a file"])
def test_the_estimator_never_replaces_what_it_did_not_write(tmp_path, capsys, where):
    from pipelines.evaluation.effects import main

    args = _cli_inputs(tmp_path)
    out = {
        "a folder of other files": tmp_path / "results",
        "the panel folder": tmp_path / "panel",
        "a file": tmp_path / "r.csv",
    }[where]
    if where == "a folder of other files":
        out.mkdir()
        (out / "notes.txt").write_text("mine", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main([*args, "--out", str(out)]) == 2
    assert "error: --out" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_earlier_estimates_are_replaced_and_a_failure_leaves_nothing(tmp_path, monkeypatch):
    from pipelines.evaluation import effects

    args = [*_cli_inputs(tmp_path), "--out", str(tmp_path / "out"), "--outcomes", "log_fte"]
    assert effects.main(args) == 0
    assert (tmp_path / "out" / effects.OUTPUT_MARKER).exists()
    assert effects.main(args) == 0  # its own earlier outputs: replaced
    monkeypatch.setattr(
        effects, "event_study_figures", lambda *a, **k: (_ for _ in ()).throw(OSError("disk"))
    )
    with pytest.raises(OSError):
        effects.main(args)
    assert (tmp_path / "out" / "effect_estimates.csv").exists()  # the last good outputs
    assert not list(tmp_path.glob(".out*"))


@pytest.mark.parametrize(
    "option", [["--neighbours", "0"], ["--min-firms", "0"], ["--max-share", "1.5"]]
)
def test_impossible_settings_are_usage_errors(tmp_path, option):
    from pipelines.evaluation.effects import main

    with pytest.raises(SystemExit) as exit_:
        main(["--panel", "p", "--register", "r", "--out", str(tmp_path / "o"), *option])
    assert exit_.value.code == 2


def test_exclusion_list_is_read_checked_and_counted(tmp_path, capsys):
    """--exclude takes an earlier programme's CVRs; a CVR failing modulus 11 is named by row."""
    from pipelines.evaluation.effects import main, read_exclusions
    from pipelines.evaluation.register import RegisterError

    args = _cli_inputs(tmp_path)
    panel_cvrs = pd.read_parquet(tmp_path / "panel" / "firm_panel.parquet")["cvr"].unique()
    register_cvrs = set(pd.read_csv(tmp_path / "r.csv", sep=";", dtype=str)["cvr"])
    earlier = [c for c in panel_cvrs if c not in register_cvrs][:5]
    (tmp_path / "earlier.csv").write_text("cvr;cluster_id\n" + "".join(f"{c};X\n" for c in earlier))
    assert read_exclusions(tmp_path / "earlier.csv") == frozenset(int(c) for c in earlier)
    (tmp_path / "plain.txt").write_text("\n".join(earlier) + "\n")
    assert read_exclusions(tmp_path / "plain.txt") == frozenset(int(c) for c in earlier)
    out = tmp_path / "out"
    code = main(
        [
            *args,
            "--out",
            str(out),
            "--outcomes",
            "log_fte",
            "--exclude",
            str(tmp_path / "earlier.csv"),
        ]
    )
    assert code == 0
    diagnostics = json.loads((out / "diagnostics.json").read_text())
    assert diagnostics["excluded_from_controls"] == 5
    assert "earlier.csv" in diagnostics["inputs_sha256"]
    (tmp_path / "bad.csv").write_text(f"cvr\n{earlier[0]}\n12345678\n")
    with pytest.raises(RegisterError, match="bad.csv, row 3, column cvr"):
        read_exclusions(tmp_path / "bad.csv")
    assert main([*args, "--out", str(out), "--exclude", str(tmp_path / "bad.csv")]) == 2
    assert "bad.csv, row 3, column cvr" in capsys.readouterr().err
