"""Reading cells as people write them: every accepted spelling of DOMAIN.md, and every refusal."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xchange import textcolumns
from xchange.register import parsing
from xchange.register.parsing import (
    COLUMNS,
    REQUIRED,
    Issue,
    field_label,
    parse_numbers,
    parse_table,
)

# One row that parses without a single issue; each case below changes one cell of it.
VALID_RAW: dict[str, Any] = {
    "reference": "ALPHA-001",
    "partnership": "ALPHA",
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

# Spreadsheet row 7 (the header is row 1): issues must point there, not at position 0.
ROW = 7


def parse_one(**changes: Any) -> tuple[pd.Series, list[Issue]]:
    """The parsed row and the issues of VALID_RAW with `changes`, as spreadsheet row ROW."""
    raw = pd.DataFrame([{**VALID_RAW, **changes}], index=[ROW])
    parsed, issues = parse_table(raw)
    return parsed.loc[ROW], issues


def test_the_valid_row_parses_without_issues() -> None:
    row, issues = parse_one()
    assert issues == []
    assert set(COLUMNS) <= set(row.index)


# --- accepted spellings ----------------------------------------------------------------------
#
# Each case is its own test, but all of them are read in one table, one case per row (as an
# import reads a spreadsheet whose rows were typed by different people): parsing is per column,
# so a test per parse would be slow, and one mixed column is the harder case anyway.

ISO_DATE = pd.Timestamp("2025-03-14")
DATES: list[object] = [
    "2025-03-14",
    "14/03/2025",
    "14.03.2025",
    date(2025, 3, 14),  # a form's date widget
    datetime(2025, 3, 14, 0, 0),  # Excel's cell type
    "2025-03-14 00:00:00",  # Excel/CSV exports carry a midnight time
    "2025-03-14T00:00",
    " 14/03/2025 ",  # stray spaces around the value
    pd.Timestamp("2025-03-14"),
    "2025-3-14",  # without zero padding
]
BOOLS: list[tuple[object, bool]] = [
    ("yes", True),
    ("YES", True),
    ("Yes", True),
    ("no", False),
    ("No", False),
    ("true", True),
    ("TRUE", True),
    ("False", False),
    ("y", True),
    ("Y", True),
    ("n", False),
    ("N", False),
    ("1", True),
    ("0", False),
    (" yes ", True),
    (1, True),  # a numeric cell from Excel
    (0, False),
    (True, True),  # a form's checkbox
    (False, False),
]
NUMBERS: list[tuple[object, float]] = [
    ("1100", 1100.0),
    ("1100.00", 1100.0),
    ("1.100,00", 1100.0),  # German / Italian / Spanish spelling
    ("1100,00", 1100.0),  # decimal comma without thousands separator
    ("1,100.00", 1100.0),  # English spelling with thousands separator
    ("1 100,00", 1100.0),  # French spelling (space as thousands separator)
    ("1\u00a0100,00", 1100.0),  # ... with the non-breaking space Excel writes
    ("€1100", 1100.0),
    ("550,5", 550.5),
    (1100, 1100.0),  # numeric cells
    (1100.0, 1100.0),
]
COUNTRIES: list[tuple[str, str]] = [
    ("DE", "DE"),
    ("de", "DE"),
    ("De", "DE"),
    ("Germany", "DE"),
    ("germany", "DE"),
    ("DEU", "DE"),  # alpha-3
    ("EL", "GR"),  # the EU's code for Greece
    ("el", "GR"),
    ("Greece", "GR"),
    ("GR", "GR"),
    ("UK", "GB"),  # the EU's code for the United Kingdom
    ("United Kingdom", "GB"),
    ("Türkiye", "TR"),
    ("TÜRKIYE", "TR"),
    ("Turkey", "TR"),
    ("TR", "TR"),
    ("Kosovo", "XK"),  # not in ISO 3166: an alias
    ("XK", "XK"),
    ("Czech Republic", "CZ"),
    ("Czechia", "CZ"),
    ("  Czech   Republic ", "CZ"),  # spaces are squeezed
    ("North Macedonia", "MK"),
]
ENUMS: list[tuple[str, str, str]] = [
    ("visitor_type", "Scale-up support organisation", "scale_up_support_organisation"),
    ("visitor_type", "SCALE_UP_SUPPORT_ORGANISATION", "scale_up_support_organisation"),
    ("visitor_type", "scale up support  organisation", "scale_up_support_organisation"),
    ("visitor_type", "Cluster-Organisation", "cluster_organisation"),
    ("visitor_type", "sme", "sme"),
    ("host_type", "Large company", "large_company"),
    ("host_type", "PUBLIC_AUTHORITY", "public_authority"),
    ("status", "Completed", "completed"),
    ("status", " PLANNED ", "planned"),
    ("modality", "Virtual", "virtual"),
    ("visitor_community", "EXTERNAL", "external"),
    ("host_community", "Member", "member"),
    ("ecosystem", "Aerospace and Defence", "AERO"),  # "and" for the ampersand
    ("ecosystem", "Aerospace & Defence", "AERO"),
    ("ecosystem", "aero", "AERO"),  # the short code, any case
    ("ecosystem", "Agri-food", "AGRI"),
    ("ecosystem", "agri food", "AGRI"),  # hyphen written as a space
    ("ecosystem", "Mobility-Transport-Automotive", "MOB"),
    ("ecosystem", "mobility_transport_automotive", "MOB"),
    ("ecosystem", "Cultural and Creative Industries", "CCI"),
    ("activity", "Knowledge sharing", "knowledge_sharing"),
    ("activity", "R&D", "project_development"),  # alias of the long label
    ("activity", "networking and business opportunities", "networking"),
]

# (field, value as written, value as read)
ACCEPTED: list[tuple[str, object, object]] = [
    *(("end_date", value, ISO_DATE) for value in DATES),
    *(("visitor_is_sme", value, expected) for value, expected in BOOLS),
    *(("lump_sum_eur", value, expected) for value, expected in NUMBERS),
    *(("host_country", value, expected) for value, expected in COUNTRIES),
    *ENUMS,
]


@cache
def parsed_cases(cases: tuple[tuple[str, object], ...]) -> tuple[pd.DataFrame, tuple[Issue, ...]]:
    """VALID_RAW with one (field, value) change per row, rows labelled 2, 3... as in a sheet."""
    raw = pd.DataFrame(
        [{**VALID_RAW, field: value} for field, value in cases],
        index=range(2, 2 + len(cases)),
    )
    parsed, issues = parse_table(raw)
    return parsed, tuple(issues)


def case_id(case: tuple[object, ...]) -> str:
    return f"{case[0]}={case[1]!r}"


@pytest.mark.parametrize(
    ("n", "case"), list(enumerate(ACCEPTED)), ids=[case_id(c) for c in ACCEPTED]
)
def test_every_accepted_spelling_is_read(n: int, case: tuple[str, object, object]) -> None:
    field, _, expected = case
    parsed, issues = parsed_cases(tuple((f, v) for f, v, _ in ACCEPTED))
    assert [issue for issue in issues if issue.row == n + 2] == []
    value = parsed.loc[n + 2, field]
    assert pd.notna(value)
    assert value == expected


@pytest.mark.parametrize(
    "value", [date(2025, 3, 14), datetime(2025, 3, 14), pd.Timestamp("2025-03-14"), "14.03.2025"]
)
def test_a_form_gives_typed_dates(value: object) -> None:
    # A one-row table of typed values gets a datetime column, not an object one.
    row, issues = parse_one(start_date=value, end_date=value)
    assert issues == []
    assert (row["start_date"], row["end_date"]) == (ISO_DATE, ISO_DATE)


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), (1, True)])
def test_a_form_gives_typed_yes_no(value: object, expected: bool) -> None:
    row, issues = parse_one(visitor_is_sme=value, host_is_sme=value)
    assert issues == []
    assert bool(row["visitor_is_sme"]) is expected and bool(row["host_is_sme"]) is expected


def test_modality_defaults_to_physical_when_blank() -> None:
    row, issues = parse_one(modality="")
    assert issues == []
    assert row["modality"] == "physical"


@pytest.mark.parametrize("field", ["ecosystem", "activity", "distance_km", "representative"])
def test_optional_columns_may_be_blank_or_absent(field: str) -> None:
    row, issues = parse_one(**{field: None})
    assert issues == []
    assert pd.isna(row[field])
    raw = pd.DataFrame([{k: v for k, v in VALID_RAW.items() if k != field}], index=[ROW])
    parsed, issues = parse_table(raw)
    assert issues == []
    assert pd.isna(parsed.loc[ROW, field])


# --- refusals --------------------------------------------------------------------------------


# (field, value, code): each is refused with an error naming the field and the value.
REFUSED: list[tuple[str, str, str]] = [
    ("start_date", "next monday", "unreadable_date"),
    ("end_date", "2025-02-30", "unreadable_date"),  # no such day
    ("end_date", "03/14/2025", "unreadable_date"),  # US order: month 14 does not exist
    ("end_date", "2025-03-14 15:30", "unreadable_date"),  # only a midnight time is dropped
    ("visitor_is_sme", "maybe", "unreadable_yes_no"),
    ("host_is_sme", "2", "unreadable_yes_no"),
    ("distance_km", "far", "unreadable_number"),
    ("lump_sum_eur", "1100 EUR!", "unreadable_number"),
    ("visitor_country", "Narnia", "unknown_country"),
    ("host_country", "XX", "unknown_country"),
    ("host_country", "Europe", "unknown_country"),
    ("status", "done", "invalid_choice"),
    ("modality", "hybrid", "invalid_choice"),
    ("visitor_type", "freelancer", "invalid_choice"),
    ("host_type", "NGO", "invalid_choice"),
    ("visitor_community", "friend", "invalid_choice"),
    ("host_community", "partners", "invalid_choice"),  # close is not enough
    ("ecosystem", "Space", "invalid_choice"),
    ("activity", "holiday", "invalid_choice"),
]


@pytest.mark.parametrize(("n", "case"), list(enumerate(REFUSED)), ids=[case_id(c) for c in REFUSED])
def test_an_unreadable_value_is_refused_naming_field_and_value(
    n: int, case: tuple[str, str, str]
) -> None:
    field, value, code = case
    _, issues = parsed_cases(tuple((f, v) for f, v, _ in REFUSED))
    mine = [issue for issue in issues if issue.row == n + 2]
    assert [(i.code, i.severity, i.field, i.value) for i in mine] == [(code, "error", field, value)]
    assert field_label(field) in mine[0].message
    assert repr(value) in mine[0].message


def test_an_unreadable_value_in_a_form_is_refused_too() -> None:
    _, issues = parse_one(host_country="Narnia")
    assert [(i.code, i.field, i.value, i.row) for i in issues] == [
        ("unknown_country", "host_country", "Narnia", ROW)
    ]
    assert issues[0].message.startswith("Host country 'Narnia'")


def test_a_refused_value_is_reported_stripped() -> None:
    _, issues = parse_one(status="  done ")
    assert [(i.code, i.value) for i in issues] == [("invalid_choice", "done")]
    assert "'done'" in issues[0].message


def test_a_value_outside_its_list_names_the_allowed_values() -> None:
    _, issues = parse_one(visitor_type="freelancer")
    assert "scale-up support organisation" in issues[0].message
    assert "cluster organisation" in issues[0].message


BLANKS: list[object] = [None, "", "   ", float("nan")]


@pytest.mark.parametrize(("n", "field"), list(enumerate(REQUIRED)), ids=REQUIRED)
def test_a_missing_required_value_is_refused(n: int, field: str) -> None:
    # Every kind of blank a reader hands over: None, empty, spaces only, NaN.
    cases = tuple((f, blank) for f in REQUIRED for blank in BLANKS)
    _, issues = parsed_cases(cases)
    labels = range(2 + n * len(BLANKS), 2 + (n + 1) * len(BLANKS))
    mine = [issue for issue in issues if issue.row in labels]
    assert [(i.code, i.severity, i.field, i.value, i.row) for i in mine] == [
        ("missing_value", "error", field, "", label) for label in labels
    ]
    assert all(i.message == f"{field_label(field)} is required but empty" for i in mine)


def test_a_missing_required_column_is_refused_on_every_row() -> None:
    raw = pd.DataFrame([VALID_RAW, {**VALID_RAW, "reference": "ALPHA-002"}], index=[2, 3]).drop(
        columns=["host_country"]
    )
    _, issues = parse_table(raw)
    assert [(i.code, i.field, i.row) for i in issues] == [
        ("missing_value", "host_country", 2),
        ("missing_value", "host_country", 3),
    ]


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("visitor_is_sme", "Visitor is SME"),
        ("host_is_sme", "Host is SME"),
        ("distance_km", "Distance (km)"),
        ("lump_sum_eur", "Lump sum (EUR)"),
        ("start_date", "Start date"),
        ("cancellation_reason", "Cancellation reason"),
    ],
)
def test_field_label_writes_columns_as_people_read_them(field: str, label: str) -> None:
    assert field_label(field) == label


def test_issues_point_at_the_tables_own_row_labels() -> None:
    # Rows 2, 5 and 9 of a spreadsheet (rows between were skipped by the reader).
    raw = pd.DataFrame(
        [
            {**VALID_RAW, "reference": "A", "end_date": "soon"},
            {**VALID_RAW, "reference": "B"},
            {**VALID_RAW, "reference": "C", "host_is_sme": "perhaps", "status": None},
        ],
        index=[2, 5, 9],
    )
    parsed, issues = parse_table(raw)
    assert list(parsed.index) == [2, 5, 9]
    assert sorted((i.row, i.code, i.field) for i in issues) == [
        (2, "unreadable_date", "end_date"),
        (9, "missing_value", "status"),
        (9, "unreadable_yes_no", "host_is_sme"),
    ]


def test_one_column_mixing_spellings_reads_each_cell() -> None:
    # An import column where each row was typed by someone else, in another locale.
    spellings = ["2025-03-14", "14/03/2025", "14.03.2025", date(2025, 3, 14), "2025-03-14 00:00:00"]
    raw = pd.DataFrame(
        [{**VALID_RAW, "reference": f"R{n}", "end_date": s} for n, s in enumerate(spellings)],
        index=range(2, 2 + len(spellings)),
    )
    parsed, issues = parse_table(raw)
    assert issues == []
    assert parsed["end_date"].eq(pd.Timestamp("2025-03-14")).all()


# Cells a CSV hands over as Arrow text, read by Arrow's kernels where that is certain: each must
# read exactly as the same cell from a form (plain Python), whatever spaces or digits it holds.
TRICKY = [
    "",
    "  ",
    " ALPHA-001 ",
    "Ärzte Verbund",
    "\u00a0NBSP\u00a0",
    "tail\u2003",
    "\x1cgroup separator",
    "vertical\x0b",
    "\u3000",
    "İstanbul",
    "1100",
    "1.100",
    "1.100,00",
    "1100,00",
    "1,100.00",
    "123.456",
    "1234.567",
    "0123.5",
    "0.30000000000000004",
    "9007199254740993",
    "99999999999999999999.5",
    "nan",
    "inf",
    "-5",
    "€ 900",
    "\u0663\u0664",
    "\ufeffR-1",
    "R\u200b-1\t",
    "\u200b",
    "\u200b850\u2060",
    "1e400",
    None,
]


@pytest.mark.parametrize(
    "read", [parsing.as_text, parsing.blank_mask, parsing.parse_numbers], ids=lambda f: f.__name__
)
@pytest.mark.parametrize("below_header", [False, True])
def test_arrow_text_reads_as_python_does(read: Any, below_header: bool) -> None:
    arrow = pd.Series(TRICKY * 3, dtype="str")
    if below_header:  # as a CSV column under its header: offsets that do not start at 0
        sliced = pa.array(["header", *TRICKY * 3]).slice(1).cast(pa.large_string())
        arrow = pd.Series(pd.arrays.ArrowStringArray(sliced))
    assert textcolumns.arrow_text(arrow) is not None
    plain = pd.Series(TRICKY * 3, dtype=object)
    pd.testing.assert_series_equal(read(arrow), read(plain), check_exact=True)


def one_by_one(cell: str) -> float | None:
    value = parse_numbers(pd.Series([cell], dtype=object)).iloc[0]
    return None if pd.isna(value) else float(value)


@given(st.lists(st.text(alphabet="0123456789.,- €\u00a0E", max_size=12) | st.none()))
@settings(max_examples=300, deadline=None)
def test_numbers_read_from_arrow_text_as_one_by_one(cells: list[str | None]) -> None:
    # Arrow casts the plain decimals itself; every cell must still read as it reads alone, in a
    # column of Python objects (a form's cell), which Python reads cell by cell.
    parsed = parse_numbers(pd.Series(cells, dtype="str"))
    expected = [None if c is None or not c.strip() else one_by_one(c) for c in cells]
    assert [None if pd.isna(v) else float(v) for v in parsed] == expected
