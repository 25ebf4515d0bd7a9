"""Personal API tokens: read-only access for other tools (Excel, Power BI, scripts).

- `api_token`: the owner, a name, a SHA-256 of the secret (never the secret), when it was
  created and revoked, and the last day it was used (the first use of each day is audited).
- A name is unique among an owner's tokens that are not revoked (a partial unique index, which
  SQLite and PostgreSQL both support), so a revoked name may be used again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 23:54:38.220455

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NOT_REVOKED = "revoked_at IS NULL"


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_used_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index(op.f('ix_api_token_user_id'), 'api_token', ['user_id'], unique=False)
    op.create_index(
        'ux_api_token_owner_name',
        'api_token',
        ['user_id', 'name'],
        unique=True,
        sqlite_where=sa.text(NOT_REVOKED),
        postgresql_where=sa.text(NOT_REVOKED),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ux_api_token_owner_name', table_name='api_token')
    op.drop_index(op.f('ix_api_token_user_id'), table_name='api_token')
    op.drop_table('api_token')
