"""A realistic demo data set: customers with a year of bills, tickets, agents.

Deterministic (fixed random seed) except for the passwords, which are random
and printed once. Seeding a database that already holds agents does nothing,
so an operator's real data never gets demo data mixed in.
"""
from __future__ import annotations

import os
import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.models import (Account, Agent, AgentSkill, Bill, BillStatus, Customer,
                               CustomerPhone, CustomerTier, Payment, Queue, Role, Skill, Team,
                               Ticket, TicketCategory, TicketHistory, TicketStatus)
from callcenter.security import hash_password, hash_service_password, sip_a1_hash
from callcenter.tickets import answer_back_deadline, next_ticket_number

SIP_REALM = "callcenter"
SKILLS = {
    "billing": "Bill inquiries, payments, collections",
    "complaints": "Complaints and fault reports",
    "service_orders": "New service, moves, feature changes, suspend / resume",
    "general": "General agent (综合台): handles every need",
}
QUEUES = {"billing": "Bill inquiry", "complaints": "Complaints and faults",
          "service_orders": "Service orders", "general": "General inquiries",
          "password": "Password services"}
# the agent teams (班组) a ticket can be handed over to (and reports add up); one team an
# agent: each agent in the team of the work they do most; each team led by a supervisor
# (who sees its members' calls in QA)
TEAMS = {"billing_team": ("账务班组", ("agent01", "agent02", "agent03", "agent09")),
         "complaints_team": ("投诉班组", ("agent04", "agent05", "agent08")),
         "orders_team": ("业务受理班组", ("agent06", "agent07"))}
TEAM_LEADS = {"billing_team": "lead1", "complaints_team": "lead2", "orders_team": "lead2"}
# login, name, {skill: level}: specialists first, then general agents with high levels
AGENTS = [
    ("agent01", "Wang Fang", {"billing": 9, "general": 4}),
    ("agent02", "Li Na", {"billing": 7}),
    ("agent03", "Zhang Wei", {"billing": 5, "complaints": 3}),
    ("agent04", "Liu Yang", {"complaints": 9}),
    ("agent05", "Chen Jing", {"complaints": 6, "service_orders": 4}),
    ("agent06", "Yang Min", {"service_orders": 8}),
    ("agent07", "Zhao Lei", {"service_orders": 6, "billing": 3}),
    ("agent08", "Huang Li", {"general": 9, "billing": 6, "complaints": 6, "service_orders": 6}),
    ("agent09", "Zhou Jie", {"general": 7, "billing": 5}),
    ("agent10", "Wu Xia", {"general": 5}),
    ("agent11", "Emily Carter", {"general": 6, "billing": 6}),
    ("agent12", "Sun Hao", {"general": 3, "complaints": 2}),
]
STAFF = [("lead1", "Ma Jun", Role.SUPERVISOR), ("lead2", "Gao Yan", Role.SUPERVISOR),
         ("qa1", "Lin Xue", Role.QA), ("admin", "Administrator", Role.ADMIN)]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明"]
ENGLISH = ["James Smith", "Mary Johnson", "Robert Brown", "Linda Davis", "Michael Miller",
           "Susan Wilson", "David Moore", "Karen Taylor", "Daniel Anderson", "Laura Thomas"]


@dataclass
class SeedReport:
    created: bool
    customers: int = 0
    bills: int = 0
    tickets: int = 0
    credentials: list[tuple[str, str, str]] = field(default_factory=list)  # login, role, password
    sample_customers: list[tuple[str, str, str, str]] = field(default_factory=list)

    def describe(self) -> str:
        if not self.created:
            return "demo data: the database already holds agents; nothing was changed"
        lines = [f"demo data: {self.customers} customers, {self.bills} bills, {self.tickets} tickets",
                 "", "Console logins (shown only now; write them down):"]
        lines += [f"  {login:<8} {role:<10} {password}" for login, role, password in self.credentials]
        lines += ["", "Sample customers (calling number, tier, language, service password):"]
        lines += [f"  {phone}  {tier:<7} {language}  {pin}" for phone, tier, language, pin in
                  self.sample_customers]
        return "\n".join(lines)


def seed_demo(factory: sessionmaker[Session], customers: int = 200,
              today: date | None = None) -> SeedReport:
    today = today or datetime.now(timezone.utc).date()
    rng = random.Random(2026)
    with transaction(factory) as session:
        if session.scalar(select(func.count()).select_from(Agent)):
            return SeedReport(created=False)
        report = SeedReport(created=True)
        skills = _skills(session)
        _queues(session)
        agents = _agents(session, skills, report)
        customer_rows = _customers(session, rng, customers, report)
        session.flush()
        report.bills = _bills(session, rng, customer_rows, today)
        report.tickets = _tickets(session, rng, customer_rows, agents, today)
        report.customers = len(customer_rows)
        return report


def _password() -> str:
    return os.environ.get("CALLCENTER_DEMO_PASSWORD") or secrets.token_urlsafe(9)


def _skills(session: Session) -> dict[str, Skill]:
    skills = {name: Skill(name=name, description=text) for name, text in SKILLS.items()}
    session.add_all(skills.values())
    return skills


def _queues(session: Session) -> None:
    session.add_all(Queue(name=name, display_name=text) for name, text in QUEUES.items())


def _agents(session: Session, skills: dict[str, Skill], report: SeedReport) -> list[Agent]:
    agents = []
    teams = _teams(session)
    team_of = {login: team for team in teams for login in TEAMS[team.key][1]}
    for index, (login, name, levels) in enumerate(AGENTS):
        password = _password()
        extension = str(1001 + index)
        agent = Agent(login=login, display_name=name, password_hash=hash_password(password),
                      role=Role.AGENT, sip_extension=extension,
                      sip_a1_hash=sip_a1_hash(extension, SIP_REALM, password),
                      language="en" if name == "Emily Carter" else "zh")
        agent.team = team_of.get(login)
        agent.skills = [AgentSkill(skill=skills[skill], level=level) for skill, level in levels.items()]
        agents.append(agent)
        report.credentials.append((login, f"agent/{extension}", password))
    staff = {}
    for login, name, role in STAFF:
        password = _password()
        staff[login] = Agent(login=login, display_name=name, password_hash=hash_password(password),
                             role=role)
        session.add(staff[login])
        report.credentials.append((login, role.value, password))
    for team in teams:
        team.lead = staff[TEAM_LEADS[team.key]]
    session.add_all(agents)
    return agents


def _teams(session: Session) -> list[Team]:
    teams = [Team(key=key, display_name=name) for key, (name, _members) in TEAMS.items()]
    session.add_all(teams)
    return teams


def _customers(session: Session, rng: random.Random, count: int,
               report: SeedReport) -> list[Customer]:
    rows = []
    for index in range(count):
        english = index % 7 == 3
        name = ENGLISH[index % len(ENGLISH)] if english else \
            rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < .5 else "")
        tier = rng.choices(list(CustomerTier), weights=[86, 7, 4, 3])[0]
        pin = f"{rng.randrange(10**6):06d}" if index >= 5 else f"{index + 1}" * 6
        phone = f"138{index:08d}"
        customer = Customer(name=name, tier=tier, language="en" if english else "zh",
                            service_password_hash=hash_service_password(pin))
        customer.phones = [CustomerPhone(number=phone)]
        if index % 10 == 0:
            customer.phones.append(CustomerPhone(number=f"0755{index:08d}"[:12]))
        customer.accounts = [Account(number=f"A{1000000 + index}", plan=rng.choice(
            ["Mobile 58", "Mobile 88", "Mobile 128", "Broadband 100M + Mobile", "Fixed line"]))]
        session.add(customer)
        rows.append(customer)
        if index < 5:
            report.sample_customers.append((customer.phones[0].number, tier.value,
                                            customer.language, pin))
    return rows


def _bills(session: Session, rng: random.Random, customers: list[Customer], today: date) -> int:
    count = 0
    for customer in customers:
        overdue_months = rng.choices([0, 1, 2, 3], weights=[82, 10, 5, 3])[0]
        base = rng.randrange(3000, 30000)
        for months_ago in range(12, 0, -1):
            period_start = _month_start(today, months_ago)
            due = _month_start(today, months_ago - 1) + timedelta(days=14)
            amount = base + rng.randrange(-1500, 4000)
            unpaid = months_ago <= overdue_months or (months_ago == 1 and due >= today)
            paid = 0 if unpaid else amount
            status = BillStatus.PAID if not unpaid else (
                BillStatus.OVERDUE if due < today else BillStatus.OPEN)
            bill = Bill(account=customer.accounts[0], period=period_start.strftime("%Y-%m"),
                        amount_due_cents=amount, amount_paid_cents=paid, due_date=due,
                        status=status)
            session.add(bill)
            if paid:
                session.add(Payment(account=customer.accounts[0], bill=bill, amount_cents=paid,
                                    paid_at=datetime.combine(due - timedelta(days=rng.randrange(1, 12)),
                                                             datetime.min.time(), timezone.utc),
                                    method=rng.choice(["bank", "wechat", "alipay", "counter"])))
            count += 1
    return count


def _tickets(session: Session, rng: random.Random, customers: list[Customer],
             agents: list[Agent], today: date) -> int:
    session.flush()
    subjects = {
        TicketCategory.COMPLAINT: ["Charged twice for data package", "Rude service at the counter"],
        TicketCategory.FAULT: ["No broadband since yesterday", "Fixed line has noise"],
        TicketCategory.SERVICE_ORDER: ["Move broadband to new address", "Add international roaming"],
        TicketCategory.INQUIRY: ["Question about the 128 plan", "Roaming tariff in Hong Kong"],
    }
    count = 40
    for index in range(count):
        category = list(TicketCategory)[index % 4]
        created = datetime.combine(today, datetime.min.time(), timezone.utc) - timedelta(
            days=rng.randrange(0, 30), hours=rng.randrange(0, 10))
        closed = index % 3 == 0
        owner = rng.choice(agents)
        ticket = Ticket(number=next_ticket_number(session, created), category=category,
                        customer_id=rng.choice(customers).id, subject=rng.choice(subjects[category]),
                        description="Demo ticket", owner=owner, created_at=created,
                        status=TicketStatus.CLOSED if closed else rng.choice(
                            [TicketStatus.OPEN, TicketStatus.DISPATCHED, TicketStatus.IN_PROGRESS]),
                        backoffice_group={TicketCategory.FAULT: "repair",
                                          TicketCategory.SERVICE_ORDER: "provisioning"}.get(category),
                        answer_back_deadline=answer_back_deadline(category, created))
        ticket.history = [TicketHistory(at=created, agent_id=owner.id, action="created",
                                        note="opened on the call")]
        if closed:
            ticket.closed_at = created + timedelta(days=1)
            ticket.history.append(TicketHistory(at=ticket.closed_at, action="closed",
                                                note="customer informed of the result"))
        session.add(ticket)
        session.flush()
    return count


def _month_start(today: date, months_ago: int) -> date:
    month_index = today.year * 12 + today.month - 1 - months_ago
    return date(month_index // 12, month_index % 12 + 1, 1)
