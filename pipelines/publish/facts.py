"""What a release is and where it came from, said once and written everywhere.

The same facts go into ``manifest.json``, the ``release_info`` table of ``klynge.duckdb``, the
Parquet files' key-value metadata, the XLSX ``READ_ME`` sheet and the release README, so they
cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# release_info's keys and what each means (its documentation in the data dictionary)
RELEASE_INFO_KEYS: dict[str, str] = {
    "release": "Release id (the folder name under data/published/releases/).",
    "version": "The release's citable version: <release date>+dst.<newest DST 'updated' "
    "date>+prog.<checksum of the programme files> (README: how to cite).",
    "run_id": "Dagster run that built the release.",
    "created_at": "When the release was written (UTC, ISO 8601).",
    "git_commit": "Commit of the pipeline code that built it.",
    "price_base_year": "Base year of every fixed-price column (see table price_index).",
    "dst_source_mode": "Where the DST tables came from: live, snapshot or mixed.",
    "dst_fallback_reason": "Why the DST snapshot was used instead of the live API, as a "
    "sentence for readers (empty when it was not a fallback); the technical detail is in "
    "manifest.json (dst.fallback_reason).",
    "dst_versions": "Each DST table with its 'updated' timestamp (its data version).",
    "programme_files": "The programme input files loaded, with the first 12 hex digits "
    "of their sha256.",
    "synthetic": "True when the DST data is the synthetic demo snapshot, not DST statistics.",
    "sample": "True when the programme data is the generated sample, not reported data.",
    "notice": "The warning every output carries when synthetic or sample data is in it; "
    "empty for real data.",
}
# What readers are told when the stored snapshot stood in for DST: one sentence per language.
# The exception that caused it (host, port, errno) is for operators and stays in manifest.json.
FALLBACK_TEXT = {
    "da": "DST kunne ikke nås; det gemte øjebliksbillede er brugt.",
    "en": "DST could not be reached; the stored snapshot was used.",
}


def fallback_text(reason: str | None, lang: str = "en") -> str | None:
    """The reader's sentence for a DST fallback (None when there was none). ``reason`` is the
    technical detail, never shown: every fallback is DST being unreachable (an HTTP error from
    DST is never hidden by one)."""
    return FALLBACK_TEXT[lang] if reason else None


RELEASE_INFO_COMMENT = (
    "Provenance of this release, one row per key (see the data dictionary): "
    "run, time, code version, base year, DST source and versions, programme "
    "files, and whether the data is synthetic or sample."
)
RELEASE_INFO_COLUMNS = {
    "key": "Name of the provenance item (release, run_id, price_base_year, "
    "dst_versions, notice, ...).",
    "value": "Its value, as text.",
}


@dataclass(frozen=True)
class ReleaseFacts:
    release: str
    run_id: str
    created_at: str
    git_commit: str
    price_base_year: int | None
    dst_source_mode: str
    dst_tables: dict[str, dict[str, Any]]
    programme_inputs: list[dict[str, Any]]
    synthetic: bool
    sample: bool
    notices: list[str] = field(default_factory=list)
    version: str = ""  # citable version (pipelines/publish/package.py)

    @property
    def notice(self) -> str | None:
        return " ".join(self.notices) or None

    @property
    def fallback_reason(self) -> str | None:
        """Why DST data came from the snapshot although the live API was asked for."""
        reasons = sorted(
            {t["fallback_reason"] for t in self.dst_tables.values() if t.get("fallback_reason")}
        )
        return "; ".join(reasons) or None

    def fallback_sentence(self, lang: str = "en") -> str | None:
        """Why the snapshot was used, for readers (README, XLSX, report); None if not."""
        return fallback_text(self.fallback_reason, lang)

    def fallback_sentences(self) -> str | None:
        """The same in Danish, then English (for texts in both languages, like READ_ME)."""
        if not self.fallback_reason:
            return None
        return f"{self.fallback_sentence('da')} / {self.fallback_sentence('en')}"

    def dst_versions(self) -> str:
        return (
            ", ".join(
                f"{tid} {t.get('updated')} ({t.get('source_mode')})"
                for tid, t in sorted(self.dst_tables.items())
            )
            or "none"
        )

    def programme_files(self) -> str:
        return (
            ", ".join(
                f"{f.get('file')} (sha256 {str(f.get('sha256', ''))[:12]})"
                for f in self.programme_inputs
            )
            or "none"
        )

    def release_info(self) -> dict[str, str]:
        """The rows of the ``release_info`` table (and the Parquet key-value metadata)."""
        values = {
            "release": self.release,
            "version": self.version,
            "run_id": self.run_id,
            "created_at": self.created_at,
            "git_commit": self.git_commit,
            "price_base_year": "" if self.price_base_year is None else str(self.price_base_year),
            "dst_source_mode": self.dst_source_mode,
            "dst_fallback_reason": self.fallback_sentence("en") or "",
            "dst_versions": self.dst_versions(),
            "programme_files": self.programme_files(),
            "synthetic": str(self.synthetic),
            "sample": str(self.sample),
            "notice": self.notice or "",
        }
        return {key: values[key] for key in RELEASE_INFO_KEYS}


def price_base_year(tables: dict[str, pd.DataFrame]) -> int | None:
    """The release's fixed-price base year, as the published tables state it."""
    for name in ("price_index", "smv_rd_share_summary", "smv_rd_share"):
        df = tables.get(name)
        if df is not None and "price_base_year" in df and df["price_base_year"].notna().any():
            years = set(df["price_base_year"].dropna().astype(int))
            if len(years) != 1:
                raise ValueError(f"{name}: more than one price_base_year: {sorted(years)}")
            return years.pop()
    return None
