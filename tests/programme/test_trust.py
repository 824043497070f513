"""Files as cluster organisations really send them: half-copied, linked, re-saved by Excel,
carrying personal numbers or formulas. Each mechanism (settle rule, link rule, CPR mask, Excel
error values, date windows, the shrink guard, clear messages) is tested on its own and through
a load; every load that must not happen leaves the last good data byte-identical."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

import pytest
from dagster import AssetKey

from pipelines.programme import settle
from pipelines.programme.checks import validate
from pipelines.programme.checks.errors import (
    ProgrammeHeldError,
    ProgrammeRejectedError,
    ProgrammeUnsettledError,
)
from pipelines.programme.checks.identifiers import find_cpr, redact
from pipelines.programme.shrink import MARKER_NAME, shrinkage, write_acknowledgement
from tests.programme.helpers import (
    CLUSTERS,
    FINANCES,
    GENERATION,
    PARTICIPANTS,
    copy_rows,
    csv_bytes,
    query,
    run_ingest,
    snapshot,
    write_base,
    write_csv,
    write_xlsx,
)

CPR_LOST_ZERO = "101901234"  # 010190-1234 typed into a number cell


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _texts(quarantine) -> str:
    """Everything written to the quarantine reports, as one text."""
    return "\n".join(p.read_text("utf-8") for p in quarantine.glob("*.report.*"))


# --- the CPR mask ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [CPR_LOST_ZERO, "kontakt 311285432", "0101901234", "010190-1234"])
def test_cpr_forms_are_found_and_masked(text):
    assert find_cpr(text)
    assert "XXXXXX-XXXX" in redact(text)
    assert not any(run in redact(text) for run in ("101901234", "311285432", "1234"))


@pytest.mark.parametrize(
    "text", ["662000000", "90000012", "K01-P0001", "2025-03-01", "120000000", "1.234.567,50"]
)
def test_amounts_and_ids_are_not_masked(text):
    assert redact(text) == text


def test_nine_digit_amounts_are_not_cpr_in_amount_columns():
    assert find_cpr(CPR_LOST_ZERO) and not find_cpr(CPR_LOST_ZERO, amount=True)


@pytest.mark.fault
def test_cpr_without_leading_zero_in_cvr_column_is_never_echoed(
    data_dir, inbound, quarantine, loaded, caplog, reliability
):
    rows = copy_rows(PARTICIPANTS)
    rows[1][1] = CPR_LOST_ZERO
    write_csv(inbound / "participants.csv", rows)
    with caplog.at_level(logging.DEBUG), pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    [problem] = info.value.rejections[0].problems.items
    assert (problem.row, problem.column, problem.rule) == (2, "cvr", "personal_data")
    for shown in (
        str(info.value),
        _texts(quarantine),
        caplog.text,
        json.dumps([p.as_dict() for p in info.value.rejections[0].problems]),
    ):
        assert CPR_LOST_ZERO not in shown
    assert snapshot(data_dir) == loaded
    reliability(
        "a CPR number typed into a number cell loses its leading zero (9 digits) in the CVR column",
        "the file is rejected as personal data; no message, report or log repeats it",
        f"rejected: {problem.describe()}",
    )


def test_cpr_in_a_column_outside_the_contract_is_caught_in_xlsx_number_cells(
    data_dir, inbound, quarantine, loaded
):
    (inbound / "participants.csv").unlink()
    rows = [
        r + [x] for r, x in zip(PARTICIPANTS, ["kontakt", "", "", 101901234, "", ""], strict=True)
    ]
    write_xlsx(inbound / "participants.xlsx", rows)
    with pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    found = [(p.row, p.column, p.rule) for p in info.value.rejections[0].problems]
    assert (4, "kontakt", "personal_data") in found
    assert CPR_LOST_ZERO not in str(info.value) + _texts(quarantine)


def test_a_cpr_in_a_file_name_is_masked_in_every_message(data_dir, inbound, quarantine, loaded):
    rows = copy_rows(PARTICIPANTS)
    rows[2][3] = "stor"  # an enum error: the file name is echoed, never the number in it
    write_csv(inbound / "participants_0101901234.csv", rows)
    (inbound / "participants.csv").unlink()
    with pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    assert "participants_XXXXXX-XXXX.csv" in str(info.value)
    assert "0101901234" not in str(info.value) + _texts(quarantine)


# --- Excel error values, formulas, empty files, sheets -----------------------------------------


@pytest.mark.fault
def test_excel_error_value_in_xlsx_names_the_cell(
    data_dir, inbound, quarantine, loaded, reliability
):
    (inbound / "participants.csv").unlink()
    rows = copy_rows(PARTICIPANTS)
    rows[3][2] = "#N/A"  # openpyxl stores it as an error cell, as Excel caches a failed lookup
    write_xlsx(inbound / "participants.xlsx", rows)
    with pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    [problem] = info.value.rejections[0].problems.items
    assert (problem.row, problem.column, problem.rule) == (4, "participant_name", "excel_error")
    assert "cell C4 holds the Excel error #N/A" in problem.message
    assert snapshot(data_dir) == loaded
    reliability(
        "an XLSX cell holds a cached #N/A (a failed VLOOKUP)",
        "the file is rejected with rule excel_error naming the cell",
        f"rejected: {problem.describe()}",
    )


def test_excel_errors_as_danish_excel_writes_them_are_rejected(data_dir, inbound, loaded):
    """A CSV saved from Danish Excel holds a failed lookup as #I/T, not #N/A."""
    rows = copy_rows(PARTICIPANTS)
    rows[2][2] = "#I/T"
    rows[5][2] = "#VÆRDI!"
    write_csv(inbound / "participants.csv", rows)
    with pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    problems = info.value.rejections[0].problems.items
    assert [(p.row, p.rule) for p in problems] == [(3, "excel_error"), (6, "excel_error")]
    assert "#I/T" in problems[0].message and "#VÆRDI!" in problems[1].message
    assert snapshot(data_dir) == loaded


def test_formula_without_a_cached_value_is_called_that(data_dir, inbound, quarantine, loaded):
    (inbound / "clusters.csv").unlink()
    rows = copy_rows(CLUSTERS)
    rows[2][5] = "=F2*0.7"  # written by a script: a formula, never calculated
    write_xlsx(inbound / "clusters.xlsx", rows)
    with pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    [problem] = info.value.rejections[0].problems.items
    assert (problem.row, problem.column, problem.rule) == (
        3,
        "grant_dkk",
        "uncalculated_formula",
    )
    assert "open the file in Excel, save it" in problem.message


def _with_saved_results(path: Path) -> None:
    """Give every formula in the workbook's sheet a saved result, as Excel does on saving."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = re.sub(rb"<v\s*/>", b"", parts[sheet])  # openpyxl writes an empty result
    xml = re.sub(rb"(<c r=\"[A-Z]+[0-9]+\")>(<f>[^<]*</f>)", rb'\1 t="str">\2<v>saved</v>', xml)
    parts[sheet] = xml
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)


@pytest.mark.parametrize("chunk", [None, 7], ids=["whole", "7-byte stretches"])
def test_formula_without_a_cached_value_in_an_optional_cell_is_noted(
    data_dir, inbound, monkeypatch, chunk
):
    """An optional cell may be empty, so the file loads; the note says which cells a formula
    would have filled had Excel calculated it (also when the sheet's XML is read in stretches
    that cut through cells)."""
    from pipelines.programme.checks import reader

    if chunk:
        monkeypatch.setattr(reader, "_XML_CHUNK", chunk)
    write_base(inbound, skip="cluster_finances")
    rows = copy_rows(FINANCES)
    rows[1][4] = '="Foreløbige"&" tal"'
    rows[3][4] = "=E2"
    write_xlsx(inbound / "cluster_finances.xlsx", rows)
    load = run_ingest(data_dir)
    [note] = [n for n in load.notes if "never calculated" in n]
    assert "2 cell(s) hold a formula Excel never calculated" in note and "E2, E4" in note


def test_formulas_with_saved_results_are_not_noted(data_dir, inbound):
    write_base(inbound, skip="cluster_finances")
    rows = copy_rows(FINANCES)
    rows[1][4] = '="Foreløbige"&" tal"'
    write_xlsx(inbound / "cluster_finances.xlsx", rows)
    _with_saved_results(inbound / "cluster_finances.xlsx")
    load = run_ingest(data_dir)
    assert not [n for n in load.notes if "never calculated" in n]
    assert ("saved",) in query(
        data_dir, "select note from raw.programme_cluster_finances where note is not null"
    )


def test_zero_byte_file_is_called_empty(data_dir, inbound, quarantine, loaded):
    (inbound / "projects.csv").write_bytes(b"")
    with pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    [problem] = info.value.rejections[0].problems.items
    assert problem.rule == "empty_file" and "the file is empty (0 bytes)" in problem.message
    assert "none of the first" not in str(info.value)


def test_header_on_another_sheet_is_named(data_dir, inbound, quarantine, loaded):
    import openpyxl

    (inbound / "clusters.csv").unlink()
    book = openpyxl.Workbook()
    book.active.title = "Forside"
    book.active.append(["Indberetning 2026"])
    data = book.create_sheet("Klynger")
    for row in CLUSTERS:
        data.append(row)
    book.save(inbound / "clusters.xlsx")
    with pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    [problem] = info.value.rejections[0].problems.items
    assert problem.rule == "header"
    assert "the column names are on sheet 'Klynger'" in problem.message
    assert "first sheet ('Forside')" in problem.message


def test_text_starting_like_a_formula_loads_as_text_with_a_warning(data_dir, inbound):
    rows = copy_rows(CLUSTERS)
    rows[1][1] = '=HYPERLINK("http://x","click")'
    rows[2][1] = "@SUM(1+1)"
    write_base(inbound)
    write_csv(inbound / "clusters.csv", rows)
    load = run_ingest(data_dir)
    assert any("2 text cell(s) start like a spreadsheet formula" in n for n in load.notes)
    [(name,)] = [r for r in _query_names(data_dir) if r[0].startswith("=")]
    assert name == '=HYPERLINK("http://x","click")'  # raw data is never rewritten


def _query_names(data_dir):
    from tests.programme.helpers import query

    return query(data_dir, "select name from raw.programme_clusters")


# --- links -------------------------------------------------------------------------------------


@pytest.mark.fault
def test_a_link_is_rejected_and_its_target_never_opened(
    data_dir, inbound, quarantine, loaded, tmp_path, reliability
):
    target = tmp_path / "elsewhere.fifo"
    os.mkfifo(target)  # opening it for reading would block: a test that hangs means "opened"
    (inbound / "participants.csv").unlink()
    (inbound / "participants.csv").symlink_to(target)
    outcome: list[BaseException] = []
    worker = threading.Thread(target=lambda: _capture(outcome, run_ingest, data_dir), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "the link's target was opened"
    [error] = outcome
    assert isinstance(error, ProgrammeRejectedError)
    [rejection] = error.rejections
    [problem] = rejection.problems.items
    assert problem.rule == "not_a_regular_file" and rejection.sha256 == ""
    report = json.loads(next(quarantine.glob("*.report.json")).read_text("utf-8"))
    assert report["size_bytes"] == 0 and report["sha256"] == ""
    assert target.exists()  # the link was moved, never what it points to
    assert snapshot(data_dir) == loaded
    reliability(
        "a symbolic link in the inbound folder points to a file elsewhere",
        "rejected with rule not_a_regular_file; the target is never opened or hashed",
        f"rejected: {problem.describe()}; the target (a named pipe) was never opened",
    )


def _capture(outcome, fn, *args):
    try:
        fn(*args)
    except BaseException as exc:  # noqa: BLE001 - handed to the test thread
        outcome.append(exc)


# --- the settle rule ---------------------------------------------------------------------------


def test_settle_rule_on_its_own(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_bytes(b"a;b\r\n")
    states = settle.states([path])
    assert list(settle.unsettled(states, time.time(), 30)) == [path]
    assert settle.unsettled(states, time.time() + 31, 30) == {}
    assert settle.changed(states) == {}
    path.write_bytes(b"a;b\r\n1;2\r\n")
    assert "changed while it was being read" in settle.changed(states)[path]


def test_a_modification_time_from_a_clock_ahead_does_not_hold_a_file_forever(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_bytes(b"a;b\r\n")
    tomorrow = time.time() + 86_400
    os.utime(path, (tomorrow, tomorrow))  # kept from a sender whose clock runs ahead
    state = settle.FileState.of(path)
    assert settle.too_young(state, time.time(), 30)  # it did arrive just now
    assert not settle.too_young(state, time.time() + 31, 30)  # judged by the local clock


@pytest.mark.fault
def test_a_file_still_being_copied_is_skipped_never_quarantined(
    data_dir, inbound, quarantine, loaded, reliability
):
    full = csv_bytes(PARTICIPANTS)
    (inbound / "participants.csv").write_bytes(full[: len(full) // 3])  # a third, cut mid-row
    for name in ("clusters", "projects", "cluster_finances"):
        _age(inbound / f"{name}.csv", 3600)
    load = run_ingest(data_dir, settle_seconds=30)
    assert list(load.unsettled) == [f"{GENERATION}/participants.csv"]
    assert "still being written" in load.notes[0]
    assert snapshot(data_dir) == loaded  # the previous load stays, untouched
    assert not quarantine.exists() and (inbound / "participants.csv").exists()
    (inbound / "participants.csv").write_bytes(full)  # the copy finishes
    _age(inbound / "participants.csv", 60)
    assert run_ingest(data_dir, settle_seconds=30).unsettled == {}
    reliability(
        "participants.csv is still being copied (a third of it, cut mid-row)",
        "the set is skipped with a warning, the previous load stays, nothing is "
        "quarantined; the finished file loads on the next refresh",
        f"{load.notes[0]}; loaded once settled",
    )


@pytest.mark.fault
def test_a_file_written_to_while_it_is_read_is_skipped(
    data_dir, inbound, quarantine, loaded, monkeypatch, reliability
):
    rows = copy_rows(PARTICIPANTS)
    rows[1][3] = "ikke en type"  # would be rejected, were it judged
    write_csv(inbound / "participants.csv", rows)
    checked_once = validate.check_file

    def appending(inbound_file, schema, data):
        if inbound_file.relative == f"{GENERATION}/participants.csv":
            with open(inbound_file.path, "ab") as fh:
                fh.write(b"K02-P0001;;x;foreign;0;0;0;nej\r\n")
        return checked_once(inbound_file, schema, data)

    monkeypatch.setattr(validate, "check_file", appending)
    load = run_ingest(data_dir)
    assert f"{GENERATION}/participants.csv" in load.unsettled
    assert not quarantine.exists() and snapshot(data_dir) == loaded
    reliability(
        "a file is appended to while the load reads it",
        "the set is skipped, not judged and not quarantined; the previous load stays",
        f"skipped: {load.unsettled[f'{GENERATION}/participants.csv']}",
    )


def test_unsettled_files_without_any_earlier_load_fail_clearly(data_dir, inbound):
    write_base(inbound)
    with pytest.raises(ProgrammeUnsettledError, match="nothing has been loaded yet"):
        run_ingest(data_dir, settle_seconds=30)


@pytest.mark.slow  # two Dagster materialisations
def test_every_entry_point_applies_the_settle_rule(data_dir, inbound):
    """The Dagster asset (what `make run`, the schedule and the UI run) takes the setting from
    its settings resource and reports the skip in its metadata."""
    from tests.programme.test_assets_and_sensor import _materialize

    for path in write_base(inbound).values():
        _age(path, 3600)
    assert _materialize(data_dir).success
    write_csv(inbound / "participants_K02.csv", [PARTICIPANTS[0], PARTICIPANTS[5]])
    result = _materialize(data_dir, settle_seconds=30)
    assert result.success
    [meta] = [
        {k: v.value for k, v in m.metadata.items()}
        for m in result.asset_materializations_for_node("programme_inbound")
        if m.asset_key == AssetKey(["raw", "programme_participants"])
    ]
    assert list(meta["skipped_unsettled"]) == [GENERATION]
    assert list(meta["skipped_unsettled"][GENERATION]) == [f"{GENERATION}/participants_K02.csv"]


# --- the shrink guard --------------------------------------------------------------------------


def test_shrinkage_rule():
    assert shrinkage({"participants": 3000}, {"participants": 0}, 0.5) == [
        "participants from 3,000 to 0 rows (-100%)"
    ]
    assert shrinkage({"participants": 3000}, {"participants": 1500}, 0.5) == []
    assert shrinkage({"participants": 0}, {"participants": 0}, 0.5) == []


@pytest.mark.slow  # four loads
@pytest.mark.fault
def test_a_header_only_file_is_held_until_acknowledged(data_dir, inbound, loaded, reliability):
    write_csv(inbound / "participants.csv", PARTICIPANTS[:1])
    with pytest.raises(ProgrammeHeldError, match="participants from 5 to 0 rows") as info:
        run_ingest(data_dir)
    assert "make acknowledge-shrink" in str(info.value)
    assert snapshot(data_dir) == loaded
    write_acknowledgement(inbound)
    write_csv(inbound / "participants.csv", PARTICIPANTS[:2])  # a different set: not covered
    with pytest.raises(ProgrammeHeldError):
        run_ingest(data_dir)
    write_acknowledgement(inbound)
    assert run_ingest(data_dir).rows["participants"] == 1
    assert not (inbound / MARKER_NAME).exists()
    reliability(
        "a participants file holding only its header replaces the loaded one",
        "the load is held with the numbers until acknowledged for exactly that set",
        f"held: {str(info.value)[:160]}...; applied after make acknowledge-shrink",
    )


@pytest.mark.slow  # loads the full sample
def test_replacing_the_sample_by_real_reports_is_never_held(data_dir, inbound):
    run_ingest(data_dir)  # the committed sample: thousands of participants
    write_base(inbound)  # the first real reports: a handful
    assert run_ingest(data_dir).rows["participants"] == len(PARTICIPANTS) - 1


def test_a_workbook_that_unpacks_beyond_the_limit_is_not_opened(data_dir, inbound, monkeypatch):
    """A zip bomb: a small file whose parts unpack to far more than any report. The sizes in
    the zip's directory decide before openpyxl reads a byte (here the limit is lowered)."""
    from pipelines.programme.checks import reader

    rows = copy_rows(CLUSTERS) + [["K99", "x" * 30_000]] * 100  # 3 MB compressing to kBs
    write_xlsx(inbound / "clusters.xlsx", rows)
    assert (inbound / "clusters.xlsx").stat().st_size < 100_000
    monkeypatch.setattr(reader, "MAX_XLSX_UNPACKED_BYTES", 2 << 20)
    opened = []
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: opened.append(a))
    with pytest.raises(reader.FileError) as err:
        reader.open_table(inbound / "clusters.xlsx", (inbound / "clusters.xlsx").read_bytes(), [])
    assert err.value.rule == "file_format" and "unpacks to" in err.value.message
    assert not opened


def test_a_cpr_number_in_a_file_name_rejects_the_file_and_is_never_repeated(
    data_dir, inbound, quarantine, loaded
):
    """File names are published (manifest, README, report, source_file columns), so one
    holding a CPR-like number is rejected; its quarantine copy and reports are named masked."""
    name = "participants_K01 010190-1234.csv"
    write_csv(inbound / name, PARTICIPANTS)
    with pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    [rejection] = info.value.rejections
    [problem] = rejection.problems.items
    assert (problem.row, problem.rule) == (None, "personal_data")
    assert "file name holds a number that looks like a CPR number" in problem.message
    assert "010190" not in str(info.value) and "XXXXXX-XXXX" in str(info.value)
    names = sorted(p.name for p in quarantine.iterdir())
    assert names and not [n for n in names if "010190" in n]
    [report] = [p for p in quarantine.iterdir() if p.name.endswith(".report.json")]
    data = json.loads(report.read_text("utf-8"))
    assert (quarantine / data["quarantined_as"]).is_file()  # the named copy exists
    assert data["quarantined_as"].endswith("_participants_K01 XXXXXX-XXXX.csv")
    assert "010190" not in report.read_text("utf-8")
    assert snapshot(data_dir) == loaded


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\t"])
def test_a_control_or_invisible_character_in_a_file_name_rejects_the_file(
    data_dir, inbound, quarantine, loaded, char
):
    """A right-to-left override in a file name would turn around the text after it in every
    output that lists the file (the report's provenance page, README, XLSX READ_ME)."""
    write_csv(inbound / f"participants_K01{char}vsc.exe.csv", PARTICIPANTS)
    with pytest.raises(ProgrammeRejectedError) as info:
        run_ingest(data_dir)
    [problem] = info.value.rejections[0].problems.items
    assert problem.rule == "file_name" and f"U+{ord(char):04X}" in problem.message
    assert snapshot(data_dir) == loaded


def test_a_file_name_with_a_date_and_a_time_is_not_taken_for_a_cpr_number(data_dir, inbound):
    write_base(inbound, skip="participants")
    write_csv(inbound / "participants_150124_1030.csv", PARTICIPANTS)
    load = run_ingest(data_dir)
    assert f"{GENERATION}/participants_150124_1030.csv" in [f.file for f in load.files]


def _prefixed(path: Path) -> None:
    """The sheet's XML with a namespace prefix on every element, as .NET's OpenXML SDK writes."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = re.sub(rb"<(/?)(?!\?)(\w+)([\s>/])", rb"<\1x:\2\3", parts[sheet])
    parts[sheet] = xml.replace(
        b"<x:worksheet ",
        b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ',
        1,
    )
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)


def test_the_uncalculated_formula_note_reads_prefixed_sheets(tmp_path):
    from pipelines.programme.checks.reader import (
        uncalculated_formula_cells,
        uncalculated_formula_note,
    )

    rows = copy_rows(FINANCES)
    rows[1][4] = "=E3"
    path = write_xlsx(tmp_path / "cluster_finances.xlsx", rows)
    _prefixed(path)
    assert b"<x:c " in zipfile_part(path) and b"<c " not in zipfile_part(path)
    note = uncalculated_formula_note(
        uncalculated_formula_cells(path.read_bytes(), "xl/worksheets/sheet1.xml")
    )
    assert note and "1 cell(s)" in note and "E2" in note


def test_rich_text_is_not_taken_for_a_formula(tmp_path):
    """An inline rich string's run properties hold <family .../>: no formula."""
    import zipfile

    from pipelines.programme.checks.reader import uncalculated_formula_cells

    path = write_xlsx(tmp_path / "cluster_finances.xlsx", copy_rows(FINANCES))
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    rich = b'<c r="E2" t="inlineStr"><is><r><rPr><family val="2"/></rPr><t>x</t></r></is></c>'
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"</row>", rich + b"</row>", 1
    )
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    assert uncalculated_formula_cells(path.read_bytes(), "xl/worksheets/sheet1.xml") == []


def zipfile_part(path: Path, name: str = "xl/worksheets/sheet1.xml") -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def test_the_first_sheet_is_found_as_the_workbook_orders_it(tmp_path):
    """The formula scan reads the sheet the reader read: the workbook's first sheet, whatever
    its part is called (sheets moved in Excel keep their part names) and whether the
    relationship names it by an absolute or a relative path."""
    import zipfile

    import openpyxl

    from pipelines.programme.checks.reader import first_sheet_part, uncalculated_formula_cells

    book = openpyxl.Workbook()
    book.active.title = "Data"
    book.active["B2"] = "=A1*2"  # never calculated
    book.create_sheet("Noter")["A1"] = "ikke data"
    book.save(tmp_path / "saved.xlsx")
    with zipfile.ZipFile(tmp_path / "saved.xlsx") as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}

    def workbook(name: str, first: str, absolute: bool) -> bytes:
        """The first sheet's content in part ``first``, the other in the other part."""
        one, two = "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"
        other = two if first == one else one
        rels = parts["xl/_rels/workbook.xml.rels"].decode()
        rels = rels.replace("/xl/worksheets/sheet1.xml", "@FIRST").replace(
            "/xl/worksheets/sheet2.xml", "@OTHER"
        )
        prefix = "/" if absolute else ""
        rels = rels.replace("@FIRST", prefix + first.removeprefix("xl/" if not absolute else ""))
        rels = rels.replace("@OTHER", prefix + other.removeprefix("xl/" if not absolute else ""))
        content = {**parts, first: parts[one], other: parts[two]}
        content["xl/_rels/workbook.xml.rels"] = rels.encode()
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as archive:
            for part, data in content.items():
                archive.writestr(part, data)
        return path.read_bytes()

    for absolute in (True, False):
        for first in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):
            data = workbook("book.xlsx", first, absolute)
            assert first_sheet_part(data) == first
            assert uncalculated_formula_cells(data, first_sheet_part(data)) == ["B2"]

    del parts["xl/_rels/workbook.xml.rels"]
    with zipfile.ZipFile(tmp_path / "no_relationships.xlsx", "w") as archive:
        for part, data in parts.items():
            archive.writestr(part, data)
    assert first_sheet_part((tmp_path / "no_relationships.xlsx").read_bytes()) is None
