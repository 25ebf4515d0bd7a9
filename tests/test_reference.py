"""Reference lists and the spellings people write: table-driven."""

from __future__ import annotations

import re
import sys
import unicodedata
from datetime import date

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xchange import reference
from xchange.models import Activity, Community, OrgType, Status, quarter_of
from xchange.reference import (
    DEFAULT_ELIGIBLE,
    EU27,
    country_name,
    enum_key,
    enum_tables,
    name_key,
    parse_bool,
    parse_country,
    parse_quarter,
    quarter_label,
)

# --- countries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Greece", "GR"),
        ("GR", "GR"),
        ("gr", "GR"),
        ("EL", "GR"),  # the EU's own code for Greece
        ("el", "GR"),
        ("GRC", "GR"),  # alpha-3 too
        ("Czech Republic", "CZ"),  # the old name, still common in files
        ("Czechia", "CZ"),
        ("  czech   republic ", "CZ"),  # stray and doubled spaces
        ("Türkiye", "TR"),
        ("Turkiye", "TR"),  # without the diaeresis
        ("Turkey", "TR"),
        ("TR", "TR"),
        ("Kosovo", "XK"),  # not in ISO 3166, but COSME-eligible
        ("XK", "XK"),
        ("UK", "GB"),  # the EU's own code for the United Kingdom
        ("United Kingdom", "GB"),
        ("North Macedonia", "MK"),
        ("Republic of Moldova", "MD"),
        ("GERMANY", "DE"),
        ("Atlantis", None),
        ("", None),
        ("G R", None),
    ],
)
def test_parse_country(text: str, expected: str | None) -> None:
    assert parse_country(text) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("GR", "Greece"),
        ("XK", "Kosovo"),
        ("TR", "Türkiye"),
        ("CZ", "Czechia"),
        ("GB", "United Kingdom"),
        ("MD", "Moldova"),  # the common name, not "Moldova, Republic of"
        ("ZZ", "ZZ"),  # unknown codes are shown as they are
    ],
)
def test_country_name(code: str, expected: str) -> None:
    assert country_name(code) == expected


@pytest.mark.parametrize("code", DEFAULT_ELIGIBLE)
def test_every_eligible_country_reads_back_from_its_code_and_its_name(code: str) -> None:
    assert parse_country(code) == code
    assert parse_country(country_name(code)) == code


def test_default_eligible_countries() -> None:
    assert len(EU27) == 27
    assert len(set(DEFAULT_ELIGIBLE)) == len(DEFAULT_ELIGIBLE) == 38
    assert {"XK", "TR", "UA"} <= set(DEFAULT_ELIGIBLE)
    assert not {"GB", "NO", "CH", "US", "EL", "UK"} & set(DEFAULT_ELIGIBLE)


# --- yes / no --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True),
        ("YES", True),
        (" Yes ", True),
        ("y", True),
        ("true", True),
        ("True", True),
        ("1", True),
        ("ja", True),
        ("oui", True),
        ("no", False),
        ("N", False),
        ("false", False),
        ("FALSE", False),
        ("0", False),
        ("nein", False),
        ("maybe", None),
        ("", None),
        ("2", None),
        ("yes please", None),
    ],
)
def test_parse_bool(text: str, expected: bool | None) -> None:
    assert parse_bool(text) is expected


# --- enumerated values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Scale-up support organisation", "scale up support organisation"),
        ("SCALE_UP support-organisation", "scale up support organisation"),
        ("  scale__up \t support  organisation ", "scale up support organisation"),
        ("R&D", "r&d"),  # punctuation other than - and _ is kept
    ],
)
def test_enum_key(text: str, expected: str) -> None:
    assert enum_key(text) == expected


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("org_type", "Scale-up support organisation", OrgType.SCALE_UP_SUPPORT),
        ("org_type", "SCALE_UP support-organisation", OrgType.SCALE_UP_SUPPORT),
        ("org_type", "scale_up_support_organisation", OrgType.SCALE_UP_SUPPORT),
        ("org_type", "SME", OrgType.SME),
        ("org_type", "Cluster Organisation", OrgType.CLUSTER),
        ("org_type", "large-company", OrgType.LARGE_COMPANY),
        ("status", "Completed", Status.COMPLETED),
        ("status", "CANCELLED", Status.CANCELLED),
        ("community", "External", Community.EXTERNAL),
        ("modality", "Virtual", "virtual"),
        ("size_class", "Micro", "micro"),
        ("activity", "Capacity building", Activity.CAPACITY_BUILDING),
        ("activity", "R&D", Activity.PROJECT_DEVELOPMENT),
        ("activity", "project development / innovation / R&D", Activity.PROJECT_DEVELOPMENT),
        ("activity", "Networking and business opportunities", Activity.NETWORKING),
        ("activity", "networking", Activity.NETWORKING),
        # Ecosystems are stored as their short code and read by code or by name.
        ("ecosystem", "Agri-food", "AGRI"),
        ("ecosystem", "agri_food", "AGRI"),
        ("ecosystem", "agri", "AGRI"),
        ("ecosystem", "Mobility-Transport-Automotive", "MOB"),
        ("ecosystem", "mobility transport automotive", "MOB"),
        ("ecosystem", "Cultural & Creative Industries", "CCI"),
        ("ecosystem", "Energy intensive industries", "EII"),
    ],
)
def test_enum_tables_read_every_spelling(kind: str, text: str, expected: str) -> None:
    assert enum_tables()[kind][enum_key(text)] == str(expected)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("org_type", "start-up"),
        ("status", "done"),
        ("community", "internal"),
        ("ecosystem", "Space"),
    ],
)
def test_enum_tables_do_not_guess(kind: str, text: str) -> None:
    assert enum_key(text) not in enum_tables()[kind]


def test_enum_tables_cover_every_stored_value() -> None:
    tables = enum_tables()
    assert set(tables["org_type"].values()) == {t.value for t in OrgType}
    assert set(tables["status"].values()) == {s.value for s in Status}
    assert set(tables["community"].values()) == {c.value for c in Community}
    assert set(tables["activity"].values()) == {a.value for a in Activity}
    assert len(set(tables["ecosystem"].values())) == 14


# --- organisation names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ACME  GmbH.", "acme gmbh"),
        ("acme gmbh", "acme gmbh"),
        ("  Acme\tGmbH ", "acme gmbh"),
        ("Ａｃｍｅ GmbH", "acme gmbh"),  # full-width letters fold (NFKC)
        ("Foo S.A.;", "foo s.a"),  # trailing punctuation goes, inner stays
        ("Straße Cluster", "strasse cluster"),  # casefold, not lower
    ],
)
def test_name_key(name: str, expected: str) -> None:
    assert name_key(name) == expected


# Every ASCII character, control characters included (whitespace rules differ between engines).
_ASCII = "".join(chr(i) for i in range(128))


def _name_key_by_regex(name: str) -> str:
    """name_key as first written (the keys stored organisations carry): runs of \\s to one
    space."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[\s]+", " ", folded).strip().rstrip(".,; ")


@given(st.text(alphabet=st.characters(codec="utf-8")) | st.text(alphabet=_ASCII))
@settings(max_examples=500, deadline=None)
def test_name_key_keeps_the_keys_it_gave_before(name: str) -> None:
    assert name_key(name) == _name_key_by_regex(name)


def test_split_and_a_regular_expression_agree_on_every_whitespace_character() -> None:
    # What lets name_key split instead of matching \s: the same characters, all of Unicode.
    spaces = re.compile(r"\s")
    differ = [
        c for c in range(sys.maxunicode + 1) if bool(spaces.match(chr(c))) != chr(c).isspace()
    ]
    assert differ == []


# --- quarters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026Q4", date(2026, 10, 1), date(2026, 12, 31)),  # ends at the year's end
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),  # the on-screen form
        ("2024q1", date(2024, 1, 1), date(2024, 3, 31)),
        (" 2025Q2 ", date(2025, 4, 1), date(2025, 6, 30)),
    ],
)
def test_parse_quarter(text: str, first: date, last: date) -> None:
    assert parse_quarter(text) == (first, last)


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "26Q1", "2026", "Q3 2026", "", "2026--Q1"])
def test_parse_quarter_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="2026Q3"):
        parse_quarter(text)


@pytest.mark.parametrize(
    ("quarter", "label"), [("2026Q3", "2026-Q3"), ("2025Q1", "2025-Q1"), ("1999Q4", "1999-Q4")]
)
def test_quarter_label(quarter: str, label: str) -> None:
    assert quarter_label(quarter) == label


@pytest.mark.parametrize(
    "day", [date(2025, 1, 1), date(2025, 3, 31), date(2025, 4, 1), date(2024, 12, 31)]
)
def test_quarter_of_a_day_contains_it_in_both_forms(day: date) -> None:
    quarter = quarter_of(day)
    first, last = parse_quarter(quarter)
    assert first <= day <= last
    assert parse_quarter(quarter_label(quarter)) == (first, last)


NAMES = [
    "ACME  GmbH.",
    "acme gmbh",
    " Acme GmbH ;",
    "Acme\tGmbH,",
    "Acme\x1cGmbH",
    "Ärzte Verbund GmbH.",
    "STRASSE AG",
    "Straße AG",
    "İstanbul Tekno A.Ş.",
    "ＡＣＭＥ Ｌｔｄ",
    "ﬁnance ﬂow",
    "Σίσυφος ΑΕ",
    "Acme\u00a0GmbH",
    "Acme\u2003GmbH ",
    ".,;",
    "",
    "   ",
    "O'Brien & Co.",
    None,
]


def test_name_keys_of_a_column_are_name_key_of_each_name() -> None:
    keys = reference.name_keys(pa.array(NAMES * 2, type=pa.large_string())).to_pylist()
    assert keys == [None if n is None else reference.name_key(n) for n in NAMES * 2]


def test_name_keys_of_a_column_sliced_below_its_header() -> None:
    # A CSV column read under its header: offsets that do not start at 0 (as large strings).
    column = pa.array(["visitor_organisation", "Acme Cluster", "BETA  Hub."]).slice(1)
    keys = reference.name_keys(column.cast(pa.large_string()))
    keys.validate(full=True)
    assert keys.to_pylist() == ["acme cluster", "beta hub"]


@given(st.lists(st.text(alphabet=st.characters(codec="utf-8")) | st.text(alphabet=_ASCII)))
@settings(max_examples=300, deadline=None)
def test_name_keys_match_name_key_one_by_one(names: list[str]) -> None:
    # The column's keys must equal the one-name keys exactly: stored keys come from both.
    keys = reference.name_keys(pa.array(names, type=pa.large_string())).to_pylist()
    assert keys == [name_key(name) for name in names]
