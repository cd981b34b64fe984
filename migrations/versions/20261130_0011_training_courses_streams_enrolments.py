"""training: courses of a region, their streams, enrolments of users or initiative-group
people with completion date and certificate number (#14 items 1, 2, 6)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 16:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated revisions use sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('course',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], name=op.f('fk_course_created_by_user')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_course_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course'))
    )
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_region_id'), ['region_id'], unique=False)

    op.create_table('course_stream',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_stream_course_id_course')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_stream'))
    )
    with op.batch_alter_table('course_stream', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_stream_course_id'), ['course_id'], unique=False)

    op.create_table('enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stream_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('certificate_no', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['initiative_member.id'],
                            name=op.f('fk_enrolment_member_id_initiative_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_enrolment_org_id_organization')),
    sa.ForeignKeyConstraint(['stream_id'], ['course_stream.id'], name=op.f('fk_enrolment_stream_id_course_stream')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_enrolment_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment'))
    )
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.create_index('ix_enrolment_member', ['member_id'], unique=False)
        batch_op.create_index('ix_enrolment_org_status', ['org_id', 'status'], unique=False)
        batch_op.create_index('ix_enrolment_user', ['user_id'], unique=False)
        batch_op.create_index('uq_enrolment_stream_member', ['stream_id', 'member_id'], unique=True)
        batch_op.create_index('uq_enrolment_stream_user', ['stream_id', 'user_id'], unique=True)


def downgrade() -> None:
    op.drop_table('enrolment')
    op.drop_table('course_stream')
    op.drop_table('course')
