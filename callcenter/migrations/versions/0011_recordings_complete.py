"""issue 13: recording pause, outbound and consultation recordings

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Reserved for issue 13: recording pause, outbound and consultation recordings; empty until that work lands (the chain stays linear while
several areas change the schema side by side).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
