"""Versions on user records, session epochs, sign-in attempts per client, and the trail's typed
emails redacted.

- `app_user.version`: an administrator's edit that read an older version is refused.
- `app_user.session_epoch`: a password change or a deactivation bumps it, ending the user's
  other sessions.
- `sign_in_attempt`: failed sign-ins in a row per typed email and client address (both as keyed
  hashes), so that an attacker slows down only themselves, never another client.
- Failed sign-ins used to record the email as typed for actor label, whatever it was (a password
  typed into the Email field, a formula). The labels of those that match no user become
  "unknown email", in one UPDATE, recorded in the trail itself. The append-only guard of
  migration 0005 is lifted for that statement alone: inside this migration's transaction, which
  holds the table (PostgreSQL: ACCESS EXCLUSIVE lock from ALTER TABLE; SQLite: the database's
  write lock), so no other statement runs while it is off, and it is back before the commit.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 10:00:00.000000

"""
from datetime import UTC, datetime
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNKNOWN = "unknown email"
SIGN_IN_ACTIONS = ("sign_in_failed", "sign_in_locked")

# As in migration 0005: dropped and created again around the one UPDATE on SQLite.
SQLITE_GUARD = """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END"""
PG_GUARD = "audit_event_no_update_delete"

# The refused sign-ins whose label names no user (by email, any case): what was typed.
TYPED = f"""actor_id IS NULL AND entity = 'user'
    AND action IN ({", ".join(f"'{a}'" for a in SIGN_IN_ACTIONS)})
    AND actor_label <> '{UNKNOWN}'
    AND NOT EXISTS (SELECT 1 FROM app_user WHERE lower(app_user.email) = lower(audit_event.actor_label))"""


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ADD COLUMN (not batch mode): on SQLite, batch mode would copy the table.
    op.add_column('app_user', sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    op.add_column(
        'app_user', sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0')
    )
    op.create_table('sign_in_attempt',
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_failed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('account', 'client')
    )
    op.create_index(
        op.f('ix_sign_in_attempt_last_failed_at'), 'sign_in_attempt', ['last_failed_at'], unique=False
    )
    # Locks now live per client in sign_in_attempt; an old account-wide lock would outlast it.
    op.execute("UPDATE app_user SET locked_until = NULL")
    _redact_typed_emails()


def _redact_typed_emails() -> None:
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.text(f"SELECT id FROM audit_event WHERE {TYPED} ORDER BY id"))]
    if not ids:
        return
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER audit_event_no_update")
    else:
        op.execute(f"ALTER TABLE audit_event DISABLE TRIGGER {PG_GUARD}")
    bind.execute(sa.text(f"UPDATE audit_event SET actor_label = :unknown WHERE {TYPED}"), {"unknown": UNKNOWN})
    if sqlite:
        op.execute(SQLITE_GUARD)
    else:
        op.execute(f"ALTER TABLE audit_event ENABLE TRIGGER {PG_GUARD}")
    # The redaction itself, in the trail: which events, never what they held.
    audit = sa.table(
        'audit_event',
        sa.column('at', sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column('actor_id', sa.Integer()),
        sa.column('actor_label', sa.String()),
        sa.column('entity', sa.String()),
        sa.column('entity_id', sa.Integer()),
        sa.column('action', sa.String()),
        sa.column('changes', sa.JSON()),
    )
    bind.execute(
        audit.insert().values(
            at=datetime.now(UTC),
            actor_id=None,
            actor_label="migration 0007",
            entity="audit_event",
            entity_id=None,
            action="redact",
            changes={
                "actor_label": ["(the email as typed)", UNKNOWN],
                "events": ids,
                "why": "refused sign-ins recorded what was typed into the Email field",
            },
        )
    )


def downgrade() -> None:
    """Downgrade schema (the redacted labels stay redacted: what was typed is gone)."""
    op.drop_index(op.f('ix_sign_in_attempt_last_failed_at'), table_name='sign_in_attempt')
    op.drop_table('sign_in_attempt')
    # Plain ALTER TABLE (SQLite 3.35+ and PostgreSQL): a batch copy of app_user would drop the
    # table that the audit trail and exchanges refer to, which SQLite's foreign keys refuse.
    op.execute("ALTER TABLE app_user DROP COLUMN session_epoch")
    op.execute("ALTER TABLE app_user DROP COLUMN version")
