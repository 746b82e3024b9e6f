"""issue 12: preview dialing, callback retries

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Reserved for issue 12: preview dialing, callback retries; empty until that work lands (the chain stays linear while
several areas change the schema side by side).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
