"""the programme above the projects: stages, tasks, participants, initiative groups,
readiness rounds and answers, work plans; role grants narrowed to a municipality (#13)

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-30 10:44:26.183566
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated revisions use sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('programme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('goal', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('tasks', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('hypothesis', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('questionnaire_id', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], name=op.f('fk_programme_created_by_user')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_programme_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme'))
    )
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_region_id'), ['region_id'], unique=False)

    op.create_table('programme_stage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('content', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_programme_stage_programme_id_programme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_stage'))
    )
    with op.batch_alter_table('programme_stage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_stage_programme_id'), ['programme_id'], unique=False)

    op.create_table('readiness_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('questionnaire_id', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('questionnaire_version', sa.Integer(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('reminded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_readiness_round_programme_id_programme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_round'))
    )
    with op.batch_alter_table('readiness_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readiness_round_programme_id'), ['programme_id'], unique=False)

    op.create_table('participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=False),
    sa.Column('wave', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_participant_org_id_organization')),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_participant_programme_id_programme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant'))
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index('ix_participant_org', ['org_id'], unique=False)
        batch_op.create_index('uq_participant_programme_org', ['programme_id', 'org_id'], unique=True)

    op.create_table('readiness_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('needs', sa.JSON(), nullable=False),
    sa.Column('difficulties', sa.JSON(), nullable=False),
    sa.Column('resources', sa.JSON(), nullable=False),
    sa.Column('deficits', sa.JSON(), nullable=False),
    sa.Column('section_means', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_readiness_answer_org_id_organization')),
    sa.ForeignKeyConstraint(['round_id'], ['readiness_round.id'], name=op.f('fk_readiness_answer_round_id_readiness_round')),
    sa.ForeignKeyConstraint(['submitted_by'], ['user.id'], name=op.f('fk_readiness_answer_submitted_by_user')),
    sa.ForeignKeyConstraint(['updated_by'], ['user.id'], name=op.f('fk_readiness_answer_updated_by_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_answer'))
    )
    with op.batch_alter_table('readiness_answer', schema=None) as batch_op:
        batch_op.create_index('ix_readiness_answer_org', ['org_id', 'status'], unique=False)
        batch_op.create_index('uq_readiness_answer_round_org', ['round_id', 'org_id'], unique=True)

    op.create_table('stage_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('responsible', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('done_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_stage_task_programme_id_programme')),
    sa.ForeignKeyConstraint(['stage_id'], ['programme_stage.id'], name=op.f('fk_stage_task_stage_id_programme_stage')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_task'))
    )
    with op.batch_alter_table('stage_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_task_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stage_task_stage_id'), ['stage_id'], unique=False)

    op.create_table('initiative_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('position', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('training_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_initiative_member_participant_id_participant')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_initiative_member_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiative_member'))
    )
    with op.batch_alter_table('initiative_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_initiative_member_participant_id'), ['participant_id'], unique=False)

    op.create_table('work_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], name=op.f('fk_work_plan_decided_by_user')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_work_plan_participant_id_participant')),
    sa.ForeignKeyConstraint(['submitted_by'], ['user.id'], name=op.f('fk_work_plan_submitted_by_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_plan')),
    sa.UniqueConstraint('participant_id', name=op.f('uq_work_plan_participant_id'))
    )
    op.create_table('plan_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('who', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('evidence_url', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['work_plan.id'], name=op.f('fk_plan_item_plan_id_work_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_item'))
    )
    with op.batch_alter_table('plan_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_item_plan_id'), ['plan_id'], unique=False)

    with op.batch_alter_table('role_grant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('municipality_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_role_grant_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_role_grant_municipality_id_municipality'), 'municipality', ['municipality_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('role_grant', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_role_grant_municipality_id_municipality'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_role_grant_municipality_id'))
        batch_op.drop_column('municipality_id')

    with op.batch_alter_table('plan_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_item_plan_id'))

    op.drop_table('plan_item')
    op.drop_table('work_plan')
    with op.batch_alter_table('initiative_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_initiative_member_participant_id'))

    op.drop_table('initiative_member')
    with op.batch_alter_table('stage_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_task_stage_id'))
        batch_op.drop_index(batch_op.f('ix_stage_task_programme_id'))

    op.drop_table('stage_task')
    with op.batch_alter_table('readiness_answer', schema=None) as batch_op:
        batch_op.drop_index('uq_readiness_answer_round_org')
        batch_op.drop_index('ix_readiness_answer_org')

    op.drop_table('readiness_answer')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index('uq_participant_programme_org')
        batch_op.drop_index('ix_participant_org')

    op.drop_table('participant')
    with op.batch_alter_table('readiness_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readiness_round_programme_id'))

    op.drop_table('readiness_round')
    with op.batch_alter_table('programme_stage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_stage_programme_id'))

    op.drop_table('programme_stage')
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_region_id'))

    op.drop_table('programme')
