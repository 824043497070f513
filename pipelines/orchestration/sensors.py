"""A sensor that starts a run when programme report files arrive or change.

It watches the report files in each programme generation's inbound folder
(``inbound/programme/<generation>/``, not its ``sample/``, not the quarantine folder, which is
elsewhere) and files left directly in ``inbound/programme/``. The cursor keeps each file's size,
mtime and SHA-256: a file is only hashed again when its size or mtime changed, and a run starts
only when a file is new or its content changed, once per such change. A file touched without a
change in content starts nothing; a file that disappears (e.g. moved to quarantine by the run)
starts nothing either. A file modified less than ``KLYNGE_INBOUND_SETTLE_SECONDS`` ago is still
being copied in and waits for a later tick (the settle rule of
:mod:`pipelines.programme.settle`, which the run applies again). Links are fingerprinted by
their own size and time, never followed.
"""

import hashlib
import json
import time
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from pipelines.checksums import sha256_file
from pipelines.constants import generations
from pipelines.orchestration.resources import SettingsResource
from pipelines.programme.checks.identifiers import redact
from pipelines.programme.discover import is_regular_file, report_paths
from pipelines.programme.generations import undeclared_folders
from pipelines.programme.settle import FileState, too_young

SENSOR_NAME = "programme_inbound_sensor"
MINIMUM_INTERVAL_SECONDS = 60

Fingerprints = dict[str, list]  # file name -> [size, mtime_ns, sha256]


def _read_cursor(cursor: str | None) -> Fingerprints:
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
    except ValueError:
        return {}  # an unreadable cursor: treat every file as new once
    return data if isinstance(data, dict) else {}


def _watched(inbound_dir: Path) -> list[Path]:
    """Each generation's report files, and files outside them (directly in the programme folder
    or in a folder that is no declared generation: a run then says where they belong). A
    generation folder that is a link is not followed."""
    declared = [inbound_dir / g.id for g in generations()]
    folders = [inbound_dir, *(d for d in declared if not d.is_symlink())]
    folders += undeclared_folders(inbound_dir)
    return [path for folder in folders for path in report_paths(folder)]


def scan(
    inbound_dir: Path, previous: Fingerprints, settle_seconds: float, now: float
) -> tuple[Fingerprints, list[str], list[str]]:
    """Fingerprints of the settled files, the names new or changed since ``previous``, and
    the names still settling."""
    current: Fingerprints = {}
    settling: list[str] = []
    for path in _watched(inbound_dir):
        state = FileState.of(path)
        if state is None:
            continue  # moved away while we looked
        name = path.relative_to(inbound_dir).as_posix()
        if too_young(state, now, settle_seconds):
            settling.append(name)
            if name in previous:
                current[name] = previous[name]  # judge the change once it has settled
            continue
        before = previous.get(name)
        if before and before[0] == state.size and before[1] == state.mtime_ns:
            current[name] = before
        else:
            content = sha256_file(path) if is_regular_file(path) else "not a regular file"
            current[name] = [state.size, state.mtime_ns, content]
    changed = sorted(n for n, fp in current.items() if n not in previous or previous[n][2] != fp[2])
    return current, changed, settling


def build_programme_sensor(job, *, name: str = SENSOR_NAME) -> SensorDefinition:
    """A sensor starting ``job`` once per new or changed set of programme report files."""

    @sensor(
        name=name,
        job=job,
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description="Starts a run when cluster programme report files arrive or change in "
        "the inbound folder.",
    )
    def _programme_inbound(context: SensorEvaluationContext, settings: SettingsResource):
        previous = _read_cursor(context.cursor)
        current, changed, settling = scan(
            settings.get().programme_inbound_dir,
            previous,
            settings.inbound_settle_seconds,
            time.time(),
        )
        cursor = json.dumps(current, sort_keys=True)
        if not changed:
            wait = f"; still being copied in: {redact(', '.join(settling))}" if settling else ""
            return SensorResult(
                skip_reason=SkipReason(f"no new or changed files{wait}"), cursor=cursor
            )
        # Unique per change: the same file set coming back later starts a run again.
        run_key = hashlib.sha256(f"{context.cursor or ''}->{cursor}".encode()).hexdigest()[:32]
        listed = redact(", ".join(changed))
        context.log.info(f"new or changed programme files: {listed}")
        return SensorResult(
            run_requests=[
                RunRequest(
                    run_key=run_key, tags={"klynge/trigger": name, "klynge/files": listed[:200]}
                )
            ],
            cursor=cursor,
        )

    return _programme_inbound
