"""event: index (actor_id, at) — a person's recent changes, for reads on a replica (#16 item 4)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 17:20:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_event_actor_at', 'event', ['actor_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_event_actor_at', table_name='event')
