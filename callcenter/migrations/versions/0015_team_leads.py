"""QA teams from the database: each team's lead

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

A team's lead (a supervisor; None: no lead). QA's supervisor scope and team filter
read the database teams; the configuration's qa.teams is gone. One lead a team:
qa.teams allowed a list, but the shipped and documented examples name one.
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # no batch (a copy of the table): agents' team_id rows reference teams, and SQLite
        # enforces foreign keys, so dropping the old table would fail; ADD COLUMN may reference
        op.execute("ALTER TABLE teams ADD COLUMN lead_id INTEGER REFERENCES agents (id)")
    else:
        op.add_column('teams', sa.Column('lead_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_teams_lead_id_agents'), 'teams', 'agents', ['lead_id'], ['id'])
    op.create_index(op.f('ix_teams_lead_id'), 'teams', ['lead_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_teams_lead_id'), table_name='teams')
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE teams DROP COLUMN lead_id")  # SQLite 3.35 or newer
    else:
        op.drop_constraint(op.f('fk_teams_lead_id_agents'), 'teams', type_='foreignkey')
        op.drop_column('teams', 'lead_id')
