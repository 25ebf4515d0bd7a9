"""Reading the register for a person: the list of exchanges with its filters, one record with
its facts and rule messages, the organisation pickers of the exchange form, and the audit trail
in plain words.

Every query is parameterised SQL (SQLAlchemy Core) and scoped to what the actor may read
(`access.partnership_ids_readable`): a coordinator never gets another partnership's rows.
Representatives appear by id only in the trail, and by name only to those who may see personal
data (`access.can_see_personal_data`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from xchange import dates, reference
from xchange.accounts import access
from xchange.models import EligibleCountry, Exchange, User
from xchange.presentation import euros, iso, number
from xchange.programme.row import read_programme
from xchange.register import service
from xchange.register.parsing import Issue

X = sa.table(
    "exchange",
    sa.column("start_date", sa.Date),
    sa.column("end_date", sa.Date),
    sa.column("paid_on", sa.Date),
    *(
        sa.column(name)
        for name in (
            "id",
            "partnership_id",
            "reference",
            "status",
            "modality",
            "end_quarter",
            "visitor_org_id",
            "host_org_id",
            "visitor_country",
            "host_country",
            "working_days",
            "lump_sum_cents",
            "notes",
            "version",
        )
    ),
)
P = sa.table("partnership", sa.column("id"), sa.column("acronym"), sa.column("name"))
ORG = sa.table(
    "organisation",
    *(sa.column(name) for name in ("id", "name", "name_key", "type", "country", "is_sme")),
)
USERS = sa.table("app_user", sa.column("id"), sa.column("email"))

# Stored values in plain words (organisation types and activities: reference's labels).
STATUS_LABELS = {
    "planned": "Planned",
    "confirmed": "Confirmed",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
MODALITY_LABELS = {"physical": "Physical stay", "virtual": "Virtual"}
COMMUNITY_LABELS = {
    "partner": "Partner (a consortium member)",
    "member": "Member of a partner cluster",
    "external": "External (beyond the partnership community)",
}
# Audited fields as people read them; others fall back to parsing.field_label's spelling.
FIELD_LABELS = {
    "partnership_id": "Partnership",
    "visitor_org_id": "Visiting organisation",
    "host_org_id": "Host organisation",
    "visitor_is_sme": "Visitor is an SME",
    "host_is_sme": "Host is an SME",
    "representative_id": "Representative",
    "distance_km": "Distance (km)",
    "lump_sum_cents": "Lump sum",
    "validated_on": "Closing report validated on",
    "validated_by": "Closing report validated by",
    "paid_cents": "Amount paid",
    "import_batch_id": "Import",
}
ACTION_LABELS = {
    "create": "Logged",
    "update": "Changed",
    "confirm": "Confirmed",  # the demo's history (`demo.history`)
    "cancel": "Cancelled",
    "complete": "Marked completed",
    "pay": "Payment recorded",
    "refused": "Refused",
}
LIST_COLUMNS = (
    "id",
    "reference",
    "partnership",
    "status",
    "modality",
    "start_date",
    "end_date",
    "quarter",
    "visitor",
    "visitor_country",
    "host",
    "host_country",
    "working_days",
    "lump_sum_eur",
    "paid_on",
    "version",
)
HISTORY_COLUMNS = ("When", "Who", "What", "Version", "Field", "Before", "After")


# --- the list --------------------------------------------------------------------------------


def find_exchanges(
    session: Session,
    *,
    actor: User,
    partnership_ids: Iterable[int] = (),
    statuses: Iterable[str] = (),
    quarters: Iterable[str] = (),
    countries: Iterable[str] = (),
    organisation: int | str | None = None,
    text: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> pd.DataFrame:
    """The exchanges `actor` may read that match every filter given, newest first.

    `quarters` as `2026Q3` or `2026-Q3`; `countries` match either side; `organisation` is an
    organisation id (either side) or part of a name; `text` searches references, both
    organisations' names and notes. Columns: LIST_COLUMNS (`status` and `modality` as stored,
    `quarter` as `2026-Q3`, `lump_sum_eur` a float); an empty frame with those columns when
    nothing matches.
    """
    conditions = _conditions(
        session, actor, partnership_ids, statuses, quarters, countries, organisation, text
    )
    if conditions is None:
        return pd.DataFrame(columns=list(LIST_COLUMNS))
    visitor, host = ORG.alias("visitor"), ORG.alias("host")
    query = (
        sa.select(
            X.c.id,
            X.c.reference,
            P.c.acronym.label("partnership"),
            X.c.status,
            X.c.modality,
            X.c.start_date,
            X.c.end_date,
            X.c.end_quarter,
            visitor.c.name.label("visitor"),
            X.c.visitor_country,
            host.c.name.label("host"),
            X.c.host_country,
            X.c.working_days,
            X.c.lump_sum_cents,
            X.c.paid_on,
            X.c.version,
        )
        .select_from(
            X.join(P, P.c.id == X.c.partnership_id)
            .join(visitor, visitor.c.id == X.c.visitor_org_id)
            .join(host, host.c.id == X.c.host_org_id)
        )
        .where(*conditions)
        .order_by(X.c.id.desc())
        .limit(max(0, limit))
        .offset(max(0, offset))
    )
    frame = pd.DataFrame(session.execute(query).mappings().all())
    if frame.empty:
        return pd.DataFrame(columns=list(LIST_COLUMNS))
    frame["quarter"] = frame.pop("end_quarter").map(lambda q: reference.quarter_label(str(q)))
    frame["lump_sum_eur"] = frame.pop("lump_sum_cents").astype(float) / 100
    return frame[list(LIST_COLUMNS)].reset_index(drop=True)


def count_exchanges(
    session: Session,
    *,
    actor: User,
    partnership_ids: Iterable[int] = (),
    statuses: Iterable[str] = (),
    quarters: Iterable[str] = (),
    countries: Iterable[str] = (),
    organisation: int | str | None = None,
    text: str | None = None,
) -> int:
    """How many exchanges `find_exchanges` finds with the same filters, without a limit."""
    conditions = _conditions(
        session, actor, partnership_ids, statuses, quarters, countries, organisation, text
    )
    if conditions is None:
        return 0
    query = sa.select(sa.func.count()).select_from(X).where(*conditions)
    return int(session.execute(query).scalar_one())


def _conditions(
    session: Session,
    actor: User,
    partnership_ids: Iterable[int],
    statuses: Iterable[str],
    quarters: Iterable[str],
    countries: Iterable[str],
    organisation: int | str | None,
    text: str | None,
) -> list[sa.ColumnElement[bool]] | None:
    """WHERE conditions on X for the filters; None when the actor may read nothing asked for."""
    wanted = set(partnership_ids)
    readable = access.partnership_ids_readable(session=session, actor=actor)
    if readable is not None:
        wanted = wanted & readable if wanted else set(readable)
        if not wanted:
            return None
    conditions: list[sa.ColumnElement[bool]] = []
    if wanted:
        conditions.append(X.c.partnership_id.in_(sorted(wanted)))
    if statuses := sorted(set(statuses)):
        conditions.append(X.c.status.in_(statuses))
    if quarters := sorted({q.replace("-", "").upper() for q in quarters}):
        conditions.append(X.c.end_quarter.in_(quarters))
    if codes := sorted(set(countries)):
        conditions.append(sa.or_(X.c.visitor_country.in_(codes), X.c.host_country.in_(codes)))
    if isinstance(organisation, int):
        conditions.append(
            sa.or_(X.c.visitor_org_id == organisation, X.c.host_org_id == organisation)
        )
    elif organisation and organisation.strip():
        conditions.append(_org_name_like(X.c.visitor_org_id, X.c.host_org_id, organisation))
    if text and text.strip():
        pattern = _contains(text.strip().casefold())
        conditions.append(
            sa.or_(
                sa.func.lower(X.c.reference).like(pattern, escape="\\"),
                sa.func.lower(X.c.notes).like(pattern, escape="\\"),
                _org_name_like(X.c.visitor_org_id, X.c.host_org_id, text),
            )
        )
    return conditions


def _contains(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _org_name_like(
    visitor_id: sa.ColumnElement[Any], host_id: sa.ColumnElement[Any], name: str
) -> sa.ColumnElement[bool]:
    """Either side's organisation has `name` in its matching key."""
    matching = sa.select(ORG.c.id).where(
        ORG.c.name_key.like(_contains(reference.name_key(name)), escape="\\")
    )
    return sa.or_(visitor_id.in_(matching), host_id.in_(matching))


# --- choices for the list's filters and the exchange form -------------------------------------------------------------


@dataclass(frozen=True)
class ListChoices:
    """What the list's filters offer an actor: only what they may read."""

    partnerships: dict[int, str]  # id -> acronym
    quarters: list[str]  # `2026Q3`, from the earliest to the latest end date
    countries: dict[str, str]  # code -> name, countries with an exchange


def list_choices(session: Session, *, actor: User) -> ListChoices:
    """Partnerships, quarters and countries for the list's filters, within what `actor` reads."""
    readable = access.partnership_ids_readable(session=session, actor=actor)
    query = sa.select(P.c.id, P.c.acronym).order_by(P.c.acronym)
    scope: list[sa.ColumnElement[bool]] = []
    if readable is not None:
        query = query.where(P.c.id.in_(sorted(readable)))
        scope.append(X.c.partnership_id.in_(sorted(readable)))
    # Within the accepted quarters, text order is time order; a stay stored outside them
    # (from before the bounds) is still listed, but its quarter is not offered as a filter.
    accepted = [
        X.c.end_quarter.between(
            dates.quarter_at(dates.FIRST_QUARTER), dates.quarter_at(dates.LAST_QUARTER)
        ),
        sa.func.length(X.c.end_quarter) == 6,
    ]
    first, last = session.execute(
        sa.select(sa.func.min(X.c.end_quarter), sa.func.max(X.c.end_quarter)).where(
            *scope, *accepted
        )
    ).one()
    quarters = dates.quarter_range(str(first), str(last)) if first and last else []
    sides = sa.union(
        sa.select(X.c.visitor_country.label("code")).where(*scope).distinct(),
        sa.select(X.c.host_country.label("code")).where(*scope).distinct(),
    )
    codes = {str(code) for (code,) in session.execute(sides).all()}
    return ListChoices(
        partnerships={int(i): str(a) for i, a in session.execute(query).all()},
        quarters=quarters,
        countries={c: reference.country_name(c) for c in sorted(codes, key=reference.country_name)},
    )


@dataclass(frozen=True)
class FormChoices:
    """What the exchange form offers an actor."""

    partnerships: dict[str, str]  # acronym -> name, those the actor may write for
    countries: dict[str, str]  # code -> name, every country eligible at some time
    visitor_types: list[str]  # OrgType values allowed per side
    host_types: list[str]


def form_choices(session: Session, *, actor: User) -> FormChoices:
    """Partnerships the actor writes for, eligible countries and the allowed types per side."""
    writable = access.partnership_ids_writable(session=session, actor=actor)
    query = sa.select(P.c.acronym, P.c.name).order_by(P.c.acronym)
    if writable is not None:
        query = query.where(P.c.id.in_(sorted(writable)))
    partnerships = {str(a): str(n) for a, n in session.execute(query).all()}
    codes = {c for (c,) in session.execute(sa.select(EligibleCountry.code).distinct())}  # type: ignore[call-overload]
    programme = read_programme(session)
    return FormChoices(
        partnerships=partnerships,
        countries={
            code: reference.country_name(code) for code in sorted(codes, key=reference.country_name)
        },
        visitor_types=list(programme.visitor_types),
        host_types=list(programme.host_types),
    )


@dataclass(frozen=True)
class OrganisationChoice:
    """An organisation in the register, as the form's picker offers it."""

    id: int
    name: str
    country: str
    type: str
    is_sme: bool

    @property
    def label(self) -> str:
        """`Acme Cluster (Germany) · cluster organisation · not an SME`; `Beta (France) · SME`."""
        kind = reference.ORG_TYPE_LABELS.get(self.type, self.type)
        where = f"{self.name} ({reference.country_name(self.country)})"
        if self.type == "sme":
            return f"{where} · SME"
        return f"{where} · {kind} · {'SME' if self.is_sme else 'not an SME'}"

    def matches(self, name: str, country: str | None) -> bool:
        """True when `name` in `country` is this organisation (how the register matches them)."""
        same = reference.name_key(self.name) == reference.name_key(name)
        return same and (country is None or country == self.country)


def organisation_choices(
    session: Session, query: str, country: str | None = None, limit: int = 20
) -> list[OrganisationChoice]:
    """Organisations whose name contains `query` (case and spacing aside), names starting with
    it first; only in `country` when given. Fewer than two characters find nothing."""
    key = reference.name_key(query)
    if len(key) < 2:
        return []
    starts = ORG.c.name_key.like(_contains(key)[1:], escape="\\")
    select = sa.select(ORG).where(ORG.c.name_key.like(_contains(key), escape="\\"))
    if country:
        select = select.where(ORG.c.country == country)
    select = select.order_by(sa.case((starts, 0), else_=1), ORG.c.name_key, ORG.c.country)
    rows = session.execute(select.limit(limit)).mappings().all()
    return [
        OrganisationChoice(
            int(r["id"]), str(r["name"]), str(r["country"]), str(r["type"]), bool(r["is_sme"])
        )
        for r in rows
    ]


# --- one record ------------------------------------------------------------------------------


@dataclass
class Record:
    """One exchange as its page shows it: the stored row, its form values, facts in words."""

    exchange: Exchange  # detached from the session
    data: service.ExchangeIn
    partnership: str
    facts: pd.DataFrame  # Field, Value
    issues: list[Issue] = field(default_factory=list)  # the rules over the record now
    working_days: int = 0
    rule_lump_sum_cents: int = 0
    writable: bool = False

    @property
    def form_data(self) -> service.ExchangeIn:
        """What an edit form starts from: the lump sum left empty when it is the rule's, so
        that changing the dates recomputes it."""
        if self.exchange.lump_sum_cents == self.rule_lump_sum_cents:
            return self.data.model_copy(update={"lump_sum_eur": None})
        return self.data

    @property
    def title(self) -> str:
        """`GTEX / GTEX-2026-0042`."""
        return f"{self.partnership} / {self.exchange.reference}"


def read_record(
    session: Session, *, actor: User, exchange_id: int, today: date | None = None
) -> Record:
    """The exchange `actor` may read (PermissionDenied, NotFound otherwise), with its facts in
    plain words and what the rules say of it today."""
    exchange = service.get_exchange(session=session, actor=actor, exchange_id=exchange_id)
    data = service.exchange_in(session, exchange)
    validation = service.check_exchange(
        session=session, data=data, exchange_id=exchange_id, today=today, reader=actor
    )
    row = validation.table.iloc[0]
    writable = access.partnership_ids_writable(session=session, actor=actor)
    orgs = _org_labels(session, [exchange.visitor_org_id, exchange.host_org_id])
    who = session.execute(sa.select(USERS.c.email).where(USERS.c.id == exchange.updated_by))
    facts: list[tuple[str, str]] = [
        ("Partnership", data.partnership),
        ("Reference", exchange.reference),
        ("Status", STATUS_LABELS.get(exchange.status, exchange.status)),
        ("Modality", MODALITY_LABELS.get(exchange.modality, exchange.modality)),
        (
            "Dates at the host",
            f"{iso(exchange.start_date)} to {iso(exchange.end_date)} "
            f"({exchange.working_days} working days, quarter "
            f"{reference.quarter_label(exchange.end_quarter)})",
        ),
    ]
    for side, org_id in (("visitor", exchange.visitor_org_id), ("host", exchange.host_org_id)):
        community = getattr(exchange, f"{side}_community")
        facts.append(
            (
                FIELD_LABELS[f"{side}_org_id"],
                f"{orgs.get(org_id, f'organisation #{org_id}')} · "
                f"{reference.ORG_TYPE_LABELS.get(getattr(exchange, f'{side}_type'), '')} · "
                f"{'SME' if getattr(exchange, f'{side}_is_sme') else 'not an SME'} · "
                f"{COMMUNITY_LABELS.get(community, community).lower()}",
            )
        )
    for name in ("ecosystem", "activity", "distance_km"):
        facts.append((_label(name), display(name, getattr(exchange, name), empty="not given")))
    if access.can_see_personal_data(actor):
        facts.append(("Representative", data.representative or "not given"))
    facts += [
        (
            "Lump sum",
            f"{euros(exchange.lump_sum_cents / 100)} (the rule: "
            f"{euros(int(row['rule_lump_sum_cents']) / 100)})",
        ),
        (
            "Closing report",
            f"validated on {iso(exchange.validated_on)}"
            + (f" by {exchange.validated_by}" if exchange.validated_by else "")
            if exchange.validated_on
            else "not validated yet",
        ),
        (
            "Payment",
            f"{euros((exchange.paid_cents or 0) / 100)} paid on {iso(exchange.paid_on)}"
            if exchange.paid_on
            else "not paid yet",
        ),
    ]
    if exchange.cancellation_reason:
        facts.append(("Cancellation reason", exchange.cancellation_reason))
    facts += [
        ("Notes", exchange.notes or "none"),
        (
            "Last changed",
            f"{_when(exchange.updated_at)} by {who.scalar_one_or_none() or 'unknown'}, "
            f"version {exchange.version}",
        ),
    ]
    session.expunge(exchange)
    return Record(
        exchange=exchange,
        data=data,
        partnership=data.partnership,
        facts=pd.DataFrame(facts, columns=["Field", "Value"]),
        issues=list(validation.issues),
        working_days=int(row["working_days"]),
        rule_lump_sum_cents=int(row["rule_lump_sum_cents"]),
        writable=writable is None or exchange.partnership_id in writable,
    )


# --- the audit trail in plain words ----------------------------------------------------------


def history_frame(session: Session, *, actor: User, exchange_id: int) -> pd.DataFrame:
    """Who changed what and when, oldest first: one row per changed field (HISTORY_COLUMNS).

    Values read as on the page (labels, names of organisations, EUR amounts); representatives
    by id only. A new record is one row ("Logged"), a refused attempt one row ("Refused").
    """
    service.get_exchange(session=session, actor=actor, exchange_id=exchange_id)
    events = service.history(session=session, exchange_id=exchange_id)
    names = _names(session, [e.changes for e in events])
    rows: list[tuple[str, ...]] = []
    for event in events:
        what = ACTION_LABELS.get(event.action, event.action.replace("_", " ").capitalize())
        version = event.changes.get("version", [None, None])
        version_text = str(version[1]) if isinstance(version, list) and version[1] else ""
        head = (_when(event.at), event.actor_label, what, version_text)
        if event.action == "refused":
            tried = str(event.changes.get("attempted", "change")).replace("_", " ")
            rows.append((*head, "", "", f"tried to {tried} it"))
        elif event.action == "create" and event.import_batch_id is not None:
            when, who, _what, version_shown = head
            batch = f"new record, import {event.import_batch_id}"
            rows.append((when, who, "Imported", version_shown, "", "", batch))
        elif event.action == "create":
            rows.append((*head, "", "", "new record"))
        else:
            for name, old, new in _changes(event.changes):
                rows.append(
                    (*head, _label(name), _shown(name, old, names), _shown(name, new, names))
                )
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))


def describe_changes(session: Session, changes: dict[str, list[object]]) -> list[str]:
    """`{"status": ["planned", "confirmed"]}` -> `["Status: Planned → Confirmed"]`, as in the
    history (StaleRecord.changes reads the same way)."""
    names = _names(session, [changes])
    return [
        f"{_label(name)}: {_shown(name, old, names)} → {_shown(name, new, names)}"
        for name, old, new in _changes(changes)
    ]


def display(name: str, value: object, *, empty: str = "(empty)") -> str:
    """One stored value of field `name` in plain words (organisations and people aside)."""
    if value is None or value == "":
        return empty
    text = str(value)
    if name == "status":
        return STATUS_LABELS.get(text, text)
    if name == "modality":
        return MODALITY_LABELS.get(text, text)
    if name.endswith("_type"):
        return reference.ORG_TYPE_LABELS.get(text, text)
    if name.endswith("_country"):
        return f"{reference.country_name(text)} ({text})"
    if name.endswith("_community"):
        return COMMUNITY_LABELS.get(text, text)
    if isinstance(value, bool) or name.endswith("_is_sme"):
        return "yes" if value in (True, 1, "true") else "no"
    if name == "ecosystem":
        return reference.ECOSYSTEMS.get(text, text)
    if name == "activity":
        return reference.ACTIVITY_LABELS.get(text, text)
    if name.endswith("_cents") and isinstance(value, int | float):
        return euros(value / 100)
    if name == "distance_km" and isinstance(value, int | float):
        return f"{number(value)} km"
    if name == "representative_id":
        return f"person #{text}"  # never a name: the trail outlives an erasure
    if name == "import_batch_id":
        return f"import #{text}"
    return text


def _label(name: str) -> str:
    from xchange.register.parsing import field_label

    return FIELD_LABELS.get(name, field_label(name))


def _changes(changes: dict[str, Any]) -> list[tuple[str, object, object]]:
    """(field, old, new) for each changed field, the version bump left out."""
    return [
        (name, pair[0], pair[1])
        for name, pair in changes.items()
        if name != "version" and isinstance(pair, list | tuple) and len(pair) == 2
    ]


def _names(session: Session, changes: Sequence[dict[str, Any]]) -> dict[str, dict[int, str]]:
    """Organisation and partnership names for the ids these changes mention."""
    orgs: set[int] = set()
    partnerships: set[int] = set()
    for one in changes:
        for name, old, new in _changes(one):
            ids = {v for v in (old, new) if isinstance(v, int)}
            if name in ("visitor_org_id", "host_org_id"):
                orgs |= ids
            elif name == "partnership_id":
                partnerships |= ids
    found = session.execute(
        sa.select(P.c.id, P.c.acronym).where(P.c.id.in_(sorted(partnerships)))
    ).all()
    return {
        "org": _org_labels(session, orgs),
        "partnership": {int(i): str(a) for i, a in found},
    }


def _org_labels(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """`{3: "Acme Cluster (DE)"}` for each organisation id."""
    rows = session.execute(
        sa.select(ORG.c.id, ORG.c.name, ORG.c.country).where(ORG.c.id.in_(sorted(set(ids))))
    ).all()
    return {int(i): f"{n} ({c})" for i, n, c in rows}


def _shown(name: str, value: object, names: dict[str, dict[int, str]]) -> str:
    if isinstance(value, int) and name in ("visitor_org_id", "host_org_id"):
        return names["org"].get(value, f"organisation #{value}")
    if isinstance(value, int) and name == "partnership_id":
        return names["partnership"].get(value, f"partnership #{value}")
    return display(name, value)


def _when(moment: datetime | None) -> str:
    """`2026-03-14 10:22 UTC` (stored times are UTC)."""
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"
