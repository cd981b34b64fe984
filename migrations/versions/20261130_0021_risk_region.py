"""risk.region_id (the project's region, copied) with a partial ordered index
(region_id, score DESC, created_at, id) WHERE status IN ('open', 'mitigating'): the
tower reads a region's worst unresolved risks by walking this index and counts them from
it alone, instead of joining every unresolved risk to its project (#16 item 3)

The index is written here, not in engine.models (a DESC column: autogenerate would
see it as a difference); tests/engine/test_migrations.py allows indexes the migrations
add beyond the models.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 23:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('risk', sa.Column('region_id', sa.Integer(), nullable=True))
    op.execute("UPDATE risk SET region_id = (SELECT project.region_id FROM project WHERE project.id = risk.project_id)")
    op.execute("CREATE INDEX ix_risk_region_unresolved ON risk (region_id, score DESC, created_at, id) "
               "WHERE status IN ('open', 'mitigating')")


def downgrade() -> None:
    op.execute("DROP INDEX ix_risk_region_unresolved")
    with op.batch_alter_table('risk', schema=None) as batch_op:
        batch_op.drop_column('region_id')
