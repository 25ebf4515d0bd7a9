"""The scheme's rules for exchanges: every error and warning of DOMAIN.md, each with a stable code.

Each rule is written once, over a whole table (pandas, vectorised), and serves one record (a form
is a table of one row) as well as an import of 100,000 rows. `validate` runs the pipeline:

    raw cells --parsing.parse_table--> typed columns --RULES--> issues
                                                   \\--derived_facts--> what the register stores

Rules that need the database (known partnerships, an organisation's earlier visit) read it through
a `RuleContext` that `load_context` fills with just the rows the table mentions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from xchange import reference
from xchange.db.lookup import keyed_rows
from xchange.models import (
    EligibleCountry,
    HostCountryRate,
    Partnership,
    Programme,
)
from xchange.register.orgkeys import distinct_name_keys, org_keys
from xchange.register.parsing import Issue, Severity, as_text, by_distinct, field_label, parse_table

# What a message shows of a stored profile the reader may not see.
HIDDEN = "hidden"
# The scheme's cap for one lump sum (EUR 1,100), in cents.
MAX_LUMP_SUM_CENTS = 110_000
MIN_WORKING_DAYS = 3
FULL_RATE_MIN_WORKING_DAYS = 5
FULL_RATE_MIN_DISTANCE_KM = 200.0
# No two places on Earth lie further apart (half the equator): a longer distance is a typo.
MAX_DISTANCE_KM = 20_038.0


@dataclass(frozen=True)
class PartnershipTerms:
    """What the rules need to know of a partnership."""

    id: int
    acronym: str
    full_rate_cents: int
    host_rates: dict[str, int] = field(default_factory=dict)


@dataclass
class RuleContext:
    """Settings and the database facts a table's rules need, loaded once per validation."""

    today: date
    partnerships: dict[str, PartnershipTerms]  # key: acronym, case-folded
    eligible: list[tuple[str, date | None, date | None]]
    virtual_window: tuple[date | None, date | None] = (None, None)
    visitor_types: frozenset[str] = frozenset()
    host_types: frozenset[str] = frozenset()
    # (partnership id, reference) -> id of the exchange already stored under that key.
    existing_ids: dict[tuple[int, str], int] = field(default_factory=dict)
    # Organisation key -> physical, non-cancelled visits already stored: (exchange id, how a
    # message names it: "exchange ACR/ref", or only "another partnership's exchange" for a reader
    # who may not see that partnership's records).
    visits: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    # Organisation key -> (type, is SME) as stored on the organisation.
    profiles: dict[str, tuple[str, bool]] = field(default_factory=dict)
    # Keys of stored organisations whose profile the reader may not see (one that takes part in
    # no exchange of the reader's partnerships): a message says the profile differs, not how.
    hidden_profiles: frozenset[str] = frozenset()
    # Organisation key -> the stored organisation's id.
    org_ids: dict[str, int] = field(default_factory=dict)


@dataclass
class Validation:
    """The outcome of `validate`: the typed table with its derived facts, and every issue."""

    table: pd.DataFrame
    issues: list[Issue]

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks: warnings never do."""
        return not self.errors

    def rows_with_errors(self) -> set[int]:
        return {issue.row for issue in self.errors if issue.row is not None}


# --- derived facts ---------------------------------------------------------------------------


def working_days(start: pd.Series, end: pd.Series) -> pd.Series:
    """Monday-to-Friday days from start to end, both included (0 where a date is missing)."""
    known = start.notna() & end.notna() & (end >= start)
    result = pd.Series(0, index=start.index, dtype="int64")
    if known.any():
        first = start[known].to_numpy().astype("datetime64[D]")
        last = end[known].to_numpy().astype("datetime64[D]") + np.timedelta64(1, "D")
        result[known] = np.busday_count(first, last)
    return result


def month_limit(start: pd.Series) -> pd.Series:
    """The last day a stay starting on `start` may end: one calendar month, both days counted.

    15 Mar -> 14 Apr. When the next month has no such date (31 Jan), the month runs to that
    month's last day (28 Feb), never to a day earlier than a stay starting on the 28th may end.
    """
    same_date = start + pd.DateOffset(months=1)
    # pandas clips 31 Jan + 1 month to 28 Feb, already the last day of the month.
    clipped = same_date.dt.day.ne(start.dt.day)
    return same_date.where(clipped, same_date - pd.Timedelta(days=1))


def derived_facts(table: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    """Add what the register stores beside the logged values; `table` is parse_table's output.

    Adds: partnership_id, exchange_id (of a stored record with the same partnership and
    reference, else <NA>), visitor_key, host_key, working_days, reduced_rate, rule_lump_sum_cents
    (what the rule pays), lump_sum_cents (given or the rule's), end_quarter, involves_sme,
    visitor_external, host_external, visitor_partner, host_partner.
    """
    t = table
    index = t.index
    new: dict[str, pd.Series] = {}
    ids = {key: terms.id for key, terms in ctx.partnerships.items()}
    partnership_id = _ids(casefolded(t["partnership"]), ids)
    new["partnership_id"] = partnership_id
    found = _existing_ids(partnership_id, t["reference"], ctx.existing_ids)
    if "exchange_id" in t.columns:
        new["exchange_id"] = t["exchange_id"].astype("Int64").fillna(found)
    else:
        new["exchange_id"] = found
    new["visitor_key"] = org_keys(t["visitor_organisation"], t["visitor_country"])
    new["host_key"] = org_keys(t["host_organisation"], t["host_country"])
    days = working_days(t["start_date"], t["end_date"])
    new["working_days"] = days
    distance = t["distance_km"]
    reduced = (days < FULL_RATE_MIN_WORKING_DAYS) | (
        distance.notna() & (distance < FULL_RATE_MIN_DISTANCE_KM)
    ).fillna(False)
    new["reduced_rate"] = reduced
    rule = _rule_lump_sum(partnership_id, t["host_country"], reduced, t["modality"], ctx)
    new["rule_lump_sum_cents"] = rule
    # Clipped so that a sum far beyond the cap (which a rule refuses) cannot overflow the cents.
    clipped = t["lump_sum_eur"].clip(-10 * MAX_LUMP_SUM_CENTS, 10 * MAX_LUMP_SUM_CENTS)
    given = (clipped * 100).round().astype("Int64")
    new["lump_sum_cents"] = given.fillna(rule).astype("int64")
    new["end_quarter"] = by_distinct(t["end_date"], _quarter, "string")
    sme = t["visitor_is_sme"].to_numpy(dtype=bool, na_value=False) | t["host_is_sme"].to_numpy(
        dtype=bool, na_value=False
    )
    new["involves_sme"] = pd.Series(sme, index=index)
    for side in ("visitor", "host"):
        community = t[f"{side}_community"]
        for word in ("external", "partner"):
            flags = community.eq(word).to_numpy(dtype=bool, na_value=False)
            new[f"{side}_{word}"] = pd.Series(flags, index=index)
    # The frame is made once: adding fifteen columns one by one costs more than the rules.
    kept = t.drop(columns=[name for name in new if name in t.columns])
    return pd.concat([kept, pd.DataFrame(new, index=index)], axis=1)


def _quarter(end: Any) -> str:
    """`2026Q3` for a day in July to September 2026."""
    return f"{end.year}Q{(end.month - 1) // 3 + 1}"


def _rule_lump_sum(
    partnership_id: pd.Series,
    host_country: pd.Series,
    reduced_rate: pd.Series,
    modality: pd.Series,
    ctx: RuleContext,
) -> pd.Series:
    """The lump sum the rule pays: the host country's (or full) rate, capped, halved once."""
    by_id = {terms.id: terms for terms in ctx.partnerships.values()}

    def rate(pid: object, country: object) -> int:
        terms = by_id.get(int(pid)) if pd.notna(pid) else None  # type: ignore[call-overload]
        if terms is None:
            return MAX_LUMP_SUM_CENTS
        return terms.host_rates.get(str(country), terms.full_rate_cents)

    # A rate per distinct (partnership, host country): a few hundred, not one per row. Each
    # pair is one integer made of the two columns' codes (a blank takes the last code).
    pid_codes, pids = pd.factorize(partnership_id, use_na_sentinel=True)
    country_codes, countries = pd.factorize(host_country, use_na_sentinel=True)
    pid_values = [*np.asarray(pids, dtype=object).tolist(), None]
    country_values = [*np.asarray(countries, dtype=object).tolist(), None]
    width = len(country_values)
    pid_codes = np.where(pid_codes < 0, len(pid_values) - 1, pid_codes)
    country_codes = np.where(country_codes < 0, width - 1, country_codes)
    distinct, codes = np.unique(pid_codes * width + country_codes, return_inverse=True)
    per_pair = np.array(
        [rate(pid_values[pair // width], country_values[pair % width]) for pair in distinct],
        dtype=np.int64,
    )
    rates = np.minimum(per_pair[codes.reshape(-1)], MAX_LUMP_SUM_CENTS)
    halved = np.where(reduced_rate.to_numpy(dtype=bool), rates // 2, rates)
    virtual = modality.eq("virtual").to_numpy(dtype=bool, na_value=False)
    return pd.Series(np.where(virtual, 0, halved), index=partnership_id.index, dtype="int64")


def casefolded(column: pd.Series) -> pd.Series:
    """A text column case-folded, one distinct value at a time (a few partnership acronyms)."""
    return by_distinct(column, lambda value: str(value).casefold(), "string")


def _ids(column: pd.Series, ids: Mapping[str, int]) -> pd.Series:
    """`ids`' value for each cell as Int64 (missing: NA), looked up once per distinct value."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    found = [ids.get(u) for u in np.asarray(uniques, dtype=object).tolist()] + [None]
    values = np.array([0 if i is None else i for i in found], dtype=np.int64)[codes]
    missing = np.array([i is None for i in found], dtype=bool)[codes]
    return pd.Series(pd.arrays.IntegerArray(values, missing), index=column.index)


def map_distinct(column: pd.Series, mapping: Mapping[Any, object]) -> pd.Series:
    """`mapping`'s value for each cell (missing: NA), looked up once per distinct value."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    distinct = np.asarray(uniques, dtype=object).tolist()  # not cell by cell from Arrow
    looked_up = np.array([mapping.get(u) for u in distinct] + [None], dtype=object)
    return pd.Series(looked_up[codes], index=column.index, dtype=object)


def _existing_ids(
    partnership_ids: pd.Series, references: pd.Series, existing: dict[tuple[int, str], int]
) -> pd.Series:
    """The id stored under each row's (partnership, reference), else NA."""
    result = pd.Series(pd.NA, index=partnership_ids.index, dtype="Int64")
    if not existing:
        return result
    stored = pd.Index([f"{pid}\x00{ref}" for pid, ref in existing], dtype=object)
    wanted = (partnership_ids.astype("string") + "\x00" + references.astype("string")).astype(
        object
    )
    found = stored.get_indexer(pd.Index(wanted.where(wanted.notna(), None), dtype=object))
    values = np.array(list(existing.values()), dtype=np.int64)
    hit = found >= 0
    result[hit] = values[found[hit]]
    return result


# --- the rules -------------------------------------------------------------------------------

Check = Callable[[pd.DataFrame, RuleContext], pd.Series]
# A message reads the row's values by column name.
Message = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class Rule:
    """One rule: rows where `check` is true get an issue on `field` with `message(row)`."""

    code: str
    severity: Severity
    field: str
    check: Check
    message: Message


RULES: list[Rule] = []


def rule(code: str, severity: Severity, field: str, message: Message) -> Callable[[Check], Check]:
    """Register a vectorised check as a rule."""

    def register(check: Check) -> Check:
        RULES.append(Rule(code, severity, field, check, message))
        return check

    return register


def _d(value: object) -> str:
    """A date as ISO text for messages."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return ""
    return pd.Timestamp(value).date().isoformat()  # type: ignore[arg-type]


def _amount(value: float, decimals: int) -> str:
    """A number for messages: `1,100.00`, but `1e+300` rather than three hundred digits."""
    return f"{value:,.{decimals}f}" if abs(value) < 1e12 else f"{value:.3g}"


def _status(t: pd.DataFrame, *statuses: str) -> pd.Series:
    return t["status"].isin(statuses).fillna(False)


def _physical_active(t: pd.DataFrame) -> pd.Series:
    return (t["modality"].eq("physical") & t["status"].ne("cancelled")).fillna(False)


@rule(
    "unknown_partnership",
    "error",
    "partnership",
    lambda r: f"Partnership {r['partnership']!r} is not a partnership we know",
)
def _unknown_partnership(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    return t["partnership"].notna() & t["partnership_id"].isna()


@rule(
    "end_before_start",
    "error",
    "end_date",
    lambda r: f"End date {_d(r['end_date'])} is before start date {_d(r['start_date'])}",
)
def _end_before_start(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    return (t["end_date"] < t["start_date"]).fillna(False)


@rule(
    "same_country",
    "error",
    "host_country",
    lambda r: (
        f"Host country {r['host_country']} is the visitor's country too: "
        "an exchange crosses a border"
    ),
)
def _same_country(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    return t["visitor_country"].eq(t["host_country"]).fillna(False)


def _side_message(template: str, side: str) -> Message:
    """A message naming one side, filled from the row (avoids late binding in a loop)."""

    def message(r: Mapping[str, Any]) -> str:
        return template.format(
            Side=side.capitalize(),
            side=side,
            country=r[f"{side}_country"],
            country_name=reference.country_name(str(r[f"{side}_country"])),
            type=reference.ORG_TYPE_LABELS.get(r[f"{side}_type"], r[f"{side}_type"]),
            start=_d(r["start_date"]),
        )

    return message


def _not_eligible(side: str) -> Check:
    def check(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
        country, start = t[f"{side}_country"], t["start_date"]
        always = [code for code, since, until in ctx.eligible if since is None and until is None]
        eligible = country.isin(always).fillna(False)
        for code, valid_from, valid_to in ctx.eligible:
            if valid_from is None and valid_to is None:
                continue
            ok = country.eq(code).fillna(False)
            if valid_from is not None:
                ok &= (start >= pd.Timestamp(valid_from)).fillna(True)
            if valid_to is not None:
                ok &= (start <= pd.Timestamp(valid_to)).fillna(True)
            eligible |= ok
        return country.notna() & ~eligible

    return check


for _side in ("visitor", "host"):
    rule(
        "country_not_eligible",
        "error",
        f"{_side}_country",
        _side_message(
            "{Side} country {country_name} ({country}) is not eligible for the programme on {start}",
            _side,
        ),
    )(_not_eligible(_side))


def _type_not_allowed(side: str) -> Check:
    def check(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
        allowed = ctx.visitor_types if side == "visitor" else ctx.host_types
        column = t[f"{side}_type"]
        return column.notna() & ~column.isin(allowed).fillna(False)

    return check


for _side in ("visitor", "host"):
    rule(
        "type_not_allowed",
        "error",
        f"{_side}_type",
        _side_message("{Side} type {type!r} may not take part as {side}", _side),
    )(_type_not_allowed(_side))


@rule(
    "longer_than_month",
    "error",
    "end_date",
    lambda r: (
        f"The stay from {_d(r['start_date'])} to {_d(r['end_date'])} is longer than one "
        f"month: the latest end date is {_d(month_limit(pd.Series([r['start_date']])).iloc[0])}"
    ),
)
def _longer_than_month(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    return (t["end_date"] > month_limit(t["start_date"])).fillna(False)


@rule(
    "completed_too_short",
    "error",
    "end_date",
    lambda r: (
        f"A completed stay needs at least {MIN_WORKING_DAYS} working days; "
        f"{_d(r['start_date'])} to {_d(r['end_date'])} has {r['working_days']}"
    ),
)
def _completed_too_short(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    dated = t["start_date"].notna() & t["end_date"].notna() & (t["end_date"] >= t["start_date"])
    return _status(t, "completed") & dated.fillna(False) & (t["working_days"] < MIN_WORKING_DAYS)


@rule(
    "completed_in_future",
    "error",
    "end_date",
    lambda r: f"A completed stay cannot end in the future: end date {_d(r['end_date'])}",
)
def _completed_in_future(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    return _status(t, "completed") & (t["end_date"] > pd.Timestamp(ctx.today)).fillna(False)


@rule(
    "cancelled_without_reason",
    "error",
    "cancellation_reason",
    lambda r: "A cancelled exchange needs a cancellation reason",
)
def _cancelled_without_reason(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    return _status(t, "cancelled") & t["cancellation_reason"].isna()


@rule(
    "duplicate_reference",
    "error",
    "reference",
    lambda r: (
        f"Reference {r['reference']!r} of {r['partnership']} appears more than once "
        f"in this file (first on row {r['_first_row']})"
    ),
)
def _duplicate_reference(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    key = casefolded(t["partnership"]) + "\x00" + t["reference"]
    duplicated = key.notna() & key.duplicated(keep="first")
    t["_first_row"] = _first_labels(key, duplicated)
    return duplicated


@rule(
    "second_visit",
    "error",
    "visitor_organisation",
    lambda r: (
        f"{r['visitor_organisation']} ({r['visitor_country']}) already visits in "
        f"{r['_other_visit']}: an organisation visits only once"
    ),
)
def _second_visit(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    active = _physical_active(t) & t["visitor_key"].notna()
    keys = t["visitor_key"].where(active)
    other = pd.Series(pd.NA, index=t.index, dtype="object")
    in_table = active & keys.duplicated(keep="first")
    if in_table.any():
        first = _first_labels(keys, in_table)
        other[in_table] = "row " + first[in_table].astype(int).astype(str) + " of this file"
    alone = (active & ~in_table).to_numpy(dtype=bool)
    stored = [(key, xid, name) for key, seen in ctx.visits.items() for xid, name in seen]
    if stored and alone.any():
        # Stored visits by records that this table rewrites are judged by their new values.
        rewritten = t["exchange_id"].dropna().astype(int)
        visits = pd.DataFrame(stored, columns=["key", "xid", "name"])
        visits = visits[~visits["xid"].isin(rewritten)].drop_duplicates("key")
        names = pd.Index(visits["key"].to_numpy(dtype=object), dtype=object)
        found = names.get_indexer(pd.Index(keys[alone].astype(object), dtype=object))
        texts = np.array([*visits["name"], None], dtype=object)
        labels = t.index[alone]
        hit = found >= 0
        other[labels[hit]] = texts[found[hit]]
    t["_other_visit"] = other
    return other.notna()


def _lump_sum_problem(t: pd.DataFrame) -> pd.Series:
    given = t["lump_sum_cents"].where(t["lump_sum_eur"].notna())
    too_much = given > MAX_LUMP_SUM_CENTS
    virtual_paid = t["modality"].eq("virtual") & (given > 0)
    return (too_much | virtual_paid | (given < 0)).fillna(False)


@rule(
    "lump_sum_out_of_range",
    "error",
    "lump_sum_eur",
    lambda r: (
        f"Lump sum EUR {_amount(r['lump_sum_eur'], 2)} is not allowed: at most EUR 1,100.00, "
        "and nothing for a virtual stay"
    ),
)
def _lump_sum_out_of_range(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    return _lump_sum_problem(t)


@rule(
    "distance_out_of_range",
    "error",
    "distance_km",
    lambda r: (
        f"Distance {_amount(r['distance_km'], 1)} km is not possible: a distance lies between 0 "
        f"and {MAX_DISTANCE_KM:,.0f} km"
    ),
)
def _distance_out_of_range(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    distance = t["distance_km"]
    return ((distance < 0) | (distance > MAX_DISTANCE_KM)).fillna(False)


# Warnings: shown and kept, never blocking.


@rule(
    "short_stay_pending",
    "warning",
    "end_date",
    lambda r: (
        f"{_d(r['start_date'])} to {_d(r['end_date'])} has {r['working_days']} working "
        f"days: the stay must have at least {MIN_WORKING_DAYS} to be completed"
    ),
)
def _short_stay_pending(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    dated = (t["end_date"] >= t["start_date"]).fillna(False)
    return _status(t, "planned", "confirmed") & dated & (t["working_days"] < MIN_WORKING_DAYS)


@rule(
    "planned_dates_passed",
    "warning",
    "status",
    lambda r: (
        f"The stay is still planned but its dates have passed (ended {_d(r['end_date'])}): "
        "confirm, complete or cancel it"
    ),
)
def _planned_dates_passed(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    return _status(t, "planned") & (t["end_date"] < pd.Timestamp(ctx.today)).fillna(False)


@rule(
    "virtual_outside_window",
    "warning",
    "modality",
    lambda r: (
        f"A virtual stay on {_d(r['start_date'])} lies outside the programme's window "
        "for virtual exchanges"
    ),
)
def _virtual_outside_window(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    start, end = ctx.virtual_window
    inside = pd.Series(True, index=t.index)
    if start is None and end is None:
        inside[:] = False  # no window: every virtual stay is outside it
    if start is not None:
        inside &= (t["start_date"] >= pd.Timestamp(start)).fillna(True)
    if end is not None:
        inside &= (t["end_date"] <= pd.Timestamp(end)).fillna(True)
    return t["modality"].eq("virtual").fillna(False) & ~inside


def _profile_differs(side: str) -> Check:
    def check(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
        if not ctx.profiles:  # no stored organisation among the table's: nothing to compare
            t[f"_{side}_profile"] = pd.Series(np.full(len(t), None), index=t.index, dtype=object)
            return pd.Series(False, index=t.index)
        keys = t[f"{side}_key"]
        stored = map_distinct(keys, ctx.profiles)
        known = stored.notna()
        stored_type = map_distinct(keys, {k: p[0] for k, p in ctx.profiles.items()})
        stored_sme = map_distinct(keys, {k: p[1] for k, p in ctx.profiles.items()})
        kind, sme = t[f"{side}_type"], t[f"{side}_is_sme"]
        differs = kind.ne(stored_type) | sme.ne(stored_sme)
        if ctx.hidden_profiles:
            stored = stored.where(~keys.isin(list(ctx.hidden_profiles)), HIDDEN)
        t[f"_{side}_profile"] = stored
        # A blank or unreadable type or SME flag has its own error; there is nothing to compare.
        return known & kind.notna() & sme.notna() & differs.fillna(False)

    return check


def _profile_message(side: str) -> Message:
    def message(r: Mapping[str, Any]) -> str:
        says = (
            f"this record says {reference.ORG_TYPE_LABELS.get(r[f'{side}_type'], r[f'{side}_type'])}, "
            f"{'SME' if r[f'{side}_is_sme'] else 'not an SME'}"
        )
        if r[f"_{side}_profile"] == HIDDEN:
            return (
                f"{r[f'{side}_organisation']} is recorded with another type or SME status; {says}"
            )
        kind, sme = r[f"_{side}_profile"]
        return (
            f"{r[f'{side}_organisation']} was recorded before as "
            f"{reference.ORG_TYPE_LABELS.get(kind, kind)}, {'SME' if sme else 'not an SME'}; "
            f"{says}"
        )

    return message


for _side in ("visitor", "host"):
    rule(
        "organisation_profile_differs", "warning", f"{_side}_organisation", _profile_message(_side)
    )(_profile_differs(_side))


@rule(
    "lump_sum_differs",
    "warning",
    "lump_sum_eur",
    lambda r: (
        f"Lump sum EUR {r['lump_sum_eur']:,.2f} differs from the rule's "
        f"EUR {r['rule_lump_sum_cents'] / 100:,.2f}"
    ),
)
def _lump_sum_differs(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    given = t["lump_sum_eur"].notna() & ~_lump_sum_problem(t)
    return given & t["lump_sum_cents"].ne(t["rule_lump_sum_cents"]).fillna(False)


def _first_labels(keys: pd.Series, wanted: pd.Series) -> pd.Series:
    """For the rows in `wanted`, the index label of the first row with the same key (the row
    a duplicate points back to); NA elsewhere."""
    result = pd.Series(pd.NA, index=keys.index, dtype=object)
    if not wanted.any():
        return result
    firsts = keys[keys.notna() & ~keys.duplicated(keep="first")]
    where = pd.Index(firsts.to_numpy(dtype=object), dtype=object)
    found = where.get_indexer(pd.Index(keys[wanted].to_numpy(dtype=object), dtype=object))
    result[wanted] = firsts.index.to_numpy(dtype=object)[found]
    return result


# --- running them ----------------------------------------------------------------------------


def check_rules(table: pd.DataFrame, ctx: RuleContext) -> list[Issue]:
    """Every rule over `table` (derived_facts' output); rows unreadable in a field are skipped."""
    issues: list[Issue] = []
    for one in RULES:
        mask = one.check(table, ctx).fillna(False).astype(bool)
        if not mask.any():
            continue
        hits = table[mask]
        for label, row in zip(hits.index, hits.to_dict("records"), strict=True):
            value = row[one.field]
            text = (
                ""
                if value is None or (not isinstance(value, str) and pd.isna(value))
                else (_d(value) if isinstance(value, pd.Timestamp) else str(value))
            )
            issues.append(
                Issue(
                    one.code,
                    one.severity,
                    one.field,
                    text,
                    one.message(cast("dict[str, Any]", row)),
                    int(label) if isinstance(label, int | np.integer) else None,
                )
            )
    return issues


def validate(raw: pd.DataFrame, ctx: RuleContext) -> Validation:
    """Parse and check a table of exchanges (canonical columns); nothing is written.

    An optional `exchange_id` column names the stored record each row rewrites (a form's edit);
    otherwise a row with a stored (partnership, reference) rewrites that record.
    """
    return check(parse(raw), ctx)


def parse(raw: pd.DataFrame) -> Validation:
    """`validate`'s first half, which needs no context: the typed cells and their issues."""
    parsed, issues = parse_table(raw)
    if "exchange_id" in raw.columns:
        parsed["exchange_id"] = raw["exchange_id"]
    return Validation(table=parsed, issues=issues)


def check(parsed: Validation, ctx: RuleContext) -> Validation:
    """`validate`'s second half: the derived facts and every rule, on `parse`'s output."""
    issues = list(parsed.issues)
    table = derived_facts(parsed.table, ctx)
    issues += check_rules(table, ctx)
    issues.sort(key=lambda i: (i.row if i.row is not None else -1, i.severity != "error"))
    return Validation(table=table, issues=issues)


def load_context(
    session: Session,
    table: pd.DataFrame,
    today: date | None = None,
    *,
    readable: set[int] | None = None,
) -> RuleContext:
    """The settings and stored facts that the rules need for the rows of `table` (raw or typed).

    Only the organisations and references that `table` mentions are read, so validating one form
    stays fast with a million stored exchanges.

    `readable`: the partnerships whose records the person who will read the messages may see
    (`access.partnership_ids_readable`; None, the default, for all). The others' records are
    then neither named nor matched: a row of theirs is not taken for an update of their stored
    record, a visit of theirs reads "another partnership's exchange", and the profile of an
    organisation that takes part in none of the readable partnerships' exchanges is not told.
    """
    programme = session.get(Programme, 1) or Programme()
    partnerships = {
        p.acronym.casefold(): PartnershipTerms(p.id or 0, p.acronym, p.full_rate_cents)
        for p in session.exec(select(Partnership)).all()
    }
    by_id = {terms.id: terms for terms in partnerships.values()}
    for rate in session.exec(select(HostCountryRate)).all():
        by_id[rate.partnership_id].host_rates[rate.country] = rate.rate_cents
    eligible = [(c.code, c.valid_from, c.valid_to) for c in session.exec(select(EligibleCountry))]
    ctx = RuleContext(
        today=today or date.today(),
        partnerships=partnerships,
        eligible=eligible,
        virtual_window=(programme.virtual_window_start, programme.virtual_window_end),
        visitor_types=frozenset(programme.visitor_types),
        host_types=frozenset(programme.host_types),
    )
    # Only partnerships, references and organisation names are needed here: read them as
    # text, without parsing the whole table a second time.
    parsed = pd.DataFrame(index=table.index)
    for name in ("partnership", "reference", "visitor_organisation", "host_organisation"):
        parsed[name] = as_text(table[name]) if name in table.columns else pd.NA
    connection = session.connection()
    _load_existing_ids(connection, ctx, parsed, readable)
    _load_organisations(connection, ctx, parsed, readable)
    return ctx


def _load_existing_ids(
    connection: sa.Connection,
    ctx: RuleContext,
    parsed: pd.DataFrame,
    readable: set[int] | None,
) -> None:
    """The stored records under the (partnership, reference) keys the table names (of the
    readable partnerships)."""
    keyed = parsed[["partnership", "reference"]].dropna()
    codes, acronyms = pd.factorize(casefolded(keyed["partnership"]))
    references = keyed["reference"].to_numpy(dtype=object)
    for code, key in enumerate(np.asarray(acronyms, dtype=object).tolist()):
        terms = ctx.partnerships.get(key)
        if terms is None or (readable is not None and terms.id not in readable):
            continue
        rows = keyed_rows(
            connection,
            "SELECT reference, id FROM exchange",
            "reference",
            references[codes == code].tolist(),
            where=f"partnership_id = {int(terms.id)}",
        )
        ctx.existing_ids.update(((terms.id, ref), xid) for ref, xid in rows)


def _load_organisations(
    connection: sa.Connection,
    ctx: RuleContext,
    parsed: pd.DataFrame,
    readable: set[int] | None,
) -> None:
    """The stored organisations the table names (any country), and their physical visits."""
    names = parsed["visitor_organisation"], parsed["host_organisation"]
    keys = distinct_name_keys(*names).to_pylist()
    orgs = keyed_rows(
        connection,
        "SELECT id, name_key, country, type, is_sme FROM organisation",
        "name_key",
        keys,
    )
    by_id: dict[int, str] = {}
    for org_id, name_key, country, kind, sme in orgs:
        key = f"{name_key}|{country}"
        by_id[org_id] = key
        ctx.org_ids[key] = org_id
        ctx.profiles[key] = (kind, bool(sme))
    acronyms = {t.id: t.acronym for t in ctx.partnerships.values()}
    visits = keyed_rows(
        connection,
        "SELECT id, visitor_org_id, partnership_id, reference FROM exchange",
        "visitor_org_id",
        by_id,
        where="modality = 'physical' AND status != 'cancelled'",
    )
    for xid, org_id, partnership_id, ref in visits:
        if readable is None or partnership_id in readable:
            name = f"exchange {acronyms.get(partnership_id, '?')}/{ref}"
        else:
            name = "another partnership's exchange"
        ctx.visits.setdefault(by_id[org_id], []).append((xid, name))
    if readable is not None and by_id:
        seen = _organisations_in(connection, list(by_id), readable)
        ctx.hidden_profiles = frozenset(key for i, key in by_id.items() if i not in seen)


def _organisations_in(
    connection: sa.Connection, org_ids: list[int], partnership_ids: set[int]
) -> set[int]:
    """Which of `org_ids` take part, on either side, in an exchange of `partnership_ids`."""
    if not partnership_ids:
        return set()
    where = f"partnership_id IN ({', '.join(str(int(p)) for p in sorted(partnership_ids))})"
    seen: set[int] = set()
    for side in ("visitor_org_id", "host_org_id"):
        select = f"SELECT {side} FROM exchange"  # noqa: S608 (our own names)
        rows = keyed_rows(connection, select, side, org_ids, where=where)
        seen.update(int(row[0]) for row in rows)
    return seen


def field_message_map(issues: Iterable[Issue]) -> dict[str, list[Issue]]:
    """Issues grouped by field, for a form that shows each message beside its widget."""
    grouped: dict[str, list[Issue]] = {}
    for issue in issues:
        grouped.setdefault(issue.field, []).append(issue)
    return grouped


__all__ = [
    "Issue",
    "RULES",
    "RuleContext",
    "Validation",
    "derived_facts",
    "field_label",
    "load_context",
    "validate",
]
