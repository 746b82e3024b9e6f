"""issue 10: engine throughput

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

Reserved for issue 10: engine throughput; empty until that work lands (the chain stays linear while
several areas change the schema side by side).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
