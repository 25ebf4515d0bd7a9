"""Index exchange.created_at: the figures as recorded at a moment look up the records created
after it (a range of this index, instead of a scan of a million rows).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 00:55:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index('ix_exchange_created_at', 'exchange', ['created_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_exchange_created_at', table_name='exchange')
