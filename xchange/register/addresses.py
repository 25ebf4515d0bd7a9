"""An exchange by its address: the partnership's acronym and the reference, unique only within
that partnership (`/Exchanges?partnership=GTEX&reference=GTEX-2026-0042`)."""

from __future__ import annotations

from sqlmodel import Session, select

from xchange.accounts import access
from xchange.errors import NotFound
from xchange.models import Exchange, User
from xchange.programme.lookup import find_partnership


def exchange_id_at(*, session: Session, actor: User, partnership: str, reference: str) -> int:
    """The id of the exchange `reference` of `partnership` (acronym, any case) that `actor`
    may read.

    Raises `NotFound` for an unknown partnership or reference, and `PermissionDenied` (from
    `access.require_read`) for a partnership the actor may not see, before looking for the
    reference: a refused reader learns nothing of that partnership's references.
    """
    if not partnership.strip():
        raise NotFound(
            f"The address names reference {reference.strip()!r} but no partnership: add "
            "partnership=ACRONYM (references are unique only within a partnership)."
        )
    found = find_partnership(session, partnership)
    if found is None or found.id is None:
        raise NotFound(f"There is no partnership {partnership.strip()!r}.")
    access.require_read(session=session, actor=actor, partnership_id=found.id)
    exchange_id = session.exec(
        select(Exchange.id).where(
            Exchange.partnership_id == found.id, Exchange.reference == reference.strip()
        )
    ).first()
    if exchange_id is None:
        raise NotFound(f"{found.acronym} has no exchange with reference {reference.strip()!r}.")
    return exchange_id
