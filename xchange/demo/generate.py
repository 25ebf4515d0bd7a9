"""The demo data generator: a seed and a date in, a whole register's worth of arrays out.

Everything is drawn with one `numpy.random.default_rng(seed)`, in a fixed order, over whole
columns at once, so a million exchanges take seconds and the same (count, seed, today) always
gives the same data. Nothing here touches a database: `xchange.demo.load` writes what this returns,
and `demo_frame` turns it into the canonical import columns.

The story, relative to `today` (see demo_words.PARTNERSHIPS): twelve partnerships at different
stages of their 20-24 month actions, exchanges over the last eight quarters with a short pipeline
of planned and confirmed stays ahead; one partnership slow, one short of SMEs, one recruiting
mostly inside its own community.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from dateutil.relativedelta import relativedelta

from xchange.demo import words
from xchange.demo.orgs import (
    ECOSYSTEM_CODES,
    Array,
    Organisations,
    hosts,
    only_where,
    person_names,
    pick_each,
    rebook,
    visitors,
)
from xchange.models import Activity, Status

HORIZON_DAYS = 100  # how far ahead planned and confirmed stays reach
FUTURE_SHARE = 0.12  # share of a running partnership's exchanges that still lie ahead
SETUP_DAYS = 30  # an action's first month goes on setting up: no stays yet
CANCELLED_SHARE = 0.05
VIRTUAL_SHARE = 0.012
REPRESENTATIVE_SHARE = 0.4  # exchanges whose traveller is recorded (optional personal data)
NO_DISTANCE_SHARE = 0.1
NOTE_SHARE = 0.03

# Working days of a stay (3-20: never fewer than the rule's minimum, always within a month).
_STAY_DAYS = np.arange(3, 21)
_STAY_WEIGHTS = np.array([7, 9, 30, 10, 8, 7, 6, 5, 3, 3, 2, 2, 2, 1.5, 1.5, 1, 1, 1])
STAY_PROBABILITIES = _STAY_WEIGHTS / _STAY_WEIGHTS.sum()

ACTIVITIES = np.array([a.value for a in Activity], dtype=object)
ACTIVITY_P = np.array([0.15, 0.3, 0.2, 0.1, 0.25])  # in Activity's order


@dataclass(frozen=True)
class DemoPartnership:
    """A demo partnership placed in time relative to `today`."""

    spec: words.PartnershipSpec
    action_start: date
    action_end: date

    @property
    def acronym(self) -> str:
        return self.spec.acronym


def demo_partnerships(today: date) -> list[DemoPartnership]:
    """The twelve partnerships, their actions starting on the first of a month before `today`'s."""
    month = today.replace(day=1)
    result = []
    for spec in words.PARTNERSHIPS:
        start = month - relativedelta(months=spec.offset_months)
        end = start + relativedelta(months=spec.duration_months) - timedelta(days=1)
        result.append(DemoPartnership(spec, start, end))
    return result


@dataclass
class DemoData:
    """A generated register. Exchanges, organisations and people are in id order (creation).

    Exchange columns refer to organisations and people by 0-based index; `representative` is
    -1 where none is recorded. Dates are `datetime64[D]` (NaT: none), moments `datetime64[s]` UTC.
    """

    partnerships: list[DemoPartnership]
    # exchanges
    partnership: Array  # index into partnerships
    reference: Array
    status: Array
    modality: Array
    start: Array
    end: Array
    visitor: Array
    host: Array
    visitor_community: Array
    host_community: Array
    ecosystem: Array  # ECOSYSTEMS code or None
    activity: Array  # Activity value or None
    representative: Array
    distance_km: Array  # NaN: unknown
    cancellation_reason: Array
    validated_on: Array
    validated_by: Array
    paid_on: Array
    notes: Array
    created: Array
    updated: Array
    # organisations
    org_name: Array
    org_key: Array  # reference.name_key of the name
    org_type: Array
    org_country: Array
    org_is_sme: Array
    org_size_class: Array
    org_created: Array
    # people
    person_name: Array
    person_created: Array

    @property
    def exchanges(self) -> int:
        return len(self.status)


def generate(n: int, seed: int, today: date) -> DemoData:
    """`n` exchanges (and their organisations and people) for `today`, drawn from `seed`."""
    rng = np.random.default_rng(seed)
    parts = demo_partnerships(today)
    counts = _allocate(n, parts, today)
    p = np.repeat(np.arange(len(parts)), counts)
    t = np.datetime64(today, "D")
    start, end = _stay_dates(rng, p, parts, t)
    created_day = _created_days(rng, p, parts, start, t)

    # Status: the dates decide what can be true, a few stragglers make the register lifelike.
    cancelled = rng.random(n) < CANCELLED_SHARE
    virtual = ~cancelled & (rng.random(n) < VIRTUAL_SHARE)
    lag = 4 + np.round(rng.gamma(2.0, 9.0, n)).astype("timedelta64[D]")
    validated = np.busday_offset(end + lag, 0, roll="forward")
    soon = (start - t) <= np.timedelta64(30, "D")
    confirm_draw = rng.random(n)
    straggler = rng.random(n)
    status = np.full(n, Status.CONFIRMED.value, dtype=object)
    future = start > t
    status[future & (confirm_draw >= np.where(soon, 0.75, 0.3))] = Status.PLANNED.value
    done = (end < t) & (validated < t)
    status[done] = Status.COMPLETED.value
    status[done & (straggler < 0.015)] = Status.PLANNED.value  # overdue: never confirmed
    status[done & (straggler > 0.99)] = Status.CONFIRMED.value  # ended, report still awaited
    status[cancelled] = Status.CANCELLED.value
    completed = status == Status.COMPLETED.value
    validated_on = np.where(completed, validated, np.datetime64("NaT"))
    pay_lag = 7 + np.round(rng.gamma(2.0, 8.0, n)).astype("timedelta64[D]")
    paid_day = np.busday_offset(validated + pay_lag, 0, roll="forward")
    paid = completed & ~virtual & (paid_day < t) & (rng.random(n) < 0.92)
    paid_on = np.where(paid, paid_day, np.datetime64("NaT"))
    cancel_day = created_day + (
        rng.random(n) * (np.minimum(start, t - 1) - created_day).astype(float)
    ).astype("timedelta64[D]")

    specs = [part.spec for part in parts]
    orgs = Organisations(rng, specs, counts)
    ecosystem = _ecosystems(rng, p, parts)
    v_comm, visitor = visitors(rng, p, specs, orgs, cancelled | virtual, ecosystem)
    orgs.finish()
    rebook(rng, p, start, cancelled & ~virtual, virtual, visitor, v_comm, orgs)
    h_comm, host = hosts(rng, p, specs, orgs, orgs.country[visitor])

    activity = ACTIVITIES[rng.choice(len(ACTIVITIES), n, p=ACTIVITY_P)]
    activity[rng.random(n) < 0.05] = None
    distance = np.round(orgs.distance(visitor, host), 1)
    distance[virtual | (rng.random(n) < NO_DISTANCE_SHARE)] = np.nan
    reasons = np.array(words.CANCELLATION_REASONS, dtype=object)
    reason = only_where(cancelled, reasons[rng.integers(0, len(reasons), n)])
    note_texts = np.array(words.NOTES, dtype=object)
    notes = only_where(rng.random(n) < NOTE_SHARE, note_texts[rng.integers(0, len(note_texts), n)])
    has_person = rng.random(n) < REPRESENTATIVE_SHARE
    person_draw = rng.integers(0, 6, (n, 2))

    # Moments: logged on a working day between 08:00 and 17:00 UTC; last touched when
    # validated, paid or cancelled.
    created = _moments(rng, created_day)
    touched = np.where(paid, paid_day, np.where(completed, validated, created_day))
    touched = np.where(cancelled, cancel_day, touched).astype("datetime64[D]")
    updated = np.maximum(_moments(rng, touched), created)

    # Ids follow creation: sort everything by the moment each exchange was logged.
    order = np.lexsort((np.arange(n), created))
    p, status, start, end = p[order], status[order], start[order], end[order]
    visitor, host, v_comm, h_comm = visitor[order], host[order], v_comm[order], h_comm[order]
    created, updated, has_person = created[order], updated[order], has_person[order]
    virtual = virtual[order]
    acronyms = np.array([part.acronym for part in parts], dtype=object)
    persons = np.cumsum(has_person) - 1
    org_order, org_created = orgs.creation_order(visitor, host, created)
    remap = np.empty(len(orgs.type), dtype=np.int64)
    remap[org_order] = np.arange(len(org_order))
    people_country = orgs.country[visitor[has_person]]
    org_name, org_key = orgs.names(org_order)
    return DemoData(
        partnerships=parts,
        partnership=p,
        reference=_references(p, created, acronyms),
        status=status,
        modality=np.where(virtual, "virtual", "physical").astype(object),
        start=start,
        end=end,
        visitor=remap[visitor],
        host=remap[host],
        visitor_community=v_comm,
        host_community=h_comm,
        ecosystem=ecosystem[order],
        activity=activity[order],
        representative=np.where(has_person, persons, -1),
        distance_km=distance[order],
        cancellation_reason=reason[order],
        validated_on=validated_on[order],
        validated_by=only_where(completed[order], acronyms[p] + " coordination office"),
        paid_on=paid_on[order],
        notes=notes[order],
        created=created,
        updated=updated,
        org_name=org_name,
        org_key=org_key,
        org_type=orgs.type[org_order],
        org_country=orgs.country[org_order],
        org_is_sme=orgs.is_sme[org_order],
        org_size_class=orgs.size_class[org_order],
        org_created=org_created,
        person_name=person_names(people_country, person_draw[order][has_person]),
        person_created=created[has_person],
    )


def _allocate(n: int, parts: list[DemoPartnership], today: date) -> Array:
    """Exchanges per partnership: target x pace x share of the action run by today (+ horizon).

    Largest remainders, ties to the earlier partnership: deterministic, and they sum to `n`.
    """
    weights = []
    for part in parts:
        first = part.action_start + timedelta(days=SETUP_DAYS)
        last = min(part.action_end, today + timedelta(days=HORIZON_DAYS))
        span = max((last - first).days, 0) / (part.action_end - part.action_start).days
        weights.append(part.spec.target * part.spec.pace * span)
    raw = n * np.array(weights) / sum(weights)
    counts = np.floor(raw).astype(np.int64)
    remainder = raw - counts
    extra = np.lexsort((np.arange(len(parts)), -remainder))[: n - int(counts.sum())]
    counts[extra] += 1
    return counts


def _per_partnership(parts: list[DemoPartnership], p: Array, value: str) -> Array:
    """A partnership attribute (`action_start`, `action_end`) as a day for each exchange."""
    days = np.array([np.datetime64(getattr(part, value), "D") for part in parts])
    return days[p]


def _stay_dates(
    rng: np.random.Generator, p: Array, parts: list[DemoPartnership], t: np.datetime64
) -> tuple[Array, Array]:
    """Start and end days: past stays ramp up over the action, a thinning pipeline lies ahead."""
    n = len(p)
    action_end = _per_partnership(parts, p, "action_end")
    first = _per_partnership(parts, p, "action_start") + np.timedelta64(SETUP_DAYS, "D")
    past_span = (np.minimum(t, action_end) - first).astype(float)
    ahead = np.clip((np.minimum(action_end, t + HORIZON_DAYS) - t).astype(float), 0, None)
    is_future = rng.random(n) < FUTURE_SHARE * ahead / HORIZON_DAYS
    u = rng.random(n)
    # Past: density rising through the action (slow start); future: thinning with distance.
    past = first + (past_span * u ** (1 / 1.4)).astype("timedelta64[D]")
    ahead_day = t + 1 + (ahead * (1 - np.sqrt(1 - u))).astype("timedelta64[D]")
    start = np.busday_offset(np.where(is_future, ahead_day, past), 0, roll="forward")
    stay = rng.choice(_STAY_DAYS, n, p=STAY_PROBABILITIES)
    end = np.busday_offset(start, stay - 1)
    # A stay ends within its action: slide late ones back so they finish on its last workday.
    late = end > action_end
    last_workday = np.busday_offset(action_end[late], 0, roll="backward")
    end[late] = last_workday
    start[late] = np.busday_offset(last_workday, -(stay[late] - 1))
    return start, end


def _created_days(
    rng: np.random.Generator,
    p: Array,
    parts: list[DemoPartnership],
    start: Array,
    t: np.datetime64,
) -> Array:
    """The working day each exchange was logged: weeks before its start, never after today."""
    n = len(p)
    lead = 10 + np.round(rng.gamma(2.0, 20.0, n)).astype("timedelta64[D]")
    recent = t - rng.integers(1, 10, n).astype("timedelta64[D]")
    opened = _per_partnership(parts, p, "action_start") + rng.integers(0, 20, n).astype(
        "timedelta64[D]"
    )
    day = np.maximum(np.minimum(start - lead, recent), opened)
    return np.minimum(np.busday_offset(day, 0, roll="backward"), start)


def _moments(rng: np.random.Generator, days: Array) -> Array:
    """A moment on each day between 08:00 and 17:00 UTC."""
    seconds = 8 * 3600 + rng.integers(0, 9 * 3600, len(days))
    return days.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def _ecosystems(rng: np.random.Generator, p: Array, parts: list[DemoPartnership]) -> Array:
    """Mostly the partnership's own ecosystems, some others, a few left blank."""
    n = len(p)
    own = pick_each(rng, [x.spec.ecosystems for x in parts], p)
    result = np.where(
        rng.random(n) < 0.75, own, ECOSYSTEM_CODES[rng.integers(0, len(ECOSYSTEM_CODES), n)]
    ).astype(object)
    result[rng.random(n) < 0.03] = None
    return result


def _references(p: Array, created: Array, acronyms: Array) -> Array:
    """`GTEX-2025-0042`: acronym, year logged, running number within the partnership."""
    n = len(p)
    running = np.zeros(n, dtype=np.int64)
    for k in np.unique(p):
        rows = np.flatnonzero(p == k)
        running[rows] = np.arange(1, len(rows) + 1)
    width = max(4, len(str(int(running.max())))) if n else 4
    years = created.astype("datetime64[Y]").astype(np.int64) + 1970
    numbers = pd.Series(running).astype(str).str.zfill(width).to_numpy(dtype=object)
    references: Array = acronyms[p] + "-" + years.astype(str).astype(object) + "-" + numbers
    return references
