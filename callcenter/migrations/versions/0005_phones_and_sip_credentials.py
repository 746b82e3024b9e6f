"""issue 11: agents' phones, SIP credentials

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
import callcenter.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SIP credentials (callcenter.sip_credentials): when the agent's SIP password was last set or rotated
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sip_password_set_at', callcenter.models.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_column('sip_password_set_at')
