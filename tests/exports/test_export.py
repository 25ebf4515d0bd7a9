"""Exports and templates: the columns, the filters, formula neutralising, pseudonyms, and the
round trip export -> import into an empty register that gives the same KPIs.

Database tests run on SQLite and PostgreSQL (the `engine` fixture).
"""

from __future__ import annotations

import csv
import io
import shlex
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from sqlalchemy.engine import Engine
from sqlmodel import select

from tests.imports.test_importer import (
    COORDINATOR,
    OFFICER,
    TODAY,
    Register,
    csv_bytes,
    make_register,
    row,
    rows,
)
from xchange.cli import cli
from xchange.db import bulk
from xchange.db import engine as db
from xchange.demo import load as demo
from xchange.errors import NotFound, PermissionDenied
from xchange.exports.exchanges import (
    EXPORT_COLUMNS,
    export_csv,
    export_frame,
    export_xlsx,
    neutralise,
    pseudonym,
    template_csv,
    template_xlsx,
)
from xchange.exports.templates import DICTIONARY
from xchange.imports import write as import_writer
from xchange.imports.files import read_file
from xchange.kpi import breakdowns
from xchange.kpi import sums as kpi
from xchange.models import Partnership, User
from xchange.register.parsing import COLUMNS

DEMO_SEED = 7


@pytest.fixture
def register(engine: Engine) -> Register:
    """GTEX and AGRI with three exchanges each (AGRI's ends in 2026), a coordinator, an officer."""
    made = make_register(engine)
    records = rows(3)
    records += [
        row(
            reference=f"A-{i}",
            partnership="AGRI",
            visitor_organisation=f"Agri visitor {i}",
            representative=f"Farmer {i}",
            start_date="2026-03-09",
            end_date="2026-03-13",
        )
        for i in range(1, 4)
    ]
    records[0]["notes"] = '=HYPERLINK("http://x.example","click")'
    records[1]["notes"] = "-5 days late"
    records[2]["cancellation_reason"] = ""
    records[2]["notes"] = "@mention\tand a tab"
    assert made.load(csv_bytes(records)).rows_created == 6
    return made


def exported(register: Register, user: str | None = None, **filters: Any) -> pd.DataFrame:
    with db.read_session(register.engine) as session:
        return export_frame(session=session, actor=register.user(user), **filters)


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # the BOM: Excel reads accents right
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


# --- the columns and the filters -------------------------------------------------------------


def test_the_export_has_the_import_columns_and_the_version(register: Register) -> None:
    with db.read_session(register.engine) as session:
        data = export_csv(session=session, actor=register.user())
    lines = csv_rows(data)
    assert lines[0] == list(COLUMNS) + ["version"]
    by_reference = {line[0]: dict(zip(lines[0], line, strict=True)) for line in lines[1:]}
    first = by_reference["R-001"]
    assert first | {"notes": ""} == {
        **{k: v for k, v in row().items()},
        "reference": "R-001",
        "visitor_organisation": "Visitor 1",
        "host_type": "university",
        "activity": "networking and business opportunities",
        "lump_sum_eur": "1100.00",
        "notes": "",
        "version": "1",
    }


@pytest.mark.parametrize(
    ("filters", "references"),
    [
        ({}, ["A-1", "A-2", "A-3", "R-001", "R-002", "R-003"]),
        ({"partnership": "gtex"}, ["R-001", "R-002", "R-003"]),
        ({"date_from": date(2026, 3, 13)}, ["A-1", "A-2", "A-3"]),  # the end date, inclusive
        ({"date_to": date(2025, 3, 14)}, ["R-001", "R-002", "R-003"]),
        ({"date_from": date(2025, 3, 15), "date_to": date(2026, 3, 12)}, []),
    ],
)
def test_filters(register: Register, filters: dict[str, Any], references: list[str]) -> None:
    assert exported(register, **filters)["reference"].tolist() == references


def test_an_empty_selection_gives_the_header_alone(register: Register) -> None:
    with db.read_session(register.engine) as session:
        actor = register.user()
        data = export_csv(session=session, actor=actor, date_from=date(2030, 1, 1))
        book = export_xlsx(session=session, actor=actor, date_from=date(2030, 1, 1))
    assert csv_rows(data) == [list(EXPORT_COLUMNS)]
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(book)).get_sheet_by_name("exchanges")
    assert sheet.to_python() == [list(EXPORT_COLUMNS)]


def test_coordinators_see_their_own_partnerships(register: Register) -> None:
    assert set(exported(register, COORDINATOR)["partnership"]) == {"GTEX"}
    with pytest.raises(PermissionDenied, match="may not see partnership AGRI"):
        exported(register, COORDINATOR, partnership="AGRI")
    with pytest.raises(NotFound, match="There is no partnership 'NOPE'"):
        exported(register, partnership="NOPE")


# --- formula injection -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+31 20 555", "'+31 20 555"),
        ("-5 days", "'-5 days"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tindented", "'\tindented"),
        ("\rreturn", "'\rreturn"),
        ("plain text", "plain text"),
        ("", ""),
        (1100.0, 1100.0),  # numbers are no formulas
    ],
)
def test_neutralise(text: Any, safe: Any) -> None:
    assert neutralise(text) == safe


def test_formulas_are_neutralised_in_both_formats_and_restored_on_import(
    register: Register,
) -> None:
    with db.read_session(register.engine) as session:
        actor = register.user()
        data = export_csv(session=session, actor=actor, partnership="GTEX")
        book = export_xlsx(session=session, actor=actor, partnership="GTEX")
    notes = [line[COLUMNS.index("notes")] for line in csv_rows(data)[1:]]
    assert notes == [
        '\'=HYPERLINK("http://x.example","click")',
        "'-5 days late",
        "'@mention\tand a tab",
    ]
    workbook = load_workbook(io.BytesIO(book))
    cells = [
        c
        for c in workbook["exchanges"].iter_cols(
            min_col=COLUMNS.index("notes") + 1, max_col=COLUMNS.index("notes") + 1, min_row=2
        )
    ][0]
    assert [(c.value, c.data_type) for c in cells] == [
        ('\'=HYPERLINK("http://x.example","click")', "s"),
        ("'-5 days late", "s"),
        ("'@mention\tand a tab", "s"),
    ]
    for payload, name in ((data, "x.csv"), (book, "x.xlsx")):
        assert register.load(payload, name).rows_unchanged == 3  # the guard is taken away again


# --- personal data ---------------------------------------------------------------------------


def test_officers_get_stable_pseudonyms_never_names(register: Register) -> None:
    with db.read_session(register.engine) as session:
        officer = register.user(OFFICER)
        data = export_csv(session=session, actor=officer)
        book = export_xlsx(session=session, actor=officer)
    for name in (b"Jane Doe", b"Farmer 1"):
        assert name not in data and name not in book
    people = exported(register, OFFICER)["representative"].tolist()
    assert people == exported(register, OFFICER)["representative"].tolist()  # stable
    assert all(p.startswith("person-") and len(p) == 17 for p in people)
    assert len(set(people)) == 4  # Jane Doe (three GTEX rows) and three farmers
    assert exported(register, COORDINATOR)["representative"].tolist() == ["Jane Doe"] * 3


def test_pseudonyms_are_keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    first = pseudonym(1)
    monkeypatch.setenv("XCHANGE_PSEUDONYM_KEY", "another deployment")
    assert pseudonym(1) != first and pseudonym(1) == pseudonym(1)


# --- round trip ------------------------------------------------------------------------------


@pytest.fixture
def demo_source(tmp_path: Path) -> Engine:
    """A register of demo exchanges in a SQLite file of its own."""
    source = db.make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    db.upgrade(source)
    demo.load_demo(source, exchanges=300, seed=DEMO_SEED, today=TODAY)
    yield source
    source.dispose()


def figures(engine: Engine) -> dict[str, Any]:
    with db.read_session(engine) as session:
        result: dict[str, Any] = {"programme": kpi.headline(session, as_of=TODAY).as_dict()}
        for partnership in session.exec(select(Partnership)).all():
            result[partnership.acronym] = kpi.headline(
                session, as_of=TODAY, partnership=partnership
            ).as_dict()
        result["quarters"] = breakdowns.by_quarter(session, as_of=TODAY).records()
    return result


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("path", ["row by row", "bulk"])
def test_export_then_import_into_an_empty_register_gives_the_same_kpis(
    demo_source: Engine, engine: Engine, kind: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if path == "bulk":  # what a large file does: staged rows, indexes and summaries rebuilt
        monkeypatch.setattr(bulk, "STAGE_MIN_ROWS", 1)
        monkeypatch.setattr(import_writer, "BULK_MIN_ROWS", 1)
    demo.load_demo(engine, exchanges=0, seed=DEMO_SEED, today=TODAY)  # the same partnerships
    with db.read_session(demo_source) as session:
        admin = session.exec(select(User).where(User.email == db.LOCAL_ADMIN_EMAIL)).one()
        build = export_csv if kind == "csv" else export_xlsx
        data = build(session=session, actor=admin)
    target = Register(engine)
    report = target.load(data, f"export.{kind}")
    assert (report.rows_created, report.errors) == (300, [])
    assert figures(engine) == figures(demo_source)
    again = target.load(data, f"export.{kind}")  # and re-importing changes nothing
    assert (again.rows_unchanged, again.rows_created, again.rows_updated) == (300, 0, 0)


# --- templates -------------------------------------------------------------------------------


def test_the_csv_template_is_the_header() -> None:
    assert csv_rows(template_csv()) == [list(COLUMNS)]
    assert read_file(template_csv(), "template.csv").rows == 0


def test_the_xlsx_template_has_a_dictionary_and_drop_downs() -> None:
    data = template_xlsx(["GTEX", "AGRI"])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["exchanges", "data dictionary", "lists"]
    assert book["lists"].sheet_state == "hidden"
    assert [c.value for c in book["exchanges"][1]] == list(COLUMNS)
    listed = {
        str(v.sqref).split(":")[0]: v.formula1
        for v in book["exchanges"].data_validations.dataValidation
    }
    assert listed["C2"] == "lists!$A$2:$A$5"  # status, in the order of its workflow
    assert len(listed) == 13  # every enumeration, yes/no, the countries and the partnerships
    assert [c.value for c in book["lists"]["A"]][1:6] == [
        "planned",
        "confirmed",
        "completed",
        "cancelled",
        None,
    ]
    dictionary = {
        r[0]: r[1:]
        for r in book["data dictionary"].iter_rows(min_row=2, values_only=True)
        if r[0] in DICTIONARY
    }
    assert dictionary["cancellation_reason"][0] == "if cancelled"
    assert dictionary["reference"][0] == "yes" and set(dictionary) == set(COLUMNS)
    source = read_file(data, "template.xlsx")  # a blank template reads as no rows
    assert (source.sheet, source.rows) == ("exchanges", 0)


def test_a_filled_in_template_imports(engine: Engine) -> None:
    register = make_register(engine)
    book = load_workbook(io.BytesIO(template_xlsx(["GTEX"])))
    sheet = book["exchanges"]
    for record in rows(2):
        sheet.append([record[c] for c in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    report = register.load(buffer.getvalue(), "filled.xlsx")
    assert (report.rows_created, report.errors) == (2, [])


# --- the command line ------------------------------------------------------------------------


def xc(url: str, command: str, *, user: str | None = None) -> Result:
    options = ["--db", url, *(["--user", user] if user else [])]
    return CliRunner().invoke(cli, [*options, *shlex.split(command)], prog_name="xchange")


def test_cli_export_and_template(register: Register, tmp_path: Path) -> None:
    url = register.engine.url.render_as_string(hide_password=False)
    target = tmp_path / "out.csv"
    target.write_text("old content that must go")
    result = xc(url, f"export -o {target} --partnership GTEX --from 2025-01-01 --to 2025-12-31")
    assert (result.exit_code, result.stdout) == (0, f"Exported 3 exchanges to {target}\n")
    assert len(csv_rows(target.read_bytes())) == 4
    book = tmp_path / "out.xlsx"  # the format follows the file name
    assert xc(url, f"export -o {book}", user=OFFICER).exit_code == 0
    assert b"Jane Doe" not in book.read_bytes() and book.read_bytes().startswith(b"PK")
    empty = tmp_path / "empty.csv"
    assert xc(url, f"export --format csv -o {empty} --from 2030-01-01").exit_code == 0
    assert csv_rows(empty.read_bytes()) == [list(EXPORT_COLUMNS)]
    unknown = xc(url, f"export -o {empty} --partnership NOPE")
    assert unknown.exit_code == 1 and unknown.stderr.startswith("error: There is no partnership")
    backwards = xc(url, f"export -o {empty} --from 2026-01-01 --to 2025-01-01")
    assert backwards.exit_code == 2
    template = tmp_path / "template.xlsx"
    assert xc(url, f"template -o {template}").exit_code == 0
    assert load_workbook(template).sheetnames == ["exchanges", "data dictionary", "lists"]
    assert xc(url, f"template --format csv -o {tmp_path / 't.csv'}").exit_code == 0
    assert (tmp_path / "t.csv").read_bytes() == template_csv()
