"""Recordings the switch discarded as empty

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

A call hung up within a few ms of being connected leaves FreeSWITCH no audio frame to
write: it deletes the file it opened and says so on RECORD_STOP (RECORD_DISCARDED=true,
Record-Completion-Cause: empty-file). recordings.empty keeps that fact, so such a row is
not taken for a file lost on disk.
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN on SQLite too: a batch copy of the table would fail, as rows of
    # recording_accesses and qa_evaluations reference it and SQLite enforces foreign keys
    op.add_column('recordings', sa.Column('empty', sa.Boolean(), server_default='0', nullable=False))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE recordings DROP COLUMN empty")  # SQLite 3.35 or newer
    else:
        op.drop_column('recordings', 'empty')
