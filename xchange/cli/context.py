"""What every command shares: the database URL and acting user (`Context`), who may run it
(`requires`), and the package's exceptions as one line and an exit code (`friendly_errors`).

Errors reach the user as one line on stderr and a non-zero exit code, never a traceback:
1 for refused input or a failed rule, 3 for a refused permission, 2 for a usage error (click).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError
from sqlmodel import Session, select

from xchange.accounts import access
from xchange.cli.rules import ADMIN, OPEN
from xchange.db import engine as db
from xchange.errors import PermissionDenied, ValidationFailed, XchangeError
from xchange.models import User

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


class Context:
    """What every command shares: the database URL and the acting user's email."""

    def __init__(self, url: str | None, user_email: str | None) -> None:
        self.url = url
        self.user_email = user_email
        self._engine: Engine | None = None
        self.action = "run_a_command"  # what the command attempts: set by `requires`

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            try:
                self._engine = db.make_engine(self.url)
            except ArgumentError as exc:  # malformed URL, unknown dialect or driver
                raise XchangeError(f"The database URL cannot be used: {exc}") from exc
            except OSError as exc:  # a SQLite file whose directory cannot be made
                raise XchangeError(f"The database cannot be used: {exc}") from exc
        return self._engine

    def actor(self, session: Session) -> User:
        """The acting user: `--user EMAIL`, or the local administrator. An email that is no
        user's, or a deactivated account, is refused (PermissionDenied, recorded)."""
        email = (self.user_email or db.LOCAL_ADMIN_EMAIL).strip().lower()
        if email == db.LOCAL_ADMIN_EMAIL:
            found = session.exec(select(User.id).where(User.email == email)).first()
            if found is None:
                raise XchangeError("The database is not initialised: run `xchange init` first")
        return access.acting_user(session=session, email=email, action=self.action)

    def authorise(self, rule: str, action: str) -> None:
        """Refuse (PermissionDenied, recorded in the audit trail) unless the acting user may run
        a command under `rule`; `action` names the attempt, as the service layer names writes."""
        self.action = action
        if rule == OPEN:
            return
        with db.read_session(self.engine) as session:
            actor = self.actor(session)
            if rule == ADMIN:
                access.require_admin(session=session, actor=actor, action=action, entity="command")

    def write(self, work: Callable[[Session, User], T], *, check_foreign_keys: bool = True) -> T:
        """`work(session, actor)` in one write transaction, committed; run again briefly when
        the database is busy (`db.write`), so a command never fails on a lock another writer
        held for a moment. `work` must not print or touch files: it may run more than once.
        `check_foreign_keys`: as for `db.write_session`."""
        return db.write(
            self.engine,
            lambda session: work(session, self.actor(session)),
            check_foreign_keys=check_foreign_keys,
        )

    def retrying(self, work: Callable[[Engine], T]) -> T:
        """`work(engine)` (a package function that writes in one transaction of its own), run
        again briefly when the database is busy (`db.with_retry`)."""
        return db.with_retry(lambda: work(self.engine))


def friendly_errors(command: F) -> F:
    """Turn the package's exceptions into one line and an exit code."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PermissionDenied as exc:
            fail(f"Permission denied: {exc}", 3)
        except ValidationFailed as exc:
            for issue in exc.issues:
                if issue.severity == "error":
                    click.echo(f"error: {issue.field}: {issue.message}", err=True)
            sys.exit(1)
        except XchangeError as exc:
            fail(str(exc), 1)
        except (OperationalError, ProgrammingError) as exc:  # ProgrammingError: no tables (PG)
            fail(f"The database cannot be used: {db.database_error_line(exc)}", 1)
        except ValueError as exc:
            fail(str(exc), 1)
        except Exception as exc:
            # Any other database error (not a database file, a constraint, a raw driver error
            # from a bulk copy): one line and exit code 1, never a traceback.
            if not db.is_database_error(exc):
                raise
            fail(
                f"The database reported an error, nothing was changed: "
                f"{db.database_error_line(exc)}",
                1,
            )

    return wrapper  # type: ignore[return-value]


# Who may run a command (`requires`). Each command then reads and writes through the package,


def requires(rule: str, action: str, *, upgrade_first: bool = False) -> Callable[[F], F]:
    """Check the acting user's rights before the command runs (place it below
    `friendly_errors`). `action` names the attempt in snake case, as `access.require_admin`
    takes it ("back_up_the_register": "... may not back up the register: only administrators
    may."). `upgrade_first`: bring the schema up to date first, as `init` would (for `demo`, which
    also fills a database never initialised)."""

    def decorate(command: F) -> F:
        @wraps(command)
        def wrapper(ctx: Context, *args: Any, **kwargs: Any) -> Any:
            if upgrade_first:
                ctx.retrying(db.upgrade)
            ctx.authorise(rule, action)
            return command(ctx, *args, **kwargs)

        wrapper.permission = rule  # type: ignore[attr-defined]  # read by the tests
        return wrapper  # type: ignore[return-value]

    return decorate


def fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


pass_context = click.make_pass_decorator(Context)
