"""issue 14: tickets closed loop, back office

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

The ticket statuses become the closed loop's (callcenter/tickets/states.py):
'open' rows are renamed 'new'; dispatched, in_progress, answered_back and
closed keep their names and meaning. The back-office role is a new value of a
non-native enum (a VARCHAR): no schema change for it.
"""
from alembic import op
import sqlalchemy as sa
import callcenter.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', callcenter.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', callcenter.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', callcenter.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_outbox_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_outbox'))
    )
    with op.batch_alter_table('ticket_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_outbox_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_outbox_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('created_at', callcenter.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('done_at', callcenter.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_ticket_tasks_agent_id_agents')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_tasks_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_tasks'))
    )
    with op.batch_alter_table('ticket_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_tasks_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_tasks_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('ticket_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', callcenter.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['agents.id'], name=op.f('fk_ticket_attachments_added_by_id_agents')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_attachments_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_attachments'))
    )
    with op.batch_alter_table('ticket_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_attachments_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('ticket_history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('from_status', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('to_status', sa.String(length=24), nullable=True))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detail', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('worker_agent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('answer', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('answered_at', callcenter.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('informed_at', callcenter.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('not_reached', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('warned_at', callcenter.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', callcenter.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_tickets_backoffice_group'), ['backoffice_group'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tickets_worker_agent_id_agents'), 'agents', ['worker_agent_id'], ['id'])

    tickets = sa.table('tickets', sa.column('status', sa.String))
    op.execute(tickets.update().where(tickets.c.status == 'open').values(status='new'))


def downgrade() -> None:
    tickets = sa.table('tickets', sa.column('status', sa.String))
    op.execute(tickets.update().where(tickets.c.status.in_(('new', 'reopened', 'returned')))
               .values(status='open'))
    op.execute(tickets.update().where(tickets.c.status == 'accepted').values(status='in_progress'))
    op.execute(tickets.update().where(tickets.c.status.in_(('customer_informed', 'cancelled')))
               .values(status='closed'))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_worker_agent_id_agents'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tickets_backoffice_group'))
        for column in ('escalated_at', 'warned_at', 'not_reached', 'informed_at', 'answered_at',
                       'answer', 'worker_agent_id', 'detail'):
            batch_op.drop_column(column)

    with op.batch_alter_table('ticket_history', schema=None) as batch_op:
        batch_op.drop_column('to_status')
        batch_op.drop_column('from_status')

    with op.batch_alter_table('ticket_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_attachments_ticket_id'))
    op.drop_table('ticket_attachments')

    with op.batch_alter_table('ticket_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_tasks_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_ticket_tasks_agent_id'))
    op.drop_table('ticket_tasks')

    with op.batch_alter_table('ticket_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_outbox_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_ticket_outbox_status'))
    op.drop_table('ticket_outbox')
