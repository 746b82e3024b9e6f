"""issue 12: callback requests retried within calling windows

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

A callback request's own time zone (None: the callbacks policy's, i.e. the
center's), the outcome of its last dial (busy, no_answer ...) and why it is in
its state (the next attempt's reason, or "no more attempts"). The attempts count
and the next attempt time (scheduled_for) already exist.

NOTE: chained after 0011 for now; re-chain after 0012 / 0013 when those merge.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('last_outcome', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_column('reason')
        batch_op.drop_column('last_outcome')
        batch_op.drop_column('timezone')
