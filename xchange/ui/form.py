"""The exchange form (Log an exchange, and Edit on the Exchanges page): one widget per
`ExchangeIn` field, keyed `<form key>.<field>`, and the rules' messages beside each field."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from xchange.presentation import euros, number
from xchange.reference import ACTIVITY_LABELS, ECOSYSTEMS, ORG_TYPE_LABELS, country_name
from xchange.register import queries as register
from xchange.register import service
from xchange.register.parsing import field_label
from xchange.register.rules import Validation
from xchange.ui.actions import read
from xchange.ui.cache import cached_organisation_choices
from xchange.ui.form_help import FORM_HELP, FORM_LABELS
from xchange.ui.session import current_user
from xchange.ui.text import escape

SIDES = ("visitor", "host")
STATUSES = list(register.STATUS_LABELS)


@dataclass
class ExchangeForm:
    """A drawn exchange form: its values and a place beside each field for its messages."""

    key: str
    data: service.ExchangeIn
    slots: dict[str, DeltaGenerator]
    figures: DeltaGenerator
    summary: DeltaGenerator


def _k(form: str, name: str) -> str:
    return f"{form}.{name}"


def _start(form: str, initial: service.ExchangeIn | None, choices: register.FormChoices) -> None:
    """Put the initial values in place for every field the session does not hold yet."""
    values: dict[str, Any] = (
        initial or service.ExchangeIn(partnership="", reference="")
    ).model_dump()
    if not values["partnership"] and len(choices.partnerships) == 1:
        values["partnership"] = next(iter(choices.partnerships))
    values["partnership"] = values["partnership"] or None
    for side in SIDES:
        values[f"{side}_organisation.name"] = values.pop(f"{side}_organisation")
        for name in ("type", "country", "community"):
            values[f"{side}_{name}"] = values[f"{side}_{name}"] or None
    for name in ("lump_sum_eur", "distance_km"):
        values[name] = None if values[name] is None else float(values[name])
    for name in ("representative", "cancellation_reason", "notes"):
        values[name] = values[name] or ""
    for name, value in values.items():
        st.session_state.setdefault(_k(form, name), value)


def _pick(form: str, side: str, found: dict[int, register.OrganisationChoice]) -> None:
    """Callback: the picked organisation fills its side's name, country, type and SME status."""
    chosen = found.get(st.session_state.get(_k(form, f"{side}_organisation.pick")) or -1)
    if chosen is not None:
        st.session_state[_k(form, f"{side}_organisation.name")] = chosen.name
        st.session_state[_k(form, f"{side}_country")] = chosen.country
        st.session_state[_k(form, f"{side}_type")] = chosen.type
        st.session_state[_k(form, f"{side}_is_sme")] = chosen.is_sme
    st.session_state[_k(form, f"{side}_organisation.pick")] = None


def _slot() -> DeltaGenerator:
    return st.container()


def _side(
    form: str, side: str, choices: register.FormChoices, slots: dict[str, DeltaGenerator]
) -> None:
    """One side's organisation: name with the register's matches, country, type, SME, community."""
    st.markdown("**Visiting organisation**" if side == "visitor" else "**Host organisation**")
    name = st.text_input(
        "Legal name",
        key=_k(form, f"{side}_organisation.name"),
        help=FORM_HELP[f"{side}_organisation"],
        placeholder="Start typing: known organisations are offered",
    )
    slots[f"{side}_organisation"] = _slot()
    found = {c.id: c for c in cached_organisation_choices(name or "")}
    country_key, type_key, sme_key = (
        _k(form, f"{side}_{n}") for n in ("country", "type", "is_sme")
    )
    same = [c for c in found.values() if c.matches(name or "", st.session_state.get(country_key))]
    if len(same) == 1 and st.session_state.get(type_key) is None:
        # A known organisation typed in full: take its profile, as picking it would.
        st.session_state[country_key] = same[0].country
        st.session_state[type_key] = same[0].type
        st.session_state[sme_key] = same[0].is_sme
    others = [i for i, c in found.items() if c not in same]
    if same:
        st.caption(f"In the register: {escape(same[0].label)}.")
    elif name and name.strip():
        st.caption("New organisation: it is added to the register when you save.")
    if others:
        st.selectbox(
            "Or pick a known organisation",
            options=others,
            index=None,
            format_func=lambda i: found[i].label,
            key=_k(form, f"{side}_organisation.pick"),
            on_change=_pick,
            args=(form, side, found),
            placeholder=f"{len(others)} known organisation{'s' if len(others) > 1 else ''} "
            "with a similar name",
            help=FORM_HELP["pick"],
        )
    countries = list(choices.countries)
    if (current := st.session_state.get(country_key)) and current not in choices.countries:
        countries.append(current)  # a stored value no longer listed stays visible
    st.selectbox(
        "Country",
        options=countries,
        index=None,
        format_func=lambda code: f"{country_name(code)} ({code})",
        key=country_key,
        placeholder="Choose a country",
        help=FORM_HELP["country"],
    )
    slots[f"{side}_country"] = _slot()
    types = choices.visitor_types if side == "visitor" else choices.host_types
    if (kind := st.session_state.get(type_key)) and kind not in types:
        types = [*types, kind]
    st.selectbox(
        "Type",
        options=types,
        index=None,
        format_func=lambda t: ORG_TYPE_LABELS.get(t, t),
        key=type_key,
        placeholder="Choose a type",
        help=FORM_HELP[f"{side}_type"],
    )
    slots[f"{side}_type"] = _slot()
    st.radio(
        "Is it an SME?",
        options=[True, False],
        index=None,
        format_func=lambda yes: "Yes" if yes else "No",
        key=sme_key,
        horizontal=True,
        help=FORM_HELP["is_sme"],
    )
    slots[f"{side}_is_sme"] = _slot()
    st.selectbox(
        "Community",
        options=list(register.COMMUNITY_LABELS),
        index=None,
        format_func=lambda c: register.COMMUNITY_LABELS.get(c, c),
        key=_k(form, f"{side}_community"),
        placeholder="Choose partner, member or external",
        help=FORM_HELP["community"],
    )
    slots[f"{side}_community"] = _slot()


def exchange_form(
    form: str, *, choices: register.FormChoices, initial: service.ExchangeIn | None = None
) -> ExchangeForm:
    """Draw the exchange form (outside st.form, so every change reruns and is checked at once)
    and return its values. `form` keys the widgets; `initial` prefills them once."""
    _start(form, initial, choices)
    slots: dict[str, DeltaGenerator] = {}
    partnerships = list(choices.partnerships)
    if (own := st.session_state.get(_k(form, "partnership"))) and own not in partnerships:
        partnerships.append(own)
    top = st.columns(4)
    with top[0]:
        st.selectbox(
            "Partnership",
            options=partnerships,
            index=None,
            format_func=lambda a: f"{a} · {choices.partnerships.get(a, '')}".rstrip(" ·"),
            key=_k(form, "partnership"),
            placeholder="Choose your partnership",
            help=FORM_HELP["partnership"],
        )
        slots["partnership"] = _slot()
    with top[1]:
        st.text_input(
            "Reference",
            key=_k(form, "reference"),
            help=FORM_HELP["reference"],
            placeholder="e.g. GTEX-2026-0042",
        )
        slots["reference"] = _slot()
    with top[2]:
        st.selectbox(
            "Status",
            options=STATUSES,
            format_func=lambda s: register.STATUS_LABELS.get(s, s),
            key=_k(form, "status"),
            help=FORM_HELP["status"],
        )
        slots["status"] = _slot()
    with top[3]:
        st.radio(
            "Modality",
            options=list(register.MODALITY_LABELS),
            format_func=lambda m: register.MODALITY_LABELS.get(m, m),
            key=_k(form, "modality"),
            horizontal=True,
            help=FORM_HELP["modality"],
        )
        slots["modality"] = _slot()

    dates = st.columns([1, 1, 2])
    for column, name, label in (
        (dates[0], "start_date", "First day at the host"),
        (dates[1], "end_date", "Last day at the host"),
    ):
        with column:
            st.date_input(
                escape(label), key=_k(form, name), format="YYYY-MM-DD", help=FORM_HELP[name]
            )
            slots[name] = _slot()
    with dates[2]:
        figures = st.container()

    sides = st.columns(2, border=True)
    for column, side in zip(sides, SIDES, strict=True):
        with column:
            _side(form, side, choices, slots)

    st.markdown("**For the reports**")
    extra = st.columns(4)
    with extra[0]:
        st.selectbox(
            "Ecosystem",
            options=list(ECOSYSTEMS),
            index=None,
            format_func=lambda code: ECOSYSTEMS.get(code, code),
            key=_k(form, "ecosystem"),
            placeholder="Choose one of the 14",
            help=FORM_HELP["ecosystem"],
        )
        slots["ecosystem"] = _slot()
    with extra[1]:
        st.selectbox(
            "Activity",
            options=list(ACTIVITY_LABELS),
            index=None,
            format_func=lambda a: str(ACTIVITY_LABELS.get(a, a)).capitalize(),
            key=_k(form, "activity"),
            placeholder="Choose an activity",
            help=FORM_HELP["activity"],
        )
        slots["activity"] = _slot()
    with extra[2]:
        st.number_input(
            "Distance (km)",
            min_value=0.0,
            step=10.0,
            format="%.0f",
            key=_k(form, "distance_km"),
            placeholder="Unknown",
            help=FORM_HELP["distance_km"],
        )
        slots["distance_km"] = _slot()
    with extra[3]:
        st.number_input(
            "Lump sum (EUR), if not the rule's",
            min_value=0.0,
            max_value=1100.0,
            step=50.0,
            format="%.2f",
            key=_k(form, "lump_sum_eur"),
            placeholder="The rule's amount",
            help=FORM_HELP["lump_sum_eur"],
        )
        slots["lump_sum_eur"] = _slot()
    st.text_input(
        "Representative (optional)",
        key=_k(form, "representative"),
        help=FORM_HELP["representative"],
    )
    slots["representative"] = _slot()
    if st.session_state.get(_k(form, "status")) == "cancelled":
        st.text_area(
            "Cancellation reason",
            key=_k(form, "cancellation_reason"),
            help=FORM_HELP["cancellation_reason"],
        )
        slots["cancellation_reason"] = _slot()
    st.text_area("Notes (optional)", key=_k(form, "notes"), help=FORM_HELP["notes"], height=80)
    slots["notes"] = _slot()
    summary = st.container()

    return ExchangeForm(form, _values(form), slots, figures, summary)


def _values(form: str) -> service.ExchangeIn:
    """The form's current values as the service takes them (blank text as None)."""

    def get(name: str) -> Any:
        return st.session_state.get(_k(form, name))

    def text(name: str) -> str | None:
        return (get(name) or "").strip() or None

    values: dict[str, Any] = {
        "partnership": get("partnership") or "",
        "reference": text("reference") or "",
        "status": get("status") or "planned",
        "modality": get("modality") or "physical",
        "start_date": get("start_date"),
        "end_date": get("end_date"),
        "ecosystem": get("ecosystem"),
        "activity": get("activity"),
        "representative": text("representative"),
        "distance_km": None if get("distance_km") is None else float(get("distance_km")),
        "lump_sum_eur": (
            None if get("lump_sum_eur") is None else Decimal(f"{get('lump_sum_eur'):.2f}")
        ),
        "cancellation_reason": text("cancellation_reason")
        if get("status") == "cancelled"
        else None,
        "notes": text("notes"),
    }
    for side in SIDES:
        values[f"{side}_organisation"] = text(f"{side}_organisation.name") or ""
        values[f"{side}_is_sme"] = get(f"{side}_is_sme")
        for name in ("type", "country", "community"):
            values[f"{side}_{name}"] = get(f"{side}_{name}") or ""
    return service.ExchangeIn(**values)


def check(data: service.ExchangeIn, exchange_id: int | None = None) -> Validation:
    """The rules over the form's values, nothing written (run on every change); the messages
    name only records the signed-in user may read."""
    return read(service.check_exchange, data=data, exchange_id=exchange_id, reader=current_user())


def show_checks(form: ExchangeForm, validation: Validation, *, tried: bool) -> None:
    """Each error and warning beside its field, the working days and lump sum beside the dates.

    Empty required fields are listed once at the bottom until the person tries to save
    (`tried`); after that each gets its message beside it too.
    """
    row = validation.table.iloc[0]
    with form.figures:
        left, right = st.columns(2)
        dated = form.data.start_date is not None and form.data.end_date is not None
        left.metric("Working days", number(int(row["working_days"])) if dated else "–")
        right.metric("Lump sum", euros(int(row["lump_sum_cents"]) / 100) if dated else "–")
        if dated and form.data.lump_sum_eur is None:
            st.caption(
                "The rule's amount: halved under 5 working days or 200 km; nothing "
                "for a virtual stay."
            )
        elif dated:
            st.caption(
                f"Your amount; the rule gives {euros(int(row['rule_lump_sum_cents']) / 100)}."
            )
    empty: list[str] = []
    for issue in validation.issues:
        if issue.code == "missing_value" and not tried:
            empty.append(FORM_LABELS.get(issue.field, field_label(issue.field)))
            continue
        slot = form.slots.get(issue.field)
        # Beside its field an empty value needs no more words than that.
        message = "Required." if slot and issue.code == "missing_value" else issue.message
        slot = slot or form.summary
        if issue.severity == "error":
            slot.error(escape(message), icon=":material/error:")
        else:
            slot.warning(escape(issue.message), icon=":material/warning:")
    with form.summary:
        if len(empty) > 6:
            st.caption(f"{len(empty)} required fields are still empty.")
        elif empty:
            st.caption(f"Still to fill in: {escape(', '.join(empty))}.")
        errors = len([i for i in validation.errors if tried or i.code != "missing_value"])
        if errors:
            st.caption(
                f"{number(errors)} problem{'s' if errors > 1 else ''} to fix before saving, marked "
                "beside their fields. Warnings never block saving."
            )
