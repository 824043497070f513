"""Move a rejected inbound file to quarantine, with a report beside it in JSON and in text.

The file is moved unchanged (never rewritten) under a timestamped name, so a resent file of
the same name never overwrites an earlier rejection:

    quarantine/20260301T101500Z_participants_K03.csv
    quarantine/20260301T101500Z_participants_K03.csv.report.json
    quarantine/20260301T101500Z_participants_K03.csv.report.txt

A file rejected for personal data still holds it: the report says to delete it once handled.
The reports themselves never repeat a CPR-like number, not even in a file name: a CPR-like
number in the file's own name is masked in its quarantine name (and so in the reports' names).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from pipelines.programme.checks.identifiers import redact
from pipelines.programme.checks.validate import CheckedFile

PERSONAL_DATA_NOTE = (
    "The file holds what looks like CPR numbers (personal data). Ask the "
    "sender for a corrected file and delete this copy once handled."
)


def _free_name(directory: Path, name: str) -> Path:
    target = directory / name
    n = 1
    while target.exists():
        n += 1
        target = directory / f"{Path(name).stem}_{n}{Path(name).suffix}"
    return target


def report(checked: CheckedFile, moved_to: Path | None, at: datetime) -> dict[str, object]:
    problems = checked.problems
    personal = any(p.rule == "personal_data" for p in problems)
    return {
        "file": redact(checked.file.relative),
        "original_path": redact(str(checked.file.path)),
        "quarantined_as": None if moved_to is None else moved_to.name,
        "entity": checked.file.entity,
        "contract_version": None if checked.schema is None else checked.schema.version,
        "format": checked.format,
        "sha256": checked.sha256,
        "size_bytes": checked.size,
        "rejected_at": at.isoformat(),
        "problem_count": problems.total,
        "problems_listed": len(problems.items),
        "note": PERSONAL_DATA_NOTE if personal else None,
        "problems": [{k: v for k, v in p.as_dict().items() if k != "file"} for p in problems],
    }


def report_text(data: dict[str, object]) -> str:
    lines = [
        f"Rejected inbound programme file: {data['file']}",
        f"  quarantined as : {data['quarantined_as']}",
        f"  entity         : {data['entity']} (contract version {data['contract_version']})",
        f"  format         : {data['format']}",
        f"  sha256         : {data['sha256']}",
        f"  size           : {data['size_bytes']} bytes",
        f"  rejected at    : {data['rejected_at']}",
        f"  problems       : {data['problem_count']}"
        + (
            ""
            if data["problem_count"] == data["problems_listed"]
            else f" (the first {data['problems_listed']} listed)"
        ),
        "",
        "The whole file was rejected; nothing from it was loaded and the previous load stays",
        "in use. Fix the problems below and send the whole file again.",
    ]
    if data["note"]:
        lines += ["", str(data["note"])]
    lines.append("")
    for p in data["problems"]:  # type: ignore[union-attr]
        where = (
            ", ".join(
                x
                for x in (
                    f"row {p['row']}" if p["row"] is not None else "",
                    f"column {p['column']}" if p["column"] is not None else "",
                )
                if x
            )
            or "file"
        )
        value = "" if p["value"] is None else f"  value: {p['value']!r}"
        lines.append(f"- {where}: [{p['rule']}] {p['message']}{value}")
    return "\n".join(lines) + "\n"


def quarantine_file(checked: CheckedFile, quarantine_dir: Path, at: datetime) -> Path:
    """Move the file to ``quarantine_dir`` and write its reports; returns the new path."""
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    # the moved file's name is masked too: the folder listing is a report of its own
    target = _free_name(quarantine_dir, f"{at:%Y%m%dT%H%M%SZ}_{redact(checked.file.path.name)}")
    shutil.move(str(checked.file.path), target)
    data = report(checked, target, at)
    Path(f"{target}.report.json").write_text(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    Path(f"{target}.report.txt").write_text(report_text(data), encoding="utf-8")
    return target


def rejected_since(quarantine_dir: Path, files: list[str], since: datetime) -> dict[str, str]:
    """Of ``files`` (inbound-relative names), those rejected after ``since``: name -> report.

    A file that was part of the last good load and has since been rejected must not silently
    drop out of the next load: its rows would vanish from the marts.
    """
    if not files or not quarantine_dir.exists():
        return {}
    wanted = {redact(f): f for f in files}  # reports name files with CPR-like runs masked
    found: dict[str, str] = {}
    for path in sorted(quarantine_dir.glob("*.report.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            rejected_at = datetime.fromisoformat(str(data["rejected_at"]))
        except (OSError, ValueError, KeyError):
            continue
        if rejected_at.tzinfo is not None:
            rejected_at = rejected_at.astimezone(UTC).replace(tzinfo=None)
        if data.get("file") in wanted and rejected_at > since:
            found[wanted[str(data["file"])]] = redact(path.name)
    return found
