"""The actions posted from a ticket's page: one operation run in a transaction and
audited, its outcome flashed, and the service's form and transition errors said in
the user's language."""
from __future__ import annotations

from typing import Any, Callable

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from callcenter.db import transaction
from callcenter.models import Role, Ticket
from callcenter.tickets import service
from callcenter.tickets.states import IllegalTicketTransition
from web.auth import audit, current_user, sessions
from web.tickets_common import may_view, ticket_or_404


def act(number: str, operation: Callable[[Session, Ticket], Any], done: str | Callable[[], str],
        back: str = ""):
    """Run one ticket operation in a transaction; form and transition errors are flashed."""
    try:
        with transaction(sessions()) as db:
            ticket = ticket_or_404(db, number)
            if not may_view(ticket):
                abort(403)
            operation(db, ticket)
            audit(db, f"ticket_{request.endpoint.rsplit('.', 1)[-1]}", "ticket", number)
        flash(done() if callable(done) else done, "ok")
    except service.TicketFormError as exc:
        value = f" {exc.value}" if exc.value is not None else ""
        flash(f"{field_label(exc.field)}: {service_message(exc.message)}{value}", "error")
    except IllegalTicketTransition as exc:
        flash(_("Not allowed now: the ticket is %(status)s.", status=status_label(exc.status.value)),
              "error")
    return redirect(back or url_for("tickets.detail", number=number))


def field_label(field: str) -> str:
    return {"note": _("Note"), "reason": _("Reason"), "result": _("Result"), "group": _("Group"),
            "agent": _("Agent"), "task": _("Task"), "file": _("File"),
            "result_code": _("Result the call will say"), "team": _("Team")}.get(field, field)


def service_message(text: str) -> str:
    """The service's fixed messages in the user's language (others, naming a value, as they are)."""
    return {
        "a finished ticket has no owner to hand over": _("a finished ticket has no owner to hand over"),
        "a hand-over needs a note for the new owner": _("a hand-over needs a note for the new owner"),
        "say what the customer is unhappy about": _("say what the customer is unhappy about"),
        "say why the ticket goes back to the center": _("say why the ticket goes back to the center"),
        "say why the ticket goes to another group": _("say why the ticket goes to another group"),
        "say why the ticket is cancelled": _("say why the ticket is cancelled"),
        "the note is empty": _("the note is empty"),
        "the ticket is already theirs": _("the ticket is already theirs"),
        "this task is already done": _("this task is already done"),
        "unknown group": _("unknown group"), "no active agent": _("no active agent"),
        "choose a file to attach": _("choose a file to attach"),
        "a file may be at most 10 MB": _("a file may be at most 10 MB"),
        "the ticket is finished": _("the ticket is finished"),
        "write the result the customer will be told": _("write the result the customer will be told"),
        "choose the result the call will say": _("choose the result the call will say"),
        "unknown team": _("unknown team"),
        "no team is waiting for someone to take this ticket":
            _("no team is waiting for someone to take this ticket"),
        "only the team's agents take its tickets": _("only the team's agents take its tickets"),
    }.get(text, text)


def status_label(status: str) -> str:
    return {"new": _("new"), "dispatched": _("dispatched"), "accepted": _("accepted"),
            "in_progress": _("in progress"), "answered_back": _("answered back"),
            "customer_informed": _("customer informed"), "closed": _("closed"),
            "returned": _("returned"), "reopened": _("reopened"),
            "cancelled": _("cancelled")}.get(status, status)


def owner_only(ticket: Ticket) -> bool:
    if current_user().id != ticket.owner_agent_id and current_user().role is not Role.SUPERVISOR:
        raise service.TicketFormError("agent", _("only the ticket's owner or a supervisor can do this"))
    return True
