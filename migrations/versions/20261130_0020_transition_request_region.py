"""transition_request.region_id (the project's region, copied) with a partial index
(region_id, requested_at) WHERE status = 'pending': a region's waiting requests by their
own index in a national database (#16 item 3)

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 21:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('transition_request', sa.Column('region_id', sa.Integer(), nullable=True))
    op.execute("UPDATE transition_request SET region_id = "
               "(SELECT project.region_id FROM project WHERE project.id = transition_request.project_id)")
    op.create_index('ix_transition_request_region_pending', 'transition_request', ['region_id', 'requested_at'],
                    unique=False, sqlite_where=sa.text("status = 'pending'"),
                    postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index('ix_transition_request_region_pending', table_name='transition_request',
                  sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
    with op.batch_alter_table('transition_request', schema=None) as batch_op:
        batch_op.drop_column('region_id')
