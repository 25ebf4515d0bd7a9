"""KPI summaries: kpi_daily and kpi_flow, kept in step with exchange by triggers.

The trigger DDL is the one xchange.db.summary wrote when this revision was made; a later change to it ships as a new migration that
drops and recreates the triggers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 01:43:59.594454

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The SQL as this revision wrote it, kept here so that a later change to the live summary code
# cannot change what this migration does (a later change ships as a new migration).
REBUILD = ['DELETE FROM kpi_daily',
 'INSERT INTO kpi_daily (partnership_id, end_date, end_quarter, status, modality, n, sme, '
 'beyond_broad, beyond_narrow, visitor_sme, host_sme, reduced, lump_sum_cents, paid_cents, paid_n) '
 'SELECT partnership_id, end_date, end_quarter, status, modality, SUM(1), SUM(CASE WHEN '
 'exchange.involves_sme THEN 1 ELSE 0 END), SUM(CASE WHEN exchange.visitor_external OR '
 'exchange.host_external THEN 1 ELSE 0 END), SUM(CASE WHEN exchange.visitor_partner AND '
 'exchange.host_partner THEN 0 ELSE 1 END), SUM(CASE WHEN exchange.visitor_is_sme THEN 1 ELSE 0 '
 'END), SUM(CASE WHEN exchange.host_is_sme THEN 1 ELSE 0 END), SUM(CASE WHEN exchange.reduced_rate '
 'THEN 1 ELSE 0 END), SUM(exchange.lump_sum_cents), SUM(COALESCE(exchange.paid_cents, 0)), '
 'SUM(CASE WHEN exchange.paid_on IS NOT NULL THEN 1 ELSE 0 END) FROM exchange GROUP BY '
 'partnership_id, end_date, end_quarter, status, modality',
 'DELETE FROM kpi_flow',
 'INSERT INTO kpi_flow (partnership_id, end_quarter, status, modality, visitor_country, '
 'host_country, n, sme, beyond_broad, beyond_narrow) SELECT partnership_id, end_quarter, status, '
 'modality, visitor_country, host_country, SUM(1), SUM(CASE WHEN exchange.involves_sme THEN 1 ELSE '
 '0 END), SUM(CASE WHEN exchange.visitor_external OR exchange.host_external THEN 1 ELSE 0 END), '
 'SUM(CASE WHEN exchange.visitor_partner AND exchange.host_partner THEN 0 ELSE 1 END) FROM '
 'exchange GROUP BY partnership_id, end_quarter, status, modality, visitor_country, host_country']
TRIGGERS = {'postgresql': ['CREATE FUNCTION kpi_summary_apply() RETURNS trigger LANGUAGE plpgsql AS $$\n'
                'BEGIN\n'
                "  IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
                'INSERT INTO kpi_daily (partnership_id, end_date, end_quarter, status, modality, '
                'n, sme, beyond_broad, beyond_narrow, visitor_sme, host_sme, reduced, '
                'lump_sum_cents, paid_cents, paid_n) VALUES (OLD.partnership_id, OLD.end_date, '
                'OLD.end_quarter, OLD.status, OLD.modality, -(1), -(CASE WHEN OLD.involves_sme '
                'THEN 1 ELSE 0 END), -(CASE WHEN OLD.visitor_external OR OLD.host_external THEN 1 '
                'ELSE 0 END), -(CASE WHEN OLD.visitor_partner AND OLD.host_partner THEN 0 ELSE 1 '
                'END), -(CASE WHEN OLD.visitor_is_sme THEN 1 ELSE 0 END), -(CASE WHEN '
                'OLD.host_is_sme THEN 1 ELSE 0 END), -(CASE WHEN OLD.reduced_rate THEN 1 ELSE 0 '
                'END), -(OLD.lump_sum_cents), -(COALESCE(OLD.paid_cents, 0)), -(CASE WHEN '
                'OLD.paid_on IS NOT NULL THEN 1 ELSE 0 END)) ON CONFLICT (partnership_id, '
                'end_date, end_quarter, status, modality) DO UPDATE SET n = kpi_daily.n + '
                'excluded.n, sme = kpi_daily.sme + excluded.sme, beyond_broad = '
                'kpi_daily.beyond_broad + excluded.beyond_broad, beyond_narrow = '
                'kpi_daily.beyond_narrow + excluded.beyond_narrow, visitor_sme = '
                'kpi_daily.visitor_sme + excluded.visitor_sme, host_sme = kpi_daily.host_sme + '
                'excluded.host_sme, reduced = kpi_daily.reduced + excluded.reduced, lump_sum_cents '
                '= kpi_daily.lump_sum_cents + excluded.lump_sum_cents, paid_cents = '
                'kpi_daily.paid_cents + excluded.paid_cents, paid_n = kpi_daily.paid_n + '
                'excluded.paid_n;\n'
                'INSERT INTO kpi_flow (partnership_id, end_quarter, status, modality, '
                'visitor_country, host_country, n, sme, beyond_broad, beyond_narrow) VALUES '
                '(OLD.partnership_id, OLD.end_quarter, OLD.status, OLD.modality, '
                'OLD.visitor_country, OLD.host_country, -(1), -(CASE WHEN OLD.involves_sme THEN 1 '
                'ELSE 0 END), -(CASE WHEN OLD.visitor_external OR OLD.host_external THEN 1 ELSE 0 '
                'END), -(CASE WHEN OLD.visitor_partner AND OLD.host_partner THEN 0 ELSE 1 END)) ON '
                'CONFLICT (partnership_id, end_quarter, status, modality, visitor_country, '
                'host_country) DO UPDATE SET n = kpi_flow.n + excluded.n, sme = kpi_flow.sme + '
                'excluded.sme, beyond_broad = kpi_flow.beyond_broad + excluded.beyond_broad, '
                'beyond_narrow = kpi_flow.beyond_narrow + excluded.beyond_narrow;\n'
                '  END IF;\n'
                "  IF TG_OP IN ('UPDATE', 'INSERT') THEN\n"
                'INSERT INTO kpi_daily (partnership_id, end_date, end_quarter, status, modality, '
                'n, sme, beyond_broad, beyond_narrow, visitor_sme, host_sme, reduced, '
                'lump_sum_cents, paid_cents, paid_n) VALUES (NEW.partnership_id, NEW.end_date, '
                'NEW.end_quarter, NEW.status, NEW.modality, +(1), +(CASE WHEN NEW.involves_sme '
                'THEN 1 ELSE 0 END), +(CASE WHEN NEW.visitor_external OR NEW.host_external THEN 1 '
                'ELSE 0 END), +(CASE WHEN NEW.visitor_partner AND NEW.host_partner THEN 0 ELSE 1 '
                'END), +(CASE WHEN NEW.visitor_is_sme THEN 1 ELSE 0 END), +(CASE WHEN '
                'NEW.host_is_sme THEN 1 ELSE 0 END), +(CASE WHEN NEW.reduced_rate THEN 1 ELSE 0 '
                'END), +(NEW.lump_sum_cents), +(COALESCE(NEW.paid_cents, 0)), +(CASE WHEN '
                'NEW.paid_on IS NOT NULL THEN 1 ELSE 0 END)) ON CONFLICT (partnership_id, '
                'end_date, end_quarter, status, modality) DO UPDATE SET n = kpi_daily.n + '
                'excluded.n, sme = kpi_daily.sme + excluded.sme, beyond_broad = '
                'kpi_daily.beyond_broad + excluded.beyond_broad, beyond_narrow = '
                'kpi_daily.beyond_narrow + excluded.beyond_narrow, visitor_sme = '
                'kpi_daily.visitor_sme + excluded.visitor_sme, host_sme = kpi_daily.host_sme + '
                'excluded.host_sme, reduced = kpi_daily.reduced + excluded.reduced, lump_sum_cents '
                '= kpi_daily.lump_sum_cents + excluded.lump_sum_cents, paid_cents = '
                'kpi_daily.paid_cents + excluded.paid_cents, paid_n = kpi_daily.paid_n + '
                'excluded.paid_n;\n'
                'INSERT INTO kpi_flow (partnership_id, end_quarter, status, modality, '
                'visitor_country, host_country, n, sme, beyond_broad, beyond_narrow) VALUES '
                '(NEW.partnership_id, NEW.end_quarter, NEW.status, NEW.modality, '
                'NEW.visitor_country, NEW.host_country, +(1), +(CASE WHEN NEW.involves_sme THEN 1 '
                'ELSE 0 END), +(CASE WHEN NEW.visitor_external OR NEW.host_external THEN 1 ELSE 0 '
                'END), +(CASE WHEN NEW.visitor_partner AND NEW.host_partner THEN 0 ELSE 1 END)) ON '
                'CONFLICT (partnership_id, end_quarter, status, modality, visitor_country, '
                'host_country) DO UPDATE SET n = kpi_flow.n + excluded.n, sme = kpi_flow.sme + '
                'excluded.sme, beyond_broad = kpi_flow.beyond_broad + excluded.beyond_broad, '
                'beyond_narrow = kpi_flow.beyond_narrow + excluded.beyond_narrow;\n'
                '  END IF;\n'
                '  RETURN NULL;\n'
                'END $$',
                'CREATE TRIGGER kpi_summary_insert AFTER INSERT OR DELETE ON exchange FOR EACH ROW '
                'EXECUTE FUNCTION kpi_summary_apply()',
                'CREATE TRIGGER kpi_summary_update AFTER UPDATE OF end_date, end_quarter, '
                'host_country, host_external, host_is_sme, host_partner, involves_sme, '
                'lump_sum_cents, modality, paid_cents, paid_on, partnership_id, reduced_rate, '
                'status, visitor_country, visitor_external, visitor_is_sme, visitor_partner ON '
                'exchange FOR EACH ROW EXECUTE FUNCTION kpi_summary_apply()'],
 'sqlite': ['CREATE TRIGGER kpi_summary_insert AFTER INSERT ON exchange BEGIN\n'
            'INSERT INTO kpi_daily (partnership_id, end_date, end_quarter, status, modality, n, '
            'sme, beyond_broad, beyond_narrow, visitor_sme, host_sme, reduced, lump_sum_cents, '
            'paid_cents, paid_n) VALUES (NEW.partnership_id, NEW.end_date, NEW.end_quarter, '
            'NEW.status, NEW.modality, +(1), +(CASE WHEN NEW.involves_sme THEN 1 ELSE 0 END), '
            '+(CASE WHEN NEW.visitor_external OR NEW.host_external THEN 1 ELSE 0 END), +(CASE WHEN '
            'NEW.visitor_partner AND NEW.host_partner THEN 0 ELSE 1 END), +(CASE WHEN '
            'NEW.visitor_is_sme THEN 1 ELSE 0 END), +(CASE WHEN NEW.host_is_sme THEN 1 ELSE 0 '
            'END), +(CASE WHEN NEW.reduced_rate THEN 1 ELSE 0 END), +(NEW.lump_sum_cents), '
            '+(COALESCE(NEW.paid_cents, 0)), +(CASE WHEN NEW.paid_on IS NOT NULL THEN 1 ELSE 0 '
            'END)) ON CONFLICT (partnership_id, end_date, end_quarter, status, modality) DO UPDATE '
            'SET n = kpi_daily.n + excluded.n, sme = kpi_daily.sme + excluded.sme, beyond_broad = '
            'kpi_daily.beyond_broad + excluded.beyond_broad, beyond_narrow = '
            'kpi_daily.beyond_narrow + excluded.beyond_narrow, visitor_sme = kpi_daily.visitor_sme '
            '+ excluded.visitor_sme, host_sme = kpi_daily.host_sme + excluded.host_sme, reduced = '
            'kpi_daily.reduced + excluded.reduced, lump_sum_cents = kpi_daily.lump_sum_cents + '
            'excluded.lump_sum_cents, paid_cents = kpi_daily.paid_cents + excluded.paid_cents, '
            'paid_n = kpi_daily.paid_n + excluded.paid_n;\n'
            'INSERT INTO kpi_flow (partnership_id, end_quarter, status, modality, visitor_country, '
            'host_country, n, sme, beyond_broad, beyond_narrow) VALUES (NEW.partnership_id, '
            'NEW.end_quarter, NEW.status, NEW.modality, NEW.visitor_country, NEW.host_country, '
            '+(1), +(CASE WHEN NEW.involves_sme THEN 1 ELSE 0 END), +(CASE WHEN '
            'NEW.visitor_external OR NEW.host_external THEN 1 ELSE 0 END), +(CASE WHEN '
            'NEW.visitor_partner AND NEW.host_partner THEN 0 ELSE 1 END)) ON CONFLICT '
            '(partnership_id, end_quarter, status, modality, visitor_country, host_country) DO '
            'UPDATE SET n = kpi_flow.n + excluded.n, sme = kpi_flow.sme + excluded.sme, '
            'beyond_broad = kpi_flow.beyond_broad + excluded.beyond_broad, beyond_narrow = '
            'kpi_flow.beyond_narrow + excluded.beyond_narrow;\n'
            'END',
            'CREATE TRIGGER kpi_summary_delete AFTER DELETE ON exchange BEGIN\n'
            'INSERT INTO kpi_daily (partnership_id, end_date, end_quarter, status, modality, n, '
            'sme, beyond_broad, beyond_narrow, visitor_sme, host_sme, reduced, lump_sum_cents, '
            'paid_cents, paid_n) VALUES (OLD.partnership_id, OLD.end_date, OLD.end_quarter, '
            'OLD.status, OLD.modality, -(1), -(CASE WHEN OLD.involves_sme THEN 1 ELSE 0 END), '
            '-(CASE WHEN OLD.visitor_external OR OLD.host_external THEN 1 ELSE 0 END), -(CASE WHEN '
            'OLD.visitor_partner AND OLD.host_partner THEN 0 ELSE 1 END), -(CASE WHEN '
            'OLD.visitor_is_sme THEN 1 ELSE 0 END), -(CASE WHEN OLD.host_is_sme THEN 1 ELSE 0 '
            'END), -(CASE WHEN OLD.reduced_rate THEN 1 ELSE 0 END), -(OLD.lump_sum_cents), '
            '-(COALESCE(OLD.paid_cents, 0)), -(CASE WHEN OLD.paid_on IS NOT NULL THEN 1 ELSE 0 '
            'END)) ON CONFLICT (partnership_id, end_date, end_quarter, status, modality) DO UPDATE '
            'SET n = kpi_daily.n + excluded.n, sme = kpi_daily.sme + excluded.sme, beyond_broad = '
            'kpi_daily.beyond_broad + excluded.beyond_broad, beyond_narrow = '
            'kpi_daily.beyond_narrow + excluded.beyond_narrow, visitor_sme = kpi_daily.visitor_sme '
            '+ excluded.visitor_sme, host_sme = kpi_daily.host_sme + excluded.host_sme, reduced = '
            'kpi_daily.reduced + excluded.reduced, lump_sum_cents = kpi_daily.lump_sum_cents + '
            'excluded.lump_sum_cents, paid_cents = kpi_daily.paid_cents + excluded.paid_cents, '
            'paid_n = kpi_daily.paid_n + excluded.paid_n;\n'
            'INSERT INTO kpi_flow (partnership_id, end_quarter, status, modality, visitor_country, '
            'host_country, n, sme, beyond_broad, beyond_narrow) VALUES (OLD.partnership_id, '
            'OLD.end_quarter, OLD.status, OLD.modality, OLD.visitor_country, OLD.host_country, '
            '-(1), -(CASE WHEN OLD.involves_sme THEN 1 ELSE 0 END), -(CASE WHEN '
            'OLD.visitor_external OR OLD.host_external THEN 1 ELSE 0 END), -(CASE WHEN '
            'OLD.visitor_partner AND OLD.host_partner THEN 0 ELSE 1 END)) ON CONFLICT '
            '(partnership_id, end_quarter, status, modality, visitor_country, host_country) DO '
            'UPDATE SET n = kpi_flow.n + excluded.n, sme = kpi_flow.sme + excluded.sme, '
            'beyond_broad = kpi_flow.beyond_broad + excluded.beyond_broad, beyond_narrow = '
            'kpi_flow.beyond_narrow + excluded.beyond_narrow;\n'
            'END',
            'CREATE TRIGGER kpi_summary_update AFTER UPDATE OF end_date, end_quarter, '
            'host_country, host_external, host_is_sme, host_partner, involves_sme, lump_sum_cents, '
            'modality, paid_cents, paid_on, partnership_id, reduced_rate, status, visitor_country, '
            'visitor_external, visitor_is_sme, visitor_partner ON exchange BEGIN\n'
            'INSERT INTO kpi_daily (partnership_id, end_date, end_quarter, status, modality, n, '
            'sme, beyond_broad, beyond_narrow, visitor_sme, host_sme, reduced, lump_sum_cents, '
            'paid_cents, paid_n) VALUES (OLD.partnership_id, OLD.end_date, OLD.end_quarter, '
            'OLD.status, OLD.modality, -(1), -(CASE WHEN OLD.involves_sme THEN 1 ELSE 0 END), '
            '-(CASE WHEN OLD.visitor_external OR OLD.host_external THEN 1 ELSE 0 END), -(CASE WHEN '
            'OLD.visitor_partner AND OLD.host_partner THEN 0 ELSE 1 END), -(CASE WHEN '
            'OLD.visitor_is_sme THEN 1 ELSE 0 END), -(CASE WHEN OLD.host_is_sme THEN 1 ELSE 0 '
            'END), -(CASE WHEN OLD.reduced_rate THEN 1 ELSE 0 END), -(OLD.lump_sum_cents), '
            '-(COALESCE(OLD.paid_cents, 0)), -(CASE WHEN OLD.paid_on IS NOT NULL THEN 1 ELSE 0 '
            'END)) ON CONFLICT (partnership_id, end_date, end_quarter, status, modality) DO UPDATE '
            'SET n = kpi_daily.n + excluded.n, sme = kpi_daily.sme + excluded.sme, beyond_broad = '
            'kpi_daily.beyond_broad + excluded.beyond_broad, beyond_narrow = '
            'kpi_daily.beyond_narrow + excluded.beyond_narrow, visitor_sme = kpi_daily.visitor_sme '
            '+ excluded.visitor_sme, host_sme = kpi_daily.host_sme + excluded.host_sme, reduced = '
            'kpi_daily.reduced + excluded.reduced, lump_sum_cents = kpi_daily.lump_sum_cents + '
            'excluded.lump_sum_cents, paid_cents = kpi_daily.paid_cents + excluded.paid_cents, '
            'paid_n = kpi_daily.paid_n + excluded.paid_n;\n'
            'INSERT INTO kpi_flow (partnership_id, end_quarter, status, modality, visitor_country, '
            'host_country, n, sme, beyond_broad, beyond_narrow) VALUES (OLD.partnership_id, '
            'OLD.end_quarter, OLD.status, OLD.modality, OLD.visitor_country, OLD.host_country, '
            '-(1), -(CASE WHEN OLD.involves_sme THEN 1 ELSE 0 END), -(CASE WHEN '
            'OLD.visitor_external OR OLD.host_external THEN 1 ELSE 0 END), -(CASE WHEN '
            'OLD.visitor_partner AND OLD.host_partner THEN 0 ELSE 1 END)) ON CONFLICT '
            '(partnership_id, end_quarter, status, modality, visitor_country, host_country) DO '
            'UPDATE SET n = kpi_flow.n + excluded.n, sme = kpi_flow.sme + excluded.sme, '
            'beyond_broad = kpi_flow.beyond_broad + excluded.beyond_broad, beyond_narrow = '
            'kpi_flow.beyond_narrow + excluded.beyond_narrow;\n'
            'INSERT INTO kpi_daily (partnership_id, end_date, end_quarter, status, modality, n, '
            'sme, beyond_broad, beyond_narrow, visitor_sme, host_sme, reduced, lump_sum_cents, '
            'paid_cents, paid_n) VALUES (NEW.partnership_id, NEW.end_date, NEW.end_quarter, '
            'NEW.status, NEW.modality, +(1), +(CASE WHEN NEW.involves_sme THEN 1 ELSE 0 END), '
            '+(CASE WHEN NEW.visitor_external OR NEW.host_external THEN 1 ELSE 0 END), +(CASE WHEN '
            'NEW.visitor_partner AND NEW.host_partner THEN 0 ELSE 1 END), +(CASE WHEN '
            'NEW.visitor_is_sme THEN 1 ELSE 0 END), +(CASE WHEN NEW.host_is_sme THEN 1 ELSE 0 '
            'END), +(CASE WHEN NEW.reduced_rate THEN 1 ELSE 0 END), +(NEW.lump_sum_cents), '
            '+(COALESCE(NEW.paid_cents, 0)), +(CASE WHEN NEW.paid_on IS NOT NULL THEN 1 ELSE 0 '
            'END)) ON CONFLICT (partnership_id, end_date, end_quarter, status, modality) DO UPDATE '
            'SET n = kpi_daily.n + excluded.n, sme = kpi_daily.sme + excluded.sme, beyond_broad = '
            'kpi_daily.beyond_broad + excluded.beyond_broad, beyond_narrow = '
            'kpi_daily.beyond_narrow + excluded.beyond_narrow, visitor_sme = kpi_daily.visitor_sme '
            '+ excluded.visitor_sme, host_sme = kpi_daily.host_sme + excluded.host_sme, reduced = '
            'kpi_daily.reduced + excluded.reduced, lump_sum_cents = kpi_daily.lump_sum_cents + '
            'excluded.lump_sum_cents, paid_cents = kpi_daily.paid_cents + excluded.paid_cents, '
            'paid_n = kpi_daily.paid_n + excluded.paid_n;\n'
            'INSERT INTO kpi_flow (partnership_id, end_quarter, status, modality, visitor_country, '
            'host_country, n, sme, beyond_broad, beyond_narrow) VALUES (NEW.partnership_id, '
            'NEW.end_quarter, NEW.status, NEW.modality, NEW.visitor_country, NEW.host_country, '
            '+(1), +(CASE WHEN NEW.involves_sme THEN 1 ELSE 0 END), +(CASE WHEN '
            'NEW.visitor_external OR NEW.host_external THEN 1 ELSE 0 END), +(CASE WHEN '
            'NEW.visitor_partner AND NEW.host_partner THEN 0 ELSE 1 END)) ON CONFLICT '
            '(partnership_id, end_quarter, status, modality, visitor_country, host_country) DO '
            'UPDATE SET n = kpi_flow.n + excluded.n, sme = kpi_flow.sme + excluded.sme, '
            'beyond_broad = kpi_flow.beyond_broad + excluded.beyond_broad, beyond_narrow = '
            'kpi_flow.beyond_narrow + excluded.beyond_narrow;\n'
            'END']}
DROP_TRIGGERS = {'postgresql': ['DROP TRIGGER IF EXISTS kpi_summary_insert ON exchange',
                'DROP TRIGGER IF EXISTS kpi_summary_update ON exchange',
                'DROP FUNCTION IF EXISTS kpi_summary_apply()'],
 'sqlite': ['DROP TRIGGER IF EXISTS kpi_summary_insert',
            'DROP TRIGGER IF EXISTS kpi_summary_delete',
            'DROP TRIGGER IF EXISTS kpi_summary_update']}


def upgrade() -> None:
    """Upgrade schema."""
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('kpi_daily',
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('end_quarter', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('modality', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.Column('sme', sa.BigInteger(), nullable=False),
    sa.Column('beyond_broad', sa.BigInteger(), nullable=False),
    sa.Column('beyond_narrow', sa.BigInteger(), nullable=False),
    sa.Column('visitor_sme', sa.BigInteger(), nullable=False),
    sa.Column('host_sme', sa.BigInteger(), nullable=False),
    sa.Column('reduced', sa.BigInteger(), nullable=False),
    sa.Column('lump_sum_cents', sa.BigInteger(), nullable=False),
    sa.Column('paid_cents', sa.BigInteger(), nullable=False),
    sa.Column('paid_n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('partnership_id', 'end_date', 'end_quarter', 'status', 'modality')
    )
    op.create_table('kpi_flow',
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('end_quarter', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('modality', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('visitor_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('host_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.Column('sme', sa.BigInteger(), nullable=False),
    sa.Column('beyond_broad', sa.BigInteger(), nullable=False),
    sa.Column('beyond_narrow', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('partnership_id', 'end_quarter', 'status', 'modality', 'visitor_country', 'host_country')
    )
    # ### end Alembic commands ###
    bind = op.get_bind()
    for statement in REBUILD:
        bind.exec_driver_sql(statement)
    for statement in TRIGGERS[bind.dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table('kpi_flow')
    op.drop_table('kpi_daily')
    # ### end Alembic commands ###
