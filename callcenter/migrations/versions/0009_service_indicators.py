"""issue 15: service indicators

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
import callcenter.models


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


COUNTS = ("offered", "first_offered", "transferred_in", "answered", "answered_in_limit",
          "abandoned", "short_abandoned", "abandoned_over_limit", "callbacks", "waiting")
MILLISECONDS = ("wait_answered_ms", "longest_wait_ms")


def upgrade() -> None:
    op.create_table(
        'service_intervals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('start', callcenter.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('queue_name', sa.String(length=40), nullable=False),
        sa.Column('direction', sa.String(length=10), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in MILLISECONDS],
        sa.Column('handled', sa.Integer(), nullable=False),
        sa.Column('handle_ms', sa.BigInteger(), nullable=False),
        sa.Column('rebuilt_at', callcenter.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_intervals')),
        sa.UniqueConstraint('start', 'minutes', 'queue_name', 'direction',
                            name='interval_queue'),
    )


def downgrade() -> None:
    op.drop_table('service_intervals')
