"""Lump sums per partnership: committed, paid, and how many counted stays had the halved rate.

The money rule (DOMAIN.md): a visitor's lump sum is halved, once, when the stay has fewer than
5 working days or the two organisations are less than 200 km apart. Committed sums the lump
sums of confirmed and completed stays (agreements signed), paid the payments recorded, both in
EUR; the halved share is over counted exchanges, like every KPI share. The same expressions
feed `breakdowns.money_and_sides` (the programme's totals), so the partnerships add up to it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from xchange.kpi.counting import Definitions, Filters, X, filter_conditions
from xchange.kpi.grouping import sum_if
from xchange.models import Partnership

COLUMNS = ("counted", "reduced_rate", "committed_cents", "paid_cents")


def counted_condition(as_of: date, definitions: Definitions) -> sa.ColumnElement[bool]:
    """Completed stays ended by `as_of`; physical ones only unless virtual stays count."""
    counted = (X.c.status == "completed") & (X.c.end_date <= as_of)
    if not definitions.count_virtual:
        counted &= X.c.modality == "physical"
    return counted


def money_columns(counted: sa.ColumnElement[bool]) -> list[Any]:
    """The four sums, labelled as COLUMNS: counted, halved-rate, committed and paid cents."""
    return [
        sum_if(counted, sa.literal(1)).label("counted"),
        sum_if(counted & X.c.reduced_rate, sa.literal(1)).label("reduced_rate"),
        sum_if(X.c.status.in_(("confirmed", "completed")), X.c.lump_sum_cents).label(
            "committed_cents"
        ),
        sa.func.coalesce(sa.func.sum(X.c.paid_cents), 0).label("paid_cents"),
    ]


def by_partnership(
    session: Session, *, as_of: date, definitions: Definitions, filters: Filters = Filters()
) -> pd.DataFrame:
    """One row per partnership in scope (acronym order, zeros where nothing is logged):

    partnership_id, acronym, counted, reduced_rate, reduced_rate_share (None where nothing is
    counted), committed_eur, paid_eur, unpaid_eur (committed minus paid).
    """
    query = (
        sa.select(X.c.partnership_id, *money_columns(counted_condition(as_of, definitions)))
        .select_from(X)
        .where(*filter_conditions(filters))
        .group_by(X.c.partnership_id)
    )
    found = {int(row[0]): [int(v or 0) for v in row[1:]] for row in session.execute(query).all()}
    partnerships = sorted(
        (
            (int(pid), str(acronym))
            for pid, acronym in session.execute(
                sa.select(Partnership.id, Partnership.acronym)  # type: ignore[call-overload]
            ).all()
            if not filters.partnership_ids or pid in filters.partnership_ids
        ),
        key=lambda p: p[1].casefold(),
    )
    sums = np.array(
        [found.get(pid, [0] * len(COLUMNS)) for pid, _ in partnerships], dtype=np.int64
    ).reshape(len(partnerships), len(COLUMNS))
    counted, reduced = sums[:, 0], sums[:, 1]
    shares = np.full(len(partnerships), None, dtype=object)
    shares[counted > 0] = reduced[counted > 0] / counted[counted > 0]
    return pd.DataFrame(
        {
            "partnership_id": pd.Series([p[0] for p in partnerships], dtype="int64"),
            "acronym": pd.Series([p[1] for p in partnerships], dtype=object),
            "counted": counted,
            "reduced_rate": reduced,
            "reduced_rate_share": shares,
            "committed_eur": sums[:, 2] / 100,
            "paid_eur": sums[:, 3] / 100,
            "unpaid_eur": (sums[:, 2] - sums[:, 3]) / 100,
        }
    )


def total(table: pd.DataFrame) -> dict[str, Any]:
    """The programme's row of a `by_partnership` table: a plain sum, the share a ratio of sums."""
    counted = int(table["counted"].sum())
    reduced = int(table["reduced_rate"].sum())
    return {
        "counted": counted,
        "reduced_rate": reduced,
        "reduced_rate_share": reduced / counted if counted else None,
        "committed_eur": float(table["committed_eur"].sum()),
        "paid_eur": float(table["paid_eur"].sum()),
        "unpaid_eur": float(table["unpaid_eur"].sum()),
    }
