"""issue 13: QA desk, scorecards, retention

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
import callcenter.models


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

UTC = callcenter.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('qa_scorecard_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_scorecard_versions')),
    sa.UniqueConstraint('name', 'version', name='name_version')
    )
    op.create_table('qa_saved_searches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('query', sa.JSON(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['agents.id'], name=op.f('fk_qa_saved_searches_owner_id_agents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_saved_searches')),
    sa.UniqueConstraint('owner_id', 'name', name='owner_name')
    )
    with op.batch_alter_table('qa_saved_searches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_saved_searches_owner_id'), ['owner_id'], unique=False)

    with op.batch_alter_table('qa_evaluations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scorecard_version_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('agent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('status', sa.Enum('submitted', 'acknowledged', 'disputed', 'answered', 'calibration', name='qaevaluationstatus', native_enum=False, length=24), server_default='submitted', nullable=False))
        batch_op.add_column(sa.Column('critical_failed', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('acknowledged_at', UTC, nullable=True))
        batch_op.create_index(batch_op.f('ix_qa_evaluations_agent_id'), ['agent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_qa_evaluations_scorecard_version_id_qa_scorecard_versions'), 'qa_scorecard_versions', ['scorecard_version_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_qa_evaluations_agent_id_agents'), 'agents', ['agent_id'], ['id'])

    op.create_table('qa_disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', UTC, nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', UTC, nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['agents.id'], name=op.f('fk_qa_disputes_answered_by_id_agents')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['qa_evaluations.id'], name=op.f('fk_qa_disputes_evaluation_id_qa_evaluations')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['agents.id'], name=op.f('fk_qa_disputes_opened_by_id_agents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_disputes'))
    )
    with op.batch_alter_table('qa_disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_disputes_evaluation_id'), ['evaluation_id'], unique=False)

    op.create_table('qa_evaluation_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=60), nullable=False),
    sa.Column('answer', sa.String(length=8), nullable=False),
    sa.Column('earned_milli', sa.Integer(), nullable=False),
    sa.Column('possible', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['qa_evaluations.id'], name=op.f('fk_qa_evaluation_items_evaluation_id_qa_evaluations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_evaluation_items'))
    )
    with op.batch_alter_table('qa_evaluation_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_evaluation_items_evaluation_id'), ['evaluation_id'], unique=False)

    op.create_table('qa_moment_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('at_ms', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['qa_evaluations.id'], name=op.f('fk_qa_moment_comments_evaluation_id_qa_evaluations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_moment_comments'))
    )
    with op.batch_alter_table('qa_moment_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_moment_comments_evaluation_id'), ['evaluation_id'], unique=False)

    with op.batch_alter_table('recording_accesses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action', sa.String(length=12), server_default='listen', nullable=False))

    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_hold_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('masked_spans', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', UTC, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('masked_spans')
        batch_op.drop_column('legal_hold_reason')
    with op.batch_alter_table('recording_accesses', schema=None) as batch_op:
        batch_op.drop_column('action')
    for table in ('qa_moment_comments', 'qa_evaluation_items', 'qa_disputes'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_evaluation_id'))
        op.drop_table(table)
    with op.batch_alter_table('qa_evaluations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_qa_evaluations_agent_id_agents'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_qa_evaluations_scorecard_version_id_qa_scorecard_versions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_qa_evaluations_agent_id'))
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('critical_failed')
        batch_op.drop_column('status')
        batch_op.drop_column('agent_id')
        batch_op.drop_column('scorecard_version_id')
    with op.batch_alter_table('qa_saved_searches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qa_saved_searches_owner_id'))
    op.drop_table('qa_saved_searches')
    op.drop_table('qa_scorecard_versions')
