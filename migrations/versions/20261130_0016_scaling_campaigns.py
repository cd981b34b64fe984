"""scaling campaigns (#15 item 5): a curator offers a practice to organisations with a
deadline; each offer is accepted (a replica project) or declined with a reason

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 17:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated revisions use sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('scaling_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], name=op.f('fk_scaling_campaign_created_by_user')),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_scaling_campaign_practice_id_practice')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_scaling_campaign_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scaling_campaign'))
    )
    with op.batch_alter_table('scaling_campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scaling_campaign_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scaling_campaign_practice_id'), ['practice_id'], unique=False)

    op.create_table('campaign_offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('reminded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['scaling_campaign.id'],
                            name=op.f('fk_campaign_offer_campaign_id_scaling_campaign')),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], name=op.f('fk_campaign_offer_decided_by_user')),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_campaign_offer_org_id_organization')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_campaign_offer_project_id_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_offer'))
    )
    with op.batch_alter_table('campaign_offer', schema=None) as batch_op:
        batch_op.create_index('uq_campaign_offer_campaign_org', ['campaign_id', 'org_id'], unique=True)
        batch_op.create_index('ix_campaign_offer_org_status', ['org_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('campaign_offer', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_offer_org_status')
        batch_op.drop_index('uq_campaign_offer_campaign_org')
    op.drop_table('campaign_offer')
    with op.batch_alter_table('scaling_campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scaling_campaign_practice_id'))
        batch_op.drop_index(batch_op.f('ix_scaling_campaign_region_id'))
    op.drop_table('scaling_campaign')
