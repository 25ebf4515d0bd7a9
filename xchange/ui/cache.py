"""Cached reads for the pages, keyed by `data_version` so that a write anywhere refreshes them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from xchange.accounts import access
from xchange.config import get_settings
from xchange.db import engine as db
from xchange.kpi import details, overview
from xchange.kpi import sums as kpi
from xchange.kpi.sums import Filters
from xchange.models import Role, User
from xchange.pack import sheets
from xchange.register import attention, organisations
from xchange.register import queries as register
from xchange.ui.session import data_version, engine


@st.cache_data(show_spinner=False, max_entries=64)
def _overview(filters: Filters, as_of: date, version: int, url: str) -> overview.Overview:
    with db.read_session(engine()) as session:
        return overview.overview(session, as_of=as_of, filters=filters)


def cached_overview(filters: Filters, as_of: date) -> overview.Overview:
    """The dashboard's figures, cached until the next write anywhere (see data_version)."""
    return _overview(filters, as_of, data_version(), get_settings().database_url)


@st.cache_data(show_spinner=False, max_entries=64)
def _chart_figures(
    filters: Filters, as_of: date, version: int, url: str
) -> dict[str, pd.DataFrame]:
    view = _overview(filters, as_of, version, url)
    return {
        "progress": sheets.progress(view),
        "sme": sheets.share(view, "sme"),
        "beyond": sheets.share(view, "beyond"),
        "flows": sheets.flows(view),
    }


def cached_chart_figures(filters: Filters, as_of: date) -> dict[str, pd.DataFrame]:
    """The figures the dashboard's charts draw, as the pack's sheets hold them (progress, sme,
    beyond, flows): each chart's text alternative, cached with the figures."""
    return _chart_figures(filters, as_of, data_version(), get_settings().database_url)


@st.cache_data(show_spinner=False, max_entries=32)
def _details(
    filters: Filters, as_of: date, parts: tuple[str, ...], version: int, url: str
) -> details.Details:
    with db.read_session(engine()) as session:
        return details.details_for(session, as_of=as_of, filters=filters, parts=parts)


def cached_details(filters: Filters, as_of: date, parts: tuple[str, ...]) -> details.Details:
    """The breakdowns named in `parts` (`details.PARTS`), cached like the figures."""
    return _details(filters, as_of, parts, data_version(), get_settings().database_url)


@st.cache_data(show_spinner=False, max_entries=8)
def _filter_choices(version: int, today: date, url: str) -> overview.FilterChoices:
    with db.read_session(engine()) as session:
        return overview.filter_choices(session, today=today)


def cached_filter_choices() -> overview.FilterChoices:
    """The dashboard filters' choices, cached like the figures."""
    return _filter_choices(data_version(), date.today(), get_settings().database_url)


def own_partnership_ids(user: User) -> set[int]:
    """The partnerships a coordinator writes for (empty for other roles)."""
    if user.role != Role.COORDINATOR:
        return set()
    with db.read_session(engine()) as session:
        return access.partnership_ids_writable(session=session, actor=user) or set()


@st.cache_data(show_spinner=False, max_entries=32)
def _form_choices(user_id: int, version: int, url: str) -> register.FormChoices:
    with db.read_session(engine()) as session:
        actor = session.get(User, user_id)
        assert actor is not None
        return register.form_choices(session, actor=actor)


def cached_form_choices(user: User) -> register.FormChoices:
    """What the exchange form offers `user`: their partnerships, countries, types."""
    return _form_choices(user.id or 0, data_version(), get_settings().database_url)


@st.cache_data(show_spinner=False, max_entries=256)
def _organisation_choices(query: str, version: int, url: str) -> list[register.OrganisationChoice]:
    with db.read_session(engine()) as session:
        return register.organisation_choices(session, query)


def cached_organisation_choices(query: str) -> list[register.OrganisationChoice]:
    """Known organisations whose name contains `query` (two characters at least)."""
    return _organisation_choices(query.strip(), data_version(), get_settings().database_url)


@st.cache_data(show_spinner=False, max_entries=16)
def _list_choices(user_id: int, version: int, url: str) -> register.ListChoices:
    with db.read_session(engine()) as session:
        actor = session.get(User, user_id)
        assert actor is not None
        return register.list_choices(session, actor=actor)


def cached_list_choices(user: User) -> register.ListChoices:
    """The Exchanges list's filter choices for `user` (only what they may read)."""
    return _list_choices(user.id or 0, data_version(), get_settings().database_url)


@st.cache_data(show_spinner=False, max_entries=64)
def _exchanges(
    user_id: int, filters: tuple[Any, ...], limit: int, offset: int, version: int, url: str
) -> tuple[pd.DataFrame, int]:
    keys = ("partnership_ids", "statuses", "quarters", "countries", "organisation", "text")
    search = dict(zip(keys, filters, strict=True))
    with db.read_session(engine()) as session:
        actor = session.get(User, user_id)
        assert actor is not None
        found = register.find_exchanges(session, actor=actor, limit=limit, offset=offset, **search)
        return found, register.count_exchanges(session, actor=actor, **search)


def cached_exchanges(
    user: User,
    *,
    partnership_ids: tuple[int, ...] = (),
    statuses: tuple[str, ...] = (),
    quarters: tuple[str, ...] = (),
    countries: tuple[str, ...] = (),
    organisation: str | None = None,
    text: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[pd.DataFrame, int]:
    """One page of `register.find_exchanges` and the number of matches in all."""
    filters = (partnership_ids, statuses, quarters, countries, organisation or None, text or None)
    return _exchanges(
        user.id or 0, filters, limit, offset, data_version(), get_settings().database_url
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _attention(user_id: int, today: date, version: int, url: str) -> list[attention.AttentionItem]:
    with db.read_session(engine()) as session:
        actor = session.get(User, user_id)
        assert actor is not None
        return attention.needs_attention(session, actor=actor, today=today)


def cached_attention(user: User) -> list[attention.AttentionItem]:
    """`user`'s to-do list for today, cached until the next write anywhere."""
    return _attention(user.id or 0, date.today(), data_version(), get_settings().database_url)


@st.cache_data(show_spinner=False, max_entries=16)
def _headline(partnership_id: int, as_of: date, version: int, url: str) -> kpi.Headline:
    with db.read_session(engine()) as session:
        return kpi.headline(
            session, as_of=as_of, filters=Filters(partnership_ids=(partnership_id,))
        )


def cached_headline(partnership_id: int) -> kpi.Headline:
    """One partnership's headline figures today (what its dashboard shows)."""
    return _headline(partnership_id, date.today(), data_version(), get_settings().database_url)


@st.cache_data(show_spinner=False, max_entries=4)
def _admin_duplicates(version: int, url: str) -> list[organisations.DuplicatePair]:
    with db.read_session(engine()) as session:
        return organisations.find_duplicates(session)


def cached_duplicates() -> list[organisations.DuplicatePair]:
    """Suggested pairs of organisations logged twice, until the next write anywhere."""
    return _admin_duplicates(data_version(), get_settings().database_url)
