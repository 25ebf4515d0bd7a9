"""Figures as recorded then equal the figures computed live at that moment.

Random histories (creates, edits, status moves, cancellations, imports and their undos,
organisation merges, programme setting changes) are played through the service and the
importer; after each step the live figures are kept with the moment. Then, and again on a
restored backup, the figures as recorded at each moment must be those live ones: the headline
and the sums by partnership and quarter. Both databases.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests import factories
from tests.factories import clear_register
from tests.kpi.test_kpi import BASE, TODAY, ensure_partnership
from xchange.db import backup, history
from xchange.db.engine import make_engine, read_session, upgrade, write_session
from xchange.errors import XchangeError
from xchange.imports.files import read_file
from xchange.imports.importer import run_import, undo_import
from xchange.kpi import sums as kpi
from xchange.kpi.grouping import grouped_sums
from xchange.kpi.recorded import reading
from xchange.kpi.sums import Filters
from xchange.models import Exchange, ImportBatch
from xchange.programme.settings import programme_version, read_settings, update_programme
from xchange.register.organisations import merge_organisations
from xchange.register.service import (
    ExchangeIn,
    cancel_exchange,
    complete_exchange,
    create_exchange,
    exchange_in,
    update_exchange,
)

AS_OF = date(2026, 6, 30)  # stays end before it and after it
MONDAYS = (date(2026, 3, 2), date(2026, 6, 29), date(2026, 9, 7))
ACRONYMS = ("GTEX", "MTC")

facts = st.fixed_dictionaries(
    {
        "partnership": st.sampled_from(ACRONYMS),
        "status": st.sampled_from(("planned", "confirmed", "completed", "cancelled")),
        "modality": st.sampled_from(("physical", "physical", "virtual")),
        "monday": st.sampled_from(MONDAYS),
        "visitor_is_sme": st.booleans(),
        "host_is_sme": st.booleans(),
        "visitor_community": st.sampled_from(("partner", "member", "external")),
        "host_community": st.sampled_from(("partner", "member", "external")),
        "host_organisation": st.sampled_from(("Host A", "Host B")),
    }
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("create"), facts),
        st.tuples(st.just("edit"), st.integers(0, 50), facts),
        st.tuples(st.just("complete"), st.integers(0, 50)),
        st.tuples(st.just("cancel"), st.integers(0, 50)),
        st.tuples(st.just("import"), st.lists(facts, min_size=1, max_size=3), st.integers(0, 3)),
        st.tuples(st.just("undo")),
        st.tuples(st.just("merge")),
        st.tuples(st.just("settings")),
    ),
    min_size=1,
    max_size=7,
)


def values(spec: dict[str, Any], reference: str, visitor: str) -> dict[str, Any]:
    """The canonical columns of a stay drawn from `spec`."""
    monday = spec["monday"]
    row = {
        **BASE,
        **{k: v for k, v in spec.items() if k != "monday"},
        "reference": reference,
        "visitor_organisation": visitor,
        "start_date": monday,
        "end_date": monday + timedelta(days=4),
    }
    if row["end_date"] > TODAY and row["status"] == "completed":
        row["status"] = "confirmed"
    if row["status"] == "cancelled":
        row["cancellation_reason"] = "The visitor could not travel"
    return row


class History:
    """Plays steps on `engine`, keeping the live figures after each."""

    def __init__(self, engine: Engine, tag: str) -> None:
        self.engine, self.tag, self.n = engine, tag, 0
        self.moments: list[tuple[datetime, Any]] = []
        self.imported: list[str] = []

    def figures(self, filters: Filters = Filters()) -> Any:
        with read_session(self.engine) as session:
            head = kpi.headline(session, as_of=AS_OF, filters=filters)
            # As recorded, the sums take the definitions as they stood themselves.
            sums = grouped_sums(
                session,
                ["partnership_id", "end_quarter"],
                as_of=AS_OF,
                definitions=head.definitions,
                filters=filters,
            )
        grouped = sorted(
            (tuple(k), tuple(int(x) for x in row))
            for k, row in zip(zip(*sums.keys, strict=True), sums.figures, strict=True)
            if row.any()
        )
        figures = {name: getattr(head, name) for name in kpi.FIGURES}
        return figures, head.definitions, head.target, grouped

    def step(self, step: tuple[Any, ...]) -> None:
        try:
            with write_session(self.engine) as session:
                self._apply(session, step)
        except XchangeError:  # a refused write (a stale undo, a rule) changes nothing
            pass
        moment = datetime.now(UTC)
        self.moments.append((moment, self.figures()))
        while datetime.now(UTC) <= moment:  # the next step's events come strictly later
            pass

    def _apply(self, session: Session, step: tuple[Any, ...]) -> None:
        actor = factories.admin(session)
        kind = step[0]
        records = session.exec(
            select(Exchange).where(Exchange.reference.startswith(self.tag)).order_by(Exchange.id)  # type: ignore[attr-defined]
        ).all()
        targeted = records and kind in {"edit", "complete", "cancel"}
        picked = records[step[1] % len(records)] if targeted else None
        if kind == "create":
            self.n += 1
            data = values(step[1], f"{self.tag}-{self.n}", f"Visitor {self.tag} {self.n}")
            create_exchange(session=session, actor=actor, data=ExchangeIn(**data), today=TODAY)
        elif kind == "edit" and picked is not None:
            current = exchange_in(session, picked).model_dump()
            data = values(step[2], picked.reference, current["visitor_organisation"])
            update_exchange(
                session=session,
                actor=actor,
                exchange_id=picked.id or 0,
                expected_version=picked.version,
                data=ExchangeIn(**data),
                today=TODAY,
            )
        elif kind == "complete" and picked is not None:
            complete_exchange(
                session=session,
                actor=actor,
                exchange_id=picked.id or 0,
                expected_version=picked.version,
                validated_on=TODAY,
                validated_by="Officer",
                today=TODAY,
            )
        elif kind == "cancel" and picked is not None:
            cancel_exchange(
                session=session,
                actor=actor,
                exchange_id=picked.id or 0,
                expected_version=picked.version,
                reason="Postponed for good",
            )
        elif kind == "import":
            rows = []
            for spec in step[1]:
                self.n += 1
                reference = f"{self.tag}-{self.n}"
                self.imported.append(reference)
                rows.append(values(spec, reference, f"Visitor {self.tag} {self.n}"))
            # Earlier imported rows again, with the first new row's facts: updates.
            for reference in self.imported[: step[2]]:
                if reference not in {r["reference"] for r in rows}:
                    visitor = f"Visitor {self.tag} {reference.rsplit('-', 1)[1]}"
                    rows.append(values(step[1][0], reference, visitor))
            frame = pd.DataFrame(rows)
            source = read_file(frame.to_csv(index=False).encode(), "history.csv")
            run_import(session=session, actor=actor, source=source, today=TODAY, skip_invalid=True)
        elif kind == "undo":
            batch = session.exec(
                select(ImportBatch)
                .where(ImportBatch.undone_at == None)  # noqa: E711 (SQL IS NULL)
                .order_by(ImportBatch.id.desc())  # type: ignore[union-attr]
            ).first()
            if batch is not None:
                undo_import(session=session, actor=actor, batch_id=batch.id or 0)
        elif kind == "merge":
            hosts = {r.host_org_id for r in records}
            if len(hosts) > 1:
                keep, merge = sorted(hosts)[:2]
                merge_organisations(session=session, actor=actor, keep_id=keep, merge_id=merge)
        elif kind == "settings":
            current = read_settings(session)
            update_programme(
                session=session,
                actor=actor,
                expected_version=programme_version(session),
                settings=dataclasses.replace(
                    current,
                    beyond_reading="narrow" if current.beyond_reading == "broad" else "broad",
                    count_virtual=not current.count_virtual,
                    target_exchanges=current.target_exchanges + 1,
                ),
            )

    def check(self, engine: Engine) -> None:
        """The figures as recorded at each kept moment, on `engine`, equal the live ones."""
        self.engine = engine
        for moment, live in self.moments:
            assert self.figures(Filters(recorded_at=moment)) == live, moment


@pytest.fixture
def register(engine: Engine) -> Engine:
    with write_session(engine) as session:
        for acronym in ACRONYMS:
            ensure_partnership(session, acronym)
    return engine


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_figures_as_recorded_equal_the_live_figures_at_each_moment(
    register: Engine, steps: list[tuple[Any, ...]], tmp_path: Path
) -> None:
    with write_session(register) as session:
        clear_register(session)
    played = History(register, tag=f"H{datetime.now(UTC):%H%M%S%f}")
    played.moments.append((datetime.now(UTC), played.figures()))
    for step in steps:
        played.step(step)
    played.check(register)
    # A backup restored into a fresh database keeps the history: the same figures again.
    archive = io.BytesIO()
    backup.write_backup(register, archive)
    archive.seek(0)
    restored = make_engine(f"sqlite:///{tmp_path / f'restored-{played.tag}.db'}")
    try:
        upgrade(restored)
        backup.restore(restored, archive)
        played.check(restored)
    finally:
        restored.dispose()


def test_every_result_states_its_reading(register: Engine) -> None:
    with read_session(register) as session:
        now = kpi.headline(session, as_of=date(2025, 12, 31))
        then = kpi.headline(session, as_of=date(2025, 12, 31), recorded=True)
    assert now.reading == "as known now"
    assert then.reading == "as recorded on 31 Dec 2025"
    assert then.as_dict()["reading"] == "as recorded on 31 Dec 2025"


@pytest.mark.parametrize(
    ("day", "moment"),
    [
        # Winter: Brussels is UTC+1, so the day ends at 23:00 UTC.
        (date(2025, 12, 31), datetime(2025, 12, 31, 22, 59, 59, 999999, tzinfo=UTC)),
        # Summer: UTC+2.
        (date(2026, 6, 30), datetime(2026, 6, 30, 21, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_a_day_ends_in_brussels(day: date, moment: datetime) -> None:
    assert history.end_of_day(day) == moment
    assert reading(moment) == f"as recorded on {day.day} {day:%b %Y}"


def test_a_demo_load_then_edits_read_as_recorded_at_each_moment(engine: Engine) -> None:
    """A demo register (its history written at simulated dates), then edits, an import and
    its undo: the figures as recorded at each moment equal the live ones."""
    from xchange.demo import load as demo

    demo.load_demo(engine, exchanges=300, seed=11)
    played = History(engine, tag="")  # every record: the demo's too
    played.moments.append((datetime.now(UTC), played.figures()))
    spec = {
        "partnership": "GTEX",
        "status": "completed",
        "modality": "physical",
        "monday": MONDAYS[0],
        "visitor_is_sme": True,
        "host_is_sme": False,
        "visitor_community": "external",
        "host_community": "partner",
        "host_organisation": "Host A",
    }
    for step in (
        ("cancel", 3),
        ("complete", 40),
        ("edit", 7, spec),
        ("import", [spec, {**spec, "status": "planned", "monday": MONDAYS[2]}], 0),
        ("undo",),
        ("create", spec),
    ):
        played.step(step)
    # The steps did change the figures (a refused one would change nothing).
    assert len({repr(live) for _moment, live in played.moments}) >= 5
    played.check(engine)


def test_targets_as_they_stood(register: Engine) -> None:
    """As recorded then, a partnership's and the programme's targets are those in force."""
    from xchange.programme.partnerships import find_partnership, update_partnership

    before = datetime.now(UTC)
    while datetime.now(UTC) <= before:  # the change comes strictly later
        pass
    with write_session(register) as session:
        gtex = find_partnership(session, "GTEX")
        assert gtex is not None
        update_partnership(
            session=session,
            actor=factories.admin(session),
            partnership_id=gtex.id or 0,
            expected_version=gtex.version,
            name=gtex.name,
            action_start=gtex.action_start,
            action_end=gtex.action_end,
            target_exchanges=gtex.target_exchanges + 50,
        )
    with read_session(register) as session:
        gtex = find_partnership(session, "GTEX")
        then = kpi.headline(session, partnership=gtex, filters=Filters(recorded_at=before))
        now = kpi.headline(session, partnership=gtex)
    assert (then.target, now.target) == (100, 150)
