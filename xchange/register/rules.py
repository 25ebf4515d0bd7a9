"""The scheme's rules for exchanges: every error and warning of DOMAIN.md, each with a stable code.

Each rule is written once, over a whole table (pandas, vectorised), and serves one record (a form
is a table of one row) as well as an import of 100,000 rows. `validate` runs the pipeline:

    raw cells --parsing.parse_table--> typed columns --RULES--> issues
                                                   \\--derived_facts--> what the register stores

Rules that need the database (known partnerships, an organisation's earlier visit) read it through
a `RuleContext` that `load_context` fills with just the rows the table mentions
(`register.context`); what the register stores beside the logged values comes from
`register.facts`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from xchange import reference
from xchange.register.context import PartnershipTerms, RuleContext, casefolded, load_context
from xchange.register.facts import (
    FULL_RATE_MIN_DISTANCE_KM,
    FULL_RATE_MIN_WORKING_DAYS,
    MAX_DISTANCE_KM,
    MAX_LUMP_SUM_CENTS,
    MIN_WORKING_DAYS,
    derived_facts,
    map_distinct,
    month_limit,
    working_days,
)
from xchange.register.parsing import Issue, Severity, parse_table

# What a message shows of a stored profile the reader may not see.
HIDDEN = "hidden"


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


def _action_bounds(t: pd.DataFrame, ctx: RuleContext) -> tuple[pd.Series, pd.Series]:
    """Each row's partnership's first and last allowed day (NaT where unknown or unset)."""
    tolerance = pd.Timedelta(days=ctx.action_tolerance_days)
    action = {
        terms.id: (terms.action_start, terms.action_end) for terms in ctx.partnerships.values()
    }
    _, starts, ends = map_distinct(t["partnership_id"], action, 2)
    first = pd.to_datetime(starts, errors="coerce")
    last = pd.to_datetime(ends, errors="coerce") + tolerance
    return first, last


@rule(
    "before_action_start",
    "error",
    "start_date",
    lambda r: (
        f"Start date {_d(r['start_date'])} is before {r['partnership']}'s action starts: an "
        "exchange takes place within its partnership's action"
    ),
)
def _before_action_start(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    first, _ = _action_bounds(t, ctx)
    return (t["start_date"] < first).fillna(False)


@rule(
    "after_action_end",
    "error",
    "end_date",
    lambda r: (
        f"End date {_d(r['end_date'])} is after {r['partnership']}'s action ends (with the "
        "programme's tolerance): an exchange takes place within its partnership's action"
    ),
)
def _after_action_end(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    _, last = _action_bounds(t, ctx)
    return (t["end_date"] > last).fillna(False)


def _profile_differs(side: str) -> Check:
    def check(t: pd.DataFrame, ctx: RuleContext) -> pd.Series:
        if not ctx.profiles:  # no stored organisation among the table's: nothing to compare
            t[f"_{side}_profile"] = pd.Series(np.full(len(t), None), index=t.index, dtype=object)
            return pd.Series(False, index=t.index)
        keys = t[f"{side}_key"]
        stored, stored_type, stored_sme = map_distinct(keys, ctx.profiles, 2)
        known = stored.notna()
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


__all__ = [  # the facts and the context too, as the callers have always imported them
    "FULL_RATE_MIN_DISTANCE_KM",
    "FULL_RATE_MIN_WORKING_DAYS",
    "MAX_LUMP_SUM_CENTS",
    "RULES",
    "PartnershipTerms",
    "Rule",
    "RuleContext",
    "Validation",
    "check",
    "check_rules",
    "derived_facts",
    "load_context",
    "parse",
    "validate",
    "working_days",
]
