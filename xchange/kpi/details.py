"""The dashboard's breakdowns in one call: by visitor and host country, ecosystem and
organisation type, and the lump sums per partnership with the programme's total.

Each table is the one `xchange kpi --by ...` prints (`xchange.kpi.breakdowns`); the pack's
`data.xlsx` holds the same tables, so the page, the command and the workbook agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlmodel import Session

from xchange.kpi import breakdowns, money
from xchange.kpi.counting import Definitions, Filters
from xchange.kpi.sums import programme_targets


@dataclass
class Details:
    """Breakdowns for one as-of date and set of filters."""

    as_of: date
    definitions: Definitions
    visitor_countries: pd.DataFrame  # breakdowns.by_country(side="visitor")
    host_countries: pd.DataFrame  # breakdowns.by_country(side="host")
    ecosystems: pd.DataFrame  # breakdowns.by_ecosystem
    org_types: pd.DataFrame  # breakdowns.by_org_type (side, type, type_label, figures)
    money: pd.DataFrame  # breakdowns.money_by_partnership
    money_total: dict[str, Any]  # money.total(money): the scope's row


PARTS = ("countries", "ecosystems", "org_types", "money")


def details_for(
    session: Session,
    *,
    as_of: date,
    filters: Filters = Filters(),
    parts: tuple[str, ...] = PARTS,
) -> Details:
    """The breakdowns for `filters` as of `as_of`: the `parts` asked for (one or two grouped
    queries each), the others left empty, so that a page pays only for what it shows."""
    empty = pd.DataFrame()
    definitions = programme_targets(session).definitions
    countries = (
        breakdowns.countries(session, as_of=as_of, filters=filters)
        if "countries" in parts
        else None
    )
    lump_sums = (
        money.by_partnership(
            session,
            as_of=as_of,
            definitions=definitions,
            filters=filters,
        )
        if "money" in parts
        else empty
    )
    return Details(
        as_of=as_of,
        definitions=definitions,
        visitor_countries=countries.visitor.table if countries else empty,
        host_countries=countries.host.table if countries else empty,
        ecosystems=breakdowns.by_ecosystem(session, as_of=as_of, filters=filters).table
        if "ecosystems" in parts
        else empty,
        org_types=breakdowns.by_org_type(session, as_of=as_of, filters=filters).table
        if "org_types" in parts
        else empty,
        money=lump_sums,
        money_total=money.total(lump_sums) if "money" in parts else {},
    )
