"""issue 15: teams of agents

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

Teams (key and display name) and each agent's team, for per-team report figures.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'teams',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('display_name', sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
        sa.UniqueConstraint('key', name=op.f('uq_teams_key')),
    )
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_agents_team_id'), ['team_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_agents_team_id_teams'), 'teams', ['team_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agents_team_id_teams'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_agents_team_id'))
        batch_op.drop_column('team_id')
    op.drop_table('teams')
