"""Writing the register: create, update, cancel, complete and pay exchanges for an acting user.

An exchange ending in an approved quarter (or moved into or out of one) is refused with
`QuarterLocked` (`programme.quarters`), except a payment.

Every write checks the actor's permission first, validates with the rules (the same ones an import
runs), bumps the record's version (a write against an older version raises `StaleRecord` and
changes nothing) and writes an `AuditEvent` in the same transaction. Functions flush but do not
commit: the caller's `db.write_session` commits everything together, or nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from xchange import dates, reference
from xchange.accounts import access
from xchange.db.versioning import bump_version, record_change, stale_changes
from xchange.errors import NotFound, StaleRecord, ValidationFailed
from xchange.models import AuditEvent, Exchange, Organisation, Person, Status, User, utcnow
from xchange.programme.quarters import refuse_locked
from xchange.register.parsing import Issue, date_out_of_range
from xchange.register.rules import Validation, load_context, validate


class ExchangeIn(SQLModel):
    """One exchange as a form (or a script) gives it: canonical columns, typed or as text.

    Enumerations and countries may be given in any accepted spelling (`"Scale-up support
    organisation"`, `"Greece"`); the rules read them exactly as an import would.
    """

    partnership: str
    reference: str
    status: str = Status.PLANNED.value
    modality: str = "physical"
    start_date: date | None = None
    end_date: date | None = None
    visitor_organisation: str = ""
    visitor_type: str = ""
    visitor_country: str = ""
    visitor_is_sme: bool | None = None
    visitor_community: str = ""
    host_organisation: str = ""
    host_type: str = ""
    host_country: str = ""
    host_is_sme: bool | None = None
    host_community: str = ""
    ecosystem: str | None = None
    activity: str | None = None
    representative: str | None = None
    distance_km: float | None = None
    lump_sum_eur: Decimal | None = None
    cancellation_reason: str | None = None
    notes: str | None = None

    def as_row(self) -> dict[str, Any]:
        """The canonical-column dict the rules read."""
        row = self.model_dump()
        if row["lump_sum_eur"] is not None:
            row["lump_sum_eur"] = float(row["lump_sum_eur"])
        return row


# Columns copied from a validated row onto the record, and the stored derived facts.
_LOGGED = (
    "reference",
    "status",
    "modality",
    "start_date",
    "end_date",
    "visitor_type",
    "host_type",
    "visitor_country",
    "host_country",
    "visitor_is_sme",
    "host_is_sme",
    "visitor_community",
    "host_community",
    "ecosystem",
    "activity",
    "distance_km",
    "lump_sum_cents",
    "cancellation_reason",
    "notes",
)
_DERIVED = (
    "end_quarter",
    "working_days",
    "reduced_rate",
    "involves_sme",
    "visitor_external",
    "host_external",
    "visitor_partner",
    "host_partner",
)
# What the audit trail records of an exchange (people by id only, never by name).
AUDITED = (
    "partnership_id",
    *_LOGGED,
    "visitor_org_id",
    "host_org_id",
    "representative_id",
    "validated_on",
    "validated_by",
    "paid_on",
    "paid_cents",
    "import_batch_id",
    "version",
)


def check_exchange(
    *,
    session: Session,
    data: ExchangeIn,
    exchange_id: int | None = None,
    today: date | None = None,
    reader: User | None = None,
) -> Validation:
    """Validate one exchange without writing: errors, warnings, working days and the lump sum.

    Forms call it on every change to show messages beside their fields before saving.
    `reader`: who will read the messages; they then name only records `reader` may see
    (`rules.load_context`). None: messages name every record, for administrators and tools.
    """
    frame = pd.DataFrame([data.as_row()], index=[0])
    if exchange_id is not None:
        frame["exchange_id"] = exchange_id
    readable = (
        None if reader is None else access.partnership_ids_readable(session=session, actor=reader)
    )
    return validate(frame, load_context(session, frame, today, readable=readable))


def create_exchange(
    *,
    session: Session,
    actor: User,
    data: ExchangeIn,
    today: date | None = None,
    import_batch_id: int | None = None,
) -> Exchange:
    """Log a new exchange for `actor`; raises PermissionDenied, ValidationFailed."""
    validation = check_exchange(session=session, data=data, today=today, reader=actor)
    row = validation.table.iloc[0]
    partnership_id = _partnership_id(row)
    if partnership_id is not None:
        access.require_write(
            session=session, actor=actor, partnership_id=partnership_id, action="create"
        )
    if validation.errors or partnership_id is None:
        raise ValidationFailed(validation.issues)
    refuse_locked(session, [(partnership_id, row["end_quarter"])])
    if pd.notna(row["exchange_id"]):
        raise ValidationFailed(
            [
                Issue(
                    "reference_exists",
                    "error",
                    "reference",
                    data.reference,
                    f"Reference {data.reference!r} is already used in {data.partnership}: "
                    "open that exchange to change it",
                    0,
                )
            ]
        )
    exchange = Exchange(
        partnership_id=partnership_id,
        created_by=actor.id,
        updated_by=actor.id,
        import_batch_id=import_batch_id,
        **_record_values(session, row),
    )
    session.add(exchange)
    _flush_or_explain(session, data)
    _audit(session, actor, exchange, "create", _diff({}, _snapshot(exchange)), import_batch_id)
    return exchange


def update_exchange(
    *,
    session: Session,
    actor: User,
    exchange_id: int,
    expected_version: int,
    data: ExchangeIn,
    today: date | None = None,
    import_batch_id: int | None = None,
) -> Exchange:
    """Change an exchange read at `expected_version`; StaleRecord if it changed meanwhile."""
    exchange = _writable(session, actor, exchange_id, "update")
    validation = check_exchange(
        session=session, data=data, exchange_id=exchange_id, today=today, reader=actor
    )
    row = validation.table.iloc[0]
    new_partnership = _partnership_id(row)
    if new_partnership is not None and new_partnership != exchange.partnership_id:
        access.require_write(
            session=session,
            actor=actor,
            partnership_id=new_partnership,
            action="move",
            entity_id=exchange_id,
        )
    if validation.errors:
        raise ValidationFailed(validation.issues)
    # Out of a locked quarter as much as into one: both pairs are asked.
    refuse_locked(
        session,
        [(exchange.partnership_id, exchange.end_quarter), (new_partnership, row["end_quarter"])],
    )
    before = _snapshot(exchange)
    values = {"partnership_id": new_partnership, **_record_values(session, row)}
    return _write(
        session, actor, exchange, expected_version, values, before, "update", import_batch_id, data
    )


def cancel_exchange(
    *, session: Session, actor: User, exchange_id: int, expected_version: int, reason: str
) -> Exchange:
    """Cancel an exchange with a reason; cancelled exchanges never count."""
    exchange = _writable(session, actor, exchange_id, "cancel")
    refuse_locked(session, [(exchange.partnership_id, exchange.end_quarter)])
    if not reason.strip():
        raise ValidationFailed(
            [
                Issue(
                    "cancelled_without_reason",
                    "error",
                    "cancellation_reason",
                    "",
                    "A cancelled exchange needs a cancellation reason",
                    0,
                )
            ]
        )
    values = {"status": Status.CANCELLED.value, "cancellation_reason": reason.strip()}
    return _write(
        session,
        actor,
        exchange,
        expected_version,
        values,
        _snapshot(exchange),
        "cancel",
        None,
        None,
    )


def complete_exchange(
    *,
    session: Session,
    actor: User,
    exchange_id: int,
    expected_version: int,
    validated_on: date,
    validated_by: str,
    today: date | None = None,
) -> Exchange:
    """Mark an exchange completed: it took place and its closing report was validated."""
    exchange = _writable(session, actor, exchange_id, "complete")
    refuse_locked(session, [(exchange.partnership_id, exchange.end_quarter)])
    _check_day("validated_on", validated_on)
    data = exchange_in(session, exchange).model_copy(update={"status": Status.COMPLETED.value})
    validation = check_exchange(
        session=session, data=data, exchange_id=exchange_id, today=today, reader=actor
    )
    if validation.errors:
        raise ValidationFailed(validation.issues)
    values = {
        "status": Status.COMPLETED.value,
        "validated_on": validated_on,
        "validated_by": validated_by.strip() or None,
    }
    return _write(
        session,
        actor,
        exchange,
        expected_version,
        values,
        _snapshot(exchange),
        "complete",
        None,
        None,
    )


def record_payment(
    *,
    session: Session,
    actor: User,
    exchange_id: int,
    expected_version: int,
    paid_on: date,
    paid_eur: Decimal | float,
) -> Exchange:
    """Record the lump sum paid to the visitor (allowed in an approved quarter: a payment
    changes no figure a quarter report holds)."""
    exchange = _writable(session, actor, exchange_id, "pay")
    _check_day("paid_on", paid_on)
    amount = Decimal(str(paid_eur))
    cents = int(round(amount * 100)) if amount.is_finite() else -1  # inf, nan: refused
    if cents < 0 or cents > 110_000:
        raise ValidationFailed(
            [
                Issue(
                    "lump_sum_out_of_range",
                    "error",
                    "paid_eur",
                    str(paid_eur),
                    "A payment lies between EUR 0 and EUR 1,100.00",
                    0,
                )
            ]
        )
    values = {"paid_on": paid_on, "paid_cents": cents}
    return _write(
        session, actor, exchange, expected_version, values, _snapshot(exchange), "pay", None, None
    )


def get_exchange(*, session: Session, actor: User, exchange_id: int) -> Exchange:
    """An exchange the actor may see (coordinators: their own partnerships only)."""
    exchange = _get(session, exchange_id)
    access.require_read(session=session, actor=actor, partnership_id=exchange.partnership_id)
    return exchange


def history(*, session: Session, exchange_id: int) -> list[AuditEvent]:
    """The exchange's audit trail, oldest first."""
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "exchange", AuditEvent.entity_id == exchange_id)
            .order_by(sa.column("at"), sa.column("id"))
        ).all()
    )


def exchange_in(session: Session, exchange: Exchange) -> ExchangeIn:
    """The form values of a stored exchange (what an edit starts from)."""
    from xchange.models import Partnership

    partnership = session.get(Partnership, exchange.partnership_id)
    visitor = session.get(Organisation, exchange.visitor_org_id)
    host = session.get(Organisation, exchange.host_org_id)
    person = session.get(Person, exchange.representative_id) if exchange.representative_id else None
    return ExchangeIn(
        partnership=partnership.acronym if partnership else "",
        representative=person.name if person else None,
        visitor_organisation=visitor.name if visitor else "",
        host_organisation=host.name if host else "",
        lump_sum_eur=Decimal(exchange.lump_sum_cents) / 100,
        **{name: getattr(exchange, name) for name in _LOGGED if name in ExchangeIn.model_fields},
    )


# --- internals -------------------------------------------------------------------------------


def _get(session: Session, exchange_id: int) -> Exchange:
    exchange = session.get(Exchange, exchange_id)
    if exchange is None:
        raise NotFound(f"There is no exchange with id {exchange_id}")
    return exchange


def _check_day(field: str, day: date) -> None:
    """ValidationFailed naming `field` when `day` lies outside the accepted dates."""
    if not dates.within(day):
        raise ValidationFailed([date_out_of_range(field, day, 0)])


def _writable(session: Session, actor: User, exchange_id: int, action: str) -> Exchange:
    """The exchange, once `actor` is allowed to `action` it (the refusal is recorded)."""
    exchange = _get(session, exchange_id)
    access.require_write(
        session=session,
        actor=actor,
        partnership_id=exchange.partnership_id,
        action=action,
        entity_id=exchange_id,
    )
    return exchange


def _partnership_id(row: pd.Series) -> int | None:
    value = row["partnership_id"]
    return None if pd.isna(value) else int(value)


def _python(value: Any) -> Any:
    """numpy/pandas scalars -> plain Python values for the ORM."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value.item() if hasattr(value, "item") else value


def _record_values(session: Session, row: pd.Series) -> dict[str, Any]:
    """Column values for the record from a validated row, with organisations and person resolved."""
    values = {name: _python(row[name]) for name in (*_LOGGED, *_DERIVED)}
    for side in ("visitor", "host"):
        values[f"{side}_org_id"] = upsert_organisation(
            session,
            name=row[f"{side}_organisation"],
            org_type=row[f"{side}_type"],
            country=row[f"{side}_country"],
            is_sme=bool(row[f"{side}_is_sme"]),
        ).id
    name = _python(row["representative"])
    values["representative_id"] = person_for(session, name).id if name else None
    return values


def upsert_organisation(
    session: Session, *, name: str, org_type: str, country: str, is_sme: bool
) -> Organisation:
    """The organisation with this name and country, created if new; its profile kept current.

    Exchanges keep each side's type and SME flag as logged, so updating the profile here never
    rewrites a past KPI.
    """
    key = reference.name_key(name)
    query = select(Organisation).where(
        Organisation.name_key == key, Organisation.country == country
    )
    org = session.exec(query).first()
    if org is None:
        try:
            with session.begin_nested():
                org = Organisation(
                    name=name.strip(), name_key=key, type=org_type, country=country, is_sme=is_sme
                )
                session.add(org)
        except IntegrityError:  # created meanwhile by a concurrent writer
            org = session.exec(query).one()
    elif (org.type, org.is_sme) != (org_type, is_sme):
        org.type, org.is_sme = org_type, is_sme
        session.add(org)
    session.flush()
    return org


def person_for(session: Session, name: str) -> Person:
    """The representative with exactly this name, created if new."""
    person = session.exec(select(Person).where(Person.name == name.strip())).first()
    if person is None:
        person = Person(name=name.strip())
        session.add(person)
        session.flush()
    return person


def _write(
    session: Session,
    actor: User,
    exchange: Exchange,
    expected_version: int,
    values: dict[str, Any],
    before: dict[str, Any],
    action: str,
    import_batch_id: int | None,
    data: ExchangeIn | None,
) -> Exchange:
    """Apply `values` if the record is still at `expected_version`, then audit the change."""
    assert exchange.id is not None
    # The version check and the bump are one statement (`versioning.bump_version`).
    if bump_version(session, Exchange, exchange.id, expected_version) is None:
        raise _stale(session, exchange.id, expected_version)
    for name, value in values.items():
        setattr(exchange, name, value)
    exchange.version = expected_version + 1
    exchange.updated_at = utcnow()
    exchange.updated_by = actor.id
    if import_batch_id is not None:
        exchange.import_batch_id = import_batch_id
    session.add(exchange)
    if data is not None:
        _flush_or_explain(session, data)
    else:
        session.flush()
    changes = _diff(before, _snapshot(exchange))
    _audit(session, actor, exchange, action, changes, import_batch_id)
    return exchange


def _stale(session: Session, exchange_id: int, expected_version: int) -> StaleRecord:
    """What changed since `expected_version`, read from the audit trail."""
    changes = stale_changes(session, "exchange", exchange_id, expected_version)
    fields = ", ".join(sorted(changes)) or "its version"
    return StaleRecord(
        f"Exchange {exchange_id} was changed by someone else since you opened it ({fields}); "
        "nothing was saved. Reload it and apply your change again.",
        changes,
    )


def _snapshot(exchange: Exchange) -> dict[str, Any]:
    return {name: _jsonable(getattr(exchange, name)) for name in AUDITED}


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def _audit(
    session: Session,
    actor: User,
    exchange: Exchange,
    action: str,
    changes: dict[str, list[Any]],
    import_batch_id: int | None,
) -> None:
    record_change(
        session, actor, "exchange", exchange.id, action, changes, import_batch_id=import_batch_id
    )
    session.flush()


def _flush_or_explain(session: Session, data: ExchangeIn) -> None:
    """Flush; turn the database's own uniqueness guards into the rules' messages."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        text = str(exc.orig)
        if "one_physical_visit" in text or "visitor_org_id" in text:
            issue = Issue(
                "second_visit",
                "error",
                "visitor_organisation",
                data.visitor_organisation,
                f"{data.visitor_organisation} already visits in another exchange: "
                "an organisation visits only once",
                0,
            )
        elif "reference" in text:
            issue = Issue(
                "reference_exists",
                "error",
                "reference",
                data.reference,
                f"Reference {data.reference!r} is already used in {data.partnership}",
                0,
            )
        else:
            raise
        raise ValidationFailed([issue]) from exc
