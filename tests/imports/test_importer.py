"""Importing spreadsheets: every accepted variant, every refusal, upsert, stale rows, undo, CLI.

Database tests run on SQLite and PostgreSQL (the `engine` fixture); reading files needs no
database. The hypothesis test (random cells, broken quoting, mixed encodings) runs on SQLite.
Files are built in the test from one valid row (`BASE`), changed where a case needs it.
"""

from __future__ import annotations

import csv
import io
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from xchange.cli import cli
from xchange.db import engine as db
from xchange.errors import PermissionDenied, ValidationFailed, XchangeError
from xchange.imports import write as import_writer
from xchange.imports.files import read_file
from xchange.imports.importer import (
    ImportReport,
    UndoRefused,
    annotated_copy,
    report_csv,
    run_import,
    undo_import,
)
from xchange.imports.reading import FileRefused, column_key
from xchange.models import (
    AuditEvent,
    Exchange,
    ImportBatch,
    Organisation,
    Partnership,
    Person,
    Role,
    User,
    UserPartnership,
)
from xchange.register import service
from xchange.register.parsing import COLUMNS, REQUIRED
from xchange.register.queries import history_frame

TODAY = date(2026, 6, 30)
COORDINATOR = "anna@cluster.eu"
OFFICER = "officer@ec.europa.eu"

# A completed five-day stay (Mon 10 to Fri 14 March 2025), 850 km apart: full lump sum.
BASE: dict[str, str] = {
    "reference": "R-001",
    "partnership": "GTEX",
    "status": "completed",
    "modality": "physical",
    "start_date": "2025-03-10",
    "end_date": "2025-03-14",
    "visitor_organisation": "Acme Cluster",
    "host_organisation": "Beta Hub",
    "visitor_type": "cluster organisation",
    "host_type": "university",
    "visitor_country": "DE",
    "host_country": "FR",
    "visitor_is_sme": "no",
    "host_is_sme": "yes",
    "visitor_community": "partner",
    "host_community": "external",
    "ecosystem": "Digital",
    "activity": "networking",
    "representative": "Jane Doe",
    "distance_km": "850",
    "lump_sum_eur": "",
    "cancellation_reason": "",
    "notes": "",
}


def row(**changes: str) -> dict[str, str]:
    return {**BASE, **changes}


def rows(n: int, **changes: str) -> list[dict[str, str]]:
    """`n` valid rows: distinct references and visitors (an organisation visits once)."""
    return [
        row(reference=f"R-{i:03}", visitor_organisation=f"Visitor {i}", **changes)
        for i in range(1, n + 1)
    ]


def csv_bytes(
    records: list[dict[str, str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    header: Callable[[str], str] = str,
) -> bytes:
    buffer = io.StringIO()
    columns = list(records[0]) if records else list(BASE)
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([header(c) for c in columns])
    writer.writerows([r.get(c, "") for c in columns] for r in records)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    """A workbook with typed cells (dates, numbers, booleans as given)."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    dated = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, cells in sheets.items():
        sheet = book.add_worksheet(name)
        for r, values in enumerate(cells):
            for c, value in enumerate(values):
                if isinstance(value, date):
                    sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), dated)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


@dataclass
class Register:
    """An engine with partnerships GTEX and AGRI, a GTEX coordinator and an officer."""

    engine: Engine

    def user(self, email: str | None = None) -> User:
        with db.read_session(self.engine) as session:
            found = session.exec(select(User).where(User.email == (email or db.LOCAL_ADMIN_EMAIL)))
            return found.one()

    def load(
        self,
        data: bytes,
        filename: str = "exchanges.csv",
        *,
        user: str | None = None,
        **options: Any,
    ) -> ImportReport:
        source = read_file(data, filename)
        # As the command and the page open it: SQLite leaves the foreign keys unchecked...
        with db.write_session(self.engine, check_foreign_keys=False) as session:
            report = run_import(
                session=session, actor=self.user(user), source=source, today=TODAY, **options
            )
        assert self.dangling_references() == []  # ...because every import keeps them whole
        return report

    def dangling_references(self) -> list[Any]:
        """Rows whose foreign key names no row (SQLite's own check; PostgreSQL refuses them)."""
        if self.engine.dialect.name != "sqlite":
            return []
        with self.engine.connect() as connection:
            return list(connection.exec_driver_sql("PRAGMA foreign_key_check").all())

    def undo(self, batch_id: int, user: str | None = None) -> Any:
        with db.write_session(self.engine) as session:
            return undo_import(session=session, actor=self.user(user), batch_id=batch_id)

    def count(self, model: Any) -> int:
        with db.read_session(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(model)).one())

    def exchanges(self) -> dict[str, Exchange]:
        with db.read_session(self.engine) as session:
            return {x.reference: x for x in session.exec(select(Exchange)).all()}

    def state(self) -> tuple[int, ...]:
        """Row counts of everything an import writes (refused attempts left out)."""
        with db.read_session(self.engine) as session:
            audit = session.exec(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action != "refused")
            ).one()
        models = (Exchange, Organisation, Person, ImportBatch)
        return (*(self.count(m) for m in models), int(audit))

    def summaries_agree(self) -> bool:
        """The trigger-kept KPI sums equal sums computed afresh from `exchange`."""
        kept_sql = (
            "SELECT partnership_id, status, end_date, SUM(n), SUM(sme), SUM(lump_sum_cents) "
            "FROM kpi_daily GROUP BY partnership_id, status, end_date HAVING SUM(n) <> 0"
        )
        fresh_sql = (
            "SELECT partnership_id, status, end_date, COUNT(*), "
            "SUM(CASE WHEN involves_sme THEN 1 ELSE 0 END), SUM(lump_sum_cents) "
            "FROM exchange GROUP BY partnership_id, status, end_date"
        )
        with self.engine.connect() as connection:
            kept = {tuple(map(str, r)) for r in connection.exec_driver_sql(kept_sql)}
            fresh = {tuple(map(str, r)) for r in connection.exec_driver_sql(fresh_sql)}
        return kept == fresh


def make_register(engine: Engine) -> Register:
    with db.write_session(engine) as session:
        admin = session.exec(select(User).where(User.email == db.LOCAL_ADMIN_EMAIL)).one()
        assert admin.id is not None
        for acronym in ("GTEX", "AGRI"):
            session.add(
                Partnership(
                    acronym=acronym,
                    name=f"{acronym} partnership",
                    action_start=date(2025, 1, 1),
                    action_end=date(2027, 12, 31),
                )
            )
        coordinator = User(email=COORDINATOR, role=Role.COORDINATOR.value)
        session.add_all([coordinator, User(email=OFFICER, role=Role.OFFICER.value)])
        session.flush()
        assert coordinator.id is not None
        session.add(UserPartnership(user_id=coordinator.id, partnership_id=1))
    return Register(engine)


@pytest.fixture
def register(engine: Engine) -> Register:
    return make_register(engine)


@pytest.fixture
def lite(sqlite_engine: Engine) -> Register:
    return make_register(sqlite_engine)


def codes(report: ImportReport) -> list[tuple[int | None, str]]:
    return [(i.row, i.code) for i in report.errors]


# --- reading: accepted variants (no database) ------------------------------------------------


def _header_variants() -> list[Any]:
    return [
        pytest.param(str, id="canonical"),
        pytest.param(lambda c: c.upper(), id="upper case"),
        pytest.param(lambda c: c.replace("_", " ").title(), id="Title Case With Spaces"),
        pytest.param(lambda c: c.replace("_", "-"), id="hyphens"),
        pytest.param(lambda c: f"  {c} ", id="padded"),
    ]


@pytest.mark.parametrize("header", _header_variants())
def test_headers_in_any_case_with_spaces_or_hyphens(header: Callable[[str], str]) -> None:
    source = read_file(csv_bytes([row()], header=header), "x.csv")
    assert list(source.frame.columns) == list(BASE)
    assert source.frame.loc[2, "host_country"] == "FR"


def test_labels_with_units_are_headers_too() -> None:
    data = csv_bytes([row()], header=lambda c: {"distance_km": "Distance (km)"}.get(c, c))
    assert read_file(data, "x.csv").frame.loc[2, "distance_km"] == "850"


@pytest.mark.parametrize(
    ("delimiter", "encoding", "described"),
    [
        (",", "utf-8", "CSV, UTF-8, delimiter ','"),
        (";", "utf-8", "CSV, UTF-8, delimiter ';'"),
        ("\t", "utf-8", "CSV, UTF-8, delimiter tab"),
        (";", "utf-8-sig", "CSV, UTF-8 with BOM, delimiter ';'"),
        (";", "utf-16", "CSV, UTF-16, delimiter ';'"),  # Excel's "Unicode text", with its BOM
        (";", "cp1252", "CSV, Windows-1252, delimiter ';'"),
    ],
)
def test_delimiters_and_encodings(delimiter: str, encoding: str, described: str) -> None:
    data = csv_bytes(
        [row(visitor_organisation="Société Générale")], delimiter=delimiter, encoding=encoding
    )
    source = read_file(data, "x.csv")
    assert source.describe() == f"{described}, 1 rows"
    assert source.frame.loc[2, "visitor_organisation"] == "Société Générale"
    warned = [i.code for i in source.issues]
    assert warned == (["encoding_cp1252"] if encoding == "cp1252" else [])


def test_mixed_encodings_keep_the_utf8_lines() -> None:
    head = csv_bytes([row(visitor_organisation="Müller GmbH")])
    tail = csv_bytes([row(reference="R-2", visitor_organisation="Société")], encoding="cp1252")
    source = read_file(head + tail.split(b"\r\n", 1)[1], "x.csv")
    assert source.frame["visitor_organisation"].tolist() == ["Müller GmbH", "Société"]
    assert "line 3 read as Windows-1252" in source.issues[0].message


def test_a_byte_that_is_not_utf8_far_into_the_file_is_read_as_cp1252_on_its_line() -> None:
    # Far beyond the first 64 KiB, where the header and the delimiter are found.
    lines = csv_bytes(rows(2000)).split(b"\r\n")
    lines[1500] = lines[1500].replace(b"Visitor 1500", b"Caf\xe9 1500")
    source = read_file(b"\r\n".join(lines), "x.csv")
    assert len(b"\r\n".join(lines[:1500])) > 1 << 17
    assert source.encoding == "Windows-1252"
    assert source.frame.loc[1501, "visitor_organisation"] == "Café 1500"
    assert source.frame.loc[1500, "visitor_organisation"] == "Visitor 1499"
    assert "line 1501 read as Windows-1252" in source.issues[0].message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_a_nul_far_into_the_file_is_refused(encoding: str) -> None:
    text = csv_bytes(rows(2000, notes="Société")).decode("utf-8")
    with pytest.raises(FileRefused, match="binary data"):
        read_file((text[:-40] + "\x00" + text[-40:]).encode(encoding), "x.csv")


def test_a_header_after_64_kib_of_blank_lines_is_found_across_a_cut_character() -> None:
    # The header's first character (a stray BOM, three bytes in UTF-8) straddles byte 65,536,
    # where the first look for the header line stops.
    blank = b",\r\n" * 21845  # 65,535 bytes
    source = read_file(blank + b"\xef\xbb\xbf" + csv_bytes(rows(2)), "x.csv")
    assert source.header_row == 21846
    assert source.frame.index.tolist() == [21847, 21848]
    assert (source.encoding, source.delimiter) == ("UTF-8", ",")


def test_blank_rows_keep_the_spreadsheet_row_numbers() -> None:
    lines = csv_bytes(rows(2)).split(b"\r\n")
    data = b"\r\n".join([b"", lines[0], lines[1], b",,", b"", lines[2]]) + b"\r\n"
    source = read_file(data, "x.csv")
    assert source.header_row == 2
    assert source.frame.index.tolist() == [3, 6]


@pytest.mark.parametrize("blank", [" ", "\u00a0", " \u2003 ", "\u3000"])
def test_a_row_of_spaces_is_blank_but_a_letter_between_spaces_is_not(blank: str) -> None:
    lines = csv_bytes(rows(3)).decode("utf-8").split("\r\n")
    spaces = ",".join([blank] * len(BASE))
    letter = ",".join([blank] * (len(BASE) - 1) + [f"{blank}é{blank}"])
    data = "\r\n".join([lines[0], lines[1], spaces, letter, lines[2]]).encode("utf-8")
    source = read_file(data, "x.csv")
    assert source.frame.index.tolist() == [2, 4, 5]
    assert source.frame.loc[4, "notes"] == f"{blank}é{blank}"  # read as written


def test_quoted_line_breaks_stay_in_their_cell() -> None:
    source = read_file(csv_bytes([row(notes="two\nlines"), row(reference="R-2")]), "x.csv")
    assert source.frame["notes"].tolist() == ["two\nlines", ""]
    assert source.frame.index.tolist() == [2, 3]


def test_a_workbook_with_typed_cells() -> None:
    header = list(BASE)
    values: list[Any] = list(BASE.values())
    values[header.index("reference")] = 101.0  # Excel keeps numbers as floats
    values[header.index("start_date")] = date(2025, 3, 10)
    values[header.index("end_date")] = 45730  # a date cell that lost its format: 2025-03-14
    values[header.index("visitor_is_sme")] = False
    values[header.index("distance_km")] = 850
    data = xlsx_bytes({"notes": [["read me"]], "exchanges": [header, values]})
    source = read_file(data, "book.xlsx")
    frame = source.frame
    assert (source.sheet, frame.index.tolist()) == ("exchanges", [2])
    assert frame.loc[2, "reference"] == "101"
    assert frame.loc[2, "start_date"] == date(2025, 3, 10)
    assert frame.loc[2, "end_date"] == date(2025, 3, 14)
    assert frame.loc[2, "visitor_is_sme"] is False
    assert [i.code for i in source.issues] == ["sheet_chosen"]
    assert "read 'exchanges'" in source.issues[0].message


def test_the_formula_guard_of_an_export_is_taken_away() -> None:
    source = read_file(csv_bytes([row(notes="'=SUM(A1)", cancellation_reason="'plain")]), "x.csv")
    assert source.frame.loc[2, "notes"] == "=SUM(A1)"
    assert source.frame.loc[2, "cancellation_reason"] == "'plain"  # not our guard: kept


def test_a_row_whose_only_cell_is_a_guarded_tab_is_blank() -> None:
    # The guard taken away leaves a tab alone in its cell: nothing, so the row is blank.
    blank = {name: "" for name in BASE}
    data = csv_bytes([row(), {**blank, "notes": "'\t"}, {**blank, "notes": "'="}])
    assert read_file(data, "x.csv").frame["notes"].to_dict() == {2: "", 4: "="}


def test_column_key() -> None:
    assert column_key("\ufeffVisitor-Country ") == "visitor_country"
    assert column_key("Lump sum (EUR)") == "lump_sum_eur"


# --- reading: refusals -----------------------------------------------------------------------


def _bad_files() -> list[Any]:
    good = csv_bytes([row()])
    return [
        pytest.param(b"", "x.csv", "x.csv is empty", id="empty"),
        pytest.param(b"\r\n  \r\n", "x.csv", "x.csv is empty", id="blank lines"),
        pytest.param(
            csv_bytes([row()])[csv_bytes([row()]).index(b"\r\n") + 2 :],
            "x.csv",
            "names no column we know",
            id="no header",
        ),
        pytest.param(
            csv_bytes([{**row(), "colour": "red"}]),
            "x.csv",
            "columns the import does not know: 'colour' in column X",
            id="unknown column",
        ),
        pytest.param(
            csv_bytes([row()], header=lambda c: "vistor_country" if c == "visitor_country" else c),
            "x.csv",
            "'vistor_country' in column K (did you mean visitor_country?)",
            id="misspelt column",
        ),
        pytest.param(
            csv_bytes([{k: v for k, v in row().items() if k != "status"}]),
            "x.csv",
            "lacks required column status",
            id="missing required column",
        ),
        pytest.param(
            csv_bytes([row()], header=lambda c: "notes" if c == "activity" else c),
            "x.csv",
            "names a column twice: notes (columns R and W)",
            id="duplicate column",
        ),
        pytest.param(good + b"x" * 2048, "x.csv", "files up to 0.0 MB", id="over the limit"),
        pytest.param(
            b"\xd0\xcf\x11\xe0" + b"\0" * 100, "x.xls", "not a readable Excel 97-2003", id="xls"
        ),
        pytest.param(b"PK\x03\x04broken", "x.xlsx", "not a readable Excel workbook", id="bad zip"),
        pytest.param(b"ref\x00erence,x\r\n", "x.csv", "binary data", id="binary"),
        pytest.param(
            xlsx_bytes({"a": [["hello"]], "b": [["world"]]}),
            "x.xlsx",
            "No sheet of x.xlsx has the import columns",
            id="no sheet with the columns",
        ),
    ]


@pytest.mark.parametrize(("data", "filename", "message"), _bad_files())
def test_bad_files_get_a_clear_message(data: bytes, filename: str, message: str) -> None:
    limit = 1024 if "limit" in message or message.startswith("files up") else 10**6
    with pytest.raises(FileRefused, match=None) as refused:
        read_file(data, filename, max_bytes=limit)
    assert message in str(refused.value)


def test_the_size_limit_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XCHANGE_UPLOAD_MAX_MB", "1")
    with pytest.raises(FileRefused, match="files up to 1.0 MB"):
        read_file(csv_bytes([row()]) + b" " * (1024 * 1024), "x.csv")


def test_a_row_with_too_many_cells_is_an_error_on_that_row() -> None:
    lines = csv_bytes([row(), row(reference="R-2")]).split(b"\r\n")
    lines[2] += b",surplus"
    source = read_file(b"\r\n".join(lines), "x.csv")
    assert [(i.row, i.code) for i in source.issues] == [(3, "too_many_cells")]


def test_a_header_alone_reads_as_no_rows() -> None:
    assert read_file(csv_bytes([]), "x.csv").rows == 0


# --- importing: accepted spellings -----------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "stored"),
    [
        ({"start_date": "10/03/2025", "end_date": "14.03.2025"}, {"end_date": date(2025, 3, 14)}),
        ({"end_date": "2025-03-14 00:00:00"}, {"end_date": date(2025, 3, 14)}),
        (
            {"visitor_is_sme": "YES", "host_is_sme": "n"},
            {"visitor_is_sme": True, "host_is_sme": False},
        ),
        (
            {"visitor_is_sme": "true", "host_is_sme": "0"},
            {"visitor_is_sme": True, "host_is_sme": False},
        ),
        ({"host_country": "Greece"}, {"host_country": "GR"}),
        ({"host_country": "el"}, {"host_country": "GR"}),
        ({"host_country": "Czech Republic"}, {"host_country": "CZ"}),
        ({"lump_sum_eur": "1.100,00"}, {"lump_sum_cents": 110_000}),
        ({"lump_sum_eur": "1100,00"}, {"lump_sum_cents": 110_000}),
        ({"lump_sum_eur": "1100.00"}, {"lump_sum_cents": 110_000}),
        ({"lump_sum_eur": ""}, {"lump_sum_cents": 110_000}),  # the rule's
        ({"distance_km": "150"}, {"lump_sum_cents": 55_000}),  # halved: nearer than 200 km
        (
            {"visitor_type": "Scale-Up_Support  Organisation"},
            {"visitor_type": "scale_up_support_organisation"},
        ),
        ({"status": "COMPLETED", "host_community": "External"}, {"host_community": "external"}),
        ({"ecosystem": "digi"}, {"ecosystem": "DIGI"}),
        ({"modality": ""}, {"modality": "physical"}),
    ],
)
def test_accepted_spellings_store_the_same_values(
    register: Register, changes: dict[str, str], stored: dict[str, Any]
) -> None:
    report = register.load(csv_bytes([row(**changes)], delimiter=";"))
    assert (report.rows_created, report.errors) == (1, [])
    exchange = register.exchanges()["R-001"]
    assert {name: getattr(exchange, name) for name in stored} == stored


def test_a_messy_but_valid_spreadsheet_imports_in_one_go(register: Register) -> None:
    """Semicolons, cp1252, title-case headers, European dates and decimals, names for codes."""
    messy = [
        row(
            reference=f"R-{i}",
            partnership="gtex",
            status="Completed",
            start_date="10/03/2025",
            end_date="14.03.2025",
            visitor_organisation=f"Société {i}",
            visitor_type="Cluster Organisation",
            visitor_country="Germany",
            host_country="EL",
            visitor_is_sme="Y",
            host_is_sme="No",
            lump_sum_eur="1.100,00",
        )
        for i in range(1, 6)
    ]
    data = csv_bytes(
        messy, delimiter=";", encoding="cp1252", header=lambda c: c.replace("_", " ").title()
    )
    report = register.load(data)
    assert (report.rows_created, report.errors) == (5, [])
    assert [i.code for i in report.warnings] == ["encoding_cp1252"]
    assert register.exchanges()["R-3"].host_country == "GR"
    assert register.summaries_agree()


# --- importing: errors, all or nothing -------------------------------------------------------


def test_one_bad_row_refuses_the_whole_file_and_every_error_is_listed(register: Register) -> None:
    records = rows(5)
    records[1]["end_date"] = "2025-13-40"  # row 3
    records[3]["host_country"] = "DE"  # row 5: same country as the visitor
    records[3]["status"] = "finished"  # and an unknown status
    before = register.state()
    report = register.load(csv_bytes(records))
    assert report.refused and report.batch_id is None
    assert codes(report) == [(3, "unreadable_date"), (5, "invalid_choice"), (5, "same_country")]
    assert register.state() == before
    assert "Nothing imported from exchanges.csv: 3 errors in 2 rows" in report.summary()


def test_skip_invalid_writes_the_valid_rows_and_lists_the_rest(register: Register) -> None:
    records = rows(4)
    records[2]["status"] = "cancelled"  # row 4, without a reason
    report = register.load(csv_bytes(records), skip_invalid=True)
    assert (report.rows_created, report.rows_refused) == (3, 1)
    assert codes(report) == [(4, "cancelled_without_reason")]
    assert sorted(register.exchanges()) == ["R-001", "R-002", "R-004"]
    assert not report.refused and report.batch_id is not None


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        pytest.param(
            [row(), row(visitor_organisation="Other")],
            [(3, "duplicate_reference")],
            id="same partnership and reference twice",
        ),
        pytest.param(
            [row(), row(reference="R-2", visitor_organisation=" ACME  cluster. ")],
            [(3, "second_visit")],
            id="a second visit in the file",
        ),
        pytest.param(
            [row(partnership="NOPE")], [(2, "unknown_partnership")], id="unknown partnership"
        ),
        pytest.param(
            [row(end_date="2026-12-01", start_date="2026-11-25")],
            [(2, "completed_in_future")],
            id="completed in the future",
        ),
        pytest.param([row(reference="R" * 81)], [(2, "too_long")], id="reference too long"),
        pytest.param(
            [row(host_country="United States")], [(2, "country_not_eligible")], id="not eligible"
        ),
    ],
)
def test_rules_across_rows(
    register: Register, records: list[dict[str, str]], expected: Any
) -> None:
    report = register.load(csv_bytes(records))
    assert codes(report) == expected
    assert register.count(Exchange) == 0


def test_a_second_visit_against_the_register_but_not_the_row_being_updated(
    register: Register,
) -> None:
    assert register.load(csv_bytes([row()])).rows_created == 1
    # The same row again, changed: it rewrites the stored visit, so it is not a second one.
    again = register.load(csv_bytes([row(notes="updated")]))
    assert (again.rows_updated, again.errors) == (1, [])
    other = register.load(csv_bytes([row(reference="R-2")]))
    assert codes(other) == [(2, "second_visit")]
    assert "already visits in exchange GTEX/R-001" in other.errors[0].message


def test_skipping_a_row_can_expose_a_conflict_on_another(register: Register) -> None:
    """Row 2 cancels the stored visit (but has no reason: refused); row 3's new visit by the
    same organisation is then a second visit, found on the second pass."""
    register.load(csv_bytes([row()]))
    records = [
        row(status="cancelled"),
        row(reference="R-2", status="planned", start_date="2026-09-07", end_date="2026-09-11"),
    ]
    report = register.load(csv_bytes(records), skip_invalid=True)
    assert codes(report) == [(2, "cancelled_without_reason"), (3, "second_visit")]
    assert (report.rows_created, report.rows_updated) == (0, 0)


def test_two_records_may_swap_their_visitors(register: Register) -> None:
    """Valid once both rows are written, not after the first: found by the hypothesis test."""
    register.load(csv_bytes(rows(2)))

    def visitors() -> tuple[int, int]:
        stored = register.exchanges()
        return stored["R-001"].visitor_org_id, stored["R-002"].visitor_org_id

    one, two = visitors()
    swapped = rows(2)
    swapped[0]["visitor_organisation"], swapped[1]["visitor_organisation"] = (
        "Visitor 2",
        "Visitor 1",
    )
    report = register.load(csv_bytes(swapped))
    assert (report.rows_updated, report.errors, visitors()) == (2, [], (two, one))
    register.undo(report.batch_id or 0)  # and back again
    assert visitors() == (one, two)


# --- permissions -----------------------------------------------------------------------------


def test_a_coordinator_may_not_import_another_partnerships_rows(register: Register) -> None:
    records = [row(), row(reference="A-1", partnership="AGRI", visitor_organisation="Other")]
    report = register.load(csv_bytes(records), user=COORDINATOR)
    assert codes(report) == [(3, "not_permitted")]
    assert "may not write for partnership AGRI" in report.errors[0].message
    assert register.count(Exchange) == 0
    skipped = register.load(csv_bytes(records), user=COORDINATOR, skip_invalid=True)
    assert (skipped.rows_created, skipped.rows_refused) == (1, 1)
    with db.read_session(register.engine) as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "refused")).all()
    assert [e.changes["attempted"] for e in refused] == ["import", "import"]


def test_a_coordinators_dry_run_names_no_other_partnerships_record(register: Register) -> None:
    """AGRI's stored exchange and its organisations' recorded profiles stay unnamed to GTEX's
    coordinator; the rules still hold (a second visit is refused), and a row of AGRI's cannot
    be used to probe AGRI's references (it is never taken for an update of theirs)."""
    secret = row(
        reference="A-SECRET",
        partnership="AGRI",
        visitor_organisation="Secret Org",
        host_organisation="Hidden Host",
        representative="Jane Roe",
    )
    assert register.load(csv_bytes([secret])).rows_created == 1
    mine = row(
        reference="G-1",
        visitor_organisation="Secret Org",  # visits already, in AGRI's exchange
        visitor_type="SME",
        visitor_is_sme="yes",
        host_organisation="Hidden Host",  # recorded as a university, an SME
        host_type="SME",
    )
    # AGRI's own record, rewritten: before, the stored visit then gave way, and row 2 passed.
    theirs = {**secret, "visitor_organisation": "Someone Else", "notes": "probe"}
    for records, expected in (
        ([mine], [(2, "second_visit")]),
        ([mine, theirs], [(2, "second_visit"), (3, "not_permitted")]),
    ):
        report = register.load(csv_bytes(records), user=COORDINATOR, dry_run=True)
        assert codes(report) == expected
        assert [(i.row, i.code) for i in report.warnings] == [
            (2, "organisation_profile_differs")
        ] * 2  # visitor and host
        text = " ".join(issue.message for issue in report.issues)
        for unnamed in ("A-SECRET", "AGRI/", "cluster organisation", "university", "Jane Roe"):
            assert unnamed not in text, (unnamed, text)
        assert "Secret Org (DE) already visits in another partnership's exchange" in text
        assert "Hidden Host is recorded with another type or SME status; " in text
        assert report.rows_updated == 0
    # An administrator reads every record: the same file names them.
    report = register.load(csv_bytes([mine]), dry_run=True)
    text = " ".join(issue.message for issue in report.issues)
    assert "already visits in exchange AGRI/A-SECRET" in text
    assert "Hidden Host was recorded before as university, SME" in text
    # Once Hidden Host takes part in a GTEX exchange, its profile is GTEX's to read too.
    assert register.load(csv_bytes([row(reference="G-0", host_organisation="Hidden Host")]))
    report = register.load(csv_bytes([mine]), user=COORDINATOR, dry_run=True)
    text = " ".join(issue.message for issue in report.issues)
    assert "Hidden Host was recorded before as university, SME" in text
    assert "A-SECRET" not in text and "Secret Org was recorded before" not in text


def test_a_coordinators_form_names_no_other_partnerships_record(register: Register) -> None:
    from xchange.register.service import ExchangeIn, check_exchange, create_exchange

    register.load(csv_bytes([row(reference="A-SECRET", partnership="AGRI")]))
    data = ExchangeIn(**{**rules_row(), "reference": "G-1"})
    coordinator = register.user(COORDINATOR)
    with db.write_session(register.engine) as session:
        shown = check_exchange(session=session, data=data, reader=coordinator)
        assert [i.code for i in shown.errors] == ["second_visit"]
        assert "A-SECRET" not in shown.errors[0].message
        with pytest.raises(ValidationFailed) as refused:
            create_exchange(session=session, actor=coordinator, data=data, today=TODAY)
    assert "A-SECRET" not in str(refused.value)
    assert "another partnership's exchange" in str(refused.value)


def rules_row() -> dict[str, Any]:
    """`BASE` as the service takes it (typed values)."""
    typed: dict[str, Any] = {k: v for k, v in BASE.items() if v != ""}
    for name in ("start_date", "end_date"):
        typed[name] = date.fromisoformat(typed[name])
    for name in ("visitor_is_sme", "host_is_sme"):
        typed[name] = typed[name] == "yes"
    typed["distance_km"] = float(typed["distance_km"])
    return typed


def test_an_officer_may_not_import(register: Register) -> None:
    with pytest.raises(PermissionDenied, match="officers have read-only access"):
        register.load(csv_bytes([row()]), user=OFFICER)
    assert register.count(Exchange) == 0


# --- upsert ----------------------------------------------------------------------------------


def test_reimporting_changes_nothing_and_a_changed_cell_is_one_audited_update(
    register: Register,
) -> None:
    data = csv_bytes(rows(3))
    first = register.load(data)
    assert (first.rows_created, first.rows_updated, first.rows_unchanged) == (3, 0, 0)
    before = register.state()
    again = register.load(data)
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 3)
    assert register.state()[:3] == before[:3]  # no exchange, organisation or person added
    assert {x.version for x in register.exchanges().values()} == {1}
    changed = rows(3)
    changed[1]["end_date"] = "2025-03-13"
    changed[1]["host_is_sme"] = "no"
    third = register.load(csv_bytes(changed))
    assert (third.rows_updated, third.rows_unchanged) == (1, 2)
    record = register.exchanges()["R-002"]
    assert (record.version, record.end_date, record.working_days, record.import_batch_id) == (
        2,
        date(2025, 3, 13),
        4,
        third.batch_id,
    )
    with db.read_session(register.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert event.changes == {
        "end_date": ["2025-03-14", "2025-03-13"],
        "host_is_sme": [True, False],
        "lump_sum_cents": [110_000, 55_000],
        "import_batch_id": [first.batch_id, third.batch_id],
        "version": [1, 2],
    }
    assert register.summaries_agree()


def as_json(value: Any) -> Any:
    """A value as the audit trail stores it: dates in ISO form."""
    return value.isoformat() if isinstance(value, date) else value


def test_a_created_row_is_audited_by_its_batch_and_its_undo_keeps_every_value(
    register: Register,
) -> None:
    # The create event names the batch and version 1; the values are the record's own. Undo
    # deletes the record, so its event keeps every audited value the record held.
    report = register.load(csv_bytes([row(), row(reference="R-2", visitor_organisation="B")]))
    with db.read_session(register.engine) as session:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "create", AuditEvent.entity == "exchange")
            .order_by(col(AuditEvent.id))
        ).all()
        exchanges = session.exec(select(Exchange).order_by(col(Exchange.id))).all()
        snapshots = {
            x.id: {name: as_json(getattr(x, name)) for name in service.AUDITED} for x in exchanges
        }
    assert [e.entity_id for e in events] == [x.id for x in exchanges]
    for event in events:
        assert event.changes == {"import_batch_id": [None, report.batch_id], "version": [None, 1]}
        assert (event.import_batch_id, event.actor_label) == (report.batch_id, db.LOCAL_ADMIN_EMAIL)
    register.undo(report.batch_id or 0)
    with db.read_session(register.engine) as session:
        undone = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "undo_import", AuditEvent.entity == "exchange"
            )
        ).all()
    assert {e.entity_id: e.changes for e in undone} == {
        i: {name: [value, None] for name, value in snapshot.items() if value is not None}
        for i, snapshot in snapshots.items()
    }


def test_an_imported_record_says_so_in_its_history(register: Register) -> None:
    report = register.load(csv_bytes([row()]))
    exchange = register.exchanges()["R-001"]
    assert exchange.id is not None
    with db.read_session(register.engine) as session:
        trail = history_frame(session, actor=register.user(), exchange_id=exchange.id)
    assert [(r.What, r.After) for r in trail.itertuples()] == [
        ("Imported", f"new record, import {report.batch_id}")
    ]


def test_organisations_and_people_are_resolved_as_the_service_does(register: Register) -> None:
    register.load(csv_bytes([row(visitor_organisation="Acme Cluster", representative="Jane Doe")]))
    register.load(
        csv_bytes(
            [
                row(
                    reference="R-2",
                    visitor_organisation="Zeta",
                    host_organisation="ACME  cluster.",
                    host_country="DE",
                    visitor_country="FR",
                    host_is_sme="yes",
                    representative="Jane Doe",
                )
            ]
        )
    )
    with db.read_session(register.engine) as session:
        acme = session.exec(
            select(Organisation).where(Organisation.name_key == "acme cluster")
        ).one()
        people = session.exec(select(Person)).all()
    assert (acme.name, acme.is_sme) == ("Acme Cluster", True)  # the latest row's profile
    assert [p.name for p in people] == ["Jane Doe"]


# --- versions: stale rows --------------------------------------------------------------------


def _export(register: Register, user: str | None = None) -> bytes:
    from xchange.exports.exchanges import export_csv

    with db.read_session(register.engine) as session:
        return export_csv(session=session, actor=register.user(user))


def test_an_export_imports_again_unchanged(register: Register) -> None:
    register.load(csv_bytes(rows(3)))
    report = register.load(_export(register))
    assert (report.rows_unchanged, report.rows_updated, report.errors) == (3, 0, [])


def test_a_row_changed_since_the_export_is_refused_as_stale(register: Register) -> None:
    register.load(csv_bytes(rows(2)))
    exported = _export(register)
    with db.write_session(register.engine) as session:
        stored = session.exec(select(Exchange).where(Exchange.reference == "R-002")).one()
        data = service.exchange_in(session, stored).model_copy(update={"status": "confirmed"})
        assert stored.id is not None
        service.update_exchange(
            session=session,
            actor=register.user(),
            exchange_id=stored.id,
            expected_version=1,
            data=data,
            today=TODAY,
        )
    edited = exported.replace(b"Visitor 1,", b"Visitor 1 GmbH,")
    report = register.load(edited)
    assert codes(report) == [(3, "stale_record")]
    assert "version 1 in the file, 2 now (Status changed)" in report.errors[0].message
    assert register.exchanges()["R-002"].status == "confirmed"  # never overwritten
    # Emptied, the version no longer guards: the file is the source for its rows.
    unguarded = edited.replace(b",1\r\n", b",\r\n")
    assert register.load(unguarded).rows_updated == 2


def test_an_unreadable_version_is_an_error(register: Register) -> None:
    data = csv_bytes([{**row(), "version": "two"}])
    assert codes(register.load(data)) == [(2, "unreadable_version")]


def test_pseudonyms_from_an_officers_export_are_not_names(register: Register) -> None:
    register.load(csv_bytes(rows(2)))
    exported = _export(register, OFFICER)
    assert b"Jane Doe" not in exported
    again = register.load(exported)
    assert (again.rows_unchanged, again.errors) == (2, [])  # each record's own pseudonym
    # A new row carrying a pseudonym (and a visitor of its own, so that it is the only error).
    moved = exported.replace(b"R-002,GTEX", b"R-009,GTEX").replace(b"Visitor 2", b"Visitor 9")
    assert codes(register.load(moved)) == [(3, "pseudonym_representative")]


# --- dry run, report, annotated copy ---------------------------------------------------------


def test_a_dry_run_writes_nothing(register: Register) -> None:
    before = register.state()
    report = register.load(csv_bytes(rows(3)), dry_run=True)
    assert (report.rows_created, report.batch_id, register.state()) == (3, None, before)
    assert report.summary().startswith(
        "Dry run of exchanges.csv, nothing written: would be 3 created"
    )


def test_the_report_and_the_annotated_copy(register: Register) -> None:
    records = rows(3)
    records[1]["end_date"] = "soon"
    data = csv_bytes(records, delimiter=";", header=lambda c: c.replace("_", " "))
    source = read_file(b"\r\n" + data, "x.csv")  # a blank first line: the header is row 2
    with db.write_session(register.engine) as session:
        report = run_import(session=session, actor=register.user(), source=source, today=TODAY)
    lines = list(csv.reader(io.StringIO(report_csv(report).decode("utf-8-sig"))))
    assert lines[0] == ["row", "column", "value", "severity", "message", "code"]
    assert lines[1][:4] == ["4", "end date", "soon", "error"]
    copy = list(
        csv.reader(io.StringIO(annotated_copy(source, report).decode("utf-8-sig")), delimiter=";")
    )
    assert copy[0] == [] and copy[1][-2:] == ["import_status", "import_messages"]
    assert [r[-2] for r in copy[2:]] == ["ok", "error", "ok"]
    assert "end date: End date 'soon' is not a date" in copy[3][-1]
    # The copy, corrected, imports as it is: the two added columns are ignored.
    fixed = annotated_copy(source, report).replace(b";soon;", b";2025-03-14;")
    assert register.load(fixed).rows_created == 3


def test_the_report_neutralises_a_header_that_reads_as_a_formula() -> None:
    from xchange.imports.importer import ImportReport
    from xchange.register.parsing import Issue

    report = ImportReport(
        filename="x.csv",
        rows=1,
        headers={"end_date": '=HYPERLINK("http://example.invalid")'},
        issues=[Issue("not_a_date", "error", "end_date", "=1+1", "-not a date", row=2)],
    )
    [header, line] = list(csv.reader(io.StringIO(report_csv(report).decode("utf-8-sig"))))
    assert line[1:3] == ['\'=HYPERLINK("http://example.invalid")', "'=1+1"]
    assert line[4] == "'-not a date"


def test_an_annotated_workbook(register: Register) -> None:
    header = list(BASE)
    body = [list(r.values()) for r in rows(2)]
    body[0][header.index("host_country")] = "Mars"
    source = read_file(xlsx_bytes({"exchanges": [header, *body]}), "x.xlsx")
    with db.write_session(register.engine) as session:
        report = run_import(session=session, actor=register.user(), source=source, today=TODAY)
    book = CalamineWorkbook.from_filelike(io.BytesIO(annotated_copy(source, report)))
    cells = book.get_sheet_by_name("exchanges").to_python()
    assert cells[0][-2:] == ["import_status", "import_messages"]
    assert [r[-2] for r in cells[1:]] == ["error", "ok"]


# --- one transaction -------------------------------------------------------------------------


def test_a_failure_while_writing_leaves_nothing(
    register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = register.state()

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(import_writer, "insert_events", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        register.load(csv_bytes(rows(3000)))  # large: triggers and indexes suspended
    assert register.state() == before
    assert register.summaries_agree()
    with register.engine.connect() as connection:  # the triggers are back
        assert connection.exec_driver_sql("SELECT count(*) FROM kpi_daily").scalar() == 0


def test_a_large_import_keeps_the_summaries_right(register: Register) -> None:
    """Large enough to suspend the triggers and to look people up in one pass."""
    records = rows(4000)
    for i, record in enumerate(records):
        record["representative"] = f"Person {i}"
    data = csv_bytes(records)
    report = register.load(data)
    assert report.rows_created == 4000 and register.count(Person) == 4000
    assert register.summaries_agree()
    again = register.load(data)
    assert (again.rows_unchanged, register.count(Person)) == (4000, 4000)
    register.undo(report.batch_id or 0)
    assert register.count(Exchange) == 0 and register.summaries_agree()


# --- undo ------------------------------------------------------------------------------------


def test_undo_takes_an_import_back(register: Register) -> None:
    first = register.load(csv_bytes(rows(2)))
    changed = rows(3)
    changed[0]["end_date"] = "2025-03-13"
    second = register.load(csv_bytes(changed))
    assert (second.rows_created, second.rows_updated) == (1, 1)
    undone = register.undo(second.batch_id)
    assert (undone.deleted, undone.restored) == (1, 1)
    stored = register.exchanges()
    assert sorted(stored) == ["R-001", "R-002"]
    r1 = stored["R-001"]
    assert (r1.end_date, r1.working_days, r1.version, r1.import_batch_id) == (
        date(2025, 3, 14),
        5,
        3,
        first.batch_id,
    )
    assert register.summaries_agree()
    with pytest.raises(UndoRefused, match="already undone"):
        register.undo(second.batch_id)
    # Undoing in the reverse order of the imports goes all the way back.
    register.undo(first.batch_id)
    assert register.count(Exchange) == 0
    with db.read_session(register.engine) as session:
        actions = session.exec(
            select(AuditEvent.action)
            .where(AuditEvent.entity == "import_batch")
            .order_by(sa.column("id"))
        ).all()
    assert actions == ["import", "import", "undo", "undo"]


def test_undo_is_refused_where_a_record_was_edited_after_the_import(register: Register) -> None:
    report = register.load(csv_bytes(rows(2)))
    with db.write_session(register.engine) as session:
        stored = session.exec(select(Exchange).where(Exchange.reference == "R-002")).one()
        assert stored.id is not None
        service.cancel_exchange(
            session=session,
            actor=register.user(),
            exchange_id=stored.id,
            expected_version=1,
            reason="ill",
        )
    with pytest.raises(UndoRefused, match=r"GTEX/R-002 \(cancel by local-admin@localhost on "):
        register.undo(report.batch_id)
    assert register.count(Exchange) == 2


def test_undo_needs_write_access(register: Register) -> None:
    report = register.load(csv_bytes([row(partnership="AGRI")]))
    with pytest.raises(PermissionDenied):
        register.undo(report.batch_id, user=COORDINATOR)
    with pytest.raises(XchangeError, match="There is no import 99"):
        register.undo(99)


# --- random files (SQLite) -------------------------------------------------------------------

_CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "yes",
            "NO",
            "14/03/2025",
            "2025-03-14",
            "Greece",
            "EL",
            "1.100,00",
            "x;y",
            'a"b',
            "é€",
            "=1+1",
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
)


@st.composite
def _files(draw: st.DrawFn) -> bytes:
    count = draw(st.integers(min_value=0, max_value=4))
    records = []
    for _ in range(count):
        record = row(
            reference=f"H-{draw(st.integers(0, 9))}",
            visitor_organisation=f"Org {draw(st.integers(0, 9))}",
        )
        for name in draw(st.lists(st.sampled_from(list(BASE)), max_size=4)):
            record[name] = draw(_CELLS)
        records.append(record)
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    text = csv_bytes(records, delimiter=delimiter).decode("utf-8")
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "mixed"]))
    if encoding == "mixed":
        lines = text.split("\n")
        data = b"\n".join(
            line.encode("cp1252", errors="replace") if k % 2 else line.encode("utf-8")
            for k, line in enumerate(lines)
        )
    else:
        data = text.encode(encoding, errors="replace")
    damage = draw(st.sampled_from(["none", "quote", "truncate", "bytes"]))
    at = draw(st.integers(0, max(len(data) - 1, 0)))
    if damage == "quote":
        data = data[:at] + b'"' + data[at:]
    elif damage == "truncate":
        data = data[:at]
    elif damage == "bytes":
        data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
    return data


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=_files(), skip=st.booleans())
# Found by hypothesis: a carriage return and a lone quote ending the header line.
@example(data=("\ufeff" + ",".join(COLUMNS) + '\r"\n').encode(), skip=False)
def test_random_files_never_crash_and_never_write_in_part(
    lite: Register, data: bytes, skip: bool
) -> None:
    before = lite.state()
    try:
        source = read_file(data, "random.csv")
    except FileRefused:
        return
    with db.write_session(lite.engine) as session:
        report = run_import(
            session=session, actor=lite.user(), source=source, today=TODAY, skip_invalid=skip
        )
    after = lite.state()
    if report.refused:
        assert after == before
    else:
        assert after[0] == before[0] + report.rows_created
        assert after[3] == before[3] + 1  # one batch
    assert lite.summaries_agree()


# --- the command line ------------------------------------------------------------------------


def xc(url: str, command: str, *, user: str | None = None) -> Result:
    options = ["--db", url, *(["--user", user] if user else [])]
    return CliRunner().invoke(cli, [*options, *shlex.split(command)], prog_name="xchange")


def test_cli_import_dry_run_refusal_skip_and_undo(register: Register, tmp_path: Any) -> None:
    url = register.engine.url.render_as_string(hide_password=False)
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(csv_bytes(rows(2)))
    records = rows(3)
    records[2]["host_country"] = "Mars"
    bad.write_bytes(csv_bytes(records))
    dry = xc(url, f"import {good} --dry-run")
    assert dry.exit_code == 0 and "would be 2 created" in dry.stdout
    refused = xc(
        url, f"import {bad} --report {tmp_path / 'r.csv'} --annotated {tmp_path / 'a.csv'}"
    )
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert (
        "error    row 4      host_country = 'Mars': Host country 'Mars' is not a country"
        in refused.stdout
    )
    assert refused.stderr.startswith("error: Nothing imported from bad.csv: 1 error in 1 row")
    assert (tmp_path / "r.csv").exists() and (tmp_path / "a.csv").exists()
    skipped = xc(url, f"import {bad} --skip-invalid")
    assert (
        skipped.exit_code == 0 and "2 created, 0 updated, 0 unchanged, 1 refused" in skipped.stdout
    )
    assert register.count(Exchange) == 2
    officer = xc(url, f"import {good}", user=OFFICER)
    assert officer.exit_code == 3
    undone = xc(url, "import --undo 1")
    assert (
        undone.exit_code == 0
        and undone.stdout
        == "Import 1 undone: 2 exchanges it created deleted, 0 it updated restored; "
        "3 organisations and 1 person it created, used by nothing else, removed\n"
    )
    assert register.count(Exchange) == 0
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    nothing = xc(url, f"import {empty}")
    assert (nothing.exit_code, nothing.stderr) == (1, "error: empty.csv is empty\n")
    assert xc(url, "import").exit_code == 2  # neither a file nor --undo


def test_required_and_canonical_columns_agree() -> None:
    assert set(REQUIRED) <= set(COLUMNS) and len(BASE) == len(COLUMNS)
