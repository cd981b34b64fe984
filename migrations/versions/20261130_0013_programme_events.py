"""events and dissemination (#14 item 3): webinars, foresight sessions, conferences,
innovation fairs and course days of a region, the organisations taking part and the
practices presented

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 17:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated revisions use sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('programme_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('link', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('attendance', sa.Integer(), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], name=op.f('fk_programme_event_created_by_user')),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'],
                            name=op.f('fk_programme_event_programme_id_programme')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_programme_event_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_event'))
    )
    with op.batch_alter_table('programme_event', schema=None) as batch_op:
        batch_op.create_index('ix_programme_event_region_held', ['region_id', 'held_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_programme_event_programme_id'), ['programme_id'], unique=False)

    op.create_table('event_org',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['programme_event.id'], name=op.f('fk_event_org_event_id_programme_event')),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_event_org_org_id_organization')),
    sa.PrimaryKeyConstraint('event_id', 'org_id', name=op.f('pk_event_org'))
    )
    with op.batch_alter_table('event_org', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_org_org_id'), ['org_id'], unique=False)

    op.create_table('event_practice',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['programme_event.id'],
                            name=op.f('fk_event_practice_event_id_programme_event')),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_event_practice_practice_id_practice')),
    sa.PrimaryKeyConstraint('event_id', 'practice_id', name=op.f('pk_event_practice'))
    )
    with op.batch_alter_table('event_practice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_practice_practice_id'), ['practice_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('event_practice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_practice_practice_id'))
    op.drop_table('event_practice')
    with op.batch_alter_table('event_org', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_org_org_id'))
    op.drop_table('event_org')
    with op.batch_alter_table('programme_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_event_programme_id'))
        batch_op.drop_index('ix_programme_event_region_held')
    op.drop_table('programme_event')
