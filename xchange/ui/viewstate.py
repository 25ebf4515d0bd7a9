"""The dashboard's view in its address: the filters and the as-of date live in the query
(`/?partnership=GTEX&quarter=2026Q1&as_of=2026-03-31`), so a view can be bookmarked and sent.

Each filter is a multiselect whose state is seeded from the address when the address changes
(opening a link, going back) and written back to it after every change. Values in a shared
address that this viewer is not offered (an unknown or unreadable partnership, a country with
no exchange) are left out, and the page says which. The as-of date is left out of the address
when it is today, so a bookmark of today's view stays today's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import streamlit as st

from xchange import dates
from xchange.db.history import end_of_day
from xchange.kpi.overview import FilterChoices
from xchange.kpi.sums import Filters
from xchange.models import Role, User
from xchange.reference import quarter_label
from xchange.ui.text import escape

AS_OF = "as_of"
READING = "reading"  # "recorded" in the address: the figures as recorded then
KNOWN_NOW, RECORDED_THEN = "as known now", "as recorded then"
SEEDED = "dash.address"  # the address the widgets were last seeded from or written to
LEFT_OUT = "dash.left_out"
FRESH = "dash.fresh"  # set when this run seeded the widgets from the address


@dataclass(frozen=True)
class Filter:
    """One dashboard filter: its widget, its query key, and how its options read."""

    key: str  # query key and widget key suffix
    label: str
    placeholder: str
    help: str | None = None


PARTNERSHIPS = Filter(
    "partnership",
    "Partnerships",
    "All partnerships (the programme)",
    "Leave empty for the whole programme.",
)
QUARTERS = Filter("quarter", "Quarters (of the end date)", "All quarters")
ECOSYSTEMS = Filter("ecosystem", "Ecosystems", "All ecosystems")
COUNTRIES = Filter(
    "country",
    "Countries",
    "All countries",
    "Exchanges whose visitor or host is in one of these countries.",
)
FILTERS = (PARTNERSHIPS, QUARTERS, ECOSYSTEMS, COUNTRIES)
NOUNS = {
    "partnership": "partnership",
    "quarter": "quarter",
    "ecosystem": "ecosystem",
    "country": "country",
}


def as_of_control() -> date:
    """The as-of date picker (today unless the address names another day); the date chosen.

    Kept small on purpose: a reading of the register beside it (as known now, as recorded
    then) can join it without touching the filters.
    """
    today = date.today()
    key = f"dash.{AS_OF}"
    if _address() != st.session_state.get(SEEDED) or key not in st.session_state:
        st.session_state[key] = _day(st.query_params.get(AS_OF), today)
        st.session_state[FRESH] = True
    picked = st.date_input(
        "As of",
        min_value=dates.EARLIEST,
        max_value=today,
        format="YYYY-MM-DD",
        key=key,
        help="The figures as they stood at the end of this day: stays ended by then. Today "
        "unless you pick another day.",
    )
    return picked if isinstance(picked, date) else today


def reading_control(as_of: date) -> datetime | None:
    """Beside the as-of date, the figures' reading: as known now (None), or as recorded then,
    the register as it stood at the end of that day (the moment returned, `kpi.recorded`)."""
    key = f"dash.{READING}"
    if _address() != st.session_state.get(SEEDED) or key not in st.session_state:
        recorded = st.query_params.get(READING) == "recorded"
        st.session_state[key] = RECORDED_THEN if recorded else KNOWN_NOW
    reading = st.radio(
        "Figures",
        (KNOWN_NOW, RECORDED_THEN),
        horizontal=True,
        key=key,
        help="As known now: by the statuses recorded today. As recorded then: the register as "
        "it stood at the end of that day, pipeline and cancellations included.",
    )
    return end_of_day(as_of) if reading == RECORDED_THEN else None


def dashboard_filters(user: User, choices: FilterChoices) -> Filters:
    """The four filters (partnerships, quarters, ecosystems, countries), seeded from the
    address and written back to it; a note names what a shared address held that this viewer
    is not offered."""
    options: dict[str, Mapping[str, object]] = {
        PARTNERSHIPS.key: {acronym: pid for pid, acronym in choices.partnerships.items()},
        QUARTERS.key: {q: q for q in choices.quarters},
        ECOSYSTEMS.key: {code: code for code in choices.ecosystems},
        COUNTRIES.key: {code: code for code in choices.countries},
    }
    shown: dict[str, Callable[[object], str]] = {
        PARTNERSHIPS.key: lambda pid: choices.partnerships.get(int(str(pid)), str(pid)),
        QUARTERS.key: lambda q: quarter_label(str(q)),
        ECOSYSTEMS.key: lambda code: choices.ecosystems.get(str(code), str(code)),
        COUNTRIES.key: lambda code: f"{choices.countries.get(str(code), code)} ({code})",
    }
    if _address() != st.session_state.get(SEEDED):
        _seed(user, options)
    picked: dict[str, list[object]] = {}
    for spec in FILTERS:
        picked[spec.key] = st.multiselect(
            escape(spec.label),
            options=list(options[spec.key].values()),
            format_func=shown[spec.key],
            placeholder=spec.placeholder,
            help=escape(spec.help) if spec.help else None,
            key=f"dash.{spec.key}",
        )
    return Filters(
        partnership_ids=tuple(sorted(int(str(p)) for p in picked[PARTNERSHIPS.key])),
        quarters=tuple(sorted(str(q) for q in picked[QUARTERS.key])),
        ecosystems=tuple(sorted(str(e) for e in picked[ECOSYSTEMS.key])),
        countries=tuple(sorted(str(c) for c in picked[COUNTRIES.key])),
    )


def remember_view(filters: Filters, as_of: date, choices: FilterChoices) -> None:
    """Write the view to the address (a bookmark or a link then opens it), and say what a
    shared address held that is not shown."""
    values = {
        PARTNERSHIPS.key: [choices.partnerships[p] for p in filters.partnership_ids],
        QUARTERS.key: list(filters.quarters),
        ECOSYSTEMS.key: list(filters.ecosystems),
        COUNTRIES.key: list(filters.countries),
        AS_OF: [] if as_of == date.today() else [as_of.isoformat()],
        READING: ["recorded"] if filters.recorded_at is not None else [],
    }
    for key, listed in values.items():
        if listed:
            st.query_params[key] = listed
        elif key in st.query_params:
            del st.query_params[key]
    written = _address()
    fresh = st.session_state.pop(FRESH, False)
    if not fresh and written != st.session_state.get(SEEDED):
        st.session_state[LEFT_OUT] = []  # the viewer changed the view: the note is stale
    st.session_state[SEEDED] = written
    left_out = st.session_state.get(LEFT_OUT) or []
    if left_out:
        st.warning(
            "This address also named "
            + escape(", ".join(left_out))
            + ": left out, because they are not among what you may read here.",
            icon=":material/visibility_off:",
        )


def _seed(user: User, options: Mapping[str, Mapping[str, object]]) -> None:
    """Set the filters' widgets from the address; a coordinator's bare address starts at
    their own partnerships."""
    left_out: list[str] = []
    named = {spec.key: st.query_params.get_all(spec.key) for spec in FILTERS}
    for spec in FILTERS:
        # Any case: people type addresses too (gtex, 2026q1, de).
        known = {text.casefold(): value for text, value in options[spec.key].items()}
        chosen = [known[v.casefold()] for v in named[spec.key] if v.casefold() in known]
        left_out += [f"{NOUNS[spec.key]} {v}" for v in named[spec.key] if v.casefold() not in known]
        st.session_state[f"dash.{spec.key}"] = chosen
    bare = not any(named.values()) and AS_OF not in st.query_params
    if bare and user.role == Role.COORDINATOR:
        from xchange.ui.cache import own_partnership_ids

        own = set(own_partnership_ids(user))
        st.session_state[f"dash.{PARTNERSHIPS.key}"] = [
            pid for pid in options[PARTNERSHIPS.key].values() if pid in own
        ]
    st.session_state[LEFT_OUT] = left_out
    st.session_state[FRESH] = True


def _address() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The view's part of the address, comparable from run to run."""
    keys = [spec.key for spec in FILTERS] + [AS_OF, READING]
    return tuple((key, tuple(st.query_params.get_all(key))) for key in keys)


def _day(text: str | None, today: date) -> date:
    """The as-of date the address names; today when it names none or no valid past day."""
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        return today
    return day if dates.EARLIEST <= day <= today else today
