"""transition_request: partial index (approval, project_id) WHERE status = 'pending' — the
requests waiting for a role, per region by index in a national database (#16 item 3)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 20:55:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_transition_request_pending_approval', 'transition_request', ['approval', 'project_id'],
                    unique=False, sqlite_where=sa.text("status = 'pending'"),
                    postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index('ix_transition_request_pending_approval', table_name='transition_request',
                  sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
