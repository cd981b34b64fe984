"""scheduler_job: the scheduler's heartbeat and the last run of each job (/healthz, /metrics; #16)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 10:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated revisions use sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'scheduler_job',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('last_started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_duration_ms', sa.Float(), nullable=False),
        sa.Column('last_ok', sa.Boolean(), nullable=False),
        sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('runs', sa.Integer(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_job')),
    )


def downgrade() -> None:
    op.drop_table('scheduler_job')
