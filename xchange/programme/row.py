"""The programme's one settings row, read one way everywhere (targets, definitions, rates).

row = read_programme(session)      # the row, or the defaults before `xchange init`
row = programme(session)           # the row itself, for a write; NotFound before init
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from xchange.errors import NotFound
from xchange.models import Programme

PROGRAMME_ID = 1


def read_programme(session: Session | Connection) -> Programme:
    """The programme's settings row (the defaults when there is none), on a session or a bare
    connection (the KPI summaries read on one)."""
    if isinstance(session, Session):
        found = session.get(Programme, PROGRAMME_ID)
    else:  # a Connection has no `get`: read the row's columns and build the model from them
        row = session.execute(sa.select(Programme).where(sa.column("id") == PROGRAMME_ID)).first()
        found = Programme(**row._mapping) if row is not None else None
    return found or Programme()


def programme(session: Session) -> Programme:
    """The programme settings row itself, to change it (created by `xchange init`)."""
    row = read_programme(session)
    if row.id is None:
        raise NotFound("The database is not initialised: run `xchange init`")
    return row
