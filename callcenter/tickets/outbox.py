"""Forwarding roaming complaints to the customer's home center: an outbox.

The message is written in the same transaction as the ticket (``enqueue``), so
it exists as soon as the ticket does; ``deliver_due`` posts what is due to the
configured HTTP endpoint and keeps what failed, with the error and the time of
the next try (backing off). After the configured attempts a message is
``failed``: still kept, shown on the back-office page, and ``retry`` puts it
back in line. Each POST carries an ``Idempotency-Key`` so that a message
re-sent after a lost reply can be recognised by the receiver.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.models import Ticket, TicketOutbox

log = logging.getLogger(__name__)
PENDING, SENT, FAILED = "pending", "sent", "failed"
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
TIMEOUT_SECONDS = 10.0

Post = Callable[[str, bytes, dict], int]  # (url, body, headers) -> HTTP status


def enqueue(db: Session, ticket: Ticket, now: datetime) -> TicketOutbox:
    message = TicketOutbox(ticket_id=ticket.id, kind="roaming_complaint", status=PENDING,
                           created_at=now, next_attempt_at=now, attempts=0,
                           payload={"ticket": ticket.number, "category": ticket.category.value,
                                    "detail": ticket.detail, "subject": ticket.subject,
                                    "description": ticket.description,
                                    "opened_at": (ticket.created_at or now).isoformat()})
    db.add(message)
    return message


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... up to an hour between tries."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


def http_post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code


def deliver_due(sessions: sessionmaker[Session], endpoint: str, max_attempts: int,
                now: datetime, post: Post = http_post) -> dict[str, int]:
    """Try every message that is due, each in its own transaction. Returns counts."""
    with sessions() as db:
        due = db.scalars(select(TicketOutbox.id).where(TicketOutbox.status == PENDING,
                                                       TicketOutbox.next_attempt_at <= now)
                         .order_by(TicketOutbox.id)).all()
    counts = {SENT: 0, PENDING: 0, FAILED: 0}
    for message_id in due:
        with sessions() as db, db.begin():
            message = db.get(TicketOutbox, message_id)
            if message is None or message.status != PENDING:
                continue  # another worker took it
            _attempt(message, endpoint, max_attempts, now, post)
            counts[message.status] += 1
    return counts


def _attempt(message: TicketOutbox, endpoint: str, max_attempts: int, now: datetime,
             post: Post) -> None:
    message.attempts += 1
    body = json.dumps(message.payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8",
               "Idempotency-Key": f"ticket-outbox-{message.id}"}
    try:
        status = post(endpoint, body, headers)
        error = None if 200 <= status < 300 else f"HTTP {status}"
    except (OSError, ValueError) as exc:  # refused, timed out, unreachable, bad URL
        error = f"{type(exc).__name__}: {exc}"
    if error is None:
        message.status, message.sent_at, message.last_error = SENT, now, None
        message.next_attempt_at = None
        return
    message.last_error = error[:500]
    log.warning("outbox message %s for ticket %s not delivered (attempt %d): %s",
                message.id, message.payload.get("ticket"), message.attempts, error)
    if message.attempts >= max_attempts:
        message.status, message.next_attempt_at = FAILED, None
    else:
        message.next_attempt_at = now + backoff(message.attempts)


def retry(db: Session, message_id: int, now: datetime) -> TicketOutbox:
    message = db.get(TicketOutbox, message_id)
    if message is None:
        raise LookupError(f"no outbox message {message_id}")
    if message.status == SENT:
        raise ValueError("the message was already delivered")
    message.status, message.next_attempt_at, message.attempts = PENDING, now, 0
    return message
