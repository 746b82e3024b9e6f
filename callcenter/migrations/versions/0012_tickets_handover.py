"""issue 14: hand-over, repeat callers, answer-back calls

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

Reserved for issue 14: hand-over, repeat callers, answer-back calls; empty until that work lands (the chain stays linear while
several areas change the schema side by side).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
