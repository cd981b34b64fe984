"""external practices: imported from another installation (#15 item 4): no project and no
organisation here, their source kept (key, region, organisation, link)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 15:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated revisions use sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS_TRIGGERS = (
    "CREATE TRIGGER practice_fts_ai AFTER INSERT ON practice BEGIN "
    "INSERT INTO practice_fts(rowid, search_stems) VALUES (new.id, new.search_stems); END",
    "CREATE TRIGGER practice_fts_ad AFTER DELETE ON practice BEGIN "
    "INSERT INTO practice_fts(practice_fts, rowid, search_stems) "
    "VALUES ('delete', old.id, old.search_stems); END",
    "CREATE TRIGGER practice_fts_au AFTER UPDATE ON practice BEGIN "
    "INSERT INTO practice_fts(practice_fts, rowid, search_stems) "
    "VALUES ('delete', old.id, old.search_stems); "
    "INSERT INTO practice_fts(rowid, search_stems) VALUES (new.id, new.search_stems); END",
)

NEW_COLUMNS = (
    ('external', sa.Boolean(), sa.false()),
    ('source_key', sqlmodel.sql.sqltypes.AutoString(length=100), None),
    ('source_region', sqlmodel.sql.sqltypes.AutoString(length=200), ""),
    ('source_region_code', sqlmodel.sql.sqltypes.AutoString(length=20), ""),
    ('source_org', sqlmodel.sql.sqltypes.AutoString(length=300), ""),
    ('source_org_kind', sqlmodel.sql.sqltypes.AutoString(length=20), ""),
    ('source_municipality', sqlmodel.sql.sqltypes.AutoString(length=200), ""),
    ('source_url', sqlmodel.sql.sqltypes.AutoString(length=500), ""),
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    # SQLite rebuilds the table to drop NOT NULL (project.practice_id points to it:
    # migrations/env.py checks the foreign keys after the rebuild, ids are kept), and its
    # FTS5 triggers go with the old table, so they are made again.
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.alter_column('project_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('org_id', existing_type=sa.Integer(), nullable=True)
        for name, kind, default in NEW_COLUMNS:
            server_default = None if default is None else (default if not isinstance(default, str)
                                                           else sa.text("''"))
            batch_op.add_column(sa.Column(name, kind, nullable=default is None, server_default=server_default))
        batch_op.create_index('uq_practice_region_source_key', ['region_id', 'source_key'], unique=True)
    if _sqlite():
        for trigger in ("practice_fts_ai", "practice_fts_ad", "practice_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for sql in FTS_TRIGGERS:
            op.execute(sql)


def downgrade() -> None:
    # external practices have no project: they cannot stay (nor the replicas' links to them)
    op.execute("UPDATE project SET practice_id = NULL WHERE practice_id IN (SELECT id FROM practice WHERE external)")
    op.execute("DELETE FROM practice WHERE external")
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_index('uq_practice_region_source_key')
        for name, _kind, _default in reversed(NEW_COLUMNS):
            batch_op.drop_column(name)
        batch_op.alter_column('org_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('project_id', existing_type=sa.Integer(), nullable=False)
    if _sqlite():
        for trigger in ("practice_fts_ai", "practice_fts_ad", "practice_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for sql in FTS_TRIGGERS:
            op.execute(sql)
