"""Streamlit glue, the only part of the package that imports streamlit.

Every page starts with `page_setup` (sign-in, refusal by role, the menu), reads and writes
through `read` / `write`, confirms with `saved` / `flash`, and shows user text only through
`escape` (see `text`). Pages use `from xchange import ui` and these names:

- session: signing in, the menu, the engine (`page_setup`, `engine`, `data_version`...)
- text: user text as Markdown (`escape`) and confirmations (`flash`, `show_flash`)
- actions: reads and writes with refusals as messages (`read`, `write`, `saved`...)
- cache: cached reads keyed by the data version (`cached_*`)
- form, records: the exchange form; exchange tables, links and the open record
- reading: the as-of date and "as known now" / "as recorded then" beside it
- admin: one function per tab of the Administration page
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
from xchange.ui.cache import (
    cached_attention,
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
from xchange.ui.form import ExchangeForm, check, exchange_form, show_checks
from xchange.ui.reading import as_of_and_reading
from xchange.ui.records import (
    EXCHANGES_PAGE,
    close_record,
    exchange_table,
    open_link,
    open_record,
    opened_record,
    opened_version,
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
from xchange.ui.text import escape, flash, show_flash

__all__ = [
    "EXCHANGES_PAGE",
    "PAGES",
    "ROLE_NAMES",
    "WRITERS",
    "ExchangeForm",
    "as_of_and_reading",
    "PageLink",
    "cached_attention",
    "cached_duplicates",
    "cached_exchanges",
    "cached_filter_choices",
    "cached_form_choices",
    "cached_headline",
    "cached_list_choices",
    "cached_organisation_choices",
    "cached_overview",
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
    "show_checks",
    "show_flash",
    "sign_out",
    "start_session",
    "text_table",
    "write",
]
