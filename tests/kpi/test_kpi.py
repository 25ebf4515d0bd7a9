"""How the KPIs count (DOMAIN.md), table-tested on SQLite and PostgreSQL, plus a few properties.

Every exchange goes in through `service.create_exchange`, as the local administrator, so the
stored derived facts (involves an SME, each side external or partner, quarter of the end date)
are the ones the real write path computes. Stays run Monday to Friday (5 working days), each
with a visitor organisation of its own: an organisation visits only once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests import factories
from tests.factories import clear_register, set_programme, stay
from xchange.db.engine import read_session, write_session
from xchange.kpi import sums as kpi
from xchange.kpi.sums import Filters, Headline
from xchange.models import Partnership
from xchange.programme.partnerships import find_partnership
from xchange.register.service import ExchangeIn, create_exchange

TODAY = date(2026, 11, 25)  # the rules' "today": completed stays must have ended by then
MONDAY = date(2026, 3, 2)
FUTURE = {"start_date": date(2027, 1, 11), "end_date": date(2027, 1, 15)}  # not ended yet
# Starts in 2026Q1 and ends in 2026Q2: it belongs to the quarter of its end date.
ACROSS_QUARTERS = {"start_date": date(2026, 3, 30), "end_date": date(2026, 4, 3)}
SME_VISITOR = {"visitor_is_sme": True, "visitor_type": "SME"}
SME_HOST = {"host_is_sme": True, "host_type": "SME", "host_organisation": "Host SME"}
MEMBER_TO_MEMBER = {"visitor_community": "member", "host_community": "member"}
NARROW = {"beyond_reading": "narrow"}

BASE: dict[str, Any] = {
    "partnership": "GTEX",
    "status": "completed",
    "modality": "physical",
    **stay(MONDAY),
    "visitor_type": "cluster organisation",
    "visitor_country": "DE",
    "visitor_is_sme": False,
    "visitor_community": "partner",
    "host_organisation": "Host Cluster",
    "host_type": "cluster organisation",
    "host_country": "FR",
    "host_is_sme": False,
    "host_community": "partner",
}


def ensure_partnership(session: Session, acronym: str, **overrides: Any) -> Partnership:
    """The partnership `acronym`, added (target 100 unless given) if it is not there yet."""
    found = find_partnership(session, acronym)
    if found is not None:
        return found
    target = overrides.pop("target_exchanges", 100)
    partnership = factories.partnership(session, acronym, target=target)
    for name, value in overrides.items():  # targets the CLI does not set (sme_share_target...)
        setattr(partnership, name, value)
    session.add(partnership)
    session.flush()
    return partnership


def log(engine: Engine, specs: Sequence[dict[str, Any]]) -> None:
    """Create one exchange per spec (overrides of BASE) through the service, in one transaction."""
    with write_session(engine) as session:
        actor = factories.admin(session)
        for acronym in sorted({spec.get("partnership", BASE["partnership"]) for spec in specs}):
            ensure_partnership(session, acronym)
        for n, spec in enumerate(specs, start=1):
            values = {
                **BASE,
                "reference": f"X-{n:03}",
                "visitor_organisation": f"Visitor {n:03}",
                **spec,
            }
            if values["status"] == "cancelled":
                values.setdefault("cancellation_reason", "The visitor could not travel")
            create_exchange(session=session, actor=actor, data=ExchangeIn(**values), today=TODAY)


def headline(
    engine: Engine,
    as_of: date = TODAY,
    *,
    acronym: str | None = None,
    filters: Filters | None = None,
) -> Headline:
    with read_session(engine) as session:
        partnership = find_partnership(session, acronym) if acronym else None
        return kpi.headline(
            session, as_of=as_of, partnership=partnership, filters=filters or Filters()
        )


# --- the headline counting rules -------------------------------------------------------------

CASES = [
    # The plain case: a completed physical stay that ended before the as-of date counts.
    pytest.param(
        [{}],
        {},
        TODAY,
        Filters(),
        {"counted": 1, "progress": 0.001, "pipeline": 0, "cancelled": 0, "virtual": 0},
        id="completed-physical-counted",
    ),
    # Planned and confirmed stays are the pipeline: shown beside `counted`, never inside it.
    pytest.param(
        [{"status": "planned", **FUTURE}, {"status": "confirmed", **FUTURE}],
        {},
        TODAY,
        Filters(),
        {"counted": 0, "pipeline": 2, "cancelled": 0},
        id="planned-confirmed-in-pipeline",
    ),
    # A planned stay whose dates have passed (a warning, not an error) is still not counted.
    pytest.param(
        [{"status": "planned"}],
        {},
        TODAY,
        Filters(),
        {"counted": 0, "pipeline": 1},
        id="planned-dates-passed-still-pipeline",
    ),
    # Cancelled stays are attrition: counted apart, never counted, however long ago they ended.
    pytest.param(
        [{"status": "cancelled"}],
        {},
        TODAY,
        Filters(),
        {"counted": 0, "cancelled": 1, "pipeline": 0, "virtual": 0},
        id="cancelled-apart-never-counted",
    ),
    # A completed virtual stay is counted apart by default...
    pytest.param(
        [{"modality": "virtual"}],
        {},
        TODAY,
        Filters(),
        {"counted": 0, "virtual": 1},
        id="virtual-counted-apart",
    ),
    # ...and inside `counted` (so no longer beside it) when the programme counts virtual stays.
    pytest.param(
        [{"modality": "virtual"}, {}],
        {"count_virtual": True},
        TODAY,
        Filters(),
        {
            "counted": 2,
            "virtual": 0,
            "definitions": {"beyond_reading": "broad", "count_virtual": True},
        },
        id="virtual-counted-when-programme-says-so",
    ),
    # Virtual stays follow the as-of date too: not ended by then, not shown.
    pytest.param(
        [{"modality": "virtual"}],
        {},
        MONDAY,
        Filters(),
        {"counted": 0, "virtual": 0},
        id="virtual-not-ended-by-as-of",
    ),
    # As-of boundary: the end date itself is inclusive...
    pytest.param(
        [{}],
        {},
        MONDAY + timedelta(days=4),
        Filters(),
        {"counted": 1},
        id="as-of-on-the-end-date-counts",
    ),
    # ...the day before, the stay has not ended: not counted (and not in the pipeline either,
    # since it is completed today: pipeline and cancelled are today's figures).
    pytest.param(
        [{}],
        {},
        MONDAY + timedelta(days=3),
        Filters(),
        {"counted": 0, "pipeline": 0, "sme_share": None},
        id="as-of-the-day-before-not-counted",
    ),
    # A stay across a quarter boundary belongs to the quarter of its end date...
    pytest.param(
        [ACROSS_QUARTERS],
        {},
        TODAY,
        Filters(quarters=("2026Q2",)),
        {"counted": 1},
        id="quarter-of-the-end-date",
    ),
    # ...not to the quarter it started in...
    pytest.param(
        [ACROSS_QUARTERS],
        {},
        TODAY,
        Filters(quarters=("2026Q1",)),
        {"counted": 0},
        id="not-the-quarter-it-started-in",
    ),
    # ...and as of the close of that first quarter it has not ended, so it does not count.
    pytest.param(
        [ACROSS_QUARTERS],
        {},
        date(2026, 3, 31),
        Filters(),
        {"counted": 0},
        id="end-in-next-quarter-not-counted-at-quarter-close",
    ),
    # Nothing at all: shares are "no data" (None), not 0 %; progress is a plain 0.
    pytest.param(
        [],
        {},
        TODAY,
        Filters(),
        {"counted": 0, "progress": 0.0, "sme_share": None, "beyond_share": None},
        id="empty-register-no-shares",
    ),
    # Only uncounted stays (an SME and an external one among them): still no shares.
    pytest.param(
        [
            {"status": "planned", **FUTURE, **SME_VISITOR},
            {"status": "cancelled", "host_community": "external"},
        ],
        {},
        TODAY,
        Filters(),
        {
            "counted": 0,
            "involving_sme": 0,
            "beyond_community": 0,
            "sme_share": None,
            "beyond_share": None,
            "progress": 0.0,
        },
        id="nothing-counted-no-shares",
    ),
    # Both sides SME: the exchange involves an SME once, not twice.
    pytest.param(
        [{**SME_VISITOR, **SME_HOST}],
        {},
        TODAY,
        Filters(),
        {"counted": 1, "involving_sme": 1, "sme_share": 1.0},
        id="both-sides-sme-counts-once",
    ),
    # Shares are ratios over counted stays: 1 SME stay of 4, the pipeline's SME stay left out.
    pytest.param(
        [SME_VISITOR, SME_HOST, {}, {}, {}, {"status": "confirmed", **FUTURE, **SME_VISITOR}],
        {},
        TODAY,
        Filters(),
        {"counted": 5, "involving_sme": 2, "sme_share": 0.4, "pipeline": 1},
        id="sme-share-over-counted-only",
    ),
    # Broad reading (the default): an external host takes the stay beyond the community.
    pytest.param(
        [{"host_community": "external"}, {}],
        {},
        TODAY,
        Filters(),
        {"beyond_community": 1, "beyond_share": 0.5},
        id="broad-external-host-beyond",
    ),
    # Broad reading: member to member stays inside the community.
    pytest.param(
        [MEMBER_TO_MEMBER],
        {},
        TODAY,
        Filters(),
        {"beyond_community": 0, "beyond_share": 0.0},
        id="broad-member-to-member-not-beyond",
    ),
    # Narrow reading: anything but a partner is beyond, so member to member counts...
    pytest.param(
        [MEMBER_TO_MEMBER],
        NARROW,
        TODAY,
        Filters(),
        {
            "beyond_community": 1,
            "beyond_share": 1.0,
            "definitions": {"beyond_reading": "narrow", "count_virtual": False},
        },
        id="narrow-member-to-member-beyond",
    ),
    # ...and so does a partner visiting a member: one side not a partner is enough.
    pytest.param(
        [{"host_community": "member"}],
        NARROW,
        TODAY,
        Filters(),
        {"beyond_community": 1},
        id="narrow-partner-to-member-beyond",
    ),
    # Partner to partner is never beyond, in the narrow reading...
    pytest.param(
        [{}],
        NARROW,
        TODAY,
        Filters(),
        {"counted": 1, "beyond_community": 0, "beyond_share": 0.0},
        id="narrow-partner-to-partner-never",
    ),
    # ...nor in the broad one.
    pytest.param(
        [{}],
        {},
        TODAY,
        Filters(),
        {"counted": 1, "beyond_community": 0, "beyond_share": 0.0},
        id="broad-partner-to-partner-never",
    ),
]


@pytest.mark.parametrize(("specs", "programme", "as_of", "filters", "expected"), CASES)
def test_headline_counting_rules(
    engine: Engine,
    specs: list[dict[str, Any]],
    programme: dict[str, Any],
    as_of: date,
    filters: Filters,
    expected: dict[str, Any],
) -> None:
    if programme:
        set_programme(engine, **programme)
    log(engine, specs)
    figures = headline(engine, as_of, filters=filters).as_dict()
    # Each share is one correctly rounded division, so it equals its literal exactly.
    assert {name: figures[name] for name in expected} == expected
    assert figures["as_of"] == as_of.isoformat()
    assert figures["scope"] == "programme"


def test_partnership_scope_and_targets(engine: Engine) -> None:
    """Each partnership's own figures and target; share targets default to the programme's."""
    with write_session(engine) as session:
        ensure_partnership(session, "GTEX")  # no share targets of its own
        ensure_partnership(session, "AGRI", target_exchanges=40, sme_share_target=0.6)
    set_programme(engine, target_exchanges=2000)
    log(
        engine,
        [
            {"partnership": "GTEX", **SME_VISITOR},
            {"partnership": "AGRI", "host_community": "external"},
            {"partnership": "AGRI"},
            {"partnership": "AGRI"},
            {"partnership": "AGRI", "status": "planned", **FUTURE},
        ],
    )

    gtex = headline(engine, acronym="GTEX").as_dict()
    assert gtex["scope"] == "GTEX"
    assert (gtex["counted"], gtex["target"], gtex["pipeline"]) == (1, 100, 0)
    assert gtex["progress"] == pytest.approx(0.01)
    assert (gtex["sme_target"], gtex["beyond_target"]) == (0.5, 0.25)  # the programme's
    assert (gtex["sme_share"], gtex["beyond_share"]) == (1.0, 0.0)

    agri = headline(engine, acronym="AGRI").as_dict()
    assert agri["scope"] == "AGRI"
    assert (agri["counted"], agri["target"], agri["pipeline"]) == (3, 40, 1)
    assert agri["progress"] == pytest.approx(0.075)
    assert (agri["sme_target"], agri["beyond_target"]) == (0.6, 0.25)  # own, then programme's
    assert agri["sme_share"] == 0.0
    assert agri["beyond_share"] == pytest.approx(1 / 3)

    everything = headline(engine).as_dict()
    assert everything["scope"] == "programme"
    assert (everything["counted"], everything["target"], everything["pipeline"]) == (4, 2000, 1)
    assert everything["progress"] == pytest.approx(0.002)
    # Ratios of sums (1 of 4), not the mean of the partnerships' shares ((1.0 + 0.0) / 2).
    assert everything["sme_share"] == pytest.approx(0.25)
    assert everything["beyond_share"] == pytest.approx(0.25)


def test_headline_on_a_connection_reads_the_programme_settings(engine: Engine) -> None:
    """A Connection (no ORM session) gets the same readings and targets as a Session."""
    set_programme(engine, beyond_reading="narrow", count_virtual=True, target_exchanges=2000)
    log(engine, [MEMBER_TO_MEMBER, {"modality": "virtual"}])
    with engine.connect() as connection:
        result = kpi.headline(connection, as_of=TODAY)
    assert result.as_dict() == headline(engine).as_dict()
    assert (result.counted, result.virtual, result.beyond_community) == (2, 0, 1)
    assert (result.target, result.definitions.beyond_reading) == (2000, "narrow")


# --- properties ------------------------------------------------------------------------------

PARTNERSHIPS = ("ALPHA", "BETA", "GAMMA")
FIGURES = ("counted", "involving_sme", "beyond_community", "pipeline", "cancelled", "virtual")

one_exchange = st.fixed_dictionaries(
    {
        "partnership": st.sampled_from(PARTNERSHIPS),
        "status": st.sampled_from(("planned", "confirmed", "completed", "cancelled")),
        "modality": st.sampled_from(("physical", "physical", "virtual")),
        "visitor_is_sme": st.booleans(),
        "host_is_sme": st.booleans(),
        "visitor_community": st.sampled_from(("partner", "member", "external")),
        "host_community": st.sampled_from(("partner", "member", "external")),
        # Monday of a week from 5 January 2026 to 16 November 2026 (ended before TODAY).
        "week": st.integers(min_value=0, max_value=45),
    }
)
registers = st.lists(one_exchange, max_size=4)
readings = factories.readings
as_of_dates = st.dates(min_value=date(2025, 12, 1), max_value=date(2026, 12, 31))

# Each example reuses the test's database, emptied first: a fresh database per example would
# cost a migration each time.
property_settings = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def fresh_register(
    engine: Engine, exchanges: list[dict[str, Any]], reading: dict[str, Any]
) -> None:
    """Empty the register, set the programme's readings, then log `exchanges`."""
    with write_session(engine) as session:
        clear_register(session)
        for acronym in PARTNERSHIPS:
            ensure_partnership(session, acronym)
    set_programme(engine, **reading)
    specs = []
    for drawn in exchanges:
        spec = {name: value for name, value in drawn.items() if name != "week"}
        spec.update(stay(date(2026, 1, 5) + timedelta(weeks=drawn["week"])))
        if spec["visitor_is_sme"]:
            spec["visitor_type"] = "SME"
        specs.append(spec)
    log(engine, specs)


@property_settings
@given(exchanges=registers, reading=readings, as_of=as_of_dates)
def test_partnership_figures_sum_to_the_programme_figure(
    sqlite_engine: Engine, exchanges: list[dict[str, Any]], reading: dict[str, Any], as_of: date
) -> None:
    fresh_register(sqlite_engine, exchanges, reading)
    programme = asdict(headline(sqlite_engine, as_of))
    parts = [asdict(headline(sqlite_engine, as_of, acronym=a)) for a in PARTNERSHIPS]
    assert {name: sum(part[name] for part in parts) for name in FIGURES} == {
        name: programme[name] for name in FIGURES
    }


@property_settings
@given(exchanges=registers, reading=readings, as_of=as_of_dates)
def test_shares_stay_between_zero_and_one(
    sqlite_engine: Engine, exchanges: list[dict[str, Any]], reading: dict[str, Any], as_of: date
) -> None:
    fresh_register(sqlite_engine, exchanges, reading)
    for acronym in (None, *PARTNERSHIPS):
        result = headline(sqlite_engine, as_of, acronym=acronym)
        for value in (result.sme_share, result.beyond_share):
            if result.counted == 0:
                assert value is None
            else:
                assert value is not None and 0.0 <= value <= 1.0
        assert result.progress is not None and result.progress >= 0.0


@property_settings
@given(
    exchanges=registers,
    reading=readings,
    earlier=as_of_dates,
    days_later=st.integers(min_value=0, max_value=400),
)
def test_counted_later_is_never_smaller(
    sqlite_engine: Engine,
    exchanges: list[dict[str, Any]],
    reading: dict[str, Any],
    earlier: date,
    days_later: int,
) -> None:
    fresh_register(sqlite_engine, exchanges, reading)
    before = headline(sqlite_engine, earlier)
    after = headline(sqlite_engine, earlier + timedelta(days=days_later))
    for name in ("counted", "involving_sme", "beyond_community", "virtual"):
        assert getattr(after, name) >= getattr(before, name), name
    # Today's figures do not move with the as-of date.
    assert (after.pipeline, after.cancelled) == (before.pipeline, before.cancelled)
