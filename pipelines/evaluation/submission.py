"""The submission package for DST's research service: the register reduced to key + variables.

External data enters an approved research project at DST carrying only the key (CVR) and the
variables the project needs. The package is a ``;``-separated UTF-8 CSV, a variable description
(names, types, codes), SHA-256 checksums and a README; DST's research service links it to the
firm registers inside the project.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

DATA_FILE = "participants.csv"
VARIABLES_FILE = "variables.csv"
CHECKSUM_FILE = "SHA256SUMS"
# name, type, codes, description
VARIABLES = (
    ("cvr", "text(8)", "", "CVR number of the participating firm (the linkage key)"),
    ("cluster_id", "text", "K01..", "Cluster organisation the firm took part through"),
    ("treatment_year", "integer", "", "Year of the firm's first project start in the cluster"),
    ("projects", "integer", "", "Projects in the cluster the firm took part in"),
    ("funding_received_dkk", "integer", "", "Cluster funding received, whole kroner"),
    ("own_contribution_dkk", "integer", "", "The firm's own contribution, whole kroner"),
    (
        "participation_kind",
        "text",
        "innovation_project = at least one innovation or R&D project; other_activity = "
        "feasibility, network or internationalisation only",
        "Kind of participation",
    ),
    (
        "new_to_rd",
        "integer",
        "1 = no R&D in the three years before joining; 0 = had R&D",
        "New to R&D at entry",
    ),
    (
        "size_group_at_entry",
        "text",
        "smv = under 250 FTE; large_enterprise = 250 FTE or more",
        "Size group reported at entry",
    ),
)


def _neutral(text: str) -> str:
    """Spreadsheets run a cell starting with = + - @ tab or CR as a formula: quote it."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def submission_frame(register: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "cvr": register["cvr"].astype(str),
            "cluster_id": register["cluster_id"].astype(str).map(_neutral),
            "treatment_year": register["treatment_year"].astype("int64"),
            "projects": register["projects"].astype("int64"),
            "funding_received_dkk": register["funding_received_dkk"]
            .astype(float)
            .round()
            .astype("int64"),
            "own_contribution_dkk": register["own_contribution_dkk"]
            .astype(float)
            .round()
            .astype("int64"),
            "participation_kind": register["participation_kind"].astype(str),
            "new_to_rd": register["new_to_rd"].astype(bool).astype("int64"),
            "size_group_at_entry": register["size_group_at_entry"].astype(str),
        }
    )
    return out.sort_values(["cvr", "cluster_id"]).reset_index(drop=True)


def _readme(frame: pd.DataFrame, programme: str, first: int, last: int, notice: str | None) -> str:
    lines = [f"# Participant register {programme}: submission to DST's research service", ""]
    if notice:
        lines += [f"> **{notice}**", ""]
    lines += [
        f"Programme generation {programme}, participating firms (SMEs and large enterprises) "
        f"in projects starting {first}-{last}: {len(frame)} rows (firm x cluster), "
        f"{frame['cvr'].nunique()} distinct CVR numbers.",
        "",
        f"- `{DATA_FILE}`: one row per firm and cluster; UTF-8, `;`-separated, header row, "
        "no quoting needed, whole kroner, no decimals.",
        f"- `{VARIABLES_FILE}`: name, type, codes and description of every variable.",
        f"- `{CHECKSUM_FILE}`: SHA-256 of both files (`sha256sum -c {CHECKSUM_FILE}`).",
        "",
        "Key: `cvr` (8 digits) links to CVRNR in DST's firm registers (FIRM, FIRE). The file "
        "holds firms only, never persons, and only the variables the evaluation needs.",
        "The effect estimator (docs/evaluation.md of klynge-pipeline) reads this file as its "
        f"`--register` inside the research project, one run per generation: "
        f"`--programme {programme}`, and every other generation's `{DATA_FILE}` as "
        "`--exclude` (their participants are never controls of this one).",
    ]
    return "\n".join(lines) + "\n"


def write_submission(register: pd.DataFrame, folder: Path, notice: str | None = None) -> None:
    """Write the package of one programme generation's register into ``folder`` (which must
    not be read by anyone until complete)."""
    folder.mkdir(parents=True, exist_ok=True)
    frame = submission_frame(register)
    frame.to_csv(folder / DATA_FILE, sep=";", index=False, encoding="utf-8", lineterminator="\r\n")
    pd.DataFrame(VARIABLES, columns=["name", "type", "codes", "description"]).to_csv(
        folder / VARIABLES_FILE, sep=";", index=False, encoding="utf-8", lineterminator="\r\n"
    )
    sums = [
        f"{hashlib.sha256((folder / f).read_bytes()).hexdigest()}  {f}"
        for f in (DATA_FILE, VARIABLES_FILE)
    ]
    (folder / CHECKSUM_FILE).write_text("\n".join(sums) + "\n", encoding="utf-8")
    first = int(register["programme_first_year"].min()) if len(register) else 0
    last = int(register["programme_last_year"].max()) if len(register) else 0
    programme = ", ".join(sorted(register["programme"].astype(str).unique()))
    (folder / "README.md").write_text(
        _readme(frame, programme, first, last, notice), encoding="utf-8"
    )
