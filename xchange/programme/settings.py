"""Programme settings: targets, counting definitions, eligible countries, allowed organisations.

The programme row (id 1) holds what DOMAIN.md calls configurable: the call's targets (1,000
exchanges, 50 % involving an SME, 25 % beyond the community), the broad or narrow reading of
"beyond", whether virtual stays count and the window in which they are accepted, the at-risk
thresholds of the dashboard's statuses, the organisation types allowed per role, and how long
representatives' names are kept after an action ends. Eligible
countries are rows of their own, each with optional validity dates.

Writes follow the house rules: administrators only, validated with a message naming the value
at fault (`InvalidInput`), audited as `[old, new]` on entity "programme", and guarded by the
programme's `version` (a write that read an older one raises `StaleRecord`). Eligible countries
belong to the programme, so changing them bumps its version too. The caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from xchange import dates, reference
from xchange.accounts import access
from xchange.db.versioning import check_version, next_version, record_change
from xchange.errors import InvalidInput
from xchange.models import BeyondReading, EligibleCountry, OrgType, Programme, User
from xchange.programme.row import PROGRAMME_ID, programme

# Representatives' names are erased this long after their partnership's action ends (GDPR):
# at least a month, at most twenty years.
MIN_RETENTION_MONTHS = 1
MAX_RETENTION_MONTHS = 240
MAX_TOLERANCE_DAYS = 366


@dataclass(frozen=True)
class ProgrammeSettings:
    """The programme's editable settings, as a form reads and writes them.

    Shares and thresholds are fractions (0.5 is 50 %); organisation types are `OrgType` values
    (labels such as "scale-up support organisation" are read too).
    """

    name: str
    target_exchanges: int
    sme_share_target: float
    beyond_share_target: float
    beyond_reading: str
    count_virtual: bool
    virtual_window_start: date | None
    virtual_window_end: date | None
    visitor_types: tuple[str, ...]
    host_types: tuple[str, ...]
    at_risk_ratio: float
    at_risk_share_margin: float
    retention_months: int
    # Days after a partnership's action end that a stay may still end (the action-period rule).
    action_period_tolerance_days: int = 0

    @classmethod
    def of(cls, row: Programme) -> ProgrammeSettings:
        """The settings held by a programme row."""
        return cls(
            name=row.name,
            target_exchanges=row.target_exchanges,
            sme_share_target=row.sme_share_target,
            beyond_share_target=row.beyond_share_target,
            beyond_reading=row.beyond_reading,
            count_virtual=row.count_virtual,
            virtual_window_start=row.virtual_window_start,
            virtual_window_end=row.virtual_window_end,
            visitor_types=tuple(row.visitor_types),
            host_types=tuple(row.host_types),
            at_risk_ratio=row.at_risk_ratio,
            at_risk_share_margin=row.at_risk_share_margin,
            retention_months=row.retention_months,
            action_period_tolerance_days=row.action_period_tolerance_days,
        )


@dataclass(frozen=True)
class Eligibility:
    """A country eligible from `valid_from` to `valid_to` (both optional and inclusive).

    `code` may be any spelling `reference.parse_country` reads (`EL`, `Greece`, `UK`); it is
    stored as ISO 3166-1 alpha-2.
    """

    code: str
    valid_from: date | None = None
    valid_to: date | None = None

    def describe(self) -> str:
        """`GB until 2020-12-31`, `HR from 2013-07-01`, or just `FR`."""
        parts = [self.code]
        if self.valid_from is not None:
            parts.append(f"from {self.valid_from.isoformat()}")
        if self.valid_to is not None:
            parts.append(f"until {self.valid_to.isoformat()}")
        return " ".join(parts)


def read_settings(session: Session) -> ProgrammeSettings:
    """The programme's settings now."""
    return ProgrammeSettings.of(programme(session))


def programme_version(session: Session) -> int:
    """The programme's version now: what a settings form passes back as `expected_version`."""
    return programme(session).version


def default_settings() -> ProgrammeSettings:
    """The settings of a new deployment (DOMAIN.md's defaults): what "restore" goes back to."""
    return ProgrammeSettings.of(Programme())


def read_eligibility(session: Session) -> list[Eligibility]:
    """The eligible countries with their validity dates, by code, then start."""
    rows = session.exec(select(EligibleCountry)).all()
    return sorted(
        (Eligibility(row.code, row.valid_from, row.valid_to) for row in rows),
        key=lambda e: (e.code, e.valid_from or date.min),
    )


def update_programme(
    *, session: Session, actor: User, expected_version: int, settings: ProgrammeSettings
) -> Programme:
    """Save the programme's settings (admins only); returns the row at its new version.

    Checks: a name; a positive target; shares and the at-risk ratio above 0 and at most 100 %;
    the at-risk margin within 0 and 100 points; a known "beyond" reading; the virtual window's
    start on or before its end; at least one known organisation type per role; a retention
    time of 1 to 240 months. Raises
    `InvalidInput` naming the value at fault, `StaleRecord`, `PermissionDenied`. Saving the same
    settings writes nothing.
    """
    access.require_admin(
        session=session,
        actor=actor,
        action="update_programme",
        entity="programme",
        entity_id=PROGRAMME_ID,
    )
    row = programme(session)
    _check_version(session, row, expected_version)
    cleaned = check_settings(settings)
    changes = {
        name: [old, new]
        for name, old, new in _fields(ProgrammeSettings.of(row), cleaned)
        if old != new
    }
    if not changes:
        return row
    changes["version"] = _bump(session, row, expected_version)
    for name, value in asdict(cleaned).items():
        setattr(row, name, list(value) if isinstance(value, tuple) else value)
    session.add(row)
    record_change(session, actor, "programme", PROGRAMME_ID, "update", changes)
    session.flush()
    return row


def check_settings(settings: ProgrammeSettings) -> ProgrammeSettings:
    """The settings cleaned (name trimmed, types as stored values), or `InvalidInput`."""
    name = settings.name.strip()
    if not name:
        raise InvalidInput("The programme needs a name.")
    if len(name) > 200:
        raise InvalidInput("The programme's name is longer than 200 characters.")
    if settings.target_exchanges <= 0:
        raise InvalidInput(
            f"The target must be a positive number of exchanges (not {settings.target_exchanges})."
        )
    for what, share in (
        ("SME share target", settings.sme_share_target),
        ("beyond-community share target", settings.beyond_share_target),
        ("at-risk ratio", settings.at_risk_ratio),
    ):
        if not 0 < share <= 1:
            raise InvalidInput(
                f"The {what} must lie above 0 % and at most 100 % (not {share * 100:g} %)."
            )
    if not 0 <= settings.at_risk_share_margin < 1:
        raise InvalidInput(
            "The at-risk margin must lie within 0 and 100 percentage points "
            f"(not {settings.at_risk_share_margin * 100:g})."
        )
    if not MIN_RETENTION_MONTHS <= settings.retention_months <= MAX_RETENTION_MONTHS:
        raise InvalidInput(
            f"The retention time of representatives' names must lie within "
            f"{MIN_RETENTION_MONTHS} and {MAX_RETENTION_MONTHS} months "
            f"(not {settings.retention_months})."
        )
    if not 0 <= settings.action_period_tolerance_days <= MAX_TOLERANCE_DAYS:
        raise InvalidInput(
            "The tolerance after a partnership's action end lies within 0 and "
            f"{MAX_TOLERANCE_DAYS} days (not {settings.action_period_tolerance_days})."
        )
    readings = [r.value for r in BeyondReading]
    if settings.beyond_reading not in readings:
        raise InvalidInput(
            f"Unknown reading of 'beyond the community' {settings.beyond_reading!r}: "
            f"one of {', '.join(readings)}."
        )
    start, end = settings.virtual_window_start, settings.virtual_window_end
    _check_dates(
        ("Start of the window for virtual stays", start),
        ("End of the window for virtual stays", end),
    )
    if start is not None and end is not None and end < start:
        raise InvalidInput(
            f"The window for virtual stays ends ({end.isoformat()}) before it starts "
            f"({start.isoformat()})."
        )
    return ProgrammeSettings(
        **{
            **asdict(settings),
            "name": name,
            "visitor_types": _org_types(settings.visitor_types, "visitors"),
            "host_types": _org_types(settings.host_types, "hosts"),
        }
    )


def set_eligible_countries(
    *,
    session: Session,
    actor: User,
    expected_version: int,
    countries: Sequence[Eligibility],
) -> list[EligibleCountry]:
    """Replace the eligible countries (admins only); returns the stored rows.

    Each code must be a country `reference.parse_country` knows; each period's start lies on or
    before its end; a country listed twice needs periods that do not overlap (the United
    Kingdom until 2020-12-31, say, and again from a later date); at least one country stays
    eligible. Raises `InvalidInput`, `StaleRecord`, `PermissionDenied`. The rules read the new
    list at the next validation; stored exchanges are not checked again.
    """
    access.require_admin(
        session=session,
        actor=actor,
        action="set_eligible_countries",
        entity="programme",
        entity_id=PROGRAMME_ID,
    )
    row = programme(session)
    _check_version(session, row, expected_version)
    cleaned = check_eligibility(countries)
    before = [e.describe() for e in read_eligibility(session)]
    after = [e.describe() for e in cleaned]
    stored = list(session.exec(select(EligibleCountry)).all())
    if before == after:
        return stored
    version = _bump(session, row, expected_version)
    for old in stored:
        session.delete(old)
    session.flush()
    rows = [
        EligibleCountry(code=e.code, valid_from=e.valid_from, valid_to=e.valid_to) for e in cleaned
    ]
    session.add_all(rows)
    record_change(
        session,
        actor,
        "programme",
        PROGRAMME_ID,
        "update",
        {"eligible_countries": [before, after], "version": version},
    )
    session.flush()
    return rows


def check_eligibility(countries: Iterable[Eligibility]) -> list[Eligibility]:
    """The list with ISO codes, sorted; `InvalidInput` naming the first entry at fault."""
    cleaned: list[Eligibility] = []
    for entry in countries:
        typed = (entry.code or "").strip()
        if not typed:
            raise InvalidInput("Each eligible country needs a code (FR) or a name (France).")
        code = reference.parse_country(typed)
        if code is None:
            raise InvalidInput(f"{typed!r} is not a country code or name (FR, Greece, EL...).")
        name = reference.country_name(code)
        _check_dates(
            (f"{name} eligible from", entry.valid_from), (f"{name} eligible until", entry.valid_to)
        )
        if entry.valid_from and entry.valid_to and entry.valid_to < entry.valid_from:
            raise InvalidInput(
                f"{reference.country_name(code)} is eligible until {entry.valid_to.isoformat()}, "
                f"before it becomes eligible on {entry.valid_from.isoformat()}."
            )
        cleaned.append(Eligibility(code, entry.valid_from, entry.valid_to))
    if not cleaned:
        raise InvalidInput("At least one country must be eligible.")
    cleaned.sort(key=lambda e: (e.code, e.valid_from or date.min))
    for first, second in zip(cleaned, cleaned[1:], strict=False):
        if first.code != second.code:
            continue
        # Sorted by start: two periods of one country overlap unless the first ends before
        # the second starts.
        if (
            first.valid_to is None
            or second.valid_from is None
            or second.valid_from <= first.valid_to
        ):
            raise InvalidInput(
                f"{reference.country_name(first.code)} is listed twice with overlapping dates "
                f"({first.describe()}; {second.describe()}): keep one line per period."
            )
    return cleaned


# --- internals -------------------------------------------------------------------------------


def _check_dates(*labelled: tuple[str, date | None]) -> None:
    """`InvalidInput` naming the first date outside the accepted ones (None: no date given)."""
    for label, day in labelled:
        if day is not None and not dates.within(day):
            raise InvalidInput(dates.out_of_range_message(label, day) + ".")


def _org_types(values: Iterable[str], role: str) -> tuple[str, ...]:
    """Stored `OrgType` values in the enumeration's order; labels are read too."""
    table = reference.enum_tables()["org_type"]
    chosen: set[str] = set()
    for value in values:
        stored = table.get(reference.enum_key(str(value)))
        if stored is None:
            allowed = ", ".join(reference.ORG_TYPE_LABELS.values())
            raise InvalidInput(f"Unknown organisation type {value!r}: one of {allowed}.")
        chosen.add(stored)
    if not chosen:
        raise InvalidInput(f"Allow at least one organisation type for {role}.")
    return tuple(t.value for t in OrgType if t.value in chosen)


def _fields(before: ProgrammeSettings, after: ProgrammeSettings) -> list[tuple[str, Any, Any]]:
    """(field, old, new) in JSON form: dates as ISO text, types as lists."""

    def plain(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        return list(value) if isinstance(value, tuple) else value

    old, new = asdict(before), asdict(after)
    return [(name, plain(old[name]), plain(new[name])) for name in old]


def _check_version(session: Session, row: Programme, expected_version: int) -> None:
    check_version(session, row, expected_version, entity="programme", what=_WHAT, plural=True)


def _bump(session: Session, row: Programme, expected_version: int) -> list[int]:
    return next_version(session, row, expected_version, entity="programme", what=_WHAT, plural=True)


_WHAT = "The programme settings"
