"""issue 15: availability log

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

The engine's append-only up/down record (availability_log) for 系统可用率.
"""
from alembic import op
import sqlalchemy as sa
import callcenter.models


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'availability_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', callcenter.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('run', sa.String(length=36), nullable=False),
        sa.Column('detail', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_log')),
    )
    op.create_index(op.f('ix_availability_log_at'), 'availability_log', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_availability_log_at'), table_name='availability_log')
    op.drop_table('availability_log')
