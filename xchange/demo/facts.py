"""The facts the register stores beside each demo exchange, and the checks that they are the
rules' own (`rules.derived_facts`) and that organisation keys are `reference.name_key`'s.

Part of the demo (`xchange.demo.load`): the vectorised versions here keep a million-row load fast;
`verify_facts` and `verify_keys` hold them to the originals on every load, and the tests on
whole loads.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from xchange.demo.generate import Array, DemoData, DemoPartnership
from xchange.models import Community, Modality, Partnership
from xchange.reference import DEFAULT_ELIGIBLE, name_key
from xchange.register.rules import (
    FULL_RATE_MIN_DISTANCE_KM,
    FULL_RATE_MIN_WORKING_DAYS,
    MAX_LUMP_SUM_CENTS,
    PartnershipTerms,
    RuleContext,
    derived_facts,
    working_days,
)


def typed_table(data: DemoData, rows: Array | None = None) -> pd.DataFrame:
    """The exchanges (or those at `rows`) as `parsing.parse_table` returns typed columns: what
    `rules.derived_facts` reads. The index is the exchanges' 0-based position.
    """
    at = np.arange(data.exchanges) if rows is None else rows
    index = pd.Index(at)

    def text(values: Array) -> pd.Series:
        return pd.Series(pd.array(values[at], dtype="string"), index=index)

    def flag(values: Array) -> pd.Series:
        return pd.Series(pd.array(values[at], dtype="boolean"), index=index)

    acronyms = np.array([part.acronym for part in data.partnerships], dtype=object)
    persons = np.concatenate([data.person_name, np.array([None], dtype=object)])  # -1: nobody
    distance = data.distance_km[at]
    return pd.DataFrame(
        {
            "reference": text(data.reference),
            "partnership": text(acronyms[data.partnership]),
            "status": text(data.status),
            "modality": text(data.modality),
            "start_date": pd.Series(data.start[at].astype("datetime64[s]"), index=index),
            "end_date": pd.Series(data.end[at].astype("datetime64[s]"), index=index),
            "visitor_organisation": text(data.org_name[data.visitor]),
            "host_organisation": text(data.org_name[data.host]),
            "visitor_type": text(data.org_type[data.visitor]),
            "host_type": text(data.org_type[data.host]),
            "visitor_country": text(data.org_country[data.visitor]),
            "host_country": text(data.org_country[data.host]),
            "visitor_is_sme": flag(data.org_is_sme[data.visitor]),
            "host_is_sme": flag(data.org_is_sme[data.host]),
            "visitor_community": text(data.visitor_community),
            "host_community": text(data.host_community),
            "ecosystem": text(data.ecosystem),
            "activity": text(data.activity),
            "representative": text(persons[data.representative]),
            "distance_km": pd.Series(pd.array(distance, dtype="Float64"), index=index).mask(
                np.isnan(distance)
            ),
            "lump_sum_eur": pd.Series(pd.array([pd.NA] * len(at), dtype="Float64"), index=index),
            "cancellation_reason": text(data.cancellation_reason),
            "notes": text(data.notes),
        }
    )


# The facts the register stores beside each exchange, in the Exchange model's columns.
FACT_COLUMNS = (
    "end_quarter",
    "working_days",
    "reduced_rate",
    "lump_sum_cents",
    "involves_sme",
    "visitor_external",
    "host_external",
    "visitor_partner",
    "host_partner",
)
CHECKED_SAMPLE = 5000


def stored_facts(data: DemoData) -> dict[str, Array]:
    """The derived facts of every exchange, computed over whole arrays.

    These are `rules.derived_facts`' definitions (working days by `rules.working_days`, the
    lump-sum rule with its constants), written for numpy because the pandas version spends
    most of a million-row load on organisation keys that the register does not store here.
    `verify_facts` holds the two to equality; the tests compare them on whole loads.
    """
    start = pd.Series(data.start.astype("datetime64[s]"))
    end = pd.Series(data.end.astype("datetime64[s]"))
    days = working_days(start, end).to_numpy(dtype=np.int64)
    distance = data.distance_km
    reduced = (days < FULL_RATE_MIN_WORKING_DAYS) | (
        ~np.isnan(distance) & (distance < FULL_RATE_MIN_DISTANCE_KM)
    )
    full_rate = int(Partnership.model_fields["full_rate_cents"].default)
    codes = list(DEFAULT_ELIGIBLE)
    rates = np.full((len(data.partnerships), len(codes)), full_rate, dtype=np.int64)
    for k, part in enumerate(data.partnerships):
        for country, cents in part.spec.host_rates.items():
            rates[k, codes.index(country)] = cents
    host_country = pd.Index(codes).get_indexer(pd.Index(data.org_country[data.host]))
    rate = np.minimum(rates[data.partnership, host_country], MAX_LUMP_SUM_CENTS)
    lump = np.where(reduced, rate // 2, rate)
    lump[data.modality == Modality.VIRTUAL.value] = 0
    years = (data.end.astype("datetime64[Y]").astype(np.int64) + 1970).astype(str)
    quarters = ((data.end.astype("datetime64[M]").astype(np.int64) % 12) // 3 + 1).astype(str)
    visitor_sme, host_sme = data.org_is_sme[data.visitor], data.org_is_sme[data.host]
    return {
        "end_quarter": years.astype(object) + "Q" + quarters.astype(object),
        "working_days": days,
        "reduced_rate": reduced,
        "lump_sum_cents": lump,
        "involves_sme": visitor_sme | host_sme,
        "visitor_external": data.visitor_community == Community.EXTERNAL.value,
        "host_external": data.host_community == Community.EXTERNAL.value,
        "visitor_partner": data.visitor_community == Community.PARTNER.value,
        "host_partner": data.host_community == Community.PARTNER.value,
    }


def verify_facts(
    data: DemoData, facts: dict[str, Array], today: date, rows: Array | None = None
) -> None:
    """Compare `facts` with `rules.derived_facts` on `rows` (default: an even sample of up to
    CHECKED_SAMPLE exchanges); AssertionError names the first column that differs.

    `load_demo` runs it on every load, so a change to the rules cannot leave the demo's stored
    facts behind unnoticed.
    """
    if not data.exchanges:
        return
    if rows is None:
        rows = np.unique(np.linspace(0, data.exchanges - 1, CHECKED_SAMPLE).astype(np.int64))
    if not len(rows):
        return
    expected = derived_facts(typed_table(data, rows), rule_context(data.partnerships, today))
    for name in FACT_COLUMNS:
        wanted = expected[name].to_numpy(dtype=object)
        got = facts[name][rows].astype(object)
        if not np.array_equal(wanted, got):
            first = int(np.flatnonzero(wanted != got)[0])
            raise AssertionError(
                f"demo fact {name} of exchange {int(rows[first])} is {got[first]!r}, "
                f"rules.derived_facts says {wanted[first]!r}"
            )


def verify_keys(data: DemoData, rows: Array | None = None) -> None:
    """Compare the organisations' matching keys with `reference.name_key` on `rows` (default:
    an even sample of up to CHECKED_SAMPLE); AssertionError names the first that differs.
    """
    m = len(data.org_name)
    if rows is None:
        rows = np.unique(np.linspace(0, m - 1, CHECKED_SAMPLE).astype(np.int64)) if m else rows
    for row in [] if rows is None else rows.tolist():
        if data.org_key[row] != name_key(data.org_name[row]):
            raise AssertionError(
                f"demo key {data.org_key[row]!r} of {data.org_name[row]!r} is not its name_key"
            )


def rule_context(parts: list[DemoPartnership], today: date) -> RuleContext:
    """What `derived_facts` needs: each partnership's rates (ids are positions until written)."""
    terms = {
        part.acronym.casefold(): PartnershipTerms(
            k + 1,
            part.acronym,
            Partnership.model_fields["full_rate_cents"].default,
            dict(part.spec.host_rates),
        )
        for k, part in enumerate(parts)
    }
    return RuleContext(today=today, partnerships=terms, eligible=[])
