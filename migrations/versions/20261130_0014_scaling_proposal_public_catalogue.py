"""scaling proposal (#15 item 6): «Где ещё это применимо и при каких условиях?», answered
when a project is closed; kept on the closing request until it is approved, then on the
project, and copied to the practice published from it

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 17:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated revisions use sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# as migration 0010 made them (a batch rebuild of practice on SQLite drops them)
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

# plain ADD COLUMN on both databases (no batch rebuild: practice's FTS5 triggers stay as they are)
COLUMNS = (
    ('project', False),
    ('practice', False),
    ('transition_request', True),
)


def upgrade() -> None:
    for table, nullable in COLUMNS:
        op.add_column(table, sa.Column('scaling_proposal', sqlmodel.sql.sqltypes.AutoString(length=2000),
                                       nullable=nullable, server_default=None if nullable else sa.text("''")))


def downgrade() -> None:
    for table, _nullable in reversed(COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('scaling_proposal')
    if op.get_bind().dialect.name == "sqlite":  # the rebuild of practice dropped its FTS5 triggers
        for name in ("practice_fts_ai", "practice_fts_ad", "practice_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for sql in FTS_TRIGGERS:
            op.execute(sql)
