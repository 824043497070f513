"""Write the sample's four files, each in a format the reader must handle.

* ``clusters.xlsx``: XLSX with a title row above the header, amounts as numbers;
* ``projects.csv``: ``;``-separated UTF-8 with BOM, decimal comma (``1234567,00``);
* ``participants.csv``: ``,``-separated UTF-8 without BOM, decimal point, ja/nej;
* ``cluster_finances.csv``: ``;``-separated Windows-1252, ``1.234.567,00``, notes with æøå.

Bytes repeat for the same input: XLSX zip entries and document times are fixed, and
participants are written in chunks, so a million rows take seconds. A field the generation
never reported (its contract's ``absent``) is left out of the file, header and all.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

from pipelines.synthetic.programme_catalogue import (
    CLUSTERS,
    PROJECT_TYPES,
    TITLE_FOR,
    TITLE_WHAT,
    TYPES,
    finance_note,
    grant_type_of,
    participant_name,
)
from pipelines.synthetic.programme_money import Finances
from pipelines.synthetic.programme_plan import Clusters, Participants, ProjectMoney, Projects

CHUNK_ROWS = 100_000
_FIXED_TIME = datetime(2000, 1, 1)  # the XLSX's document and zip entry times
_CSV_LINE_END = "\r\n"


@dataclass(frozen=True)
class CsvFormat:
    delimiter: str
    encoding: str


PROJECTS_CSV = CsvFormat(";", "utf-8-sig")
PARTICIPANTS_CSV = CsvFormat(",", "utf-8")
FINANCES_CSV = CsvFormat(";", "cp1252")


def kr_comma(value: int) -> str:
    return f"{value},00"


def kr_dotted(value: float) -> str:
    """``14.250.000,00``: thousands dots and a decimal comma."""
    return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def without(
    header: Sequence[str], rows: Iterable[Sequence[object]], omit: Collection[str]
) -> tuple[list[str], Iterable[Sequence[object]]]:
    """The header and rows without the columns named in ``omit`` (absent fields)."""
    if not omit:
        return list(header), rows
    keep = [i for i, name in enumerate(header) if name not in omit]
    return [header[i] for i in keep], ([row[i] for i in keep] for row in rows)


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    fmt: CsvFormat,
    omit: Collection[str] = (),
) -> None:
    header, rows = without(header, rows, omit)
    with open(path, "w", encoding=fmt.encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=fmt.delimiter, lineterminator=_CSV_LINE_END)
        writer.writerow(header)
        writer.writerows(rows)


def write_clusters(
    path: Path, clusters: Clusters, programme_name: str, omit: Collection[str] = ()
) -> None:
    """An XLSX with a title row naming the generation; zip entries and document times fixed,
    so bytes repeat."""
    import openpyxl
    from openpyxl.writer.excel import ExcelWriter

    header, rows = without(
        ["cluster_id", "name", "business_area", "cvr", "region", "grant_dkk"],
        (
            [cid, name, area, str(cvr), region, int(grant)]
            for (cid, name, area, region), cvr, grant in zip(
                CLUSTERS[: len(clusters.grants)], clusters.cvrs, clusters.grants, strict=True
            )
        ),
        omit,
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Klynger"
    sheet.append([f"{programme_name}: klyngeorganisationer (SYNTETISKE EKSEMPELDATA)"])
    sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.properties.creator = "klynge-pipeline: synthetic sample"
    book.properties.created = book.properties.modified = _FIXED_TIME
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=_FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(item.filename))


def project_ids(projects: Projects, cluster_ids: list[str]) -> list[str]:
    """``K01-P0001``: the serial within the cluster, at least four digits."""
    width = max(4, len(str(np.bincount(projects.cluster).max())))
    first_of_cluster = np.searchsorted(projects.cluster, np.arange(len(cluster_ids)))
    serial = np.arange(len(projects)) - first_of_cluster[projects.cluster] + 1
    return [
        f"{cluster_ids[c]}-P{s:0{width}d}" for c, s in zip(projects.cluster, serial, strict=True)
    ]


def write_projects(
    path: Path,
    ids: list[str],
    cluster_ids: list[str],
    projects: Projects,
    money: ProjectMoney,
    first_day: date,
    grant_types: Sequence[str],
    omit: Collection[str] = (),
) -> None:
    """The projects; each project's grant type follows its kind (an illustrative rule:
    :data:`~pipelines.synthetic.programme_catalogue.GRANT_TYPE_OF_PROJECT_TYPE`)."""
    day0 = np.datetime64(first_day.isoformat())
    starts, ends = (day0 + projects.start).astype(str), (day0 + projects.end).astype(str)
    write_csv(
        path,
        [
            "project_id",
            "cluster_id",
            "title",
            "start_date",
            "end_date",
            "budget_dkk",
            "cluster_funding_dkk",
            "overhead_dkk",
            "private_cofinancing_dkk",
            "project_type",
            "grant_type",
        ],
        (
            [
                ids[p],
                cluster_ids[projects.cluster[p]],
                f"{TITLE_WHAT[projects.title_what[p]]} {TITLE_FOR[projects.title_for[p]]}",
                starts[p],
                ends[p],
                kr_comma(money.budget[p]),
                kr_comma(money.cluster_funding[p]),
                kr_comma(money.overhead[p]),
                kr_comma(money.private[p]),
                PROJECT_TYPES[projects.kind[p]],
                grant_type_of(PROJECT_TYPES[projects.kind[p]], grant_types),
            ]
            for p in range(len(projects))
        ),
        PROJECTS_CSV,
        omit,
    )


def _participant_rows(
    ids: list[str], people: Participants, cvrs: dict[str, np.ndarray], lo: int, hi: int
) -> list[list[object]]:
    kinds, orgs = people.kind[lo:hi].tolist(), people.org[lo:hi].tolist()
    return [
        [
            ids[p],
            "" if TYPES[t] == "foreign" else str(cvrs[TYPES[t]][o]),
            participant_name(TYPES[t], o),
            TYPES[t],
            f"{f // 100}.{f % 100:02d}",
            fund,
            own,
            "ja" if new else "nej",
        ]
        for p, t, o, f, fund, own, new in zip(
            people.project[lo:hi].tolist(),
            kinds,
            orgs,
            people.fte_hundredths[lo:hi].tolist(),
            people.funding[lo:hi].tolist(),
            people.own[lo:hi].tolist(),
            people.new_to_rd[lo:hi].tolist(),
            strict=True,
        )
    ]


def write_participants(
    path: Path,
    ids: list[str],
    people: Participants,
    cvrs: dict[str, np.ndarray],
    omit: Collection[str] = (),
) -> None:
    """Streamed in chunks: one chunk of rows is formatted at a time."""
    chunks = (
        row
        for lo in range(0, len(people.project), CHUNK_ROWS)
        for row in _participant_rows(
            ids, people, cvrs, lo, min(lo + CHUNK_ROWS, len(people.project))
        )
    )
    write_csv(
        path,
        [
            "project_id",
            "cvr",
            "participant_name",
            "participant_type",
            "fte",
            "funding_received_dkk",
            "own_contribution_dkk",
            "new_to_rd",
        ],
        chunks,
        PARTICIPANTS_CSV,
        omit,
    )


def write_finances(
    path: Path,
    cluster_ids: list[str],
    years: tuple[int, ...],
    finances: Finances,
    omit: Collection[str] = (),
) -> None:
    rows = (
        [
            cid,
            str(year),
            kr_dotted(round(finances.drawn[c, j], 2)),
            kr_dotted(round(finances.attracted[c, j], 2)),
            finance_note(j),
        ]
        for c, cid in enumerate(cluster_ids)
        for j, year in enumerate(years)
    )
    write_csv(
        path,
        [
            "cluster_id",
            "year",
            "public_funding_drawn_dkk",
            "private_financing_attracted_dkk",
            "note",
        ],
        rows,
        FINANCES_CSV,
        omit,
    )
