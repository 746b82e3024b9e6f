"""What the ticket pages and the back-office desk share: the dispatch rules (read and
checked when the console starts), the clock (``TICKETS_CLOCK`` pins it), the deadline
sweep, a ticket by its number and who may see it, the attachments' folder, and the
call the user is on."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from callcenter.models import Role, Ticket
from callcenter.tickets import service
from callcenter.tickets.dispatch import DispatchRules
from web.auth import current_user, services
from web.live import port_of


def rules() -> DispatchRules:
    return current_app.extensions["ticket_rules"]


def now() -> datetime:
    clock: Callable[[], datetime] | None = current_app.config.get("TICKETS_CLOCK")
    return clock() if clock else datetime.now(timezone.utc)


def sweep(db: Session) -> None:
    """Flag warnings and escalations before a work list is shown (the engine may also
    run it on a timer; each flag is set once either way)."""
    service.sweep_deadlines(db, rules(), now())


def ticket_or_404(db: Session, number: str) -> Ticket:
    try:
        return service.find(db, number)
    except LookupError:
        abort(404, description=_("No ticket %(number)s.", number=number))


def may_view(ticket: Ticket) -> bool:
    """The center sees every ticket; a back-office worker the tickets of their groups."""
    user = current_user()
    if user.role is not Role.BACKOFFICE:
        return True
    return ticket.backoffice_group in rules().groups_of(user.login) or \
        ticket.worker_agent_id == user.id


def in_call_uuid() -> str | None:
    port = port_of(services())
    call = port.current_call(current_user().id) if port is not None else None
    return call.uuid if call is not None else None


def attachment_folder() -> Path:
    configured = current_app.config.get("TICKET_ATTACHMENTS")
    return Path(configured or Path(services().config.general.data_directory) / "ticket_attachments")
