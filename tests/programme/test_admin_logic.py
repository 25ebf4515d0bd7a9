"""Administration logic: partnerships, programme settings, eligible countries, organisation merges.

Every test runs on SQLite and on PostgreSQL (the `engine` fixture). Writes go through
`db.write_session`, as the pages do; a refused or invalid write must leave nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from tests import factories
from tests.factories import ident
from xchange.accounts import auth
from xchange.accounts.access import partnership_ids_writable
from xchange.db.engine import LOCAL_ADMIN_EMAIL, read_session, write_session
from xchange.errors import InvalidInput, NotFound, PermissionDenied, StaleRecord, ValidationFailed
from xchange.kpi import sums as kpi
from xchange.models import (
    AuditEvent,
    EligibleCountry,
    Exchange,
    HostCountryRate,
    Organisation,
    Partnership,
    PathMilestone,
    Programme,
    ReportingPeriod,
    Role,
    User,
)
from xchange.programme import settings
from xchange.programme.partnerships import (
    InvalidPartnership,
    add_partnership_with_coordinator,
    host_rates,
    partnership_table,
    path_milestones,
    reporting_periods,
    set_host_rates,
    set_milestones,
    set_reporting_periods,
    update_partnership,
)
from xchange.programme.row import read_programme
from xchange.programme.settings import Eligibility
from xchange.register import organisations, service
from xchange.register.service import ExchangeIn

TODAY = date(2025, 6, 30)
START, END = date(2024, 9, 1), date(2026, 8, 31)


pytestmark = pytest.mark.usefixtures("cheap_hashing")


@dataclass(frozen=True)
class World:
    """Partnerships ALPHA and BETA and one user per kind of actor (detached, as a page holds)."""

    alpha: int
    beta: int
    users: dict[str, User]


# name -> (email, role, active, partnership coordinated)
ACTORS: factories.Actors = {
    "coordinator": ("coord-alpha@x.eu", Role.COORDINATOR, True, "ALPHA"),
    "officer": ("officer@eismea.eu", Role.OFFICER, True, None),
    "deactivated admin": ("gone@x.eu", Role.ADMIN, False, None),
}


@pytest.fixture
def world(engine: Engine) -> World:
    with write_session(engine) as session:
        ids, users = factories.cast(session, ACTORS, START, END)
    return World(alpha=ids["ALPHA"], beta=ids["BETA"], users=users)


def events(engine: Engine, **where: Any) -> list[AuditEvent]:
    """Audit rows (oldest first), filtered by column values."""
    with read_session(engine) as session:
        query = select(AuditEvent).order_by(col(AuditEvent.id))
        for name, value in where.items():
            query = query.where(sa.column(name) == value)
        return list(session.exec(query).all())


def count(engine: Engine, model: type) -> int:
    with read_session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def partnership(engine: Engine, partnership_id: int) -> Partnership:
    with read_session(engine) as session:
        found = session.get(Partnership, partnership_id)
        assert found is not None
        session.expunge(found)
        return found


def programme_version(engine: Engine) -> int:
    with read_session(engine) as session:
        row = session.get(Programme, 1)
        assert row is not None
        return row.version


def terms(**changes: Any) -> dict[str, Any]:
    """ALPHA's terms as created, changed by `changes`: the keyword arguments of an update."""
    return {
        "name": "ALPHA cluster partnership",
        "action_start": START,
        "action_end": END,
        "target_exchanges": 100,
        "sme_share_target": None,
        "beyond_share_target": None,
        "full_rate_eur": 1100.0,
        **changes,
    }


# --- permissions: every write refuses non-admins, before writing anything ----------------------

Write = Callable[[Session, User, World], object]

WRITES: dict[str, Write] = {
    "add_partnership_with_coordinator": lambda s, u, w: add_partnership_with_coordinator(
        session=s,
        actor=u,
        acronym="GAMMA",
        name="Gamma",
        action_start=START,
        action_end=END,
        coordinator_email="new@x.eu",
        coordinator_password="a long password 1",
    ),
    "update_partnership": lambda s, u, w: update_partnership(
        session=s,
        actor=u,
        partnership_id=w.alpha,
        expected_version=1,
        **terms(target_exchanges=200),
    ),
    "set_host_rates": lambda s, u, w: set_host_rates(
        session=s, actor=u, partnership_id=w.alpha, expected_version=1, rates={"FR": 900}
    ),
    "set_reporting_periods": lambda s, u, w: set_reporting_periods(
        session=s,
        actor=u,
        partnership_id=w.alpha,
        expected_version=1,
        periods=[("final", END)],
    ),
    "set_milestones": lambda s, u, w: set_milestones(
        session=s,
        actor=u,
        partnership_id=w.alpha,
        expected_version=1,
        milestones=[(date(2025, 8, 31), 40)],
    ),
    "update_programme": lambda s, u, w: settings.update_programme(
        session=s,
        actor=u,
        expected_version=1,
        settings=replace(settings.read_settings(s), target_exchanges=2000),
    ),
    "set_eligible_countries": lambda s, u, w: settings.set_eligible_countries(
        session=s, actor=u, expected_version=1, countries=[Eligibility("FR")]
    ),
    "merge_organisations": lambda s, u, w: organisations.merge_organisations(
        session=s, actor=u, keep_id=1, merge_id=2
    ),
}


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("write", list(WRITES))
def test_only_active_admins_may_administer(
    engine: Engine, world: World, write: str, actor: str
) -> None:
    audit_before = len(events(engine))
    with pytest.raises(PermissionDenied) as refused, write_session(engine) as session:
        WRITES[write](session, world.users[actor], world)
    email = ACTORS[actor][0]
    assert str(refused.value).startswith(f"{email} may not {write.replace('_', ' ')}")
    # Nothing written but the refusal itself, which records the attempt.
    after = events(engine)
    assert len(after) == audit_before + 1
    assert after[-1].action == "refused"
    assert after[-1].changes == {"attempted": write}
    assert partnership(engine, world.alpha).version == 1
    assert programme_version(engine) == 1
    assert count(engine, Partnership) == 2


# --- partnerships ------------------------------------------------------------------------------


def test_update_partnership_changes_terms_and_audits_old_to_new(
    engine: Engine, world: World
) -> None:
    with write_session(engine) as session:
        updated = update_partnership(
            session=session,
            actor=world.users["admin"],
            partnership_id=world.alpha,
            expected_version=1,
            **terms(
                name="  Alpha Textiles  ",
                target_exchanges=120,
                sme_share_target=0.6,
                full_rate_eur=1000.0,
            ),
        )
        assert updated.version == 2
    stored = partnership(engine, world.alpha)
    assert (stored.name, stored.target_exchanges, stored.version) == ("Alpha Textiles", 120, 2)
    assert (stored.sme_share_target, stored.beyond_share_target) == (0.6, None)
    assert stored.full_rate_cents == 100_000
    [event] = events(engine, entity="partnership", entity_id=world.alpha, action="update")
    assert event.actor_label == LOCAL_ADMIN_EMAIL
    assert event.changes == {
        "name": ["ALPHA cluster partnership", "Alpha Textiles"],
        "target_exchanges": [100, 120],
        "sme_share_target": [None, 0.6],
        "full_rate_cents": [110_000, 100_000],
        "version": [1, 2],
    }


def test_the_final_period_and_end_milestone_follow_a_new_action_end(
    engine: Engine, world: World
) -> None:
    admin = world.users["admin"]
    with write_session(engine) as session:
        set_milestones(
            session=session,
            actor=admin,
            partnership_id=world.alpha,
            expected_version=1,
            milestones=[(date(2025, 8, 31), 40), (END, 100)],
        )
    new_end = date(2026, 12, 31)
    with write_session(engine) as session:
        update_partnership(
            session=session,
            actor=admin,
            partnership_id=world.alpha,
            expected_version=2,
            **terms(action_end=new_end, target_exchanges=150),
        )
    with read_session(engine) as session:
        periods = [(p.label, p.ends_on) for p in reporting_periods(session, world.alpha)]
        marks = [(m.due_on, m.cumulative) for m in path_milestones(session, world.alpha)]
    # The interim (month 12) stays; the final follows the end; so does the end milestone, which
    # took the new target with it. The other milestone is the administrator's own: it stays.
    assert periods == [("interim", date(2025, 8, 31)), ("final", new_end)]
    assert marks == [(date(2025, 8, 31), 40), (new_end, 150)]
    event = events(engine, entity="partnership", entity_id=world.alpha, action="update")[-1]
    assert event.changes["reporting_periods"] == [
        [["interim", "2025-08-31"], ["final", "2026-08-31"]],
        [["interim", "2025-08-31"], ["final", "2026-12-31"]],
    ]
    assert event.changes["milestones"] == [
        [["2025-08-31", 40], ["2026-08-31", 100]],
        [["2025-08-31", 40], ["2026-12-31", 150]],
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "A partnership needs a name"),
        ({"action_end": START}, "The action ends (2024-09-01) before it starts (2024-09-01)"),
        ({"target_exchanges": 0}, "Target 0 must be a positive number of exchanges"),
        ({"full_rate_eur": 1200.0}, "Full rate EUR 1,200.00 must lie within EUR 0-1,100"),
        ({"full_rate_eur": 0.0}, "Full rate EUR 0.00 must lie within EUR 0-1,100"),
        (
            {"sme_share_target": 0.0},
            "The SME share target must lie above 0 % and at most 100 % (not 0 %)",
        ),
        (
            {"beyond_share_target": 1.5},
            "The beyond-community share target must lie above 0 % and at most 100 % (not 150 %)",
        ),
        # The interim report (2025-08-31) would fall after a new end in the first year.
        (
            {"action_end": date(2025, 6, 30)},
            "Reporting period 'interim' ends on 2025-08-31, outside the action (2024-09-01 to "
            "2025-06-30): change them first (below), then the terms",
        ),
        # A start moved past the interim report leaves it before the action.
        (
            {"action_start": date(2025, 9, 1)},
            "Reporting period 'interim' ends on 2025-08-31, outside the action",
        ),
    ],
)
def test_update_partnership_refuses_terms_that_do_not_hold(
    engine: Engine, world: World, changes: dict[str, Any], message: str
) -> None:
    audit_before = len(events(engine))
    with pytest.raises(InvalidPartnership) as refused, write_session(engine) as session:
        update_partnership(
            session=session,
            actor=world.users["admin"],
            partnership_id=world.alpha,
            expected_version=1,
            **terms(**changes),
        )
    assert str(refused.value).startswith(message)
    assert partnership(engine, world.alpha).version == 1
    assert len(events(engine)) == audit_before


def test_a_lower_target_below_a_milestone_is_refused_by_name(engine: Engine, world: World) -> None:
    admin = world.users["admin"]
    with write_session(engine) as session:
        set_milestones(
            session=session,
            actor=admin,
            partnership_id=world.alpha,
            expected_version=1,
            milestones=[(date(2025, 8, 31), 60)],
        )
    with (
        pytest.raises(InvalidPartnership, match="expects 60 exchanges: it must lie within 0"),
        write_session(engine) as session,
    ):
        update_partnership(
            session=session,
            actor=admin,
            partnership_id=world.alpha,
            expected_version=2,
            **terms(target_exchanges=50),
        )


def test_a_stale_partnership_write_names_what_changed_and_writes_nothing(
    engine: Engine, world: World
) -> None:
    admin = world.users["admin"]
    with write_session(engine) as session:
        update_partnership(
            session=session,
            actor=admin,
            partnership_id=world.alpha,
            expected_version=1,
            **terms(target_exchanges=150),
        )
    audit_before = len(events(engine))
    for write in ("update_partnership", "set_host_rates", "set_reporting_periods"):
        with pytest.raises(StaleRecord) as stale, write_session(engine) as session:
            WRITES[write](session, admin, world)  # each read version 1
        assert "Partnership ALPHA was changed by someone else" in str(stale.value)
        assert "(target exchanges)" in str(stale.value)
        assert stale.value.changes == {"target_exchanges": [100, 150]}
    assert len(events(engine)) == audit_before
    stored = partnership(engine, world.alpha)
    assert (stored.version, stored.target_exchanges) == (2, 150)
    with read_session(engine) as session:
        assert host_rates(session, world.alpha) == {}


def test_two_admins_saving_the_same_version_one_wins(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both read version 1 and pass the early check; the first commit wins, and the second
    one's bump, which names the version it read, matches no row."""
    from xchange.programme import partnerships

    admin = world.users["admin"]
    with write_session(engine) as first:
        update_partnership(
            session=first,
            actor=admin,
            partnership_id=world.alpha,
            expected_version=1,
            **terms(target_exchanges=110),
        )
    # The second admin's early check ran before the first one saved.
    monkeypatch.setattr(partnerships, "check_partnership_version", lambda *args: None)
    with pytest.raises(StaleRecord), write_session(engine) as second:
        update_partnership(
            session=second,
            actor=admin,
            partnership_id=world.alpha,
            expected_version=1,
            **terms(target_exchanges=120),
        )
    assert partnership(engine, world.alpha).target_exchanges == 110


def test_saving_unchanged_terms_writes_nothing(engine: Engine, world: World) -> None:
    audit_before = len(events(engine))
    with write_session(engine) as session:
        update_partnership(
            session=session,
            actor=world.users["admin"],
            partnership_id=world.alpha,
            expected_version=1,
            **terms(),
        )
    assert partnership(engine, world.alpha).version == 1
    assert len(events(engine)) == audit_before


def test_host_rates_read_country_names_and_audit_in_cents(engine: Engine, world: World) -> None:
    admin = world.users["admin"]
    with write_session(engine) as session:
        set_host_rates(
            session=session,
            actor=admin,
            partnership_id=world.alpha,
            expected_version=1,
            rates={"Greece": 800, "fr": 950.5},
        )
    with write_session(engine) as session:
        set_host_rates(
            session=session,
            actor=admin,
            partnership_id=world.alpha,
            expected_version=2,
            rates={"GR": 850},
        )
    with read_session(engine) as session:
        assert host_rates(session, world.alpha) == {"GR": 85_000}
    first, second = events(engine, entity="partnership", entity_id=world.alpha, action="update")
    assert first.changes == {
        "host_rates": [{}, {"FR": 95_050, "GR": 80_000}],
        "version": [1, 2],
    }
    assert second.changes["host_rates"] == [{"FR": 95_050, "GR": 80_000}, {"GR": 85_000}]
    assert partnership(engine, world.alpha).version == 3


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        ({"Atlantis": 900}, "Host country 'Atlantis' is not a country code or name"),
        ({"NO": 900}, "Norway (NO) is not an eligible country"),
        ({"EL": 900, "gr": 800}, "Greece (GR) has two rates"),
        ({"FR": 1100.01}, "The rate for France must lie within EUR 0-1,100"),
        ({"FR": 0}, "The rate for France must lie within EUR 0-1,100"),
    ],
)
def test_host_rates_refuse_unknown_ineligible_twice_or_out_of_range(
    engine: Engine, world: World, rates: dict[str, float], message: str
) -> None:
    with pytest.raises(InvalidPartnership) as refused, write_session(engine) as session:
        set_host_rates(
            session=session,
            actor=world.users["admin"],
            partnership_id=world.alpha,
            expected_version=1,
            rates=rates,
        )
    assert str(refused.value).startswith(message)
    assert count(engine, HostCountryRate) == 0


def test_reporting_periods_are_replaced_in_date_order(engine: Engine, world: World) -> None:
    periods = [("final", END), ("Q4 2024", date(2024, 12, 31)), ("mid-term", date(2025, 9, 30))]
    with write_session(engine) as session:
        set_reporting_periods(
            session=session,
            actor=world.users["admin"],
            partnership_id=world.alpha,
            expected_version=1,
            periods=periods,
        )
    with read_session(engine) as session:
        stored = [(p.label, p.ends_on) for p in reporting_periods(session, world.alpha)]
    assert stored == sorted(periods, key=lambda p: p[1])
    [event] = events(engine, entity="partnership", entity_id=world.alpha, action="update")
    assert event.changes["reporting_periods"][0] == [
        ["interim", "2025-08-31"],
        ["final", "2026-08-31"],
    ]
    assert event.changes["version"] == [1, 2]


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ([], "A partnership needs at least one reporting period"),
        ([("", END)], "Each reporting period needs a label"),
        ([("final", END), ("Final", date(2025, 3, 31))], "Two reporting periods are labelled"),
        ([("final", date(2026, 9, 1))], "Reporting period 'final' ends on 2026-09-01, outside"),
        ([("early", START)], "Reporting period 'early' ends on 2024-09-01, outside"),
        ([("x" * 41, END)], "The label 'xxxxxxxx"),
    ],
)
def test_reporting_periods_refuse_what_does_not_hold(
    engine: Engine, world: World, periods: list[tuple[str, date]], message: str
) -> None:
    with pytest.raises(InvalidPartnership) as refused, write_session(engine) as session:
        set_reporting_periods(
            session=session,
            actor=world.users["admin"],
            partnership_id=world.alpha,
            expected_version=1,
            periods=periods,
        )
    assert str(refused.value).startswith(message)
    assert count(engine, ReportingPeriod) == 4  # ALPHA's and BETA's two each


@pytest.mark.parametrize(
    ("milestones", "message"),
    [
        ([(START, 0)], "The milestone due on 2024-09-01 lies outside the action"),
        ([(date(2025, 1, 31), 101)], "The milestone due on 2025-01-31 expects 101 exchanges"),
        ([(date(2025, 1, 31), -1)], "The milestone due on 2025-01-31 expects -1 exchanges"),
        ([(END, 90)], "The milestone due on the action end (2026-08-31) must expect the whole"),
        (
            [(date(2025, 1, 31), 50), (date(2025, 6, 30), 40)],
            "The milestone due on 2025-06-30 expects 40, fewer than the 50 expected by "
            "2025-01-31: a path never falls",
        ),
        ([(date(2025, 1, 31), 20), (date(2025, 1, 31), 30)], "Two milestones are due on"),
    ],
)
def test_milestones_refuse_a_path_that_does_not_hold(
    engine: Engine, world: World, milestones: list[tuple[date, int]], message: str
) -> None:
    with pytest.raises(InvalidPartnership) as refused, write_session(engine) as session:
        set_milestones(
            session=session,
            actor=world.users["admin"],
            partnership_id=world.alpha,
            expected_version=1,
            milestones=milestones,
        )
    assert str(refused.value).startswith(message)
    assert count(engine, PathMilestone) == 0


def test_milestones_shape_the_target_path(engine: Engine, world: World) -> None:
    from xchange.kpi import targets

    with write_session(engine) as session:
        set_milestones(
            session=session,
            actor=world.users["admin"],
            partnership_id=world.alpha,
            expected_version=1,
            milestones=[(date(2025, 8, 31), 20)],
        )
    with read_session(engine) as session:
        path = targets.target_path(session, partnership_ids=(world.alpha,)).table
    expected = dict(zip(path["quarter_end"], path["expected"], strict=True))
    assert expected[date(2025, 9, 30)] == pytest.approx(20 + 80 * 30 / 365)
    [event] = events(engine, entity="partnership", entity_id=world.alpha, action="update")
    assert event.changes == {"milestones": [[], [["2025-08-31", 20]]], "version": [1, 2]}


def test_a_partnership_and_its_new_coordinator_in_one_step(engine: Engine, world: World) -> None:
    with write_session(engine) as session:
        created, coordinator = add_partnership_with_coordinator(
            session=session,
            actor=world.users["admin"],
            acronym="GAMMA",
            name="Gamma Health Partnership",
            action_start=date(2026, 1, 1),
            action_end=date(2027, 12, 31),
            target_exchanges=80,
            coordinator_email=" New.Coord@Gamma.eu ",
            coordinator_password="gamma passphrase 1",
        )
        assert coordinator is not None
        gamma_id, coordinator_id = ident(created.id), ident(coordinator.id)
    with read_session(engine) as session:
        signed_in = auth.authenticate(
            session=session, email="new.coord@gamma.eu", password="gamma passphrase 1"
        )
        assert signed_in.id == coordinator_id
        assert partnership_ids_writable(session=session, actor=signed_in) == {gamma_id}
        table = partnership_table(session)
    row = table.set_index("acronym").loc["GAMMA"]
    assert row["coordinators"] == "new.coord@gamma.eu"
    assert row["reporting_periods"] == "interim 2026-12-31, final 2027-12-31"
    assert row["exchanges"] == 0
    assert [e.action for e in events(engine)[-2:]] == ["create", "create"]


def test_an_existing_coordinator_takes_the_new_partnership_too(
    engine: Engine, world: World
) -> None:
    with write_session(engine) as session:
        created, coordinator = add_partnership_with_coordinator(
            session=session,
            actor=world.users["admin"],
            acronym="GAMMA",
            name="Gamma",
            action_start=START,
            action_end=END,
            coordinator_email="coord-alpha@x.eu",
        )
        assert coordinator is not None and coordinator.id == world.users["coordinator"].id
    with read_session(engine) as session:
        own = partnership_ids_writable(session=session, actor=world.users["coordinator"])
    assert own == {world.alpha, ident(created.id)}


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("officer@eismea.eu", None, "officer@eismea.eu already has an account as officer"),
        ("coord-alpha@x.eu", "a new passphrase 1", "coord-alpha@x.eu already has an account"),
        ("not-an-email", "a new passphrase 1", "not-an-email is not an email address."),
        ("new@x.eu", "short", "A password needs at least 10 characters."),
    ],
)
def test_a_refused_coordinator_leaves_no_partnership_behind(
    engine: Engine, world: World, email: str, password: str | None, message: str
) -> None:
    audit_before = len(events(engine))
    with pytest.raises(InvalidInput) as refused, write_session(engine) as session:
        add_partnership_with_coordinator(
            session=session,
            actor=world.users["admin"],
            acronym="GAMMA",
            name="Gamma",
            action_start=START,
            action_end=END,
            coordinator_email=email,
            coordinator_password=password,
        )
    assert str(refused.value).startswith(message)
    assert count(engine, Partnership) == 2
    assert len(events(engine)) == audit_before


# --- programme settings ------------------------------------------------------------------------


def test_update_programme_saves_and_audits_old_to_new(engine: Engine, world: World) -> None:
    with read_session(engine) as session:
        current = settings.read_settings(session)
    assert current == settings.default_settings()
    wanted = replace(
        current,
        target_exchanges=1200,
        beyond_reading="narrow",
        count_virtual=True,
        virtual_window_start=date(2020, 3, 1),
        virtual_window_end=date(2021, 12, 31),
        visitor_types=("Cluster organisation", "sme"),  # a label and a stored value
        at_risk_ratio=0.8,
    )
    with write_session(engine) as session:
        row = settings.update_programme(
            session=session, actor=world.users["admin"], expected_version=1, settings=wanted
        )
        assert row.version == 2
    with read_session(engine) as session:
        saved = settings.read_settings(session)
        definitions = kpi.Definitions.of(read_programme(session))
    assert saved.visitor_types == ("cluster_organisation", "sme")
    assert (saved.target_exchanges, saved.at_risk_ratio) == (1200, 0.8)
    assert definitions == kpi.Definitions(beyond_reading="narrow", count_virtual=True)
    [event] = events(engine, entity="programme", action="update")
    assert event.changes == {
        "target_exchanges": [1000, 1200],
        "beyond_reading": ["broad", "narrow"],
        "count_virtual": [False, True],
        "virtual_window_start": [None, "2020-03-01"],
        "virtual_window_end": [None, "2021-12-31"],
        "visitor_types": [
            [
                "cluster_organisation",
                "business_network_organisation",
                "scale_up_support_organisation",
                "sme",
            ],
            ["cluster_organisation", "sme"],
        ],
        "at_risk_ratio": [0.9, 0.8],
        "version": [1, 2],
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "The programme needs a name."),
        ({"target_exchanges": 0}, "The target must be a positive number of exchanges (not 0)."),
        ({"sme_share_target": 0.0}, "The SME share target must lie above 0 %"),
        ({"beyond_share_target": 1.25}, "The beyond-community share target must lie above 0 %"),
        ({"at_risk_ratio": 0.0}, "The at-risk ratio must lie above 0 %"),
        ({"at_risk_share_margin": 1.0}, "The at-risk margin must lie within 0 and 100"),
        ({"beyond_reading": "wide"}, "Unknown reading of 'beyond the community' 'wide'"),
        (
            {"virtual_window_start": date(2021, 1, 1), "virtual_window_end": date(2020, 1, 1)},
            "The window for virtual stays ends (2020-01-01) before it starts (2021-01-01).",
        ),
        ({"host_types": ()}, "Allow at least one organisation type for hosts."),
        ({"visitor_types": ("spaceship",)}, "Unknown organisation type 'spaceship'"),
    ],
)
def test_update_programme_refuses_settings_that_do_not_hold(
    engine: Engine, world: World, changes: dict[str, Any], message: str
) -> None:
    audit_before = len(events(engine))
    with pytest.raises(InvalidInput) as refused, write_session(engine) as session:
        settings.update_programme(
            session=session,
            actor=world.users["admin"],
            expected_version=1,
            settings=replace(settings.read_settings(session), **changes),
        )
    assert str(refused.value).startswith(message)
    assert programme_version(engine) == 1
    assert len(events(engine)) == audit_before


def test_a_stale_programme_write_is_refused(engine: Engine, world: World) -> None:
    admin = world.users["admin"]
    with write_session(engine) as session:
        settings.update_programme(
            session=session,
            actor=admin,
            expected_version=1,
            settings=replace(settings.read_settings(session), sme_share_target=0.4),
        )
    for write in ("update_programme", "set_eligible_countries"):
        with pytest.raises(StaleRecord) as stale, write_session(engine) as session:
            WRITES[write](session, admin, world)
        assert "(sme share target)" in str(stale.value)
        assert stale.value.changes == {"sme_share_target": [0.5, 0.4]}
    assert programme_version(engine) == 2
    assert count(engine, EligibleCountry) == 38


def test_eligible_countries_read_aliases_and_apply_to_new_exchanges(
    engine: Engine, world: World
) -> None:
    with read_session(engine) as session:
        current = settings.read_eligibility(session)
    assert len(current) == 38 and all(e.valid_from is None for e in current)
    kept = [e for e in current if e.code not in {"GR", "FR"}]
    wanted = [
        *kept,
        Eligibility("EL"),  # Greece, by its EU code
        Eligibility("UK", valid_to=date(2020, 12, 31)),  # the United Kingdom, until Brexit
        Eligibility("France", valid_from=date(2025, 7, 1)),  # France, only from July 2025
    ]
    with write_session(engine) as session:
        settings.set_eligible_countries(
            session=session, actor=world.users["admin"], expected_version=1, countries=wanted
        )
    with read_session(engine) as session:
        saved = {e.code: e for e in settings.read_eligibility(session)}
    assert saved["GR"] == Eligibility("GR")
    assert saved["GB"] == Eligibility("GB", None, date(2020, 12, 31))
    [event] = events(engine, entity="programme", action="update")
    assert "FR" in event.changes["eligible_countries"][0]
    assert "FR from 2025-07-01" in event.changes["eligible_countries"][1]
    assert "GB until 2020-12-31" in event.changes["eligible_countries"][1]
    # The rules read the new list: a stay hosted in France in March 2025 is no longer eligible.
    with (
        pytest.raises(ValidationFailed, match="Host country France \\(FR\\) is not eligible"),
        write_session(engine) as session,
    ):
        service.create_exchange(
            session=session, actor=world.users["admin"], data=stay("ALPHA-001"), today=TODAY
        )


@pytest.mark.parametrize(
    ("countries", "message"),
    [
        ([], "At least one country must be eligible."),
        ([Eligibility("Atlantis")], "'Atlantis' is not a country code or name"),
        ([Eligibility("")], "Each eligible country needs a code"),
        (
            [Eligibility("FR", date(2025, 1, 1), date(2024, 1, 1))],
            "France is eligible until 2024-01-01, before it becomes eligible on 2025-01-01.",
        ),
        (
            [Eligibility("FR"), Eligibility("fr", valid_from=date(2025, 1, 1))],
            "France is listed twice with overlapping dates",
        ),
        (
            [
                Eligibility("GB", valid_to=date(2020, 12, 31)),
                Eligibility("UK", valid_from=date(2020, 12, 31)),
            ],
            "United Kingdom is listed twice with overlapping dates",
        ),
    ],
)
def test_eligible_countries_refuse_what_does_not_hold(
    engine: Engine, world: World, countries: list[Eligibility], message: str
) -> None:
    with pytest.raises(InvalidInput) as refused, write_session(engine) as session:
        settings.set_eligible_countries(
            session=session, actor=world.users["admin"], expected_version=1, countries=countries
        )
    assert str(refused.value).startswith(message)
    assert count(engine, EligibleCountry) == 38


def test_one_country_in_two_separate_periods_is_accepted(engine: Engine, world: World) -> None:
    periods = [
        Eligibility("GB", valid_to=date(2020, 12, 31)),
        Eligibility("UK", valid_from=date(2030, 1, 1)),
    ]
    with write_session(engine) as session:
        rows = settings.set_eligible_countries(
            session=session, actor=world.users["admin"], expected_version=1, countries=periods
        )
    assert [(r.code, r.valid_from, r.valid_to) for r in rows] == [
        ("GB", None, date(2020, 12, 31)),
        ("GB", date(2030, 1, 1), None),
    ]


# --- organisations -----------------------------------------------------------------------------


def stay(reference: str, **changes: Any) -> ExchangeIn:
    """A completed five-day stay of ALPHA in March 2025: Acme GmbH (DE) visits Beta Hub (FR)."""
    values: dict[str, Any] = {
        "partnership": "ALPHA",
        "reference": reference,
        "status": "completed",
        "start_date": date(2025, 3, 10),
        "end_date": date(2025, 3, 14),
        "visitor_organisation": "Acme GmbH",
        "visitor_type": "cluster organisation",
        "visitor_country": "DE",
        "visitor_is_sme": False,
        "visitor_community": "partner",
        "host_organisation": "Beta Hub",
        "host_type": "university",
        "host_country": "FR",
        "host_is_sme": True,
        "host_community": "external",
    }
    return ExchangeIn(**{**values, **changes})


def log(engine: Engine, world: World, *stays: ExchangeIn) -> list[int]:
    with write_session(engine) as session:
        return [
            ident(
                service.create_exchange(
                    session=session, actor=world.users["admin"], data=data, today=TODAY
                ).id
            )
            for data in stays
        ]


def org_id(engine: Engine, name: str, country: str) -> int:
    with read_session(engine) as session:
        found = session.exec(
            select(Organisation).where(Organisation.name == name, Organisation.country == country)
        ).one()
        return ident(found.id)


def test_merge_moves_exchanges_on_both_sides_and_audits_each_move(
    engine: Engine, world: World
) -> None:
    ids = log(
        engine,
        world,
        stay("ALPHA-001"),  # Acme GmbH visits Beta Hub
        # "ACME" (the same cluster, spelt otherwise) hosts twice
        stay(
            "ALPHA-002",
            visitor_organisation="Gamma Lab",
            visitor_country="AT",
            host_organisation="ACME",
            host_country="DE",
            host_type="cluster organisation",
            host_is_sme=False,
        ),
        stay(
            "ALPHA-003",
            visitor_organisation="Delta SME",
            visitor_type="SME",
            visitor_is_sme=True,
            visitor_country="IT",
            host_organisation="ACME",
            host_country="DE",
            host_type="cluster organisation",
            host_is_sme=False,
        ),
    )
    keep, merge = org_id(engine, "Acme GmbH", "DE"), org_id(engine, "ACME", "DE")
    with read_session(engine) as session:
        before = kpi.headline(session, as_of=TODAY)
        preview = organisations.preview_merge(session, keep_id=keep, merge_id=merge)
    assert (preview.as_visitor, preview.as_host, preview.ok) == (0, 2, True)
    assert preview.describe() == (
        f"ACME (DE, #{merge}) merges into Acme GmbH (DE, #{keep}): 2 exchanges move "
        "(0 as visitor, 2 as host), then ACME is deleted."
    )
    assert preview.notes == []  # same country, same profile

    with write_session(engine) as session:
        kept = organisations.merge_organisations(
            session=session, actor=world.users["admin"], keep_id=keep, merge_id=merge
        )
        assert kept.id == keep
    with read_session(engine) as session:
        assert session.get(Organisation, merge) is None
        rows = {e.id: e for e in session.exec(select(Exchange)).all()}
        after = kpi.headline(session, as_of=TODAY)
        summary = organisations.get_summary(session, keep)
    assert rows[ids[0]].visitor_org_id == keep and rows[ids[0]].version == 1  # not moved
    for moved in ids[1:]:
        assert (rows[moved].host_org_id, rows[moved].version) == (keep, 2)
    assert (summary.visits, summary.hosts) == (1, 2)
    # The KPIs (kept by triggers on exchange) read the same: facts are logged on the exchange.
    assert after == before

    moves = events(engine, entity="exchange", action="merge")
    assert [(e.entity_id, e.changes) for e in moves] == [
        (moved, {"host_org_id": [merge, keep], "version": [1, 2]}) for moved in ids[1:]
    ]
    [merged] = events(engine, entity="organisation", action="merge")
    assert merged.entity_id == keep
    assert merged.changes["merged_organisation"][0]["name"] == "ACME"
    assert merged.changes["exchanges_as_host"] == [0, 2]
    [deleted] = events(engine, entity="organisation", action="delete")
    assert (deleted.entity_id, deleted.changes["merged_into"]) == (merge, [None, keep])
    # A later edit of a moved exchange reads its new version, as usual.
    with write_session(engine) as session:
        service.cancel_exchange(
            session=session,
            actor=world.users["admin"],
            exchange_id=ids[1],
            expected_version=2,
            reason="host withdrew",
        )


def test_merge_refuses_a_second_physical_visit_before_writing(engine: Engine, world: World) -> None:
    log(
        engine,
        world,
        stay("ALPHA-001"),
        stay("ALPHA-002", visitor_organisation="ACME", status="planned"),
    )
    keep, merge = org_id(engine, "Acme GmbH", "DE"), org_id(engine, "ACME", "DE")
    audit_before = len(events(engine))
    with pytest.raises(InvalidInput) as refused, write_session(engine) as session:
        organisations.merge_organisations(
            session=session, actor=world.users["admin"], keep_id=keep, merge_id=merge
        )
    message = str(refused.value)
    assert message.startswith(f"ACME (DE, #{merge}) cannot be merged into Acme GmbH (DE, #{keep})")
    assert "Acme GmbH in ALPHA/ALPHA-001 (completed)" in message
    assert "ACME in ALPHA/ALPHA-002 (planned)" in message
    assert "an organisation visits only once" in message
    assert len(events(engine)) == audit_before
    with read_session(engine) as session:
        assert session.get(Organisation, merge) is not None
        assert {e.version for e in session.exec(select(Exchange)).all()} == {1}


@pytest.mark.parametrize(
    "second",
    [
        {"status": "cancelled", "cancellation_reason": "visa refused"},
        {"modality": "virtual"},
    ],
    ids=["cancelled", "virtual"],
)
def test_merge_allows_a_cancelled_or_virtual_second_visit(
    engine: Engine, world: World, second: dict[str, Any]
) -> None:
    log(engine, world, stay("ALPHA-001"), stay("ALPHA-002", visitor_organisation="ACME", **second))
    keep, merge = org_id(engine, "Acme GmbH", "DE"), org_id(engine, "ACME", "DE")
    with write_session(engine) as session:
        organisations.merge_organisations(
            session=session, actor=world.users["admin"], keep_id=keep, merge_id=merge
        )
    with read_session(engine) as session:
        visitors = {e.visitor_org_id for e in session.exec(select(Exchange)).all()}
    assert visitors == {keep}


def test_merge_refuses_an_organisation_visiting_itself(engine: Engine, world: World) -> None:
    log(
        engine,
        world,
        stay("ALPHA-001", host_organisation="ACME", host_country="DE", visitor_country="AT"),
    )
    # Acme GmbH (AT) visits ACME (DE): merged, one organisation would visit itself.
    keep, merge = org_id(engine, "Acme GmbH", "AT"), org_id(engine, "ACME", "DE")
    with read_session(engine) as session:
        preview = organisations.preview_merge(session, keep_id=keep, merge_id=merge)
    assert preview.problems == [
        "Exchange ALPHA/ALPHA-001 has one of them visiting the other: merged, the organisation "
        "would visit itself. Correct that exchange first."
    ]
    assert preview.notes[0].startswith("They are in different countries (AT and DE)")
    with pytest.raises(InvalidInput, match="would visit itself"), write_session(engine) as session:
        organisations.merge_organisations(
            session=session, actor=world.users["admin"], keep_id=keep, merge_id=merge
        )


def test_the_one_visit_index_backs_the_merge_check(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second visit that slips past the check (a writer between the check and the move) is
    still refused, by the database's partial unique index, with the same plain message."""
    log(engine, world, stay("ALPHA-001"), stay("ALPHA-002", visitor_organisation="ACME"))
    keep, merge = org_id(engine, "Acme GmbH", "DE"), org_id(engine, "ACME", "DE")
    real = organisations.preview_merge

    def blind(session: Session, *, keep_id: int, merge_id: int) -> organisations.MergePreview:
        return replace(real(session, keep_id=keep_id, merge_id=merge_id), problems=[])

    monkeypatch.setattr(organisations, "preview_merge", blind)
    with pytest.raises(InvalidInput) as refused, write_session(engine) as session:
        organisations.merge_organisations(
            session=session, actor=world.users["admin"], keep_id=keep, merge_id=merge
        )
    assert "would visit twice, and an organisation visits only once" in str(refused.value)
    with read_session(engine) as session:
        assert session.get(Organisation, merge) is not None


def test_merge_refuses_the_same_organisation_twice_and_unknown_ids(
    engine: Engine, world: World
) -> None:
    log(engine, world, stay("ALPHA-001"))
    keep = org_id(engine, "Acme GmbH", "DE")
    with (
        pytest.raises(InvalidInput, match="Pick two different organisations"),
        write_session(engine) as session,
    ):
        organisations.merge_organisations(
            session=session, actor=world.users["admin"], keep_id=keep, merge_id=keep
        )
    with (
        pytest.raises(NotFound, match="There is no organisation with id 999"),
        write_session(engine) as session,
    ):
        organisations.merge_organisations(
            session=session, actor=world.users["admin"], keep_id=keep, merge_id=999
        )


def test_find_duplicates_pairs_names_alike_in_one_country(engine: Engine, world: World) -> None:
    log(
        engine,
        world,
        stay("ALPHA-001", visitor_organisation="ACME G.m.b.H."),
        stay("ALPHA-002", visitor_organisation="Acme", status="cancelled", cancellation_reason="x"),
        stay("ALPHA-003", visitor_organisation="acme gmbh & co. kg", modality="virtual"),
        stay("ALPHA-004", visitor_organisation="Acme", visitor_country="AT"),  # another country
        stay(
            "ALPHA-005",
            visitor_organisation="Gamma Lab",
            visitor_country="IT",
            host_organisation="Beta Hub SARL",
        ),
    )
    with read_session(engine) as session:
        pairs = organisations.find_duplicates(session)
    found = {(p.keep.name, p.keep.country, p.merge.name) for p in pairs}
    # Each pair's kept side is the first logged (all three have one exchange), and Beta Hub
    # hosts four times: it is kept over "Beta Hub SARL".
    assert found == {
        ("ACME G.m.b.H.", "DE", "Acme"),
        ("ACME G.m.b.H.", "DE", "acme gmbh & co. kg"),
        ("Beta Hub", "FR", "Beta Hub SARL"),
    }
    assert "read the same without case, accents, punctuation and legal form" in pairs[0].reason


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("ACME GmbH", "acme"),
        ("Acme G.m.b.H.", "acme"),
        ("acme gmbh & co. kg", "acme"),
        ("Société Générale S.A.", "societe generale"),
        ("Tech Sp. z o.o.", "tech"),
        ("Nordic A/S", "nordic"),
        ("S.C. Alfa S.R.L.", "alfa"),
        ("The Hub Ltd.", "hub"),
        ("GmbH", "gmbh"),  # a name that is only a legal form keeps it
        ("Agri SA Cluster", "agri sa cluster"),  # a legal form inside a name stays
    ],
)
def test_loose_key(name: str, key: str) -> None:
    assert organisations.loose_key(name) == key


def test_search_finds_by_part_of_the_name_or_by_id(engine: Engine, world: World) -> None:
    log(engine, world, stay("ALPHA-001"), stay("ALPHA-002", visitor_organisation="Acme 100%"))
    with read_session(engine) as session:
        by_name = organisations.search_organisations(session, "acme")
        by_percent = organisations.search_organisations(session, "100%")
        by_id = organisations.search_organisations(session, f"#{by_name[0].id}")
        everything = organisations.search_organisations(session, "")
    assert [o.name for o in by_name] == ["Acme 100%", "Acme GmbH"]
    assert [o.name for o in by_percent] == ["Acme 100%"]  # % is a character, not a wildcard
    assert [o.id for o in by_id] == [by_name[0].id]
    assert len(everything) == 3
    beta = next(o for o in everything if o.name == "Beta Hub")
    assert (beta.visits, beta.hosts, beta.exchanges) == (0, 2, 2)
