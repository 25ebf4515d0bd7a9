"""Exchanges as tables and links, and the record open on the Exchanges page (which one, at
which version it was read, which section is shown).

A record opens from its address, `?partnership=GTEX&reference=GTEX-2026-0042` (what people
share), or from the older `?exchange=ID`, which keeps working."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from xchange.models import User
from xchange.register import addresses
from xchange.register import queries as register
from xchange.ui.actions import clear_form, read_or_stop
from xchange.ui.text import escape, flash

EXCHANGES_PAGE = "pages/2_Exchanges.py"


def exchange_table(frame: pd.DataFrame, *, key: str) -> int | None:
    """The list of exchanges in plain words; the id of the row clicked, if any."""
    shown = pd.DataFrame(
        {
            "Reference": frame["reference"],
            "Partnership": frame["partnership"],
            "Status": frame["status"].map(register.STATUS_LABELS),
            "Modality": frame["modality"].map(register.MODALITY_LABELS),
            "First day": pd.to_datetime(frame["start_date"]),
            "Last day": pd.to_datetime(frame["end_date"]),
            "Quarter": frame["quarter"],
            "Visiting organisation": frame["visitor"],
            "From": frame["visitor_country"],
            "Host organisation": frame["host"],
            "To": frame["host_country"],
            "Working days": frame["working_days"],
            "Lump sum": frame["lump_sum_eur"],
            "Paid on": pd.to_datetime(frame["paid_on"]),
        }
    )
    event = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        height=min(40 + 35 * len(shown), 600),  # up to 16 rows before it scrolls
        column_config={
            "First day": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "Last day": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "Paid on": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "Lump sum": st.column_config.NumberColumn(format="EUR %,.2f"),
            "Working days": st.column_config.NumberColumn(format="%d"),
        },
    )
    rows = event.selection.rows if hasattr(event, "selection") else []
    return int(frame["id"].iloc[rows[0]]) if rows else None


def text_table(frame: pd.DataFrame, *, hide_header: bool = False) -> None:
    """A static table whose cells show exactly their text (st.table reads Markdown)."""
    st.table(
        frame.astype(str).map(escape),
        hide_index=True,
        hide_header=hide_header,
        border="horizontal",
    )


def open_link(exchange_id: int, label: str) -> None:
    """A link that opens one exchange on the Exchanges page; `label` is shown as typed."""
    st.page_link(
        EXCHANGES_PAGE,
        label=escape(label),
        icon=":material/open_in_new:",
        query_params={"exchange": str(exchange_id)},
    )


# The record on the Exchanges page: which one is open, at which version it was read.


ADDRESS_KEYS = ("exchange", "partnership", "reference")


def open_record(exchange_id: int) -> None:
    """Open one exchange on the Exchanges page (from that page)."""
    for key in ADDRESS_KEYS:
        st.query_params.pop(key, None)
    st.query_params["exchange"] = str(exchange_id)


def close_record() -> None:
    """Back to the list: forget the open record and any row picked in the table."""
    for key in ADDRESS_KEYS:
        st.query_params.pop(key, None)
    st.session_state["list.generation"] = st.session_state.get("list.generation", 0) + 1


def opened_record(actor: User) -> int | None:
    """The id of the exchange open on the Exchanges page: named by its address (`partnership`
    and `reference`) or by the `exchange` id; 0 for an id that is no number. An address that
    names no exchange, or one `actor` may not see, says why and stops the page."""
    raw = st.query_params.get("exchange")
    if raw is None and "reference" in st.query_params:
        return read_or_stop(
            addresses.exchange_id_at,
            actor=actor,
            partnership=st.query_params.get("partnership", ""),
            reference=st.query_params.get("reference", ""),
        )
    if raw is None:
        return None
    return int(raw) if raw.isdigit() else 0


def record_address(partnership: str, reference: str) -> str:
    """The address that opens this record, to copy into an e-mail or a report."""
    return "/Exchanges?" + urlencode({"partnership": partnership, "reference": reference})


def opened_version(exchange_id: int, current: int) -> int:
    """The version of the record this person read when they opened it (or last saved or
    reloaded it): what their next write expects to find."""
    versions: dict[int, int] = st.session_state.setdefault("record.versions", {})
    return versions.setdefault(exchange_id, current)


def reload_record(exchange_id: int) -> None:
    """Callback: read the record again, dropping an edit in progress."""
    st.session_state.setdefault("record.versions", {}).pop(exchange_id, None)
    clear_form(f"edit.{exchange_id}")


def saved_record(exchange_id: int, version: int, message: str, *, section: str | None) -> None:
    """After a write: the new version is the one read, the edit form starts again from it, the
    confirmation shows after the rerun, and `section` (if any) is shown."""
    st.session_state.setdefault("record.versions", {})[exchange_id] = version
    clear_form(f"edit.{exchange_id}")
    flash(message)
    if section:
        st.session_state["record.goto"] = section


def section_picker(options: list[str], *, key: str) -> str:
    """The record's sections as a segmented control; starts on the first."""
    goto = st.session_state.pop("record.goto", None)
    if goto in options:
        st.session_state[key] = goto
    elif st.session_state.get(key) not in options:
        st.session_state[key] = options[0]
    chosen = st.segmented_control(
        "Section",
        options,
        key=key,
        required=True,
        label_visibility="collapsed",
        help="What to see or do with this exchange.",
    )
    return str(chosen or options[0])
