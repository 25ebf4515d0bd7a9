"""The rows of an import that would write into an approved (locked) quarter.

A row creating an exchange that ends in a locked quarter, or updating one that ends in a locked
quarter before or after the change (an end date or partnership moved into or out of it), gets
an error naming the quarter, who approved it and when. Rows the import leaves unchanged are not
asked: re-importing last year's file changes nothing and is not refused. One query for the
approved quarters, then whole-column set arithmetic (`programme.quarters.locked_among`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlmodel import Session

from xchange.imports.plan import ImportPlan
from xchange.programme.quarters import Key, Lock, locked_among, locks
from xchange.register.parsing import Issue


def locked_rows(session: Session, plan: ImportPlan) -> list[Issue]:
    """An error on each row of `plan` that creates or updates an exchange in a locked quarter."""
    values = plan.values
    if not len(values):
        return []
    found = locks(session)
    if not found:
        return []
    keys = pd.Series(
        list(zip(values["partnership_id"], values["end_quarter"], strict=True)),
        index=values.index,
        dtype=object,
    )
    hit = pd.Series(
        locked_among(found, values["partnership_id"], values["end_quarter"]), index=values.index
    )
    stored = plan.stored
    if len(stored):
        before = locked_among(found, stored["partnership_id"], stored["end_quarter"])
        olds = pd.Series(
            list(zip(stored["partnership_id"], stored["end_quarter"], strict=True)),
            index=stored.index,
            dtype=object,
        )
        moved_out = stored.index[before & ~hit.loc[stored.index].to_numpy(dtype=bool)]
        keys.loc[moved_out] = olds.loc[moved_out]
        hit.loc[stored.index] |= before
    return [
        _issue(int(row), found[_key(keys.loc[row])], values.at[row, "end_date"])
        for row in hit.index[hit.to_numpy(dtype=bool)]
    ]


def _key(pair: tuple[object, object]) -> Key:
    return int(pair[0]), str(pair[1])  # type: ignore[call-overload]


def _issue(row: int, lock: Lock, end_date: object) -> Issue:
    text = (
        ""
        if end_date is None or (isinstance(end_date, float) and np.isnan(end_date))
        else str(end_date)
    )
    return Issue("quarter_locked", "error", "end_date", text, lock.reason(), row)
