"""The programme settings by name (`programme.keys`): one row per setting, each kind read from
text and JSON, the ranges left to `check_settings` (the page's), eligible periods added and ended."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from xchange.errors import InvalidInput
from xchange.programme import keys
from xchange.programme.settings import (
    Eligibility,
    ProgrammeSettings,
    check_settings,
    default_settings,
)


def test_every_programme_setting_has_one_key() -> None:
    # One more ProgrammeSettings field without a row here would be unreachable from scripts.
    fields = [f.name for f in dataclasses.fields(ProgrammeSettings)]
    assert [key.field for key in keys.KEYS] == fields


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("target-exchanges", "1,200", 1200),
        ("TARGET_EXCHANGES", "1200", 1200),  # any case, underscores too
        ("sme-share-target", "55", 0.55),  # a percentage, as on the page
        ("sme-share-target", "55.5 %", 0.555),
        ("at-risk-share-margin", "5", 0.05),  # percentage points
        ("count-virtual", "Yes", True),
        ("count-virtual", "0", False),
        ("virtual-window-start", "2021-06-30", date(2021, 6, 30)),
        ("virtual-window-end", "none", None),  # no window on that side
        ("beyond-reading", "Narrow", "narrow"),
        ("visitor-types", "cluster organisation, SME", ("cluster organisation", "SME")),
        ("name", "  Wave 2 ", "Wave 2"),
        ("retention-months", "12", 12),
    ],
)
def test_a_key_reads_its_text(name: str, text: str, expected: Any) -> None:
    changed = keys.with_values(default_settings(), {name: text})
    assert getattr(changed, keys.key_named(name).field) == expected


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("targets", "1", "Unknown setting 'targets'"),
        ("target-exchanges", "many", "'many' is not a whole number."),
        ("sme-share-target", "half", "'half' is not a percentage"),
        ("sme-share-target", "nan", "'nan' is not a percentage"),
        ("count-virtual", "perhaps", "'perhaps' is not yes or no."),
        ("virtual-window-end", "30/06/2021", "is not a date like 2026-03-14"),
    ],
)
def test_an_unreadable_value_names_itself(name: str, text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(")):
        keys.with_values(default_settings(), {name: text})


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("sme-share-target", "150", "must lie above 0 % and at most 100 % (not 150 %)"),
        ("target-exchanges", "0", "must be a positive number of exchanges (not 0)"),
        ("beyond-reading", "wide", "Unknown reading"),
        ("visitor-types", "spaceship", "Unknown organisation type 'spaceship'"),
        ("retention-months", "0", "within 1 and 240 months (not 0)"),
    ],
)
def test_ranges_are_the_pages(name: str, text: str, message: str) -> None:
    """Read fine, refused by `check_settings`, with the Administration page's message."""
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_settings(keys.with_values(default_settings(), {name: text}))


def test_json_round_trip() -> None:
    settings = keys.with_values(
        default_settings(),
        {"virtual-window-start": "2021-01-01", "count-virtual": "yes", "sme-share-target": "40"},
    )
    written = keys.settings_json(settings)
    assert written["virtual_window_start"] == "2021-01-01"
    assert written["visitor_types"] == list(settings.visitor_types)
    assert keys.settings_from_json(default_settings(), written) == settings
    with pytest.raises(InvalidInput, match="Unknown setting 'colour'"):
        keys.settings_from_json(default_settings(), {"colour": "blue"})
    countries = [Eligibility("GB", None, date(2020, 12, 31)), Eligibility("FR")]
    assert keys.eligibility_from_json(keys.eligibility_json(countries)) == countries


def test_eligible_periods_added_and_ended() -> None:
    countries = [Eligibility("FR"), Eligibility("GB", date(2014, 1, 1))]
    assert keys.period_added(countries, "Norway", date(2027, 1, 1), None)[-1] == Eligibility(
        "NO", date(2027, 1, 1)
    )
    ended = keys.period_ended(countries, "UK", date(2020, 12, 31))  # the EU's code for GB
    assert ended == [Eligibility("FR"), Eligibility("GB", date(2014, 1, 1), date(2020, 12, 31))]
    with pytest.raises(InvalidInput, match=r"United Kingdom \(GB\) is not eligible on 2010-01-01"):
        keys.period_ended(countries, "GB", date(2010, 1, 1))  # before its period starts
    with pytest.raises(InvalidInput, match=r"Norway \(NO\) is not an eligible country"):
        keys.period_ended(countries, "NO", date(2020, 1, 1))
    with pytest.raises(InvalidInput, match="'QQ' is not a country code or name"):
        keys.period_added(countries, "QQ", None, None)
