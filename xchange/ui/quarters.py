"""Quarter reports on the Reports page: coordinators submit, officers approve or return,
administrators reopen; everyone sees each quarter's state with who and when."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from xchange.kpi import reports
from xchange.models import QuarterState, Role, User
from xchange.reference import quarter_label
from xchange.ui.actions import read, write
from xchange.ui.text import escape, flash

STATE_LABELS = {
    QuarterState.OPEN.value: "Open",
    QuarterState.SUBMITTED.value: "Submitted",
    QuarterState.RETURNED.value: "Returned",
    QuarterState.APPROVED.value: "Approved",
}


def quarter_states(user: User) -> list[reports.QuarterStatus]:
    """The closed quarters `user` may read, newest first (for the dashboard's list too)."""
    return read(reports.quarter_list, actor=user)


def overdue_quarters(user: User) -> list[reports.QuarterStatus]:
    """The user's quarters ended more than 30 days ago and not submitted."""
    return read(reports.overdue, actor=user)


def states_table(rows: list[reports.QuarterStatus]) -> pd.DataFrame:
    """Each quarter's state and its latest step, in plain words."""
    return pd.DataFrame(
        {
            "Partnership": [r.acronym for r in rows],
            "Quarter": [quarter_label(r.quarter) for r in rows],
            "State": [STATE_LABELS.get(r.state, r.state) for r in rows],
            "Latest step": [r.said() for r in rows],
            "Comment": [r.comment or "" for r in rows],
        }
    )


def quarter_reports(user: User) -> None:
    """The section: the review list (officers, administrators), the submission form
    (coordinators, administrators), every quarter's state, and reopening (administrators)."""
    st.header("Quarter reports")
    st.caption(
        "A coordinator submits each closed quarter; its figures are kept as they were then. "
        "An officer approves it, or returns it with a reason to be corrected and submitted "
        "again. An approved quarter is locked: no exchange ending in it may change until an "
        "administrator reopens it."
    )
    if user.role in (Role.OFFICER, Role.ADMIN):
        _review(user)
    rows = quarter_states(user)
    if user.role in (Role.COORDINATOR, Role.ADMIN):
        _submit(user, rows)
    if rows:
        st.subheader("Every closed quarter")
        st.dataframe(states_table(rows), hide_index=True, width="stretch")
    if user.role == Role.ADMIN:
        _reopen(user, rows)


def _review(user: User) -> None:
    st.subheader("Waiting for review")
    waiting = read(reports.review_list, actor=user)
    if not waiting:
        st.info("No submitted quarter waits for review.", icon=":material/inbox:")
        return
    for row in waiting:
        key = f"quarters.review.{row.acronym}.{row.quarter}"
        with st.container(border=True):
            st.markdown(
                f"**{escape(row.acronym)} {escape(quarter_label(row.quarter))}**: "
                f"{escape(row.said())}"
                + (f". Comment: {escape(row.comment)}" if row.comment else "")
            )
            reason = st.text_input("Reason to return it", key=f"{key}.reason", max_chars=2000)
            approve_column, return_column = st.columns(2)
            if approve_column.button("Approve", key=f"{key}.approve", type="primary"):
                done = write(
                    reports.approve_quarter,
                    actor=user,
                    partnership=row.acronym,
                    quarter=row.quarter,
                )
                if done is not None:
                    flash(f"Approved {row.acronym} {quarter_label(row.quarter)}: it is locked.")
                    st.rerun()
            if return_column.button("Return", key=f"{key}.return"):
                done = write(
                    reports.return_quarter,
                    actor=user,
                    partnership=row.acronym,
                    quarter=row.quarter,
                    reason=reason,
                )
                if done is not None:
                    flash(f"Returned {row.acronym} {quarter_label(row.quarter)}.")
                    st.rerun()


def _submit(user: User, rows: list[reports.QuarterStatus]) -> None:
    due = [r for r in rows if r.state in (QuarterState.OPEN, QuarterState.RETURNED)]
    if not due:
        return
    st.subheader("Submit a quarter")
    labels = {
        f"{r.acronym}|{r.quarter}": f"{r.acronym} {quarter_label(r.quarter)} "
        f"({STATE_LABELS[r.state].lower()})"
        for r in due
    }
    with st.form("quarters.submit"):
        picked = st.selectbox(
            "Quarter",
            list(labels),
            format_func=lambda k: labels[k],
            key="quarters.submit.pick",
            help="Closed quarters not yet submitted, or returned for correction.",
        )
        comment = st.text_area(
            "Comment for the officer", key="quarters.submit.comment", max_chars=2000
        )
        submitted = st.form_submit_button("Submit the quarter", type="primary")
    if submitted and picked:
        acronym, quarter = str(picked).split("|")
        done = write(
            reports.submit_quarter,
            actor=user,
            partnership=acronym,
            quarter=quarter,
            comment=comment,
            spinner="Storing the quarter's figures...",
        )
        if done is not None:
            flash(f"Submitted {acronym} {quarter_label(quarter)}: an officer reviews it next.")
            st.rerun()


def _reopen(user: User, rows: list[reports.QuarterStatus]) -> None:
    approved = [r for r in rows if r.state == QuarterState.APPROVED]
    if not approved:
        return
    st.subheader("Reopen an approved quarter")
    labels = {
        f"{r.acronym}|{r.quarter}": f"{r.acronym} {quarter_label(r.quarter)}" for r in approved
    }
    with st.form("quarters.reopen"):
        picked = st.selectbox(
            "Quarter", list(labels), format_func=lambda k: labels[k], key="quarters.reopen.pick"
        )
        reason = st.text_input("Reason", key="quarters.reopen.reason", max_chars=2000)
        reopen = st.form_submit_button("Reopen")
    if reopen and picked:
        acronym, quarter = str(picked).split("|")
        done = write(
            reports.reopen_quarter, actor=user, partnership=acronym, quarter=quarter, reason=reason
        )
        if done is not None:
            flash(f"Reopened {acronym} {quarter_label(quarter)}: it is open until approved again.")
            st.rerun()
