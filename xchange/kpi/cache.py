"""Per-session caches of KPI reads (the fine sums, the programme's targets), forgotten as soon as
the session writes or its transaction ends: another writer may have changed them meanwhile."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlmodel import Session

FINE_CACHE = "xchange.kpi.sums.fine"


TARGETS_CACHE = "xchange.kpi.targets"
# The records touched after a moment, by moment (`kpi.recorded.stood_at`).
RECORDED_CACHE = "xchange.kpi.recorded"


def listen_for_changes(session: Session) -> None:
    """Forget this module's per-session caches when the session writes or its transaction
    ends (another may have written meanwhile)."""
    if not event.contains(session, "after_flush", _forget_caches):
        event.listen(session, "after_flush", _forget_caches)
        event.listen(session, "after_transaction_end", _forget_caches)


def _forget_caches(session: Session, *_args: Any) -> None:
    session.info.pop(FINE_CACHE, None)
    session.info.pop(TARGETS_CACHE, None)
    session.info.pop(RECORDED_CACHE, None)
