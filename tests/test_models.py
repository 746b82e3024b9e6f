"""Model constraints on a real, migrated database (SQLite, or PostgreSQL in CI)."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError, StatementError

from callcenter import db
from callcenter.db import transaction
from callcenter.models import (Account, AppendOnlyError, Base, Bill, CallDirection, Call, CallEvent,
                               Customer, CustomerPhone, Ticket, TicketCategory, Agent, AgentSkill,
                               Skill)
from callcenter.phone import InvalidPhoneNumber, normalize_phone


def test_migrations_from_empty_create_every_table(db_engine):
    tables = set(inspect(db_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert db.current_revision(db_engine) == db.head_revision()
    db.check_schema_current(db_engine)


def test_engine_refuses_schema_behind(database_url):
    engine = db.make_engine(database_url)
    with pytest.raises(db.SchemaOutOfDate, match="callcenter db upgrade"):
        db.check_schema_current(engine)


def test_migrated_schema_matches_the_models(db_engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    with db_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_ticket_without_category_is_refused(sessions):
    with pytest.raises(IntegrityError):
        with transaction(sessions) as session:
            session.add(Ticket(number="2611210001"))


def test_ticket_with_unknown_category_is_refused(sessions):
    with pytest.raises(StatementError):
        with transaction(sessions) as session:
            session.add(Ticket(number="2611210002", category="gossip"))


@pytest.mark.parametrize("raw, stored", [
    ("+86 138-0000-0001", "8613800000001"),
    ("008613800000001", "8613800000001"),
    ("138 0000 0001", "8613800000001"),
    ("(010) 1234-5678", "861012345678"),
    ("10000", "10000"),
])
def test_phone_numbers_are_normalised_when_stored(sessions, raw, stored):
    with transaction(sessions) as session:
        customer = Customer(name="Test", phones=[CustomerPhone(number=raw)])
        session.add(customer)
    with sessions() as session:
        assert session.scalar(select(CustomerPhone.number)) == stored


@pytest.mark.parametrize("raw", ["", "abc", "12", "+86 138 0000 0001 2345 678"])
def test_invalid_phone_numbers_are_refused(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalize_phone(raw)


def _bill(**amounts):
    customer = Customer(name="Money")
    account = Account(number="A1", customer=customer)
    return Bill(account=account, period="2026-10", due_date=date(2026, 11, 15), **amounts)


@pytest.mark.parametrize("amount", [12.5, 12.0])
def test_money_is_never_float(sessions, amount):
    with pytest.raises(StatementError, match="integer cents"):
        with transaction(sessions) as session:
            session.add(_bill(amount_due_cents=amount))


def test_money_round_trips_as_integer_cents(sessions):
    with transaction(sessions) as session:
        session.add(_bill(amount_due_cents=12345, amount_paid_cents=345))
    with sessions() as session:
        bill = session.scalar(select(Bill))
        assert (bill.amount_due_cents, bill.balance_cents) == (12345, 12000)
        assert isinstance(bill.amount_due_cents, int)


def test_negative_amount_due_is_refused(sessions):
    with pytest.raises(IntegrityError):
        with transaction(sessions) as session:
            session.add(_bill(amount_due_cents=-1))


def test_times_are_stored_and_returned_in_utc(sessions):
    from zoneinfo import ZoneInfo
    local = datetime(2026, 11, 21, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    with transaction(sessions) as session:
        session.add(Call(uuid="u-1", direction=CallDirection.INBOUND, created_at=local))
    with sessions() as session:
        stored = session.scalar(select(Call.created_at))
    assert stored.tzinfo is not None and stored.utcoffset().total_seconds() == 0
    assert stored == local


def test_naive_times_are_refused(sessions):
    with pytest.raises(StatementError, match="naive datetime"):
        with transaction(sessions) as session:
            session.add(Call(uuid="u-2", direction=CallDirection.INBOUND, created_at=datetime(2026, 1, 1)))


def test_call_events_are_append_only(sessions):
    with transaction(sessions) as session:
        call = Call(uuid="u-3", direction=CallDirection.INBOUND)
        call.events.append(CallEvent(kind="created", data={"a": 1}))
        session.add(call)
    with pytest.raises(AppendOnlyError):
        with transaction(sessions) as session:
            session.scalar(select(CallEvent)).kind = "rewritten"
    with pytest.raises(AppendOnlyError):
        with transaction(sessions) as session:
            session.delete(session.scalar(select(CallEvent)))
    with sessions() as session:
        assert session.scalar(select(CallEvent.kind)) == "created"


def test_skill_levels_are_1_to_10(sessions):
    with pytest.raises(IntegrityError):
        with transaction(sessions) as session:
            agent = Agent(login="a", display_name="A", password_hash="x")
            agent.skills = [AgentSkill(skill=Skill(name="billing"), level=11)]
            session.add(agent)


def test_survey_score_is_1_to_5(sessions):
    with pytest.raises(IntegrityError):
        with transaction(sessions) as session:
            session.add(Call(uuid="u-4", direction=CallDirection.INBOUND, survey_score=6))


def test_the_teams_migration_goes_down_and_up_again(db_engine, sessions):
    from alembic import command
    from sqlalchemy import inspect

    from callcenter.models import Agent, Team
    with sessions() as session:
        session.add(Agent(login="a1", display_name="A", password_hash="x",
                          team=Team(key="desk_a", display_name="一组")))
        session.commit()
    config = db.alembic_config(db_engine)
    command.downgrade(config, "0011")
    inspector = inspect(db_engine)
    assert "teams" not in inspector.get_table_names()
    assert "team_id" not in {c["name"] for c in inspector.get_columns("agents")}
    db.upgrade(db_engine)
    with sessions() as session:
        assert session.scalar(select(Agent).where(Agent.login == "a1")).team is None
