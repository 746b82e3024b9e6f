"""issue 12: preview dialing, callback retries

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

A preview campaign reserves a contact for one agent's card until the card's time runs out:
campaign_contacts.offered_to and offered_until.
"""
from alembic import op
import sqlalchemy as sa

import callcenter.models


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaign_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offered_to', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('offered_until', callcenter.models.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_campaign_contacts_offered_to'), ['offered_to'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_campaign_contacts_offered_to_agents'), 'agents',
                                    ['offered_to'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('campaign_contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_campaign_contacts_offered_to_agents'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_campaign_contacts_offered_to'))
        batch_op.drop_column('offered_until')
        batch_op.drop_column('offered_to')
