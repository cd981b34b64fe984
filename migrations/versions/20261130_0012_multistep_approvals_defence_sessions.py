"""multi-step approvals (#14 item 4): a request's sequence of approval roles and its
current step; a programme's default workflow; defence sessions (#14 item 5)

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-30 17:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated revisions use sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0012'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('transition_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_steps', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=True))
        batch_op.add_column(sa.Column('step', sa.Integer(), nullable=False, server_default=sa.text('0')))
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workflow', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_column('workflow')
    with op.batch_alter_table('transition_request', schema=None) as batch_op:
        batch_op.drop_column('step')
        batch_op.drop_column('approval_steps')
