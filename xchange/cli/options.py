"""Option types: a date and a quarter within the dates the tracker accepts."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from xchange import dates


class DateOption(click.ParamType):
    """An ISO date (2026-03-14) within the dates the tracker accepts (`xchange.dates`); any
    other value is a usage error (exit code 2) naming the option. Every date option uses it."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date like 2026-03-14", param, ctx)
        if not dates.within(day):
            self.fail(
                f"{day.isoformat()} is outside the dates the tracker accepts ({dates.BOUNDS_TEXT})",
                param,
                ctx,
            )
        return day


class QuarterOption(click.ParamType):
    """A quarter, `2026Q3` or `2026-Q3`, within the accepted dates; the stored text (`2026Q3`)."""

    name = "quarter"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from xchange.models import quarter_of  # imported when a quarter is given
        from xchange.reference import parse_quarter

        try:
            first, _ = parse_quarter(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return quarter_of(first)


DAY = DateOption()
QUARTER = QuarterOption()
