"""Drop ix_exchange_partnership_id: the unique (partnership_id, reference) index already serves
every look-up by partnership, so this one only cost every write (and 0.03 s of each large
import's index rebuild at 100,000 rows).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:05:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Not in batch mode: on SQLite that may copy the table and lose its triggers.
    op.drop_index('ix_exchange_partnership_id', table_name='exchange')


def downgrade() -> None:
    """Downgrade schema."""
    op.create_index('ix_exchange_partnership_id', 'exchange', ['partnership_id'], unique=False)
