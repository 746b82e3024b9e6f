"""issue 14: the closed loop's last gaps

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

- tickets.result_code: the result code the answer-back call says;
- tickets.owner_group: a ticket handed over to a group of the center's agents;
- ticket_tasks.campaign_contact_id: the answer-back campaign's contact of an
  agentless call task;
- ticket_notifications: deadline warnings and escalations pushed to people.

Chained after 0011 on this branch; re-chained after 0012 when merged.
"""
from alembic import op
import sqlalchemy as sa
import callcenter.models


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('result_code', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('owner_group', sa.String(length=40), nullable=True))
        batch.create_index(batch.f('ix_tickets_owner_group'), ['owner_group'], unique=False)
    with op.batch_alter_table('ticket_tasks') as batch:
        batch.add_column(sa.Column('campaign_contact_id', sa.Integer(), nullable=True))
        batch.create_index(batch.f('ix_ticket_tasks_campaign_contact_id'), ['campaign_contact_id'],
                           unique=False)
        batch.create_foreign_key(batch.f('fk_ticket_tasks_campaign_contact_id_campaign_contacts'),
                                 'campaign_contacts', ['campaign_contact_id'], ['id'])
    op.create_table(
        'ticket_notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('why', sa.String(length=24), nullable=False),
        sa.Column('created_at', callcenter.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('read_at', callcenter.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['agent_id'], ['agents.id'],
                                name=op.f('fk_ticket_notifications_agent_id_agents')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'],
                                name=op.f('fk_ticket_notifications_ticket_id_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_notifications')),
    )
    op.create_index('ix_ticket_notifications_unread', 'ticket_notifications',
                    ['agent_id', 'read_at'], unique=False)
    op.create_index(op.f('ix_ticket_notifications_ticket_id'), 'ticket_notifications',
                    ['ticket_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_notifications_ticket_id'), table_name='ticket_notifications')
    op.drop_index('ix_ticket_notifications_unread', table_name='ticket_notifications')
    op.drop_table('ticket_notifications')
    with op.batch_alter_table('ticket_tasks') as batch:
        batch.drop_constraint(batch.f('fk_ticket_tasks_campaign_contact_id_campaign_contacts'),
                              type_='foreignkey')
        batch.drop_index(batch.f('ix_ticket_tasks_campaign_contact_id'))
        batch.drop_column('campaign_contact_id')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_index(batch.f('ix_tickets_owner_group'))
        batch.drop_column('owner_group')
        batch.drop_column('result_code')
