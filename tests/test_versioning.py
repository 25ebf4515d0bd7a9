"""db.versioning: the one helper every versioned record goes through (partnerships, the
programme, users, exchanges): refuse a stale version, record the change, and read the trail
back as "what changed after a moment" and "the record as it stood then"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from xchange.db.engine import LOCAL_ADMIN_EMAIL, write_session
from xchange.db.versioning import (
    as_it_stood,
    changes_after,
    check_version,
    next_version,
    record_change,
    stale_record,
)
from xchange.errors import StaleRecord
from xchange.models import Partnership, User


def _admin(session: Session) -> User:
    return session.exec(select(User).where(User.email == LOCAL_ADMIN_EMAIL)).one()


def _partnership(session: Session) -> Partnership:
    row = Partnership(
        acronym="GTEX",
        name="Green Tech Exchange",
        action_start=date(2026, 1, 1),
        action_end=date(2027, 12, 31),
        target_exchanges=100,
    )
    session.add(row)
    session.flush()
    return row


def _rename(session: Session, row: Partnership, name: str, at: datetime) -> None:
    """A versioned write, as the programme room does it, stamped at `at`."""
    what = f"Partnership {row.acronym}"
    version = next_version(session, row, row.version, entity="partnership", what=what)
    assert row.id is not None
    record_change(
        session,
        _admin(session),
        "partnership",
        row.id,
        "update",
        {"name": [row.name, name], "version": version},
        at=at,
    )
    row.name = name
    session.add(row)
    session.flush()


def test_a_write_moves_the_version_and_a_stale_one_is_refused_saying_what_changed(
    engine: Engine,
) -> None:
    with write_session(engine) as session:
        row = _partnership(session)
        read = row.version
        _rename(session, row, "Green Tech", datetime(2026, 3, 1, tzinfo=UTC))
        assert row.version == read + 1

        with pytest.raises(StaleRecord) as caught:
            check_version(session, row, read, entity="partnership", what="Partnership GTEX")
        assert str(caught.value).startswith(
            "Partnership GTEX was changed by someone else since you opened it (name)"
        )
        assert caught.value.changes == {"name": ["Green Tech Exchange", "Green Tech"]}
        # The bump itself refuses too: the version moved on in the database.
        with pytest.raises(StaleRecord):
            next_version(session, row, read, entity="partnership", what="Partnership GTEX")
        assert row.version == read + 1


def test_a_plural_name_reads_were_and_them(engine: Engine) -> None:
    with write_session(engine) as session:
        row = _partnership(session)
        refusal = stale_record(
            session, row, row.version, entity="partnership", what="The settings", plural=True
        )
    assert str(refusal).startswith(
        "The settings were changed by someone else since you opened them"
    )
    assert "Reload them" in str(refusal)


def test_the_record_as_it_stood_and_what_changed_after(engine: Engine) -> None:
    march, may = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
    with write_session(engine) as session:
        row = _partnership(session)
        assert row.id is not None
        _rename(session, row, "Green Tech", march)
        _rename(session, row, "GreenTech Exchange", may)
        now = {"name": row.name, "version": row.version, "target_exchanges": 100}

        assert [
            e.changes["name"][1] for e in changes_after(session, "partnership", row.id, march)
        ] == ["GreenTech Exchange"]
        assert changes_after(session, "partnership", row.id, may) == []

        before = march - timedelta(days=1)
        assert as_it_stood(session, "partnership", row.id, before, now) == {
            "name": "Green Tech Exchange",
            "version": 1,
            "target_exchanges": 100,
        }
        assert (
            as_it_stood(session, "partnership", row.id, march + timedelta(days=1), now)["name"]
            == "Green Tech"
        )
        assert as_it_stood(session, "partnership", row.id, may, now) == now
