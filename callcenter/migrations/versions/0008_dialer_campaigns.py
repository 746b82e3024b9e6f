"""issue 12: the dialer

Campaign settings, contacts' amounts / dates / time zones, one row per dial
attempt (claimed before dialling), do-not-call sources and per-customer
opt-out, callbacks owned by an agent.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
import callcenter.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaign_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('claimed_at', callcenter.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', callcenter.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', callcenter.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('hangup_cause', sa.String(length=40), nullable=True),
    sa.Column('abandoned', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_attempts_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['contact_id'], ['campaign_contacts.id'], name=op.f('fk_campaign_attempts_contact_id_campaign_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_attempts')),
    sa.UniqueConstraint('uuid', name=op.f('uq_campaign_attempts_uuid'))
    )
    with op.batch_alter_table('campaign_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_attempts_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_attempts_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_attempts_outcome'), ['outcome'], unique=False)

    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('last_attempt_at', callcenter.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('dial_uuid', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_callback_requests_agent_id_agents'), 'agents', ['agent_id'], ['id'])

    with op.batch_alter_table('campaign_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('timezone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('amount_cents', callcenter.models.Cents(), nullable=True))
        batch_op.add_column(sa.Column('due_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('data', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('source_line', sa.Integer(), nullable=True))
        batch_op.create_index('ix_campaign_contacts_due', ['campaign_id', 'status', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caller_id', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('timezone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('ring_timeout', sa.Integer(), nullable=False, server_default='30'))
        batch_op.add_column(sa.Column('max_lines', sa.Integer(), nullable=False, server_default='10'))
        batch_op.add_column(sa.Column('pacing', sa.String(length=16), nullable=False, server_default='progressive'))
        batch_op.add_column(sa.Column('settings', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('source_yaml', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('started_at', callcenter.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('finished_at', callcenter.models.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('do_not_call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('customer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_do_not_call_customer_id_customers'), 'customers', ['customer_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('do_not_call', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_do_not_call_customer_id_customers'), type_='foreignkey')
        batch_op.drop_column('customer_id')
        batch_op.drop_column('source')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        for column in ('finished_at', 'started_at', 'source_yaml', 'settings', 'pacing',
                       'max_lines', 'ring_timeout', 'timezone', 'caller_id'):
            batch_op.drop_column(column)

    with op.batch_alter_table('campaign_contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_contacts_due')
        for column in ('source_line', 'data', 'reason', 'due_date', 'amount_cents', 'timezone',
                       'language', 'name'):
            batch_op.drop_column(column)

    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_callback_requests_agent_id_agents'), type_='foreignkey')
        for column in ('dial_uuid', 'last_attempt_at', 'note', 'agent_id'):
            batch_op.drop_column(column)

    with op.batch_alter_table('campaign_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_attempts_outcome'))
        batch_op.drop_index(batch_op.f('ix_campaign_attempts_contact_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_attempts_campaign_id'))

    op.drop_table('campaign_attempts')
