"""`callcenter tickets check | sweep | forward` on a real SQLite database and a local
HTTP endpoint."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from callcenter.cli import main
from callcenter.db import transaction
from callcenter.models import Ticket, TicketCategory, TicketOutbox
from callcenter.tickets import outbox
from callcenter.tickets.dispatch import DEFAULT_RULES
from test_tickets_outbox import home  # noqa: F401  (the local endpoint fixture)


def config(write_config, database_url):
    return str(write_config(f'switch:\n  password: x\ndatabase:\n  url: "{database_url}"\n'))


def rules_with_endpoint(tmp_path, url):
    text = DEFAULT_RULES.read_text(encoding="utf-8").replace(
        "endpoint: http://127.0.0.1:8099/roaming-complaints", f"endpoint: {url}")
    path = tmp_path / "dispatch.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_check_reports_a_broken_file_with_its_line(tmp_path, capsys):
    assert main(["tickets", "check"]) == 0
    broken = tmp_path / "rules.yaml"
    broken.write_text("groups: {a: {name: A}}\nrules:\n  - {category: fault, group: b}\n",
                      encoding="utf-8")
    assert main(["tickets", "--rules", str(broken), "check"]) == 2
    assert f"{broken}:3:" in capsys.readouterr().err


def test_sweep_flags_a_late_ticket(write_config, database_url, sessions, capsys):
    opened = datetime.now(timezone.utc) - timedelta(days=3)
    with transaction(sessions) as db:
        db.add(Ticket(number="2611230001", category=TicketCategory.FAULT, status="dispatched",
                      created_at=opened, answer_back_deadline=opened + timedelta(days=1)))
    assert main(["--config", config(write_config, database_url), "tickets", "sweep"]) == 0
    assert "2611230001 escalated" in capsys.readouterr().out
    with sessions() as db:
        assert db.scalar(select(Ticket)).escalated_at is not None


def test_forward_sends_what_is_due(write_config, database_url, sessions, tmp_path, home):
    with transaction(sessions) as db:
        ticket = Ticket(number="2611230002", category=TicketCategory.COMPLAINT, detail="roaming",
                        created_at=datetime.now(timezone.utc) - timedelta(minutes=1))
        db.add(ticket)
        db.flush()
        outbox.enqueue(db, ticket, ticket.created_at)
    args = ["--config", config(write_config, database_url), "tickets",
            "--rules", rules_with_endpoint(tmp_path, home.url), "forward"]
    assert main(args) == 0
    assert [payload["ticket"] for payload, _key in home.received] == ["2611230002"]
    with sessions() as db:
        assert db.scalar(select(TicketOutbox)).status == "sent"
