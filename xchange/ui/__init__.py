"""Streamlit glue, the only part of the package that imports streamlit.

Every page starts with `page_setup` (sign-in, refusal by role, the menu), reads and writes
through `read` / `write`, confirms with `saved` / `flash`, and shows user text only through
`escape` (see `text`). Pages use `from xchange import ui` and these names:

- session: signing in, the menu, the engine (`page_setup`, `engine`, `data_version`...)
- text: user text as Markdown (`escape`) and confirmations (`flash`, `show_flash`)
- actions: reads and writes with refusals as messages (`read`, `write`, `saved`...)
- cache: cached reads keyed by the data version (`cached_*`)
- figures, breakdowns: a chart with its text alternative; the dashboard's breakdowns
- templates: the blank templates' download buttons
- form, records: the exchange form; exchange tables, links and the open record
- admin: one function per tab of the Administration page
- viewstate: the dashboard's filters, as-of date and reading (as known now / as recorded
  then), kept in the address
- webforms: the sign-in and sign-out forms that post to the web routes
- quarters: quarter reports (submit, review, reopen) and each quarter's state
"""

from __future__ import annotations

from xchange.presentation import euros, iso, number, percent
from xchange.ui.actions import (
    clear_form,
    read,
    read_or_stop,
    reloads,
    saved,
    seen_version,
    write,
)
from xchange.ui.breakdowns import show_breakdowns
from xchange.ui.cache import (
    cached_attention,
    cached_chart_figures,
    cached_details,
    cached_duplicates,
    cached_exchanges,
    cached_filter_choices,
    cached_form_choices,
    cached_headline,
    cached_list_choices,
    cached_organisation_choices,
    cached_overview,
    own_partnership_ids,
)
from xchange.ui.figures import chart
from xchange.ui.form import ExchangeForm, check, exchange_form, show_checks
from xchange.ui.quarters import overdue_quarters, quarter_reports, quarter_states, states_table
from xchange.ui.records import (
    EXCHANGES_PAGE,
    close_record,
    exchange_table,
    open_link,
    open_record,
    opened_record,
    opened_version,
    record_address,
    reload_record,
    saved_record,
    section_picker,
    text_table,
)
from xchange.ui.session import (
    PAGES,
    ROLE_NAMES,
    WRITERS,
    PageLink,
    client_address,
    current_user,
    data_version,
    engine,
    oidc_configured,
    page_setup,
    pages_for,
    refusal,
    require_user,
    sign_out,
    start_session,
)
from xchange.ui.templates import template_buttons
from xchange.ui.text import escape, flash, show_flash
from xchange.ui.viewstate import as_of_control, dashboard_filters, reading_control, remember_view

__all__ = [
    "as_of_control",
    "dashboard_filters",
    "reading_control",
    "remember_view",
    "overdue_quarters",
    "quarter_reports",
    "quarter_states",
    "states_table",
    "template_buttons",
    "EXCHANGES_PAGE",
    "PAGES",
    "ROLE_NAMES",
    "WRITERS",
    "ExchangeForm",
    "PageLink",
    "cached_attention",
    "cached_chart_figures",
    "cached_details",
    "cached_duplicates",
    "cached_exchanges",
    "cached_filter_choices",
    "cached_form_choices",
    "cached_headline",
    "cached_list_choices",
    "cached_organisation_choices",
    "cached_overview",
    "chart",
    "check",
    "clear_form",
    "client_address",
    "close_record",
    "current_user",
    "data_version",
    "engine",
    "escape",
    "euros",
    "exchange_form",
    "exchange_table",
    "flash",
    "iso",
    "number",
    "oidc_configured",
    "open_link",
    "open_record",
    "opened_record",
    "opened_version",
    "record_address",
    "own_partnership_ids",
    "page_setup",
    "pages_for",
    "percent",
    "read",
    "read_or_stop",
    "refusal",
    "reload_record",
    "reloads",
    "require_user",
    "saved",
    "saved_record",
    "section_picker",
    "seen_version",
    "show_breakdowns",
    "show_checks",
    "show_flash",
    "sign_out",
    "start_session",
    "text_table",
    "write",
]
