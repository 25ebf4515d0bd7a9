"""Exchanges out as files that are safe to open in Excel and import again.

    data = export_csv(session=session, actor=user, partnership="GTEX", date_from=date(2026, 1, 1))
    data = export_csv(session=session, actor=user, dialect="excel-eu")  # ; and decimal commas
    data = export_xlsx(session=session, actor=user)        # bytes of a workbook
    template_csv(), template_xlsx()                         # see xchange.exports.templates

An export has the canonical import columns (DOMAIN.md) plus `version`, spelt so that the importer
reads every value back as it was: importing an export into an empty register with the same
partnerships reproduces the same KPIs, and importing it into the register it came from changes
nothing. `version` lets the importer refuse a row whose record changed since the export.

Two protections:
- A text cell starting with = + - @, a tab or a carriage return could run as a formula when the
  file is opened ("CSV injection"): it gets a leading apostrophe, in both formats. The importer
  takes it away again (`xchange.exports.formulas`).
- Roles without access to personal data (officers) get a pseudonym for the representative,
  `person-` and ten hex digits of a keyed hash of the person's id: stable across exports, so
  rows of one person can be told apart, never the name.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from xchange import reference
from xchange.accounts import access
from xchange.columns import VERSION
from xchange.config import get_settings
from xchange.errors import PermissionDenied
from xchange.exports.dialects import dialect as csv_dialect
from xchange.exports.formulas import neutralise
from xchange.exports.templates import template_csv, template_xlsx, write_header
from xchange.models import User
from xchange.register.parsing import COLUMNS

__all__ = [
    "EXPORT_COLUMNS",
    "export_csv",
    "export_frame",
    "export_xlsx",
    "neutralise",
    "pseudonym",
    "template_csv",
    "template_xlsx",
]

EXPORT_COLUMNS = (*COLUMNS, VERSION)


def pseudonym(person_id: int, key: bytes | None = None) -> str:
    """`person-1f3a9c0b2d`: the same for the same person in every export, never the name.

    `key` defaults to the settings' pseudonym key; a caller naming many people reads it once.
    """
    key = key if key is not None else get_settings().pseudonym_key.encode()
    digest = hmac.new(key, str(int(person_id)).encode(), hashlib.sha256).hexdigest()
    return f"person-{digest[:10]}"


def export_frame(
    *,
    session: Session,
    actor: User,
    partnership: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> pd.DataFrame:
    """The exchanges `actor` may see, as typed export columns (dates, bools, floats).

    `date_from` / `date_to` filter on the end date, both inclusive. Coordinators see their own
    partnerships; asking for another one raises PermissionDenied, an unknown one NotFound.
    """
    from xchange.programme.partnerships import get_partnership

    tables = SQLModel.metadata.tables
    x, p, person = tables["exchange"], tables["partnership"], tables["person"]
    visitor = tables["organisation"].alias("visitor")
    host = tables["organisation"].alias("host")
    query = (
        sa.select(
            x,
            p.c.acronym.label("partnership"),
            visitor.c.name.label("visitor_organisation"),
            host.c.name.label("host_organisation"),
            person.c.name.label("representative_name"),
        )
        .join(p, p.c.id == x.c.partnership_id)
        .join(visitor, visitor.c.id == x.c.visitor_org_id)
        .join(host, host.c.id == x.c.host_org_id)
        .outerjoin(person, person.c.id == x.c.representative_id)
        .order_by(p.c.acronym, x.c.reference, x.c.id)
    )
    readable = access.partnership_ids_readable(session=session, actor=actor)
    if partnership is not None:
        chosen = get_partnership(session, partnership)
        assert chosen.id is not None
        access.require_read(session=session, actor=actor, partnership_id=chosen.id)
        query = query.where(x.c.partnership_id == chosen.id)
    elif readable is not None:
        if not readable:
            raise PermissionDenied(f"{actor.email} may not see any partnership's exchanges")
        query = query.where(x.c.partnership_id.in_(sorted(readable)))
    if date_from is not None:
        query = query.where(x.c.end_date >= date_from)
    if date_to is not None:
        query = query.where(x.c.end_date <= date_to)
    result = session.connection().execute(query)
    stored = pd.DataFrame(result.all(), columns=list(result.keys()), dtype=object)
    return _spell(stored, personal=access.can_see_personal_data(actor))


def _spell(stored: pd.DataFrame, *, personal: bool) -> pd.DataFrame:
    """Stored values -> the spellings people read and the importer reads back."""
    out = pd.DataFrame(index=stored.index)
    key = get_settings().pseudonym_key.encode()
    labels = {
        "visitor_type": reference.ORG_TYPE_LABELS,
        "host_type": reference.ORG_TYPE_LABELS,
        "activity": reference.ACTIVITY_LABELS,
        "ecosystem": reference.ECOSYSTEMS,
    }
    for name in COLUMNS:
        if name in labels:
            table = {str(k): v for k, v in labels[name].items()}
            out[name] = stored[name].map(lambda v, t=table: t.get(v, v) if v is not None else None)
        elif name in ("visitor_is_sme", "host_is_sme"):
            out[name] = stored[name].map(lambda v: "yes" if v else "no")
        elif name == "lump_sum_eur":
            out[name] = stored["lump_sum_cents"].map(lambda c: int(c) / 100)
        elif name == "representative":
            out[name] = (
                stored["representative_name"]
                if personal
                else stored["representative_id"].map(
                    lambda i: pseudonym(int(i), key) if i is not None and not pd.isna(i) else None
                )
            )
        else:
            out[name] = stored[name]
    out[VERSION] = stored["version"]
    return out[list(EXPORT_COLUMNS)]


def export_csv(
    *,
    session: Session,
    actor: User,
    partnership: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    dialect: str | None = None,
) -> bytes:
    """The export as CSV: UTF-8 with BOM (Excel then reads accents right), ISO dates, yes/no,
    two decimals for euros; comma-separated with decimal points, or in `dialect` `excel-eu`
    semicolons and decimal commas (`xchange.exports.dialects`). An empty selection gives the
    header alone."""
    frame = export_frame(
        session=session,
        actor=actor,
        partnership=partnership,
        date_from=date_from,
        date_to=date_to,
    )
    return frame_csv(frame, dialect)


def frame_csv(frame: pd.DataFrame, dialect: str | None = None) -> bytes:
    """Export columns (typed) as the CSV bytes `export_csv` returns, in `dialect`."""
    spelling = csv_dialect(dialect)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=spelling.delimiter, lineterminator="\r\n")
    writer.writerow(frame.columns)
    cells = {
        name: [_csv_cell(name, v, spelling.number) for v in frame[name].tolist()]
        for name in frame.columns
    }
    writer.writerows(zip(*cells.values(), strict=True))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_cell(name: str, value: Any, number: Callable[[str], str]) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if name == "lump_sum_eur":
        return number(f"{float(value):.2f}")
    if isinstance(value, float):
        return number(repr(value).removesuffix(".0"))
    # Text is guarded whatever the dialect: a cell starting with = + - @ never runs.
    return neutralise(value) if isinstance(value, str) else value


def export_xlsx(
    *,
    session: Session,
    actor: User,
    partnership: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> bytes:
    """The export as an XLSX workbook: one sheet `exchanges`, real dates and numbers."""
    frame = export_frame(
        session=session,
        actor=actor,
        partnership=partnership,
        date_from=date_from,
        date_to=date_to,
    )
    return frame_xlsx(frame)


def frame_xlsx(frame: pd.DataFrame, sheet: str = "exchanges") -> bytes:
    """Export columns (typed) as the workbook bytes `export_xlsx` returns."""
    import xlsxwriter

    buffer = io.BytesIO()
    # constant_memory streams rows to disk as they are written: flat memory for large exports.
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True})
    formats = {
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "euro": book.add_format({"num_format": "0.00"}),
    }
    page = book.add_worksheet(sheet)
    write_header(book, page, list(frame.columns))
    columns = [frame[name].tolist() for name in frame.columns]
    names = list(frame.columns)
    for row, values in enumerate(zip(*columns, strict=True), start=1):
        for col, value in enumerate(values):
            _xlsx_cell(page, row, col, names[col], value, formats)
    book.close()
    return buffer.getvalue()


def _xlsx_cell(
    page: Any, row: int, col: int, name: str, value: Any, formats: dict[str, Any]
) -> None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return
    if isinstance(value, date):
        page.write_datetime(row, col, pd.Timestamp(value).to_pydatetime(), formats["date"])
    elif isinstance(value, bool):
        page.write_string(row, col, "yes" if value else "no")
    elif isinstance(value, int | float):
        page.write_number(row, col, value, formats["euro"] if name == "lump_sum_eur" else None)
    else:
        # Always as a string cell: a text never becomes a formula in the workbook itself.
        page.write_string(row, col, str(neutralise(value)))
