"""One exchange by its key, the partnership and the reference (as import files name it), and
the same exchange in JSON form with its history (what `xchange exchange show --json` prints).

Reads go through the service's `get_exchange`, so an exchange is found only by who may read it,
as on the Exchanges page; representatives' names only for who may see personal data.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from xchange.accounts import access
from xchange.errors import NotFound
from xchange.models import Exchange, User
from xchange.programme.lookup import get_partnership
from xchange.register import service


def exchange_id(session: Session, *, partnership: str, reference: str) -> int:
    """The id of the exchange `reference` of `partnership` (acronym, any case); `NotFound`."""
    found = get_partnership(session, partnership)
    typed = reference.strip()
    xid = session.exec(
        select(Exchange.id).where(Exchange.partnership_id == found.id, Exchange.reference == typed)
    ).first()
    if xid is None:
        raise NotFound(f"{found.acronym} has no exchange with the reference {typed!r}.")
    return int(xid)


def version_now(session: Session, exchange_id: int) -> int:
    """The stored version of the exchange: what a change defaults to expecting."""
    version = session.exec(select(Exchange.version).where(Exchange.id == exchange_id)).one()
    return int(version)


def exchange_json(session: Session, *, actor: User, exchange_id: int) -> dict[str, Any]:
    """The exchange in the import columns (JSON values), with its version, validation and
    payment, and `history`: the audit trail, oldest first, as
    `{"at", "who", "action", "changes"}` (changes as `[before, after]`; people by id only)."""
    exchange = service.get_exchange(session=session, actor=actor, exchange_id=exchange_id)
    columns = service.exchange_in(session, exchange).model_dump(mode="json")
    if not access.can_see_personal_data(actor):
        columns["representative"] = None
    columns["lump_sum_eur"] = exchange.lump_sum_cents / 100  # a number, not pydantic's text
    return {
        **columns,
        "id": exchange.id,
        "version": exchange.version,
        "validated_on": _iso(exchange.validated_on),
        "validated_by": exchange.validated_by,
        "paid_on": _iso(exchange.paid_on),
        "paid_eur": None if exchange.paid_cents is None else exchange.paid_cents / 100,
        "history": [
            {
                "at": event.at.isoformat(),
                "who": event.actor_label,
                "action": event.action,
                "changes": event.changes,
            }
            for event in service.history(session=session, exchange_id=exchange_id)
        ],
    }


def _iso(day: Any) -> str | None:
    return None if day is None else str(day.isoformat())
