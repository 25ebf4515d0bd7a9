"""Quarter reports (submitted, returned, approved, reopened), snapshot revisions, and the
programme's tolerance for the action-period rule.

- `kpi_snapshot` keeps every revision: taking a quarter again adds one instead of overwriting
  it. The table is made anew (its old unique key, quarter and scope, had no name SQLite could
  drop) and the stored rows come over as revision 1, "as reported".
- `quarter_report`: one row per partnership and quarter, the latest of each step.
- `programme.action_period_tolerance_days`: days after a partnership's action end that a stay
  may still end (default 0).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 00:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _snapshot_table(name: str, *, revisions: bool) -> None:
    columns = [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('quarter', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    ]
    if revisions:
        columns.append(sa.Column('revision', sa.Integer(), nullable=False))
    columns.append(sa.Column('taken_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False))
    if revisions:
        columns.append(
            sa.Column('taken_by', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True)
        )
    columns.append(sa.Column('figures', sa.JSON(), nullable=False))
    if revisions:
        columns.append(sa.Column('pack', sa.JSON(), nullable=False))
    keys = (
        [sa.UniqueConstraint('quarter', 'scope', 'revision', name='uq_kpi_snapshot_revision')]
        if revisions
        else [sa.UniqueConstraint('quarter', 'scope')]
    )
    op.create_table(name, *columns, sa.PrimaryKeyConstraint('id'), *keys)


def _fresh_sequence() -> None:
    """PostgreSQL: the renamed table's id sequence continues after the rows copied in."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "SELECT setval(pg_get_serial_sequence('kpi_snapshot', 'id'), "
            "COALESCE((SELECT MAX(id) FROM kpi_snapshot), 0) + 1, false)"
        )


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        'programme',
        sa.Column(
            'action_period_tolerance_days', sa.Integer(), nullable=False, server_default='0'
        ),
    )
    _snapshot_table('kpi_snapshot_revisions', revisions=True)
    op.execute(
        "INSERT INTO kpi_snapshot_revisions (id, quarter, scope, revision, taken_at, taken_by, "
        "figures, pack) SELECT id, quarter, scope, 1, taken_at, NULL, figures, '{}' "
        "FROM kpi_snapshot"
    )
    op.drop_table('kpi_snapshot')
    op.rename_table('kpi_snapshot_revisions', 'kpi_snapshot')
    _fresh_sequence()
    op.create_table('quarter_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('quarter', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('snapshot_id', sa.Integer(), nullable=True),
    sa.Column('approved_snapshot_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['approved_snapshot_id'], ['kpi_snapshot.id'], ),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['snapshot_id'], ['kpi_snapshot.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('partnership_id', 'quarter')
    )


def downgrade() -> None:
    """Downgrade schema: the first revision of each quarter stays, as the old table held one."""
    op.drop_table('quarter_report')
    _snapshot_table('kpi_snapshot_single', revisions=False)
    op.execute(
        "INSERT INTO kpi_snapshot_single (id, quarter, scope, taken_at, figures) "
        "SELECT id, quarter, scope, taken_at, figures FROM kpi_snapshot WHERE revision = 1"
    )
    op.drop_table('kpi_snapshot')
    op.rename_table('kpi_snapshot_single', 'kpi_snapshot')
    _fresh_sequence()
    with op.batch_alter_table('programme') as batch_op:
        batch_op.drop_column('action_period_tolerance_days')
