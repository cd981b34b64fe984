"""email_mute: the notification kinds a person does not want e-mailed (#12 item 1)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 11:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated revisions use sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'email_mute',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_email_mute_user_id_user')),
        sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_email_mute')),
    )


def downgrade() -> None:
    op.drop_table('email_mute')
