"""What the register stores beside the logged values, derived from a parsed table and its
`RuleContext`: ids, organisation keys, working days, the lump sum the rule pays, the quarter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from xchange.register.context import RuleContext, casefolded
from xchange.register.orgkeys import org_keys
from xchange.register.parsing import by_distinct

# The scheme's cap for one lump sum (EUR 1,100), in cents.
MAX_LUMP_SUM_CENTS = 110_000
MIN_WORKING_DAYS = 3
FULL_RATE_MIN_WORKING_DAYS = 5
FULL_RATE_MIN_DISTANCE_KM = 200.0
# No two places on Earth lie further apart (half the equator): a longer distance is a typo.
MAX_DISTANCE_KM = 20_038.0


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


def _ids(column: pd.Series, ids: Mapping[str, int]) -> pd.Series:
    """`ids`' value for each cell as Int64 (missing: NA), looked up once per distinct value."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    found = [ids.get(u) for u in np.asarray(uniques, dtype=object).tolist()] + [None]
    values = np.array([0 if i is None else i for i in found], dtype=np.int64)[codes]
    missing = np.array([i is None for i in found], dtype=bool)[codes]
    return pd.Series(pd.arrays.IntegerArray(values, missing), index=column.index)


def map_distinct(
    column: pd.Series, mapping: Mapping[Any, tuple[Any, ...]], width: int
) -> tuple[pd.Series, ...]:
    """`mapping`'s tuple for each cell (missing: None), then each of the tuple's `width` parts
    (missing: None): every distinct value looked up once, for all the columns."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    found = [mapping.get(u) for u in np.asarray(uniques, dtype=object).tolist()]  # not per cell
    parts = [found, *([None if f is None else f[i] for f in found] for i in range(width))]
    # (The None appended for blank cells, code -1, also keeps a tuple one object of the array.)
    return tuple(
        pd.Series(np.array([*values, None], dtype=object)[codes], index=column.index, dtype=object)
        for values in parts
    )


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


__all__ = [
    "FULL_RATE_MIN_DISTANCE_KM",
    "FULL_RATE_MIN_WORKING_DAYS",
    "MAX_DISTANCE_KM",
    "MAX_LUMP_SUM_CENTS",
    "MIN_WORKING_DAYS",
    "derived_facts",
    "map_distinct",
    "month_limit",
    "working_days",
]
