"""The register's tables and the enumerations they use.

Tables store facts as they were logged. What depends on settings or on today's date (eligibility
windows, the broad or narrow "beyond" reading, ongoing or overdue stays) is decided at query time.
A few derived facts that the KPIs filter on millions of times (quarter of the end date, involves an
SME, each side external or partner, working days, reduced rate) are stored and indexed; they depend
only on the row itself, so every write path computes them with `rules.derived_facts()`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now, in UTC (stored as UTC everywhere)."""
    return datetime.now(UTC)


# --- enumerations (stored as their string value) ---------------------------------------------


class Status(StrEnum):
    PLANNED = "planned"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Modality(StrEnum):
    PHYSICAL = "physical"
    VIRTUAL = "virtual"


class Community(StrEnum):
    PARTNER = "partner"
    MEMBER = "member"
    EXTERNAL = "external"


class OrgType(StrEnum):
    CLUSTER = "cluster_organisation"
    BUSINESS_NETWORK = "business_network_organisation"
    SCALE_UP_SUPPORT = "scale_up_support_organisation"
    SME = "sme"
    LARGE_COMPANY = "large_company"
    PUBLIC_AUTHORITY = "public_authority"
    INNOVATION_AGENCY = "innovation_agency"
    TRAINING_PROVIDER = "training_provider"
    UNIVERSITY = "university"
    OTHER = "other"


class SizeClass(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"


class Activity(StrEnum):
    CAPACITY_BUILDING = "capacity_building"
    KNOWLEDGE_SHARING = "knowledge_sharing"
    PROJECT_DEVELOPMENT = "project_development"
    MARKET_RESEARCH = "market_research"
    NETWORKING = "networking"


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    OFFICER = "officer"


class BeyondReading(StrEnum):
    """Which side counts as "beyond the partnership community"."""

    BROAD = "broad"  # the visitor or the host is external (DOMAIN default)
    NARROW = "narrow"  # the visitor or the host is anything but a partner


# --- programme settings -------------------------------------------------------------------------


class Programme(SQLModel, table=True):
    """The call's targets and counting definitions; one row (id 1) per deployment."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="ClusterXchange", max_length=200)
    target_exchanges: int = 1000
    sme_share_target: float = 0.50
    beyond_share_target: float = 0.25
    beyond_reading: str = Field(default=BeyondReading.BROAD.value, max_length=10)
    count_virtual: bool = False
    virtual_window_start: date | None = None
    virtual_window_end: date | None = None
    # Allowed organisation types per role, as OrgType values.
    visitor_types: list[str] = Field(
        default_factory=lambda: [
            OrgType.CLUSTER.value,
            OrgType.BUSINESS_NETWORK.value,
            OrgType.SCALE_UP_SUPPORT.value,
            OrgType.SME.value,
        ],
        sa_type=JSON,
    )
    host_types: list[str] = Field(default_factory=lambda: [t.value for t in OrgType], sa_type=JSON)
    # Status thresholds: "at risk" when the projection reaches this fraction of the target,
    # or a share lies at most this many fraction points below its floor.
    at_risk_ratio: float = 0.90
    at_risk_share_margin: float = 0.05
    # Months after a partnership's action end when representatives' data is erased (GDPR).
    retention_months: int = 60
    # Days after a partnership's action end that a stay may still end (the action-period rule).
    action_period_tolerance_days: int = 0
    version: int = 1


class EligibleCountry(SQLModel, table=True):
    """A country eligible for exchanges from `valid_from` to `valid_to` (both optional, inclusive)."""

    __tablename__ = "eligible_country"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=2, index=True)  # ISO 3166-1 alpha-2 (GR, GB)
    valid_from: date | None = None
    valid_to: date | None = None


# --- partnerships --------------------------------------------------------------------------------


class Partnership(SQLModel, table=True):
    """A funded partnership of cluster organisations that runs its own exchanges."""

    id: int | None = Field(default=None, primary_key=True)
    acronym: str = Field(max_length=40, sa_column_kwargs={"unique": True})
    name: str = Field(max_length=300)
    action_start: date
    action_end: date
    target_exchanges: int = 100
    sme_share_target: float | None = None  # None: the programme's
    beyond_share_target: float | None = None
    full_rate_cents: int = 110_000  # EUR 1,100.00, the cap for a full lump sum
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class HostCountryRate(SQLModel, table=True):
    """A partnership's full lump sum for stays hosted in one country (overrides its full rate)."""

    __tablename__ = "host_country_rate"
    __table_args__ = (sa.UniqueConstraint("partnership_id", "country"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", ondelete="CASCADE")
    country: str = Field(max_length=2)
    rate_cents: int


class ReportingPeriod(SQLModel, table=True):
    """A reporting period of a partnership (interim, final...), ending on `ends_on` inclusive."""

    __tablename__ = "reporting_period"
    __table_args__ = (sa.UniqueConstraint("partnership_id", "label"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", ondelete="CASCADE")
    label: str = Field(max_length=40)
    ends_on: date


class PathMilestone(SQLModel, table=True):
    """A point on a partnership's target path: `cumulative` exchanges expected by `due_on`."""

    __tablename__ = "path_milestone"
    __table_args__ = (sa.UniqueConstraint("partnership_id", "due_on"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", ondelete="CASCADE")
    due_on: date
    cumulative: int


# --- organisations and people ----------------------------------------------------------------


class Organisation(SQLModel, table=True):
    """A legal entity that visits or hosts; one row per normalised name and country."""

    __table_args__ = (sa.UniqueConstraint("name_key", "country"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=300)
    name_key: str = Field(max_length=300)  # reference.name_key(name): the matching key
    type: str = Field(max_length=40)  # OrgType value
    country: str = Field(max_length=2)
    is_sme: bool = False
    size_class: str | None = Field(default=None, max_length=10)  # SizeClass value
    created_at: datetime = Field(default_factory=utcnow)


class Person(SQLModel, table=True):
    """A representative who travels; kept apart so erasing it removes the name everywhere."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)  # looked up by name on every logged exchange
    contact: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


# --- users and imports -----------------------------------------------------------------------


class User(SQLModel, table=True):
    """Someone who signs in: an admin, a partnership coordinator or a Commission officer."""

    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, sa_column_kwargs={"unique": True})
    role: str = Field(max_length=20)  # Role value
    password_hash: str | None = Field(default=None, max_length=300)  # argon2; None: SSO only
    active: bool = True
    failed_logins: int = 0  # wrong passwords in a row, from any client: shown to administrators
    # No longer read: locks are per typed email and client address (SignInAttempt). Kept so that
    # backups made before migration 0007 still restore.
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 1  # bumped by every administrator's change: a stale edit is refused
    # Bumped by a password change or a deactivation: a session signed in at an older epoch is
    # over at its next interaction (auth.revoke_sessions).
    session_epoch: int = 0


class SignInAttempt(SQLModel, table=True):
    """Failed sign-ins in a row for one typed email from one client address.

    Both are kept as keyed hashes (sign_in_attempts.key), never as typed: a password typed into the
    Email field by mistake is not stored. A row unused for a day is forgotten.
    """

    __tablename__ = "sign_in_attempt"
    account: str = Field(primary_key=True, max_length=64)
    client: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    locked_until: datetime | None = None
    last_failed_at: datetime = Field(default_factory=utcnow, index=True)


class WebSession(SQLModel, table=True):
    """A browser's sign-in that survives a reload: the cookie holds a random token, this row
    only its SHA-256 (a stolen backup signs nobody in) with the user, the epoch it signed in at
    and when it ends (`accounts.websessions`)."""

    __tablename__ = "web_session"
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    session_epoch: int
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


class UserPartnership(SQLModel, table=True):
    """A partnership a coordinator may write for."""

    __tablename__ = "user_partnership"
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    partnership_id: int = Field(foreign_key="partnership.id", primary_key=True, ondelete="CASCADE")


class ApiToken(SQLModel, table=True):
    """A personal API token: read-only, with its owner's rights. Only a SHA-256 of the secret is
    kept (the secret is random, so a plain hash suffices); a name is unique among the owner's
    tokens not revoked."""

    __tablename__ = "api_token"
    __table_args__ = (
        sa.Index(
            "ux_api_token_owner_name",
            "user_id",
            "name",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    last_used_on: date | None = None  # the first use of each day is audited


class ImportBatch(SQLModel, table=True):
    """One import of a file; its exchanges can be taken back together."""

    __tablename__ = "import_batch"
    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_rows: int = 0
    updated_rows: int = 0
    undone_at: datetime | None = None


# --- the register ----------------------------------------------------------------------------


class Exchange(SQLModel, table=True):
    """One exchange: a visiting organisation's stay at a host organisation in another country.

    Each side's SME flag, community, type and country are kept as logged, so that a later change
    to an organisation's profile does not rewrite past KPIs.
    """

    __table_args__ = (
        sa.UniqueConstraint("partnership_id", "reference"),
        # An organisation visits only once (physical, not cancelled): enforced by the database
        # too, so that concurrent writers cannot both succeed.
        sa.Index(
            "uq_exchange_one_physical_visit",
            "visitor_org_id",
            unique=True,
            sqlite_where=sa.text("modality = 'physical' AND status != 'cancelled'"),
            postgresql_where=sa.text("modality = 'physical' AND status != 'cancelled'"),
        ),
        # Raw-table KPI queries (the as-of quarter's days, filters the summaries lack) filter on
        # status and end date; the index covers what they sum and group by, so no row is read.
        sa.Index(
            "ix_exchange_kpi_cover",
            "status",
            "end_date",
            "partnership_id",
            "modality",
            "involves_sme",
            "visitor_external",
            "host_external",
            "visitor_partner",
            "host_partner",
            "visitor_country",
            "host_country",
            "end_quarter",
            "ecosystem",
            "visitor_type",
            "host_type",
        ),
        # An ecosystem filter (the summaries have no ecosystem) seeks here, index-only.
        sa.Index(
            "ix_exchange_kpi_ecosystem",
            "ecosystem",
            "status",
            "end_date",
            "partnership_id",
            "modality",
            "involves_sme",
            "visitor_external",
            "host_external",
            "visitor_partner",
            "host_partner",
            "end_quarter",
            "visitor_country",
            "host_country",
        ),
        sa.Index("ix_exchange_partnership_quarter", "partnership_id", "end_quarter"),
        # "Last activity" per partnership on the dashboard: one seek each.
        sa.Index("ix_exchange_partnership_updated", "partnership_id", "updated_at"),
        # Figures as recorded at a moment read the records created after it (`db.history`).
        sa.Index("ix_exchange_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # No index of its own: the unique (partnership_id, reference) index serves it.
    partnership_id: int = Field(foreign_key="partnership.id")
    reference: str = Field(max_length=80)
    status: str = Field(max_length=12)  # Status value
    modality: str = Field(default=Modality.PHYSICAL.value, max_length=10)
    start_date: date
    end_date: date
    visitor_org_id: int = Field(foreign_key="organisation.id")
    host_org_id: int = Field(foreign_key="organisation.id", index=True)
    visitor_type: str = Field(max_length=40)
    host_type: str = Field(max_length=40)
    visitor_country: str = Field(max_length=2)
    host_country: str = Field(max_length=2)
    visitor_is_sme: bool
    host_is_sme: bool
    visitor_community: str = Field(max_length=10)  # Community value
    host_community: str = Field(max_length=10)
    ecosystem: str | None = Field(default=None, max_length=10)  # reference.ECOSYSTEMS code
    activity: str | None = Field(default=None, max_length=30)  # Activity value
    representative_id: int | None = Field(
        default=None, foreign_key="person.id", ondelete="SET NULL"
    )
    distance_km: float | None = None
    lump_sum_cents: int = 0
    cancellation_reason: str | None = Field(default=None, max_length=2000)
    validated_on: date | None = None  # closing report validated
    validated_by: str | None = Field(default=None, max_length=200)
    paid_on: date | None = None
    paid_cents: int | None = None
    notes: str | None = Field(default=None, max_length=4000)
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="app_user.id")
    version: int = 1

    # Derived, stored and indexed: see rules.derived_facts().
    end_quarter: str = Field(max_length=6, index=True)  # "2026Q3"
    working_days: int
    reduced_rate: bool
    involves_sme: bool
    visitor_external: bool
    host_external: bool
    visitor_partner: bool
    host_partner: bool


def quarter_of(day: date) -> str:
    """The quarter a date falls in, as stored: `2026Q3`."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


class AuditEvent(SQLModel, table=True):
    """One write (or refused write) to the register; append-only.

    `changes` maps each changed field to `[old, new]`. People appear by id only
    (`representative_id`), so erasing a person leaves the trail intact and nameless.
    """

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_entity", "entity", "entity_id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=320)  # email, or "local administrator (CLI)"
    entity: str = Field(max_length=40)  # "exchange", "partnership", "user", ...
    entity_id: int | None = None
    action: str = Field(max_length=40)  # "create", "update", "cancel", "refused", ...
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id")


class KpiSnapshot(SQLModel, table=True):
    """One revision of a quarter's figures, kept to compare with the same quarter now.

    Never overwritten: taking the quarter again (or submitting a partnership's report) stores the
    next revision. `figures` holds the headline; `pack` every figure a quarterly pack prints
    (breakdowns, flows, ecosystems, money), so a past quarter's pack can be rebuilt from it.
    """

    __tablename__ = "kpi_snapshot"
    __table_args__ = (
        sa.UniqueConstraint("quarter", "scope", "revision", name="uq_kpi_snapshot_revision"),
    )
    id: int | None = Field(default=None, primary_key=True)
    quarter: str = Field(max_length=6)
    scope: str = Field(max_length=40)  # "programme" or a partnership acronym
    revision: int = 1  # 1: the first taken, "as reported"
    taken_at: datetime = Field(default_factory=utcnow)
    taken_by: str | None = Field(default=None, max_length=320)  # the actor's email
    figures: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    pack: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class QuarterState(StrEnum):
    """Where a partnership's quarter report stands (no row: open)."""

    OPEN = "open"  # not submitted yet, or reopened by an administrator
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class QuarterReport(SQLModel, table=True):
    """A partnership's report for one quarter: submitted, returned, approved, reopened.

    An approved quarter is locked (`programme.quarters`): no exchange ending in it may change.
    Every step is audited (entity "quarter_report"); the row holds the latest of each.
    """

    __tablename__ = "quarter_report"
    __table_args__ = (sa.UniqueConstraint("partnership_id", "quarter"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", ondelete="CASCADE")
    quarter: str = Field(max_length=6)  # 2025Q4
    state: str = Field(default=QuarterState.OPEN.value, max_length=10)
    comment: str | None = Field(default=None, max_length=2000)  # the coordinator's, at submission
    reason: str | None = Field(default=None, max_length=2000)  # why returned or reopened
    snapshot_id: int | None = Field(default=None, foreign_key="kpi_snapshot.id")  # submitted
    approved_snapshot_id: int | None = Field(default=None, foreign_key="kpi_snapshot.id")
    submitted_by: str | None = Field(default=None, max_length=320)
    submitted_at: datetime | None = None
    decided_by: str | None = Field(default=None, max_length=320)  # approved, returned, reopened
    decided_at: datetime | None = None
    version: int = 1


# --- summaries kept in step by database triggers (xchange.db.summary) ----------------------------


class KpiDaily(SQLModel, table=True):
    """Sums of exchanges by partnership, end date (and quarter), status and modality."""

    __tablename__ = "kpi_daily"
    partnership_id: int = Field(primary_key=True)
    end_date: date = Field(primary_key=True)
    end_quarter: str = Field(primary_key=True, max_length=6)  # follows from end_date
    status: str = Field(primary_key=True, max_length=12)
    modality: str = Field(primary_key=True, max_length=10)
    n: int = Field(default=0, sa_type=sa.BigInteger)
    sme: int = Field(default=0, sa_type=sa.BigInteger)
    beyond_broad: int = Field(default=0, sa_type=sa.BigInteger)
    beyond_narrow: int = Field(default=0, sa_type=sa.BigInteger)
    visitor_sme: int = Field(default=0, sa_type=sa.BigInteger)
    host_sme: int = Field(default=0, sa_type=sa.BigInteger)
    reduced: int = Field(default=0, sa_type=sa.BigInteger)
    lump_sum_cents: int = Field(default=0, sa_type=sa.BigInteger)
    paid_cents: int = Field(default=0, sa_type=sa.BigInteger)
    paid_n: int = Field(default=0, sa_type=sa.BigInteger)


class KpiFlow(SQLModel, table=True):
    """Sums of exchanges by partnership, quarter, status, modality and country pair."""

    __tablename__ = "kpi_flow"
    partnership_id: int = Field(primary_key=True)
    end_quarter: str = Field(primary_key=True, max_length=6)
    status: str = Field(primary_key=True, max_length=12)
    modality: str = Field(primary_key=True, max_length=10)
    visitor_country: str = Field(primary_key=True, max_length=2)
    host_country: str = Field(primary_key=True, max_length=2)
    n: int = Field(default=0, sa_type=sa.BigInteger)
    sme: int = Field(default=0, sa_type=sa.BigInteger)
    beyond_broad: int = Field(default=0, sa_type=sa.BigInteger)
    beyond_narrow: int = Field(default=0, sa_type=sa.BigInteger)
