"""The dates the tracker accepts, and quarters counted as numbers.

Every date a person or a file gives (a stay's dates, a partnership's action, a programme window,
a country's validity, the CLI's `--as-of`, `--from`, `--to`, `--quarter`) lies within
`EARLIEST` .. `LATEST`, or is refused with a sentence naming the field (`check_date`).

A quarter is stored as text, `2026Q3`, and that format stays; but text order is not time order
once a year has other than four digits (`"10000Q1" < "9999Q4"`, `"1Q1"`), and a database written
before the bounds existed may hold year 1 or 9999. So every walk over quarters counts a numeric
index (`year * 4 + quarter - 1`) and is clamped to the bounds: at most `QUARTERS` steps, whatever
a row holds.

A leaf module: it imports nothing from the package.
"""

from __future__ import annotations

import re
from datetime import date

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
BOUNDS_TEXT = f"between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


class DateOutOfRange(ValueError):
    """A date outside `EARLIEST` .. `LATEST`; the message names the field."""


def within(day: date) -> bool:
    """True when `day` lies within the accepted dates."""
    return EARLIEST <= day <= LATEST


def out_of_range_message(label: str, day: date) -> str:
    """`Start date 9999-12-01 is outside the dates the tracker accepts (between ...)`."""
    return f"{label} {day.isoformat()} is outside the dates the tracker accepts ({BOUNDS_TEXT})"


def check_date(day: date, label: str) -> date:
    """`day` itself, or DateOutOfRange naming `label` (`Action start`, `--as-of`...)."""
    if not within(day):
        raise DateOutOfRange(out_of_range_message(label, day))
    return day


# --- quarters as numbers ---------------------------------------------------------------------


def quarter_index(day: date) -> int:
    """The index of `day`'s quarter: `year * 4 + quarter - 1` (2026-08-14 -> 8106)."""
    return day.year * 4 + (day.month - 1) // 3


FIRST_QUARTER = quarter_index(EARLIEST)
LAST_QUARTER = quarter_index(LATEST)
QUARTERS = LAST_QUARTER - FIRST_QUARTER + 1  # the longest range a walk returns

# Stored (`2026Q3`, and `1Q1` or `9999Q4` from before the bounds) or shown (`2026-Q3`).
_QUARTER = re.compile(r"(\d{1,4})-?[Qq]([1-4])")


def index_of(quarter: str) -> int:
    """The index of a stored or shown quarter (`2026Q3`, `2026-Q3`, `1Q1`); ValueError otherwise."""
    match = _QUARTER.fullmatch(quarter.strip())
    if not match:
        raise ValueError(f"quarter {quarter!r} is not like 2026Q3")
    return int(match.group(1)) * 4 + int(match.group(2)) - 1


def quarter_at(index: int) -> str:
    """The stored text of a quarter index: 8106 -> `2026Q3`."""
    return f"{index // 4}Q{index % 4 + 1}"


def clamped(index: int) -> int:
    """`index` moved into the accepted quarters (2000Q1 .. 2100Q4)."""
    return min(max(index, FIRST_QUARTER), LAST_QUARTER)


def quarter_range(first: str | date, last: str | date) -> list[str]:
    """Every quarter from `first` to `last`, both included, within the accepted quarters.

    Either end may be a quarter (`2025Q4`) or a day. An end outside the bounds is clamped to
    them, so the list never holds more than `QUARTERS` entries.
    """
    start, stop = (clamped(_index(end)) for end in (first, last))
    return [quarter_at(index) for index in range(start, stop + 1)]


def previous_quarter(quarter: str) -> str:
    """The quarter before: `2026Q1` -> `2025Q4`."""
    return quarter_at(index_of(quarter) - 1)


def quarter_days(quarter: str) -> tuple[date, date]:
    """The first and the last day of a stored quarter of any year (`2026Q3` -> Jul 1, Sep 30)."""
    index = index_of(quarter)
    year, q = divmod(index, 4)
    first = date(year, 3 * q + 1, 1)
    if q == 3:
        return first, date(year, 12, 31)
    return first, date.fromordinal(date(year, 3 * q + 4, 1).toordinal() - 1)


def sort_quarters(quarters: list[str]) -> list[str]:
    """Stored quarters in time order (text order is not, for years of other than four digits)."""
    return sorted(quarters, key=index_of)


def _index(end: str | date) -> int:
    return quarter_index(end) if isinstance(end, date) else index_of(end)
