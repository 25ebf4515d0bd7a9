"""Exchanges: find exchanges (filters and search), open one, and, for those who write for its
partnership, edit, cancel, complete and pay it; its history comes from the audit trail."""

from __future__ import annotations

from datetime import date
from functools import partial

import streamlit as st

from xchange import ui
from xchange.models import Role
from xchange.reference import quarter_label
from xchange.register import queries as register
from xchange.register import service

PAGE_SIZE = 100

user = ui.page_setup("pages/2_Exchanges.py", "Exchanges")
st.title("Exchanges")
ui.show_flash()
xid = ui.opened_record(user)

# --- one exchange ----------------------------------------------------------------------------
if xid is not None:
    if st.button("Back to the list", icon=":material/arrow_back:"):
        ui.close_record()
        st.rerun()
    record = ui.read_or_stop(register.read_record, actor=user, exchange_id=xid)
    exchange = record.exchange
    version = ui.opened_version(xid, exchange.version)
    reload = partial(ui.reload_record, xid)
    st.subheader(ui.escape(record.title))
    st.caption(
        f"{ui.escape(register.STATUS_LABELS.get(exchange.status, exchange.status))} · "
        f"{ui.escape(register.MODALITY_LABELS.get(exchange.modality, exchange.modality).lower())} · "
        f"{ui.iso(exchange.start_date)} to {ui.iso(exchange.end_date)} · version "
        f"{ui.escape(exchange.version)}" + ("" if record.writable else " · read-only for you")
    )
    # Shown as code: copied as it is, never read as Markdown.
    st.code(ui.record_address(record.partnership, exchange.reference), language=None)
    if version != exchange.version:
        st.warning(
            f"Someone changed this exchange since you opened it (now version "
            f"{ui.escape(exchange.version)}, you read version {ui.escape(version)}): reload it "
            "before you change it.",
            icon=":material/sync_problem:",
        )
        st.button("Reload the exchange", on_click=reload, key="reload_banner")

    sections = ["Details", "History"]
    if record.writable:
        sections = ["Details", "Edit", "Cancel", "Complete and pay", "History"]
    section = ui.section_picker(sections, key=f"record.{xid}.section")
    if section != "Edit":
        ui.clear_form(f"edit.{xid}")

    if section == "Details":
        for issue in record.issues:
            if issue.severity == "error":
                st.error(ui.escape(issue.message), icon=":material/error:")
            else:
                st.warning(ui.escape(issue.message), icon=":material/warning:")
        if not record.issues:
            st.caption("The record passes every rule of the scheme today.")
        ui.text_table(record.facts, hide_header=True)

    elif section == "Edit":
        st.caption(
            "Change any field, then save. The rules check every change; the history keeps "
            "what was changed, by whom and when."
        )
        form = ui.exchange_form(
            f"edit.{xid}", choices=ui.cached_form_choices(user), initial=record.form_data
        )
        validation = ui.check(form.data, exchange_id=xid)
        save = st.button("Save changes", type="primary", icon=":material/save:")
        ui.show_checks(form, validation, tried=True)
        if save and validation.errors:
            st.error("Not saved: fix the problems marked in red above.", icon=":material/error:")
        elif save:
            saved = ui.write(
                service.update_exchange,
                actor=user,
                exchange_id=xid,
                expected_version=version,
                data=form.data,
                on_stale=reload,
            )
            if saved is not None:
                ui.saved_record(
                    xid, saved.version, f"Saved: now version {saved.version}.", section="Details"
                )
                st.rerun()

    elif section == "Cancel":
        if exchange.status == "cancelled":
            st.info(
                f"Cancelled. Reason: {ui.escape(exchange.cancellation_reason or '')}. To revive "
                "it, edit it and choose another status.",
                icon=":material/info:",
            )
        else:
            st.caption(
                "A cancelled exchange never counts; it stays in the register, with its reason, "
                "as attrition."
            )
            reason = st.text_area(
                "Why is it cancelled?",
                key=f"record.{xid}.reason",
                help="Required: kept with the record and shown in its history.",
            )
            if st.button("Cancel this exchange", type="primary", icon=":material/cancel:"):
                saved = ui.write(
                    service.cancel_exchange,
                    actor=user,
                    exchange_id=xid,
                    expected_version=version,
                    reason=reason or "",
                    on_stale=reload,
                )
                if saved is not None:
                    ui.saved_record(
                        xid, saved.version, "Cancelled: it no longer counts.", section="Details"
                    )
                    st.rerun()

    elif section == "Complete and pay":
        if exchange.status == "cancelled":
            st.info("A cancelled exchange is neither completed nor paid.", icon=":material/info:")
        elif exchange.status != "completed":
            st.markdown("**Mark completed**")
            st.caption(
                "When the stay has taken place and its closing report is validated. Only "
                "completed stays count towards the targets."
            )
            validated_on = st.date_input(
                "Closing report validated on",
                value=date.today(),
                max_value=date.today(),
                format="YYYY-MM-DD",
                key=f"record.{xid}.validated_on",
                help="The day the closing report was accepted.",
            )
            validated_by = st.text_input(
                "Validated by",
                key=f"record.{xid}.validated_by",
                help="Who validated the closing report, e.g. the partnership's coordination "
                "office.",
            )
            if st.button("Mark completed", type="primary", icon=":material/task_alt:"):
                saved = ui.write(
                    service.complete_exchange,
                    actor=user,
                    exchange_id=xid,
                    expected_version=version,
                    validated_on=validated_on or date.today(),
                    validated_by=validated_by or "",
                    on_stale=reload,
                )
                if saved is not None:
                    ui.saved_record(
                        xid,
                        saved.version,
                        "Marked completed: it counts once its last day has passed. "
                        "Record the payment below.",
                        section=None,
                    )
                    st.rerun()
        else:
            st.markdown(
                f"Completed: closing report validated on {ui.iso(exchange.validated_on)}"
                + (f" by {ui.escape(exchange.validated_by)}." if exchange.validated_by else ".")
            )
            st.markdown("**Payment of the lump sum**")
            if exchange.paid_on:
                st.caption(
                    f"Paid {ui.euros((exchange.paid_cents or 0) / 100)} on "
                    f"{ui.iso(exchange.paid_on)}. Correct it below if needed."
                )
            elif exchange.lump_sum_cents == 0:
                st.caption("The lump sum is EUR 0.00 (a virtual stay is not funded).")
            else:
                st.caption(
                    f"Not paid yet: the lump sum is {ui.euros(exchange.lump_sum_cents / 100)}."
                )
            paid_on = st.date_input(
                "Paid on",
                value=exchange.paid_on or date.today(),
                format="YYYY-MM-DD",
                key=f"record.{xid}.paid_on",
                help="The day the lump sum left your account.",
            )
            paid_eur = st.number_input(
                "Amount paid (EUR)",
                min_value=0.0,
                max_value=1100.0,
                value=(exchange.paid_cents or exchange.lump_sum_cents) / 100,
                step=50.0,
                format="%.2f",
                key=f"record.{xid}.paid_eur",
                help="What the visiting organisation received; at most EUR 1,100.00.",
            )
            if st.button(
                "Correct the payment" if exchange.paid_on else "Record payment",
                type="primary",
                icon=":material/payments:",
            ):
                saved = ui.write(
                    service.record_payment,
                    actor=user,
                    exchange_id=xid,
                    expected_version=version,
                    paid_on=paid_on or date.today(),
                    paid_eur=paid_eur or 0.0,
                    on_stale=reload,
                )
                if saved is not None:
                    ui.saved_record(xid, saved.version, "Payment recorded.", section=None)
                    st.rerun()

    else:  # History
        trail = ui.read(register.history_frame, actor=user, exchange_id=xid)
        if trail.empty:
            st.info(
                "No change recorded yet: this record was loaded in bulk (demo data). Every "
                "change made from now on is listed here.",
                icon=":material/history:",
            )
        else:
            st.caption(
                "Every change, oldest first: who made it, when (UTC), and each field's value "
                "before and after. Representatives appear by number only."
            )
            ui.text_table(trail)
    st.stop()

# --- the list --------------------------------------------------------------------------------
choices = ui.cached_list_choices(user)
coordinator = user.role == Role.COORDINATOR
st.caption(
    ("Your partnerships' exchanges" if coordinator else "Every partnership's exchanges")
    + ", newest first. Click a row, or pick it below the list, to open it."
)
with st.container(horizontal=True):
    partnership_ids = st.multiselect(
        "Partnerships",
        options=list(choices.partnerships),
        format_func=lambda pid: choices.partnerships.get(pid, str(pid)),
        placeholder="All your partnerships" if coordinator else "All partnerships",
        key="list.partnerships",
        persist_state="page",
        help="Leave empty for every partnership you may see.",
    )
    statuses = st.multiselect(
        "Status",
        options=list(register.STATUS_LABELS),
        format_func=lambda s: register.STATUS_LABELS.get(s, s),
        placeholder="Any status",
        key="list.statuses",
        persist_state="page",
        help="Planned, confirmed (agreement signed), completed (report validated), cancelled.",
    )
    quarters = st.multiselect(
        "Quarter",
        options=choices.quarters,
        format_func=quarter_label,
        placeholder="Any quarter",
        key="list.quarters",
        persist_state="page",
        help="The quarter of the stay's last day.",
    )
    countries = st.multiselect(
        "Country",
        options=list(choices.countries),
        format_func=lambda code: f"{choices.countries.get(code, code)} ({code})",
        placeholder="Any country",
        key="list.countries",
        persist_state="page",
        help="Exchanges whose visitor or host is in one of these countries.",
    )
with st.container(horizontal=True):
    organisation = st.text_input(
        "Organisation",
        placeholder="Part of a visitor's or host's name",
        key="list.organisation",
        persist_state="page",
        help="Exchanges where either side's name contains this text; press Enter to apply.",
    )
    text = st.text_input(
        "Search",
        placeholder="Reference, organisation or notes",
        key="list.text",
        persist_state="page",
        help="Searches references, both organisations' names and notes; press Enter to apply.",
    )

filters = {
    "partnership_ids": tuple(sorted(partnership_ids)),
    "statuses": tuple(sorted(statuses)),
    "quarters": tuple(sorted(quarters)),
    "countries": tuple(sorted(countries)),
    "organisation": organisation,
    "text": text,
}
page_key = f"list.page.{hash(tuple(filters.values()))}"
page = int(st.session_state.get(page_key, 1))
with st.spinner("Searching the register..."):
    found, total = ui.cached_exchanges(
        user, **filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
if found.empty:
    st.info(
        "No exchange matches these filters: clear some of them"
        + (", or log a new exchange." if user.role != Role.OFFICER else "."),
        icon=":material/search_off:",
    )
    if user.role != Role.OFFICER:
        st.page_link(
            "pages/1_Log_exchange.py", label="Log an exchange", icon=":material/add_circle:"
        )
    st.stop()

first = (page - 1) * PAGE_SIZE + 1
st.caption(
    f"Exchanges {ui.number(first)}–{ui.number(first + len(found) - 1)} of {ui.number(total)}."
)
clicked = ui.exchange_table(found, key=f"list.table.{st.session_state.get('list.generation', 0)}")
if total > PAGE_SIZE:
    st.pagination(-(-total // PAGE_SIZE), key=page_key)
labels = {
    int(row.id): f"{row.reference} · {row.partnership} · {row.visitor} → {row.host}"
    for row in found.itertuples()
}
picked = st.selectbox(
    "Open an exchange",
    options=list(labels),
    index=None,
    format_func=lambda i: labels.get(i, str(i)),
    placeholder="Pick one of the exchanges listed (type its reference)",
    key=f"list.open.{st.session_state.get('list.generation', 0)}",
    help="Or click its row in the table.",
)
if clicked is not None or picked is not None:
    ui.open_record(int(clicked if clicked is not None else picked))
    st.rerun()
