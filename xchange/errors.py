"""The package's named exceptions; the CLI and the pages translate them at the edge."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xchange.columns import Issue


class XchangeError(Exception):
    """Base of every error the tracker reports to a person in one clear line."""


class ValidationFailed(XchangeError):
    """A record (or a file) broke one or more rules; `issues` names each field and value."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        errors = [issue for issue in issues if issue.severity == "error"]
        shown = "; ".join(issue.message for issue in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(f"{shown}{more}" if errors else "invalid input")


class PermissionDenied(XchangeError):
    """The acting user may not do this."""


class StaleRecord(XchangeError):
    """The record changed since it was read; nothing was written.

    `changes` maps each field changed meanwhile to `[value read, value now]`.
    """

    def __init__(self, message: str, changes: dict[str, list[object]] | None = None) -> None:
        super().__init__(message)
        self.changes = changes or {}


class NotFound(XchangeError):
    """No such record."""


class NotAuthenticated(XchangeError):
    """A request without a usable API token: none, an unknown or revoked one, or one whose
    owner is deactivated (HTTP 401)."""


class SignInRefused(XchangeError):
    """Wrong email or password, a deactivated account, or a temporary lock."""


class InvalidInput(XchangeError, ValueError):
    """A value a person gave is unusable (a malformed email, a weak password...); says why.

    Also a `ValueError`, so code that expects one for bad input still catches it.
    """


class WriteConflict(XchangeError):
    """Another transaction took a key this write needed (a new organisation's name, a
    reference) while it ran; nothing was written. Running the whole transaction again, which
    reads the register anew, may succeed: `db.with_retry` does so."""


class QuarterLocked(XchangeError):
    """A write would change an approved (locked) quarter; nothing was written.

    The message names the quarter, the partnership, who approved it and when; an administrator
    may reopen the quarter first.
    """
