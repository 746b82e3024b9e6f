"""issue 15: availability log, per-team and per-campaign figures

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

Reserved for issue 15: availability log, per-team and per-campaign figures; empty until that work lands (the chain stays linear while
several areas change the schema side by side).
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
