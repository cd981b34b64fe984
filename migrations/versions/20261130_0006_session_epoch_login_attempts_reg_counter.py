"""session epoch, login attempts, registration counters (hardening, #10)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 07:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated revisions use sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))

    op.create_table(
        'login_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt')),
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_email_at', ['email', 'at'], unique=False)
        batch_op.create_index('ix_login_attempt_ip_at', ['ip', 'at'], unique=False)

    op.create_table(
        'reg_counter',
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_reg_counter_region_id_region')),
        sa.PrimaryKeyConstraint('region_id', name=op.f('pk_reg_counter')),
    )
    # numbers given so far: the old rule was "count of the region's projects + 1"
    op.execute("INSERT INTO reg_counter (region_id, last_number) "
               "SELECT r.id, (SELECT count(*) FROM project p WHERE p.region_id = r.id) FROM region r")


def downgrade() -> None:
    op.drop_table('reg_counter')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_ip_at')
        batch_op.drop_index('ix_login_attempt_email_at')
    op.drop_table('login_attempt')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
