from sqlalchemy import func, select

from callcenter.models import (Agent, AgentSkill, Bill, BillStatus, Customer, CustomerTier, Role,
                               Ticket, TicketStatus)
from callcenter.security import verify_password
from callcenter.seed import seed_demo


def _counts(session):
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Customer, Agent, AgentSkill, Bill, Ticket)}


def test_demo_seed_is_realistic_and_idempotent(sessions):
    report = seed_demo(sessions, customers=30)
    assert report.created
    with sessions() as session:
        first = _counts(session)
        assert first["Customer"] == 30
        assert first["Bill"] == 30 * 12
        roles = dict(session.execute(select(Agent.role, func.count()).group_by(Agent.role)).all())
        assert roles[Role.AGENT] == 12 and roles[Role.SUPERVISOR] == 2 and roles[Role.QA] == 1
        tiers = set(session.scalars(select(Customer.tier)))
        assert CustomerTier.REGULAR in tiers and tiers - {CustomerTier.REGULAR}
        assert set(session.scalars(select(Customer.language))) == {"zh", "en"}
        assert session.scalar(select(func.count()).select_from(Bill).where(
            Bill.status == BillStatus.OVERDUE)) > 0
        statuses = set(session.scalars(select(Ticket.status)))
        assert TicketStatus.CLOSED in statuses and statuses - {TicketStatus.CLOSED}
        login, _, password = report.credentials[0]
        agent = session.scalar(select(Agent).where(Agent.login == login))
        assert verify_password(agent.password_hash, password)
        assert agent.password_hash != password
    again = seed_demo(sessions, customers=30)
    assert not again.created
    with sessions() as session:
        assert _counts(session) == first


def test_sample_customers_service_passwords_verify(sessions):
    report = seed_demo(sessions, customers=6)
    phone, _, _, pin = report.sample_customers[0]
    from callcenter.models import CustomerPhone
    with sessions() as session:
        customer = session.scalar(select(Customer).join(CustomerPhone).where(CustomerPhone.number == phone))
        assert verify_password(customer.service_password_hash, pin)
        assert not verify_password(customer.service_password_hash, "000000")


def test_demo_seed_has_the_agent_teams_tickets_are_handed_over_to(sessions):
    from callcenter.models import Team
    from callcenter.tickets import teams
    seed_demo(sessions, customers=3)
    with sessions() as session:
        assert teams.names(session) == {"billing_team": "账务班组", "complaints_team": "投诉班组",
                                        "orders_team": "业务受理班组"}
        logins = dict(session.execute(select(Agent.id, Agent.login)).all())
        members = {key: sorted(logins[i] for i in teams.member_ids(session, key))
                   for key in session.scalars(select(Team.key))}
    assert members == {"billing_team": ["agent01", "agent02", "agent03", "agent09"],
                       "complaints_team": ["agent04", "agent05", "agent08"],
                       "orders_team": ["agent06", "agent07"]}


def test_demo_seed_teams_are_led_by_the_demo_supervisors(sessions):
    from callcenter.models import Role, Team
    seed_demo(sessions, customers=3)
    with sessions() as session:
        leads = {team.key: (team.lead.login, team.lead.role) for team in session.scalars(select(Team))}
    assert leads == {"billing_team": ("lead1", Role.SUPERVISOR),
                     "complaints_team": ("lead2", Role.SUPERVISOR),
                     "orders_team": ("lead2", Role.SUPERVISOR)}
