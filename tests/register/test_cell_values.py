"""Hostile cell values, the same through a form (the service) and a file (an import):

- a number cell holds a finite number: `1e400`, `inf` and `nan` are refused naming the field;
- a distance lies within 0 and 20,038 km: a negative one no longer halves the lump sum;
- characters that show as nothing (a byte-order mark inside the file, zero-width spaces and
  joiners, the word joiner, bidirectional controls) are removed from every cell, and whitespace
  such as tabs is stripped at both ends, by one function (`parsing.clean_text`).
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import select

from tests.imports.test_importer import BASE, csv_bytes, make_register, row, xlsx_bytes
from tests.test_dates import admin, stay, with_gtex
from xchange.db.engine import read_session, write_session
from xchange.errors import ValidationFailed
from xchange.models import Exchange, Organisation, Person
from xchange.register import parsing, service
from xchange.register.parsing import COLUMNS, parse_table

TODAY = date(2026, 6, 30)
VALID_ROW: dict[str, Any] = {name: BASE.get(name, "") for name in COLUMNS}


def parse_cell(field: str, value: object) -> tuple[object, list[parsing.Issue]]:
    raw = pd.DataFrame([{**VALID_ROW, field: value}], index=[5])
    parsed, issues = parse_table(raw)
    return parsed.loc[5, field], [i for i in issues if i.field == field]


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["distance_km", "lump_sum_eur"])
@pytest.mark.parametrize(
    "value",
    # (A typed float("nan") is pandas' blank cell: an empty optional cell, no error.)
    ["1e400", "-1e400", "inf", "-Infinity", "nan", float("inf"), float("-inf"), 10**400],
    ids=["1e400", "-1e400", "inf", "-Infinity", "nan", "float-inf", "float-minus-inf", "int"],
)
def test_a_number_cell_that_is_not_finite_is_refused_naming_its_field(
    field: str, value: object
) -> None:
    parsed, issues = parse_cell(field, value)
    assert pd.isna(parsed)
    [issue] = issues
    label = "Distance (km)" if field == "distance_km" else "Lump sum (EUR)"
    assert (issue.code, issue.row) == ("unreadable_number", 5)
    assert issue.message.startswith(f"{label} ")
    assert issue.message.endswith("is not a finite number such as 850 or 1.100,00")


@settings(max_examples=200, deadline=None)
@given(number=st.floats(allow_nan=True, allow_infinity=True), as_text=st.booleans())
def test_a_number_cell_reads_as_a_finite_number_or_is_refused(number: float, as_text: bool) -> None:
    parsed, issues = parse_cell("distance_km", repr(number) if as_text else number)
    if math.isfinite(number):
        assert math.isfinite(parsed)  # type: ignore[arg-type]
        assert [i.code for i in issues] == []
    elif math.isnan(number) and not as_text:  # pandas' blank cell
        assert pd.isna(parsed) and issues == []
    else:
        assert pd.isna(parsed)
        assert [i.code for i in issues] == ["unreadable_number"]


@pytest.mark.parametrize(
    ("distance", "refused"),
    [(-5.0, True), (-0.1, True), (0.0, False), (199.0, False), (20_038.0, False), (20_039.0, True)],
)
def test_a_distance_lies_within_0_and_20038_km(
    engine: Engine, distance: float, refused: bool
) -> None:
    with_gtex(engine)
    data = stay(1, distance_km=distance)
    if not refused:
        with write_session(engine) as session:
            created = service.create_exchange(
                session=session, actor=admin(session), data=data, today=TODAY
            )
        # Under 200 km the lump sum is halved; nothing else halves it.
        assert created.lump_sum_cents == (55_000 if distance < 200 else 110_000)
        return
    with pytest.raises(ValidationFailed) as error, write_session(engine) as session:
        service.create_exchange(session=session, actor=admin(session), data=data, today=TODAY)
    [issue] = error.value.issues
    assert (issue.code, issue.field) == ("distance_out_of_range", "distance_km")
    assert issue.message == (
        f"Distance {distance:,.1f} km is not possible: a distance lies between 0 and 20,038 km"
    )
    with read_session(engine) as session:
        assert session.exec(select(Exchange)).all() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lump_sum_eur", Decimal("1e400")),  # a finite Decimal, but infinity as a float
        ("distance_km", float("inf")),
        ("distance_km", 1e400),
    ],
)
def test_the_service_refuses_numbers_that_are_not_finite(
    engine: Engine, field: str, value: object
) -> None:
    with_gtex(engine)
    with pytest.raises(ValidationFailed) as error, write_session(engine) as session:
        data = stay(1, **{field: value})
        service.create_exchange(session=session, actor=admin(session), data=data, today=TODAY)
    assert [(i.code, i.field) for i in error.value.issues] == [("unreadable_number", field)]
    with read_session(engine) as session:
        assert session.exec(select(Exchange)).all() == []


@pytest.mark.parametrize("paid", [float("inf"), float("nan"), Decimal("-Infinity")])
def test_a_payment_that_is_not_finite_is_refused(engine: Engine, paid: Any) -> None:
    with_gtex(engine)
    with write_session(engine) as session:
        created = service.create_exchange(
            session=session, actor=admin(session), data=stay(1), today=TODAY
        )
        assert created.id is not None
        exchange_id, version = created.id, created.version
    with pytest.raises(ValidationFailed) as error, write_session(engine) as session:
        service.record_payment(
            session=session,
            actor=admin(session),
            exchange_id=exchange_id,
            expected_version=version,
            paid_on=date(2025, 4, 1),
            paid_eur=paid,
        )
    assert [(i.code, i.field) for i in error.value.issues] == [
        ("lump_sum_out_of_range", "paid_eur")
    ]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_import_refuses_negative_distances_and_numbers_beyond_any_float(
    engine: Engine, kind: str
) -> None:
    imports = make_register(engine)
    records = [
        row(reference="R-001", distance_km="-150"),
        row(reference="R-002", visitor_organisation="Two", distance_km="1e400"),
        row(reference="R-003", visitor_organisation="Three", lump_sum_eur="1e400"),
        row(reference="R-004", visitor_organisation="Four", lump_sum_eur="-inf"),
    ]
    if kind == "csv":
        data, name = csv_bytes(records), "stays.csv"
    else:  # a workbook's number cells are typed: -150 is a number there
        cells: list[list[Any]] = [list(BASE)]
        for record in records:
            typed: dict[str, Any] = {**record}
            if math.isfinite(float(record["distance_km"])):
                typed["distance_km"] = float(record["distance_km"])
            cells.append([typed[c] for c in BASE])
        data, name = xlsx_bytes({"Exchanges": cells}), "stays.xlsx"
    report = imports.load(data, name)
    assert report.refused
    assert sorted((i.row, i.code, i.field) for i in report.errors) == [
        (2, "distance_out_of_range", "distance_km"),
        (3, "unreadable_number", "distance_km"),
        (4, "unreadable_number", "lump_sum_eur"),
        (5, "unreadable_number", "lump_sum_eur"),
    ]
    assert imports.exchanges() == {}


# --- characters that show as nothing ------------------------------------------------------------

INVISIBLE = {
    "\ufeffR-001": "R-001",  # a byte-order mark inside the file (two files pasted together)
    "\tR-001\t": "R-001",
    "\ufeff\tR-001": "R-001",  # the tab behind the mark was out of strip()'s reach
    "R-\u200b001": "R-001",
    "\u200c\u200dR-001\u2060": "R-001",
    "Acme\u00a0Cluster\u202e": "Acme\u00a0Cluster",  # a no-break space inside is text
    "\u200b": None,  # nothing but an invisible character: blank
    "\u200b \t\ufeff": None,
    "Ärzte\u2066 Verbund\u2069": "Ärzte Verbund",
    "tag\U000e0041\U000e0042s": "tags",
    "plain": "plain",
}


@pytest.mark.parametrize("backend", ["object", "string[pyarrow]"])
def test_invisible_characters_are_removed_from_text_cells(backend: str) -> None:
    column = pd.Series(list(INVISIBLE), dtype=backend)
    read = parsing.as_text(column)
    assert [None if pd.isna(v) else v for v in read] == list(INVISIBLE.values())
    assert list(parsing.blank_mask(column)) == [v is None for v in INVISIBLE.values()]


def test_every_reader_takes_cells_through_the_same_cleaning() -> None:
    for field, value, expected in [
        ("start_date", "\ufeff2025-03-10\u200b", pd.Timestamp("2025-03-10")),
        ("visitor_is_sme", "\u200byes", True),
        ("visitor_country", "\u2060Germany\t", "DE"),
        ("host_type", "\ufeffuniversity", "university"),
        ("distance_km", "\u200b850\ufeff", 850.0),
    ]:
        parsed, issues = parse_cell(field, value)
        assert (parsed, issues) == (expected, []), field


def test_the_service_stores_references_and_names_without_invisible_characters(
    engine: Engine,
) -> None:
    with_gtex(engine)
    data = stay(
        1,
        reference="\ufeff\tX-001\u200b",
        visitor_organisation="\u200bAcme\u2060 Cluster\t",
        host_organisation="Host\u200d Hub",
        representative="\tJane\u200c Doe\ufeff",
    )
    with write_session(engine) as session:
        service.create_exchange(session=session, actor=admin(session), data=data, today=TODAY)
    with read_session(engine) as session:
        [stored] = session.exec(select(Exchange)).all()
        assert stored.reference == "X-001"
        names = sorted(o.name for o in session.exec(select(Organisation)).all())
        assert names == ["Acme Cluster", "Host Hub"]
        assert [p.name for p in session.exec(select(Person)).all()] == ["Jane Doe"]
    # The same reference typed plainly is the same record: a second create is refused.
    with pytest.raises(ValidationFailed), write_session(engine) as session:
        service.create_exchange(
            session=session, actor=admin(session), data=stay(2, reference="X-001"), today=TODAY
        )


def test_an_import_stores_references_and_names_without_invisible_characters(
    engine: Engine,
) -> None:
    imports = make_register(engine)
    first = csv_bytes([row(reference="R-001")])
    # A second file pasted below the first: its byte-order mark now sits inside the file.
    second = csv_bytes(
        [
            row(
                reference="\tR-002\u200b",
                visitor_organisation="\u200bZed\u2060 Cluster",
                representative="Jo\u200d Doe\t",
            )
        ]
    ).split(b"\r\n", 1)[1]  # its row without the header
    report = imports.load(first + b"\xef\xbb\xbf" + second, "pasted.csv")
    assert report.errors == [], report.errors
    stored = imports.exchanges()
    assert sorted(stored) == ["R-001", "R-002"]
    with read_session(engine) as session:
        organisations = {o.name for o in session.exec(select(Organisation)).all()}
        assert "Zed Cluster" in organisations
        assert {p.name for p in session.exec(select(Person)).all()} == {"Jane Doe", "Jo Doe"}


def test_references_that_differ_only_by_invisible_characters_are_one_reference(
    engine: Engine,
) -> None:
    imports = make_register(engine)
    records = [
        row(reference="R-001"),
        row(reference="R-\u200b001", visitor_organisation="Other"),
    ]
    report = imports.load(csv_bytes(records), "twice.csv")
    assert [(i.row, i.code) for i in report.errors] == [(3, "duplicate_reference")]
    assert imports.exchanges() == {}
