"""Problems found in inbound programme files, and the errors that fail a load.

A problem names the file, the row as a person sees it (in a spreadsheet, header = row 1 unless
title rows sit above it), the column, the rule broken, and the offending value (masked when it
is personal data). The rule names are stable; they are listed in docs/programme_contract.md.

Nothing here ever repeats a number that could be a CPR: messages, values and file names pass
through :func:`~pipelines.programme.checks.identifiers.redact` on the way in, whatever rule found
them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from pipelines.programme.checks.identifiers import redact

MAX_PROBLEMS_PER_FILE = 100
MAX_PROBLEMS_IN_MESSAGE = 5


@dataclass(frozen=True)
class Problem:
    file: str  # relative to the inbound folder
    row: int | None  # None: the file as a whole
    column: str | None
    rule: str
    message: str
    value: str | None = None

    def describe(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        value = "" if self.value is None else f" [value: {self.value!r}]"
        return f"{', '.join(where)}: {self.rule}: {self.message}{value}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class ProblemList:
    """The problems of one file: the first ``cap`` kept, all counted."""

    file: str
    cap: int = MAX_PROBLEMS_PER_FILE
    items: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(
        self, row: int | None, column: str | None, rule: str, message: str, value: object = None
    ) -> None:
        self.total += 1
        if len(self.items) < self.cap:
            shown = None if value is None else redact(str(value))
            self.items.append(
                Problem(
                    redact(self.file),
                    row,
                    None if column is None else redact(column),
                    rule,
                    redact(message),
                    shown,
                )
            )

    def replace(self, old: Problem, new: Problem) -> None:
        """Swap a listed problem for a better-explained one (same place, same count)."""
        self.items[self.items.index(old)] = new

    def count_more(self, n: int) -> None:
        """Count problems found but not listed (e.g. beyond a query's limit)."""
        self.total += n

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.items)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.items)


@dataclass(frozen=True)
class Rejection:
    """One rejected file and where it went."""

    file: str
    sha256: str
    problems: ProblemList
    quarantined_to: str | None  # None for sample files, which are never moved


class ProgrammeInboundError(Exception):
    """Programme data could not be loaded; the previous load stays in use."""

    def __init__(self, message: str):
        super().__init__(redact(message))


class ProgrammeIncompleteError(ProgrammeInboundError):
    """An entity has no file at all, so a complete set cannot be loaded."""


class ProgrammeHeldError(ProgrammeInboundError):
    """A valid load would shrink an entity too much; it waits for an acknowledgement."""


class ProgrammeUnsettledError(ProgrammeInboundError):
    """Files are still being written and there is no earlier load to keep using."""


class ProgrammeRejectedError(ProgrammeInboundError):
    """One or more files broke the contract and were rejected whole."""

    def __init__(self, rejections: list[Rejection], is_sample: bool):
        self.rejections = rejections
        self.is_sample = is_sample
        super().__init__(self._message())

    def _message(self) -> str:
        n = len(self.rejections)
        lines = [
            f"{n} inbound programme file{'s' if n != 1 else ''} rejected; nothing was "
            "loaded and the previous load stays in use."
        ]
        for rej in self.rejections:
            where = (
                f"moved to {rej.quarantined_to}" if rej.quarantined_to else "sample file, not moved"
            )
            lines.append(
                f"{redact(rej.file)} ({where}; {rej.problems.total} problem"
                f"{'s' if rej.problems.total != 1 else ''}):"
            )
            lines += [f"  {p.describe()}" for p in rej.problems.items[:MAX_PROBLEMS_IN_MESSAGE]]
            hidden = rej.problems.total - min(len(rej.problems.items), MAX_PROBLEMS_IN_MESSAGE)
            if hidden:
                lines.append(f"  ... and {hidden} more (see the report next to the file)")
        return "\n".join(lines)
