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


def details_for(session: Session, *, as_of: date, filters: Filters = Filters()) -> Details:
    """All the breakdowns for `filters` as of `as_of` (five grouped queries)."""
    countries = breakdowns.countries(session, as_of=as_of, filters=filters)
    lump_sums = breakdowns.money_by_partnership(session, as_of=as_of, filters=filters)
    return Details(
        as_of=as_of,
        definitions=lump_sums.definitions,
        visitor_countries=countries.visitor.table,
        host_countries=countries.host.table,
        ecosystems=breakdowns.by_ecosystem(session, as_of=as_of, filters=filters).table,
        org_types=breakdowns.by_org_type(session, as_of=as_of, filters=filters).table,
        money=lump_sums.table,
        money_total=money.total(lump_sums.table),
    )
