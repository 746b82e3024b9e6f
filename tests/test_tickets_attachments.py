"""Ticket attachments: names cleaned of folders, size limit, stored once by content."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from callcenter.db import transaction
from callcenter.models import Ticket, TicketCategory, TicketStatus
from callcenter.tickets import attachments
from callcenter.tickets.service import TicketFormError

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw,clean", [
    ("bill.pdf", "bill.pdf"), ("../../etc/passwd", "passwd"), ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
    ("  spaced.txt ", "spaced.txt"), ("", ""), ("/", ""), ("a" * 300, "a" * 200),
])
def test_clean_name(raw, clean):
    assert attachments.clean_name(raw) == clean


def ticket(sessions, status=TicketStatus.DISPATCHED) -> int:
    with transaction(sessions) as db:
        row = Ticket(number="2611230001", category=TicketCategory.FAULT, status=status, created_at=NOW)
        db.add(row)
        db.flush()
        return row.id


def test_the_same_bytes_are_stored_once_and_both_rows_kept(sessions, tmp_path):
    tmp_path = tmp_path / "files"
    ticket_id = ticket(sessions)
    with transaction(sessions) as db:
        row = db.get(Ticket, ticket_id)
        first = attachments.add(db, row, None, "a.txt", "text/plain", b"hello", tmp_path, NOW)
        second = attachments.add(db, row, None, "b.txt", "text/plain", b"hello", tmp_path, NOW)
        assert attachments.path_of(tmp_path, first) == attachments.path_of(tmp_path, second)
    assert [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()] == [b"hello"]
    with sessions() as db:
        assert [a.file_name for a in db.get(Ticket, ticket_id).attachments] == ["a.txt", "b.txt"]


@pytest.mark.parametrize("name,content,status,message", [
    ("", b"x", TicketStatus.DISPATCHED, "choose a file to attach"),
    ("a.bin", b"", TicketStatus.DISPATCHED, "choose a file to attach"),
    ("a.bin", b"x" * (attachments.MAX_BYTES + 1), TicketStatus.DISPATCHED, "at most 10 MB"),
    ("a.bin", b"x", TicketStatus.CLOSED, "the ticket is finished"),
])
def test_refused_uploads_leave_nothing(sessions, tmp_path, name, content, status, message):
    tmp_path = tmp_path / "files"
    ticket_id = ticket(sessions, status)
    with pytest.raises(TicketFormError, match=message):
        with transaction(sessions) as db:
            attachments.add(db, db.get(Ticket, ticket_id), None, name, "", content, tmp_path, NOW)
    assert not list(tmp_path.rglob("*"))
