"""risk: index (project_id, status, score, created_at) — a region's unresolved risks read
by its projects, the tower's count and worst list from the index alone (#16 item 3)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 20:10:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_risk_project_status', 'risk', ['project_id', 'status', 'score', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_risk_project_status', table_name='risk')
