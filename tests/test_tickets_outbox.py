"""The roaming-complaint outbox against a real local HTTP server: delivered when
it is up, kept and retried (backing off) while it is down or failing, never lost."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from gevent.pywsgi import WSGIServer

from callcenter.db import transaction
from callcenter.models import Ticket, TicketCategory, TicketOutbox
from callcenter.tickets import outbox

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


class HomeCenter:
    """A WSGI endpoint that records what it received; ``status`` is what it answers."""

    def __init__(self):
        self.received: list[tuple[dict, str]] = []
        self.status = "201 Created"

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read()
        if self.status.startswith("2"):
            self.received.append((json.loads(body), environ.get("HTTP_IDEMPOTENCY_KEY", "")))
        start_response(self.status, [("Content-Type", "application/json")])
        return [b"{}"]


@pytest.fixture
def home():
    center = HomeCenter()
    server = WSGIServer(("127.0.0.1", 0), center, log=None)
    server.start()
    center.url = f"http://127.0.0.1:{server.server_port}/roaming-complaints"
    center.server = server
    yield center
    server.stop(timeout=1)


def queued(sessions, number="2611230001") -> int:
    with transaction(sessions) as db:
        ticket = Ticket(number=number, category=TicketCategory.COMPLAINT, detail="roaming",
                        subject="roaming charges", description="charged twice in Guangzhou",
                        created_at=NOW)
        db.add(ticket)
        db.flush()
        entry = outbox.enqueue(db, ticket, NOW)
        db.flush()
        return entry.id


def message(sessions, message_id) -> TicketOutbox:
    with sessions() as db:
        return db.get(TicketOutbox, message_id)


def test_delivered_once_with_an_idempotency_key(sessions, home):
    sent = queued(sessions)
    assert outbox.deliver_due(sessions, home.url, 5, NOW) == {"sent": 1, "pending": 0, "failed": 0}
    assert home.received == [({"ticket": "2611230001", "category": "complaint", "detail": "roaming",
                               "subject": "roaming charges",
                               "description": "charged twice in Guangzhou",
                               "opened_at": NOW.isoformat()}, f"ticket-outbox-{sent}")]
    assert message(sessions, sent).status == "sent"
    assert outbox.deliver_due(sessions, home.url, 5, NOW + timedelta(hours=1))["sent"] == 0


def test_a_down_endpoint_loses_nothing(sessions, home):
    sent = queued(sessions)
    url = home.url
    home.server.stop(timeout=1)  # the home center is down: connection refused
    assert outbox.deliver_due(sessions, url, 5, NOW) == {"sent": 0, "pending": 1, "failed": 0}
    kept = message(sessions, sent)
    assert kept.status == "pending" and kept.attempts == 1
    assert "Connection refused" in kept.last_error or "Errno" in kept.last_error
    assert kept.next_attempt_at == NOW + timedelta(seconds=30)
    # not due yet: not tried again
    assert outbox.deliver_due(sessions, url, 5, NOW + timedelta(seconds=10))["pending"] == 0


def test_retries_back_off_then_deliver_when_the_endpoint_is_back(sessions, home):
    sent = queued(sessions)
    home.status = "503 Service Unavailable"
    clock = NOW
    for attempt in range(1, 4):
        outbox.deliver_due(sessions, home.url, 5, clock)
        kept = message(sessions, sent)
        assert (kept.attempts, kept.last_error) == (attempt, "HTTP 503")
        assert kept.next_attempt_at - clock == outbox.backoff(attempt)
        clock = kept.next_attempt_at
    home.status = "200 OK"
    assert outbox.deliver_due(sessions, home.url, 5, clock)["sent"] == 1
    assert len(home.received) == 1 and message(sessions, sent).last_error is None


def test_after_the_last_attempt_it_is_failed_kept_and_can_be_retried(sessions, home):
    sent = queued(sessions)
    home.status = "500 Internal Server Error"
    clock = NOW
    for _ in range(3):
        outbox.deliver_due(sessions, home.url, 3, clock)
        clock += timedelta(hours=2)
    assert message(sessions, sent).status == "failed"
    assert outbox.deliver_due(sessions, home.url, 3, clock)["failed"] == 0  # left alone
    with transaction(sessions) as db:
        outbox.retry(db, sent, clock)
    home.status = "202 Accepted"
    assert outbox.deliver_due(sessions, home.url, 3, clock)["sent"] == 1


@pytest.mark.parametrize("attempts,wait", [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (20, 3600)])
def test_backoff(attempts, wait):
    assert outbox.backoff(attempts) == timedelta(seconds=wait)
