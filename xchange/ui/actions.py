"""Reads and writes for every page: one transaction per call, the package's refusals turned
into messages shown as text, the version a form read, and the confirmation after a save."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from xchange.db import engine as db
from xchange.errors import StaleRecord, ValidationFailed, XchangeError
from xchange.register import queries as register
from xchange.ui.session import engine
from xchange.ui.text import escape, flash

T = TypeVar("T")


def read(action: Callable[..., T], **kwargs: Any) -> T:
    """`action(session=..., **kwargs)` in a read session; XchangeErrors come out as they are."""
    with db.read_session(engine()) as session:
        return action(session=session, **kwargs)


def read_or_stop(action: Callable[..., T], **kwargs: Any) -> T:
    """Like `read`, but a refusal or a missing record shows its message and stops the page."""
    try:
        return read(action, **kwargs)
    except XchangeError as exc:
        st.error(escape(exc), icon=":material/block:")
        st.stop()
        raise AssertionError("unreachable") from exc  # st.stop() raises


def write(
    action: Callable[..., T],
    *,
    on_stale: Callable[[], None] | None = None,
    reload_label: str = "Reload the exchange",
    reload_key: str = "stale_reload",
    spinner: str | None = None,
    check_foreign_keys: bool = True,
    **kwargs: Any,
) -> T | None:
    """`action(session=..., **kwargs)` in one write transaction; None when it was refused.

    A refusal shows why where the call is made, every word of it as text (messages may quote
    what users typed or imported): a stale record says what changed meanwhile, with a button
    (`reload_label`) calling `on_stale`; failed rules list each message. `spinner`: what to say
    while it runs. `check_foreign_keys`: as for `db.write_session`.
    """

    def work() -> T:
        with db.write_session(engine(), check_foreign_keys=check_foreign_keys) as session:
            return action(session=session, **kwargs)

    try:
        if spinner is None:
            return db.with_retry(work)
        with st.spinner(escape(spinner)):
            return db.with_retry(work)
    except StaleRecord as exc:
        changes = read(register.describe_changes, changes=exc.changes)
        st.error(
            escape(exc)
            + ("\n\nChanged meanwhile:" if changes else "")
            + "".join(f"\n- {escape(line)}" for line in changes),
            icon=":material/sync_problem:",
        )
        if on_stale is not None:
            st.button(
                escape(reload_label),
                on_click=on_stale,
                key=reload_key,
                help="Forget what you typed and show the record as saved now.",
            )
    except ValidationFailed as exc:
        st.error(
            "Not saved:\n"
            + "\n".join(f"- {escape(i.message)}" for i in exc.issues if i.severity == "error"),
            icon=":material/error:",
        )
    except XchangeError as exc:
        st.error(f"Not saved: {escape(exc)}", icon=":material/block:")
    except Exception as exc:
        if not db.is_database_error(exc):
            raise
        # The person gets one sentence; the operator gets the traceback in the server's log.
        logging.getLogger(__name__).exception("a write failed in the database")
        st.error(
            f"Not saved: the database reported an error ({escape(db.database_error_line(exc))}),"
            " so nothing was changed; try again, and tell an administrator if it happens again.",
            icon=":material/error:",
        )
    return None


def reloads(form: str) -> dict[str, Any]:
    """`write`'s arguments for a form whose save may meet a stale record: its Reload button
    forgets what the form holds, and the version it read (see `seen_version`)."""
    return {
        "on_stale": lambda: clear_form(form),
        "reload_label": "Reload the current values",
        "reload_key": f"{form}.reload",
    }


def saved(form: str, message: str) -> None:
    """After a successful write: the form starts again from the saved record, the message
    shows after the rerun."""
    clear_form(form)
    flash(message)
    st.rerun()


def seen_version(form: str, current: int) -> int:
    """The record's version when `form` was first shown: what its save expects. Kept until
    the form is saved or reloaded (`clear_form`), so that someone else's save in between is
    noticed."""
    return int(st.session_state.setdefault(f"{form}.version", current))


def clear_form(form: str) -> None:
    """Forget a form's values (after saving, or to start again from the stored record)."""
    for name in [k for k in st.session_state if str(k).startswith(f"{form}.")]:
        del st.session_state[name]
