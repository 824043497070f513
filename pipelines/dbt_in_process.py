"""dbt run inside the pipeline's own process instead of a subprocess per command.

dagster-dbt starts every dbt command as a new process: a fresh interpreter imports dbt-core
(about 4 s on two cores) and parses the project (about 8 s more in a data folder that has no
earlier parse: the warehouse path is part of dbt's parse state). The process running the
refresh has already imported most of dbt-core with dagster-dbt, and ``make install`` (or the
definitions, under ``dagster dev``) keeps a parse of the project in
``dbt_project/target/partial_parse.msgpack``. Given that parse, dbt's programmatic entry point
(``dbtRunner``) starts a build in about a second.

:class:`InProcessDbtInvocation` is dagster-dbt's invocation with one difference: its "process"
is :class:`InProcessDbt`, which runs ``dbtRunner`` in a thread and offers what dagster-dbt reads
of a dbt subprocess (``args``, ``stdout`` as dbt's structured log lines, ``wait``,
``returncode``). Selecting the assets of a run, turning dbt's results into materializations and
asset checks, and failing the step on a dbt error all stay dagster-dbt's own.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

from dagster_dbt import DbtCliInvocation

if TYPE_CHECKING:
    from dbt.contracts.graph.manifest import Manifest

PARSE_STATE = Path("target") / "partial_parse.msgpack"
# Everything dbt parses: an edit newer than the kept parse makes dbt parse again.
PROJECT_SOURCES = ("models", "macros", "seeds", "tests", "snapshots", "analyses")
PROJECT_FILES = ("dbt_project.yml", "packages.yml", "dependencies.yml")
# Commands that only read the graph, so they can take the kept parse instead of parsing.
GRAPH_COMMANDS = frozenset({"build", "run", "test", "seed", "snapshot", "compile", "list", "ls"})
# dagster-dbt configures its dbt subprocess through the environment; in this process dbt would
# read the pipeline's own environment, so the same settings are passed as flags.
ENV_FLAGS = {
    "DBT_TARGET_PATH": "--target-path",
    "DBT_LOG_PATH": "--log-path",
    "DBT_PROFILES_DIR": "--profiles-dir",
    "DBT_PROJECT_DIR": "--project-dir",
    "DBT_INDIRECT_SELECTION": "--indirect-selection",
}
PLAIN_FLAGS = frozenset({"--indirect-selection"})  # the others name folders
# dbt's console lines at its default level; debug lines go to dbt.log only, as in a subprocess.
FORWARDED_LEVELS = frozenset({"info", "warn", "error"})

_ONE_AT_A_TIME = threading.Lock()  # dbt keeps global state: one command at a time per process
_kept_parse: dict[Path, tuple[int, Manifest]] = {}


def _newest_source(project_dir: Path) -> int:
    newest = 0
    for name in PROJECT_FILES:
        path = project_dir / name
        if path.is_file():
            newest = max(newest, path.stat().st_mtime_ns)
    for folder in PROJECT_SOURCES:
        for path in (project_dir / folder).rglob("*"):
            newest = max(newest, path.stat().st_mtime_ns)
    return newest


def kept_parse(project_dir: Path) -> Manifest | None:
    """The project's last parse, or None (dbt then parses) when there is none, a project
    file has changed since it was made, or it was not made from this folder."""
    state = project_dir / PARSE_STATE
    try:
        stamp = state.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    if _newest_source(project_dir) > stamp:
        return None
    cached = _kept_parse.get(state)
    if cached is None or cached[0] != stamp:
        from dbt.contracts.graph.manifest import Manifest
        from dbt.parser.manifest import extended_mashumuro_decoder

        try:
            manifest = Manifest.from_msgpack(state.read_bytes(), decoder=extended_mashumuro_decoder)
        except Exception:  # noqa: BLE001 - a damaged parse is parsed again, as dbt would
            return None
        cached = _kept_parse[state] = (
            stamp,
            manifest if _parsed_here(manifest, project_dir) else None,
        )
    return cached[1]


def _parsed_here(manifest: Manifest, project_dir: Path) -> bool:
    """dbt keeps the project folder each seed was parsed from, as the parse was given it, and
    reads the seed from there: a parse given a relative folder (``--project-dir .``) or made in
    another checkout would look in the wrong place."""
    here = {str(project_dir), str(project_dir.resolve())}
    seeds = [node for node in manifest.nodes.values() if node.resource_type == "seed"]
    return all(seed.root_path in here for seed in seeds)


def dbt_arguments(args: Sequence[str], env: Mapping[str, str], project_dir: Path) -> list[str]:
    """The dbt command line (without the executable) with dagster-dbt's environment as flags.

    dagster-dbt starts dbt in the project folder; this process works elsewhere, so a relative
    folder is given as the project folder's.
    """
    flags: list[str] = []
    for var, flag in ENV_FLAGS.items():
        if value := env.get(var):
            flags += [flag, value if flag in PLAIN_FLAGS else str(project_dir / value)]
    return [*args, *flags, "--quiet", "--no-send-anonymous-usage-stats"]


def _close_warehouse() -> None:
    """dbt-duckdb keeps its DuckDB database open after a command (for the next one in the same
    process); that would hold the warehouse's lock against every other connection."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.factory import reset_adapters

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
        DuckDBConnectionManager._ENV = None
    reset_adapters()


class _EventLines:
    """dbt's structured events as the JSON lines a dbt subprocess would print."""

    closed = False

    def __init__(self, lines: queue.SimpleQueue[bytes | None]) -> None:
        self._lines = lines

    def __iter__(self) -> Iterator[bytes]:
        while (line := self._lines.get()) is not None:
            yield line

    def __enter__(self) -> _EventLines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed = True


class InProcessDbt:
    """One dbt command run by ``dbtRunner`` in a thread of this process."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str], project_dir: Path) -> None:
        self.args = list(args)
        self.returncode: int | None = None
        self._reported_error = False
        self._lines: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.stdout = _EventLines(self._lines)
        command = args[1] if len(args) > 1 else ""
        manifest = kept_parse(project_dir) if command in GRAPH_COMMANDS else None
        self._thread = threading.Thread(
            target=self._run,
            args=(dbt_arguments(args[1:], env, project_dir), manifest),
            name=f"dbt {command}",
            daemon=True,
        )
        self._thread.start()

    def _forward(self, event: Any) -> None:
        from dbt_common.events.functions import msg_to_json

        if event.info.level in FORWARDED_LEVELS:
            self._reported_error = self._reported_error or event.info.level == "error"
            self._lines.put(msg_to_json(event).encode())

    def _run(self, arguments: list[str], manifest: Manifest | None) -> None:
        from dbt.cli.main import dbtRunner

        try:
            with _ONE_AT_A_TIME:
                try:
                    result = dbtRunner(manifest=manifest, callbacks=[self._forward]).invoke(
                        arguments
                    )
                finally:
                    _close_warehouse()
            if result.exception is not None and not self._reported_error:
                # dbt logs most failures itself; a bad argument it only returns
                self._lines.put(_error_line(f"dbt failed: {result.exception}"))
            self.returncode = 0 if result.success else 2 if result.exception else 1
        except BaseException as error:  # noqa: BLE001 - reported as dbt's error, like a crash
            self._lines.put(_error_line(f"dbt failed: {error!r}"))
            self.returncode = 2
        finally:
            self._lines.put(None)

    def wait(self, timeout: float | None = None) -> int | None:
        self._thread.join(timeout)
        return self.returncode

    def send_signal(self, signal: int) -> None:
        """A thread cannot be interrupted: the run's own termination ends the process."""


def _error_line(message: str) -> bytes:
    import json

    return json.dumps(
        {"info": {"name": "MainEncounteredError", "level": "error", "msg": message}, "data": {}}
    ).encode()


class InProcessDbtInvocation(DbtCliInvocation):
    """dagster-dbt's invocation of a dbt command, run by :class:`InProcessDbt`."""

    @classmethod
    def run(  # type: ignore[override]
        cls,
        args: Sequence[str],
        env: dict[str, str],
        project_dir: Path,
        dbt_project: Any = None,
        **kwargs: Any,
    ) -> DbtCliInvocation:
        process = InProcessDbt(args, env, Path(project_dir))
        return cls(process=process, project_dir=project_dir, project=dbt_project, **kwargs)  # type: ignore[arg-type]


@contextmanager
def dbt_in_this_process() -> Iterator[None]:
    """While dagster-dbt's ``DbtCliResource.cli`` builds an invocation, it builds this one."""
    with mock.patch("dagster_dbt.core.resource.DbtCliInvocation", InProcessDbtInvocation):
        yield
