"""multi-step approvals (#14 item 4): a request's sequence of approval roles and its
current step; a programme's default workflow; defence sessions (#14 item 5)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 17:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated revisions use sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('transition_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_steps', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=True))
        batch_op.add_column(sa.Column('step', sa.Integer(), nullable=False, server_default=sa.text('0')))
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workflow', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True))
    op.create_table('defence_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], name=op.f('fk_defence_session_created_by_user')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_defence_session_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_defence_session'))
    )
    op.create_index(op.f('ix_defence_session_region_id'), 'defence_session', ['region_id'], unique=False)
    op.create_table('defence_commission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['defence_session.id'],
                            name=op.f('fk_defence_commission_session_id_defence_session')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_defence_commission_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_defence_commission'))
    )
    op.create_index('uq_defence_commission_session_user', 'defence_commission', ['session_id', 'user_id'],
                    unique=True)
    op.create_table('defence_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('remarks', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], name=op.f('fk_defence_item_decided_by_user')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_defence_item_project_id_project')),
    sa.ForeignKeyConstraint(['request_id'], ['transition_request.id'],
                            name=op.f('fk_defence_item_request_id_transition_request')),
    sa.ForeignKeyConstraint(['session_id'], ['defence_session.id'],
                            name=op.f('fk_defence_item_session_id_defence_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_defence_item'))
    )
    op.create_index(op.f('ix_defence_item_project_id'), 'defence_item', ['project_id'], unique=False)
    op.create_index('uq_defence_item_session_project', 'defence_item', ['session_id', 'project_id'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_defence_item_session_project', table_name='defence_item')
    op.drop_index(op.f('ix_defence_item_project_id'), table_name='defence_item')
    op.drop_table('defence_item')
    op.drop_index('uq_defence_commission_session_user', table_name='defence_commission')
    op.drop_table('defence_commission')
    op.drop_index(op.f('ix_defence_session_region_id'), table_name='defence_session')
    op.drop_table('defence_session')
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_column('workflow')
    with op.batch_alter_table('transition_request', schema=None) as batch_op:
        batch_op.drop_column('step')
        batch_op.drop_column('approval_steps')
