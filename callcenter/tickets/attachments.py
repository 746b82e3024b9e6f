"""Files added to tickets: kept under a folder, named by their sha256 (the same bytes
are stored once), written whole or not at all; the name as uploaded is for the download."""
from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath

from sqlalchemy.orm import Session

from callcenter.models import Ticket, TicketAttachment, TicketHistory
from callcenter.tickets.service import TicketFormError
from callcenter.tickets.states import FINISHED

MAX_BYTES = 10 * 1024 * 1024


def clean_name(name: str) -> str:
    """The file's own name, without any folder a browser or a crafted request put in front."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name.strip().replace("\x00", "")
    return base[:200]


def path_of(folder: Path, attachment: TicketAttachment) -> Path:
    return folder / attachment.sha256[:2] / attachment.sha256


def add(db: Session, ticket: Ticket, actor_id: int | None, file_name: str, content_type: str,
        content: bytes, folder: Path, now: datetime) -> TicketAttachment:
    name = clean_name(file_name)
    if not name or not content:
        raise TicketFormError("file", "choose a file to attach")
    if len(content) > MAX_BYTES:
        raise TicketFormError("file", f"a file may be at most {MAX_BYTES // (1024 * 1024)} MB")
    if ticket.status in FINISHED:
        raise TicketFormError("file", "the ticket is finished")
    digest = hashlib.sha256(content).hexdigest()
    attachment = TicketAttachment(ticket_id=ticket.id, file_name=name, sha256=digest,
                                  content_type=(content_type or "application/octet-stream")[:100],
                                  size_bytes=len(content), added_by_id=actor_id, added_at=now)
    _write(path_of(folder, attachment), content)
    db.add(attachment)
    db.add(TicketHistory(ticket_id=ticket.id, agent_id=actor_id, action="attachment", note=name,
                         at=now))
    return attachment


def _write(target: Path, content: bytes) -> None:
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
