"""The readiness round's reminders: notification kind «reminder» becomes «round_reminder»,
a kind of NotificationKind (the bell's API refused to list the old one)

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 23:30:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE notification SET kind = 'round_reminder' WHERE kind = 'reminder'")


def downgrade() -> None:
    op.execute("UPDATE notification SET kind = 'reminder' WHERE kind = 'round_reminder'")
