"""evaluation editions (#15 item 1): a region's figures as of a date, signed and frozen

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 19:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated revisions use sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('evaluation_edition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=True),
    sa.Column('signed_by', sa.Integer(), nullable=True),
    sa.Column('signed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], name=op.f('fk_evaluation_edition_created_by_user')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_evaluation_edition_region_id_region')),
    sa.ForeignKeyConstraint(['signed_by'], ['user.id'], name=op.f('fk_evaluation_edition_signed_by_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_edition'))
    )
    with op.batch_alter_table('evaluation_edition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_edition_region_id'), ['region_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('evaluation_edition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_edition_region_id'))
    op.drop_table('evaluation_edition')
