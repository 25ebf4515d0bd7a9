"""The people, partnerships, stays and registers that many tests build, built one way.

Everything writes as the pages and the command line do (`add_partnership`, the service) in the
caller's session, so a factory never bypasses a rule the code under test keeps.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from xchange.db.engine import LOCAL_ADMIN_EMAIL, make_engine, write_session
from xchange.models import Partnership, Programme, Role, User, UserPartnership
from xchange.programme.partnerships import add_partnership


def ident(value: int | None) -> int:
    """The id of a flushed row (typed `int | None` on the model)."""
    assert value is not None
    return value


# --- people ------------------------------------------------------------------------------------


def admin(session: Session) -> User:
    """The local administrator every migrated database holds."""
    return session.exec(select(User).where(User.email == LOCAL_ADMIN_EMAIL)).one()


def user(
    session: Session,
    email: str,
    role: Role,
    *partnership_ids: int,
    active: bool = True,
) -> User:
    """A user of `role`, coordinating `partnership_ids` (a coordinator's partnerships)."""
    added = User(email=email, role=role.value, active=active)
    session.add(added)
    session.flush()
    for partnership_id in partnership_ids:
        session.add(UserPartnership(user_id=ident(added.id), partnership_id=partnership_id))
    return added


def coordinator(session: Session, email: str, *partnership_ids: int) -> User:
    """An active coordinator of `partnership_ids`."""
    return user(session, email, Role.COORDINATOR, *partnership_ids)


# name -> (email, role, active, acronym of the partnership coordinated or None)
Actors = dict[str, tuple[str, Role, bool, str | None]]


def cast(
    session: Session,
    actors: Actors,
    start: date,
    end: date,
    acronyms: tuple[str, ...] = ("ALPHA", "BETA"),
) -> tuple[dict[str, int], dict[str, User]]:
    """Partnerships `acronyms` ("<acronym> cluster partnership", from `start` to `end`) and one
    user per actor; the ids by acronym, the users by name, the administrator as "admin"."""
    ids = {
        acronym: ident(
            partnership(session, acronym, start, end, name=f"{acronym} cluster partnership").id
        )
        for acronym in acronyms
    }
    users = {"admin": admin(session)}
    for name, (email, role, active, acronym) in actors.items():
        users[name] = user(
            session, email, role, *([ids[acronym]] if acronym else []), active=active
        )
    return ids, users


# --- the programme -----------------------------------------------------------------------------


def partnership(
    session: Session,
    acronym: str,
    start: date = date(2026, 1, 1),
    end: date = date(2027, 12, 31),
    target: int = 100,
    *,
    name: str | None = None,
) -> Partnership:
    """The partnership `acronym`, added by the administrator (named "<acronym> partnership")."""
    return add_partnership(
        session=session,
        actor=admin(session),
        acronym=acronym,
        name=name or f"{acronym} partnership",
        action_start=start,
        action_end=end,
        target_exchanges=target,
    )


def set_programme(engine: Engine, **values: Any) -> None:
    """Set the programme row's columns directly (settings no page form reaches as a whole)."""
    with write_session(engine) as session:
        programme = session.get(Programme, 1)
        assert programme is not None
        for column, value in values.items():
            setattr(programme, column, value)
        session.add(programme)


# The programme's two readings of the figures, for property tests.
readings = st.fixed_dictionaries(
    {"beyond_reading": st.sampled_from(("broad", "narrow")), "count_virtual": st.booleans()}
)


# --- stays -------------------------------------------------------------------------------------


def stay(monday: date) -> dict[str, date]:
    """The dates of a five-day stay from `monday` to the Friday."""
    return {"start_date": monday, "end_date": monday + timedelta(days=4)}


# --- registers built once per module -------------------------------------------------------------


def register_file(template: Path, path: Path, build: Callable[[Engine], None]) -> Path:
    """A copy of the migrated `template` at `path`, filled by `build`, its log folded in, so that
    copying the one file gives each test the register (much faster than building it again)."""
    shutil.copyfile(template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        build(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return path


def engine_on_copy(source: Path, directory: Path) -> Iterator[Engine]:
    """An engine on a copy of `source` in `directory`, disposed afterwards (for a fixture to
    `yield from`)."""
    path = directory / "xchange.db"
    shutil.copyfile(source, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        yield engine
    finally:
        engine.dispose()


def clear_register(session: Session) -> None:
    """Delete every exchange, person and organisation; partnerships and the programme stay, and
    so does the audit trail (append-only, migration 0005; no figure reads it)."""
    for table in ("exchange", "person", "organisation"):
        session.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 (fixed names)


@contextmanager
def actions_widened(session: Session) -> Iterator[None]:
    """Stays logged inside this block pass the action-period rule: every partnership's action
    spans the date bounds meanwhile, and its own dates come back at the end, as when an
    administrator narrows an action and leaves stays outside it ("Needs attention" lists
    them; the KPIs still count them). For registers that hold such stays on purpose."""
    partnerships = list(session.exec(select(Partnership)))
    own = {p.id: (p.action_start, p.action_end) for p in partnerships}
    for p in partnerships:
        p.action_start, p.action_end = date(2000, 1, 1), date(2100, 12, 31)
        session.add(p)
    session.flush()
    try:
        yield
    finally:
        for p in partnerships:
            p.action_start, p.action_end = own[p.id]
            session.add(p)
        session.flush()
