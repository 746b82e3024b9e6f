"""The whole domain as SQLAlchemy 2 typed models.

Money is integer cents (``*_cents``), never float. Times are stored as
timezone-aware UTC (``UTCDateTime``). Append-only tables (call events, agent
state changes, ticket history, audit log) refuse updates and deletes.
"""
from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Annotated, Any

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Date, DateTime, Enum,
                        ForeignKey, Index, Integer, MetaData, String, Text, TypeDecorator,
                        UniqueConstraint, event)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from callcenter.phone import normalize_phone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes, stored in UTC on every backend.

    SQLite has no time zones: values are stored naive in UTC and made aware
    again on the way out. Naive datetimes are refused on the way in, so a
    local time can never be stored by mistake.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware UTC times")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Cents(TypeDecorator):
    """Money in integer cents; a float is refused so rounding errors cannot creep in."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"money must be integer cents, got {type(value).__name__} {value!r}")
        return value


Timestamp = Annotated[datetime, mapped_column(UTCDateTime)]
Created = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow, nullable=False)]
Money = Annotated[int, mapped_column(Cents, nullable=False, default=0)]
Name = Annotated[str, mapped_column(String(120))]
Json = Annotated[Any, mapped_column(JSON)]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, name=cls.__name__.lower(), native_enum=False, length=24,
                values_callable=lambda members: [m.value for m in members],
                validate_strings=True)


# --- enums ---------------------------------------------------------------

class CustomerTier(str, enum.Enum):
    REGULAR = "regular"
    VIP1 = "vip1"
    VIP2 = "vip2"
    VIP3 = "vip3"  # the highest tier: key customers (大客户)


class BillStatus(str, enum.Enum):
    OPEN = "open"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    OVERDUE = "overdue"


class Role(str, enum.Enum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    QA = "qa"
    ADMIN = "admin"
    BACKOFFICE = "backoffice"  # works dispatched tickets (业务处理后台)
    WALLBOARD = "wallboard"  # a kiosk screen: the wallboard and nothing else


class CallDirection(str, enum.Enum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class TicketCategory(str, enum.Enum):
    COMPLAINT = "complaint"
    FAULT = "fault"
    SERVICE_ORDER = "service_order"
    INQUIRY = "inquiry"


class TicketStatus(str, enum.Enum):
    """The closed loop; the moves between them are callcenter/tickets/states.py."""
    NEW = "new"
    OPEN = "new"  # the name before the closed loop (migration 0006 renamed 'open' rows)
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    ANSWERED_BACK = "answered_back"  # back office replied (电子回单)
    CUSTOMER_INFORMED = "customer_informed"  # the customer was told (回告)
    CLOSED = "closed"
    RETURNED = "returned"  # sent back to the center with a reason
    REOPENED = "reopened"  # the customer called again, unhappy
    CANCELLED = "cancelled"


class CampaignKind(str, enum.Enum):
    COLLECTIONS = "collections"
    SURVEY = "survey"
    CALLBACK = "callback"
    MARKETING = "marketing"
    ANSWER_BACK = "answer_back"  # 回告: telling a customer the result of a ticket


class CampaignStatus(str, enum.Enum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"  # by a supervisor: nothing more is dialled
    FINISHED = "finished"  # every contact final


class ContactStatus(str, enum.Enum):
    PENDING = "pending"  # next_attempt_at None: due now; else due then
    DIALING = "dialing"  # an attempt is claimed (CampaignAttempt without an outcome)
    DONE = "done"
    FAILED = "failed"  # e.g. the number does not exist
    EXHAUSTED = "no_more_attempts"
    SKIPPED = "skipped"  # with a reason, e.g. on the do-not-call list


class CallbackStatus(str, enum.Enum):
    PENDING = "pending"
    DIALING = "dialing"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


# --- customers and billing ----------------------------------------------

class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[Name]
    tier: Mapped[CustomerTier] = mapped_column(_enum(CustomerTier), default=CustomerTier.REGULAR)
    service_password_hash: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[Created]

    phones: Mapped[list[CustomerPhone]] = relationship(back_populates="customer",
                                                       cascade="all, delete-orphan")
    accounts: Mapped[list[Account]] = relationship(back_populates="customer")


class CustomerPhone(Base):
    __tablename__ = "customer_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer: Mapped[Customer] = relationship(back_populates="phones")

    @staticmethod
    def _normalize(target: CustomerPhone, value: str, *_: Any) -> str:
        return normalize_phone(value)


event.listen(CustomerPhone.number, "set", CustomerPhone._normalize, retval=True)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    plan: Mapped[str] = mapped_column(String(60), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    opened_at: Mapped[Created]

    customer: Mapped[Customer] = relationship(back_populates="accounts")
    bills: Mapped[list[Bill]] = relationship(back_populates="account", order_by="Bill.period")


class Bill(Base):
    __tablename__ = "bills"
    __table_args__ = (
        UniqueConstraint("account_id", "period", name="account_period"),
        CheckConstraint("amount_due_cents >= 0", name="amount_due_not_negative"),
        CheckConstraint("amount_paid_cents >= 0", name="amount_paid_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    amount_due_cents: Mapped[Money]
    amount_paid_cents: Mapped[Money]
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[BillStatus] = mapped_column(_enum(BillStatus), default=BillStatus.OPEN)

    account: Mapped[Account] = relationship(back_populates="bills")

    @property
    def balance_cents(self) -> int:
        return self.amount_due_cents - self.amount_paid_cents


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"))
    amount_cents: Mapped[Money]
    paid_at: Mapped[Created]
    method: Mapped[str] = mapped_column(String(30), default="bank")

    account: Mapped[Account] = relationship()
    bill: Mapped[Bill | None] = relationship()


# --- agents, skills, queues --------------------------------------------

class Team(Base):
    """A team of agents (班组) under one lead: reports add up its agents' figures; the lead
    (a supervisor) sees its members' calls in QA."""
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[Name]
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", use_alter=True), index=True)

    lead: Mapped[Agent | None] = relationship(foreign_keys=[lead_id])


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[Name]
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.AGENT)
    sip_extension: Mapped[str | None] = mapped_column(String(20), unique=True)
    # md5(extension:realm:password), FreeSWITCH's a1-hash: digest auth without a stored clear password;
    # for the current extension only (see _sip_hash_follows_extension), apart from the console password
    sip_a1_hash: Mapped[str | None] = mapped_column(String(32))
    sip_password_set_at: Mapped[Timestamp | None]  # last set or rotated (callcenter.sip_credentials)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)  # played by the demo simulator
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Timestamp | None]
    created_at: Mapped[Created]
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)

    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])
    skills: Mapped[list[AgentSkill]] = relationship(back_populates="agent",
                                                    cascade="all, delete-orphan")


@event.listens_for(Agent.sip_extension, "set", active_history=True)
def _sip_hash_follows_extension(agent: Agent, value, old, initiator) -> None:
    """The a1-hash names the extension: renumbering a phone by any path (console, import,
    script) drops the old hash rather than leave one the phone can never match."""
    if isinstance(old, str) and value != old:
        agent.sip_a1_hash = None
        agent.sip_password_set_at = None


class Skill(Base):
    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")


class AgentSkill(Base):
    __tablename__ = "agent_skills"
    __table_args__ = (
        UniqueConstraint("agent_id", "skill_id", name="agent_skill"),
        CheckConstraint("level BETWEEN 1 AND 10", name="level_1_to_10"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)

    agent: Mapped[Agent] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship()


class Queue(Base):
    """A need callers wait for; its routing rules live in the ACD queues file."""

    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[Name]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AgentStateChange(Base):
    """Append-only log of every agent state transition."""

    __tablename__ = "agent_state_changes"
    __table_args__ = (Index("ix_agent_state_changes_agent_at", "agent_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    at: Mapped[Created]
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(40))
    call_uuid: Mapped[str | None] = mapped_column(String(64))
    by_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))  # forced by a supervisor


class QueueMember(Base):
    """A caller waiting in a queue, persisted so a restarted engine keeps the order."""

    __tablename__ = "queue_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_uuid: Mapped[str] = mapped_column(String(64), unique=True)
    queue_name: Mapped[str] = mapped_column(String(40), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    entered_at: Mapped[Created]
    announced_position: Mapped[int | None] = mapped_column(Integer)
    callback_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    context: Mapped[Json | None]


class AgentPresence(Base):
    """An agent's current state, persisted so a restarted engine restores it."""

    __tablename__ = "agent_presence"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(40))
    since: Mapped[Created]
    call_uuid: Mapped[str | None] = mapped_column(String(64))
    missed_in_a_row: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[Json | None]  # the ACD's full record of the agent (timers, idle since ...)


# --- calls and recordings ----------------------------------------------

class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint("survey_score IS NULL OR survey_score BETWEEN 1 AND 5",
                        name="survey_score_1_to_5"),
        Index("ix_calls_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[CallDirection] = mapped_column(_enum(CallDirection))
    caller_number: Mapped[str] = mapped_column(String(32), default="")
    dialled_number: Mapped[str] = mapped_column(String(32), default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    created_at: Mapped[Created]
    switch_answered_at: Mapped[Timestamp | None]
    queued_at: Mapped[Timestamp | None]
    offered_at: Mapped[Timestamp | None]
    agent_answered_at: Mapped[Timestamp | None]
    ended_at: Mapped[Timestamp | None]
    ivr_flow: Mapped[str | None] = mapped_column(String(60))
    ivr_path: Mapped[Json | None]
    need: Mapped[str | None] = mapped_column(String(40))
    queue_name: Mapped[str | None] = mapped_column(String(40), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    transferred_from_call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    abandoned: Mapped[bool] = mapped_column(Boolean, default=False)
    hangup_cause: Mapped[str | None] = mapped_column(String(40))
    disposition: Mapped[str | None] = mapped_column(String(40))
    wrapup_notes: Mapped[str | None] = mapped_column(Text)
    survey_score: Mapped[int | None] = mapped_column(Integer)
    campaign_contact_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_contacts.id"))

    customer: Mapped[Customer | None] = relationship()
    agent: Mapped[Agent | None] = relationship()
    events: Mapped[list[CallEvent]] = relationship(back_populates="call", order_by="CallEvent.id")


class CallEvent(Base):
    """Append-only: everything that happened to a call, for replay and reports."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    at: Mapped[Created]
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[Json | None]

    call: Mapped[Call] = relationship(back_populates="events")


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    path: Mapped[str] = mapped_column(String(500), unique=True)  # as the switch wrote it
    kind: Mapped[str] = mapped_column(String(20), default="call")  # call | voicemail | complaint
    started_at: Mapped[Created]
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    retain_until: Mapped[date] = mapped_column(Date)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_hold_reason: Mapped[str | None] = mapped_column(String(200))
    # spans (ms from the start) where the recording was paused, e.g. around a password
    masked_spans: Mapped[Json | None]
    # set when retention removed the file; the row stays for the access log and evaluations
    deleted_at: Mapped[Timestamp | None]
    # the switch wrote no audio and deleted the file it had opened (RECORD_STOP with
    # RECORD_DISCARDED: e.g. the call ended as it was connected): there never was a file
    empty: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    call: Mapped[Call] = relationship()


class RecordingAccess(Base):
    """Who listened to or downloaded which recording, when and from where (append-only)."""

    __tablename__ = "recording_accesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    at: Mapped[Created]
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(12), default="listen", server_default="listen")


class QaEvaluationStatus(str, enum.Enum):
    SUBMITTED = "submitted"  # waiting for the agent
    ACKNOWLEDGED = "acknowledged"
    DISPUTED = "disputed"  # back with QA
    ANSWERED = "answered"  # QA answered the dispute
    CALIBRATION = "calibration"  # one inspector's score in a calibration round; agents never see it


class QaEvaluation(Base):
    __tablename__ = "qa_evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"))
    form: Mapped[str] = mapped_column(String(60))
    scores: Mapped[Json]  # item id -> answer (yes | no | na | scale value)
    total: Mapped[int] = mapped_column(Integer)  # 0..100; 0 when a critical item failed
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    comments: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[Created]
    scorecard_version_id: Mapped[int | None] = mapped_column(ForeignKey("qa_scorecard_versions.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)  # evaluated
    status: Mapped[QaEvaluationStatus] = mapped_column(
        _enum(QaEvaluationStatus), default=QaEvaluationStatus.SUBMITTED,
        server_default=QaEvaluationStatus.SUBMITTED.value)
    critical_failed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    acknowledged_at: Mapped[Timestamp | None]

    items: Mapped[list[QaEvaluationItem]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="QaEvaluationItem.id")
    moments: Mapped[list[QaMomentComment]] = relationship(
        cascade="all, delete-orphan", order_by="QaMomentComment.at_ms")
    disputes: Mapped[list[QaDispute]] = relationship(
        back_populates="evaluation", order_by="QaDispute.id")
    scorecard_version: Mapped[QaScorecardVersion | None] = relationship()


class QaScorecardVersion(Base):
    """A scorecard form version as it was when first used: evaluations stay readable
    after the file changes (a changed file must carry a new version)."""

    __tablename__ = "qa_scorecard_versions"
    __table_args__ = (UniqueConstraint("name", "version", name="name_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the definition
    definition: Mapped[Json]
    created_at: Mapped[Created]


class QaEvaluationItem(Base):
    """One item's answer in an evaluation, for figures per item."""

    __tablename__ = "qa_evaluation_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("qa_evaluations.id"), index=True)
    item: Mapped[str] = mapped_column(String(60))
    answer: Mapped[str] = mapped_column(String(8))  # yes | no | na | scale value
    earned_milli: Mapped[int] = mapped_column(Integer)  # points earned x 1000 (exact enough)
    possible: Mapped[int] = mapped_column(Integer)  # the item's weight, 0 when n/a

    evaluation: Mapped[QaEvaluation] = relationship(back_populates="items")


class QaMomentComment(Base):
    """An inspector's remark pinned to a moment of the recording."""

    __tablename__ = "qa_moment_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("qa_evaluations.id"), index=True)
    at_ms: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class QaDispute(Base):
    """An agent disputes an evaluation; QA answers. Open until answered."""

    __tablename__ = "qa_disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("qa_evaluations.id"), index=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    opened_at: Mapped[Created]
    reason: Mapped[str] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    answered_at: Mapped[Timestamp | None]
    answer: Mapped[str | None] = mapped_column(Text)

    evaluation: Mapped[QaEvaluation] = relationship(back_populates="disputes")


class QaSavedSearch(Base):
    """A QA inspector's named call search (the query string of the search page)."""

    __tablename__ = "qa_saved_searches"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="owner_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[Json]
    created_at: Mapped[Created]


# --- tickets -------------------------------------------------------------

class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # digits: callers key it in
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    category: Mapped[TicketCategory] = mapped_column(_enum(TicketCategory), nullable=False)
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus), default=TicketStatus.OPEN)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    subject: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    owner_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))  # 首问负责
    backoffice_group: Mapped[str | None] = mapped_column(String(60), index=True)
    answer_back_deadline: Mapped[Timestamp | None]
    created_at: Mapped[Created]
    closed_at: Mapped[Timestamp | None]
    detail: Mapped[str | None] = mapped_column(String(40))  # e.g. roaming: picks the dispatch rule
    worker_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))  # back office
    answer: Mapped[str | None] = mapped_column(Text)  # the back office's result (电子回单)
    answered_at: Mapped[Timestamp | None]
    informed_at: Mapped[Timestamp | None]  # the customer was told (回告)
    not_reached: Mapped[bool] = mapped_column(Boolean, default=False,
                                              server_default="0")  # closed: attempts ran out
    warned_at: Mapped[Timestamp | None]  # the deadline is near
    escalated_at: Mapped[Timestamp | None]  # the deadline passed before the answer
    result_code: Mapped[str | None] = mapped_column(String(40))  # said by the answer-back call
    # handed over to a team of the center's agents (班组): the key of a row of ``teams``, no
    # owner until one of its agents takes it (callcenter.tickets.service.hand_over_to_team / take)
    owner_group: Mapped[str | None] = mapped_column(String(40), index=True)

    customer: Mapped[Customer | None] = relationship()
    owner: Mapped[Agent | None] = relationship(foreign_keys=[owner_agent_id])
    worker: Mapped[Agent | None] = relationship(foreign_keys=[worker_agent_id])
    history: Mapped[list[TicketHistory]] = relationship(back_populates="ticket",
                                                        order_by="TicketHistory.id")
    tasks: Mapped[list[TicketTask]] = relationship(back_populates="ticket", order_by="TicketTask.id")
    attachments: Mapped[list[TicketAttachment]] = relationship(back_populates="ticket",
                                                              order_by="TicketAttachment.id")


class TicketSequence(Base):
    """The last ticket number given out per day: one atomic UPDATE per ticket,
    so concurrent calls can never be given the same number."""

    __tablename__ = "ticket_sequences"

    day: Mapped[str] = mapped_column(String(6), primary_key=True)  # YYMMDD
    last: Mapped[int] = mapped_column(Integer)


class TicketHistory(Base):
    __tablename__ = "ticket_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[Created]
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    action: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))

    ticket: Mapped[Ticket] = relationship(back_populates="history")
    agent: Mapped[Agent | None] = relationship()


class TicketTask(Base):
    """Work the ticket puts on an agent's desk: call the customer back with the
    result (回告). Done when told, or when the attempts ran out."""

    __tablename__ = "ticket_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)  # None: agentless
    kind: Mapped[str] = mapped_column(String(24), default="inform_customer")
    created_at: Mapped[Created]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[Timestamp | None]
    outcome: Mapped[str | None] = mapped_column(String(24))  # told | not_reached | handed_over
    # agentless_call: the answer-back campaign's contact that makes the call
    campaign_contact_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_contacts.id"),
                                                            index=True)

    ticket: Mapped[Ticket] = relationship(back_populates="tasks")


class TicketNotification(Base):
    """A message pushed to a person about a ticket: its answer-back deadline nears
    (``deadline_warning``) or passed (``escalated``). The text is made at display time
    in the reader's language; read once they mark it read."""

    __tablename__ = "ticket_notifications"
    __table_args__ = (Index("ix_ticket_notifications_unread", "agent_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # deadline_warning | escalated
    why: Mapped[str] = mapped_column(String(24))  # owner | group | supervisor: why this reader
    created_at: Mapped[Created]
    read_at: Mapped[Timestamp | None]

    ticket: Mapped[Ticket] = relationship()


class TicketAttachment(Base):
    """A file added to a ticket (a photo of the fault, a bill, the back office's letter);
    the bytes live under the data directory, named by their sha256."""

    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(200))  # as uploaded, for the download
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    added_at: Mapped[Created]

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    added_by: Mapped[Agent | None] = relationship()


class TicketOutbox(Base):
    """Messages to other centers (roaming complaints to the home center), kept until
    the endpoint took them: a down endpoint delays them, never loses them."""

    __tablename__ = "ticket_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24), default="roaming_complaint")
    payload: Mapped[Json]
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[Timestamp | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[Created]
    sent_at: Mapped[Timestamp | None]

    ticket: Mapped[Ticket] = relationship()


# --- outbound ------------------------------------------------------------

class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[CampaignKind] = mapped_column(_enum(CampaignKind))
    status: Mapped[CampaignStatus] = mapped_column(_enum(CampaignStatus),
                                                   default=CampaignStatus.DRAFT)
    flow: Mapped[str | None] = mapped_column(String(60))
    queue_name: Mapped[str | None] = mapped_column(String(40))
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    retry_minutes: Mapped[int] = mapped_column(Integer, default=60)
    window_start: Mapped[str] = mapped_column(String(5), default="09:00")  # local time
    window_end: Mapped[str] = mapped_column(String(5), default="20:00")
    created_at: Mapped[Created]
    caller_id: Mapped[str] = mapped_column(String(32), default="")
    timezone: Mapped[str | None] = mapped_column(String(40))  # None: the center's
    ring_timeout: Mapped[int] = mapped_column(Integer, default=30)
    max_lines: Mapped[int] = mapped_column(Integer, default=10)  # agentless: calls at once
    pacing: Mapped[str] = mapped_column(String(16), default="progressive")
    # the whole campaign as validated (windows, holidays, retry delays per outcome, abandon
    # limit and window ...): the live shell reads it, the columns above are for listing
    settings: Mapped[Json | None]
    source_yaml: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[Timestamp | None]
    finished_at: Mapped[Timestamp | None]


class CampaignContact(Base):
    __tablename__ = "campaign_contacts"
    __table_args__ = (UniqueConstraint("campaign_id", "phone", name="campaign_phone"),
                      Index("ix_campaign_contacts_due", "campaign_id", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[ContactStatus] = mapped_column(_enum(ContactStatus), default=ContactStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[Timestamp | None]
    next_attempt_at: Mapped[Timestamp | None]
    result: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120), default="")
    language: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(40))  # None: the campaign's
    amount_cents: Mapped[int | None] = mapped_column(Cents)
    due_date: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))  # why skipped / failed
    data: Mapped[Json | None]  # the list's other columns (screen pop, script)
    source_line: Mapped[int | None] = mapped_column(Integer)  # line in the imported file
    # preview campaigns: the agent whose card shows this contact, until when (callcenter.dialer.preview)
    offered_to: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    offered_until: Mapped[Timestamp | None]


class CampaignAttempt(Base):
    """One dial of a contact, claimed in the database before the switch is asked, so
    a restarted engine finds every attempt in flight (outcome None) and neither
    loses nor repeats it."""

    __tablename__ = "campaign_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("campaign_contacts.id"), index=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)  # the customer leg's uuid
    number: Mapped[str] = mapped_column(String(20))
    claimed_at: Mapped[Timestamp]
    answered_at: Mapped[Timestamp | None]
    ended_at: Mapped[Timestamp | None]
    outcome: Mapped[str | None] = mapped_column(String(24), index=True)  # None: in flight
    hangup_cause: Mapped[str | None] = mapped_column(String(40))
    abandoned: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[Json | None]  # e.g. what the flow said and the key pressed


class DoNotCall(Base):
    __tablename__ = "do_not_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    added_at: Mapped[Created]
    source: Mapped[str] = mapped_column(String(40), default="")  # console | ivr_opt_out | import
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))  # opts out every number


class CallbackRequest(Base):
    """A caller asked to be called back (from the queue or the IVR), or an agent
    promised a call back at wrap-up (``agent_id``: that agent gets it)."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    need: Mapped[str | None] = mapped_column(String(40))
    requested_at: Mapped[Created]
    scheduled_for: Mapped[Timestamp | None]  # when the customer wants the call; None: as soon as possible
    status: Mapped[CallbackStatus] = mapped_column(_enum(CallbackStatus),
                                                   default=CallbackStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    last_attempt_at: Mapped[Timestamp | None]
    dial_uuid: Mapped[str | None] = mapped_column(String(64))  # the ACD call that dials it
    timezone: Mapped[str | None] = mapped_column(String(40))  # None: the callbacks policy's
    last_outcome: Mapped[str | None] = mapped_column(String(24))  # of the last dial: busy, no_answer...
    reason: Mapped[str | None] = mapped_column(String(200))  # why retried, or why it ended


# --- audit -----------------------------------------------------------------

class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[Created]
    actor_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    actor_login: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[Json | None]
    remote_addr: Mapped[str | None] = mapped_column(String(64))


# --- service indicators ------------------------------------------------------

class ServiceInterval(Base):
    """Indicator sums of one interval, queue and direction (docs/indicators.md), as
    `callcenter reports rebuild` computed them from the log; never written by hand.
    Sums, not rates: intervals add up to days and months exactly."""

    __tablename__ = "service_intervals"
    __table_args__ = (UniqueConstraint("start", "minutes", "queue_name", "direction",
                                       name="interval_queue"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    minutes: Mapped[int] = mapped_column(Integer)
    queue_name: Mapped[str] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(10))
    offered: Mapped[int] = mapped_column(Integer, default=0)
    first_offered: Mapped[int] = mapped_column(Integer, default=0)
    transferred_in: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    answered_in_limit: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)
    short_abandoned: Mapped[int] = mapped_column(Integer, default=0)
    abandoned_over_limit: Mapped[int] = mapped_column(Integer, default=0)
    callbacks: Mapped[int] = mapped_column(Integer, default=0)
    waiting: Mapped[int] = mapped_column(Integer, default=0)
    wait_answered_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    longest_wait_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    handled: Mapped[int] = mapped_column(Integer, default=0)
    handle_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    rebuilt_at: Mapped[Created]


class AvailabilityRecord(Base):
    """Append-only: the engine's own up/down record and its switch connection's
    (engine_started, engine_stopped, switch_connected, switch_lost, heartbeat), for
    系统可用率 (docs/indicators.md). A start without a stop before it was a crash,
    dated by the last record of that run (heartbeats are written every minute)."""

    __tablename__ = "availability_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    run: Mapped[str] = mapped_column(String(36))  # one engine run (start to stop or crash)
    detail: Mapped[str | None] = mapped_column(String(200))


APPEND_ONLY = (CallEvent, AgentStateChange, TicketHistory, AuditLog, RecordingAccess,
               AvailabilityRecord)


class AppendOnlyError(Exception):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_append_only(session: Session, *_: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, APPEND_ONLY) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyError(f"{type(obj).__tablename__} is append-only")
