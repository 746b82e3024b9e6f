"""Hand-over to a team of the center's agents (``teams`` in the dispatch rules): the
owner (or a supervisor) hands a ticket to a team with a note; it waits on the team's
list in My tickets until one of its agents takes it. Routes of the tickets blueprint;
each move is in the ticket's history and the audit log (web.tickets.act)."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.models import Ticket
from callcenter.tickets import service
from callcenter.tickets.states import OPEN_STATUSES
from web.auth import DESK_ROLES, current_user, requires
from web.tickets import _owner_only, act, bp, now, rules


@bp.app_template_global("ticket_team_name")
def ticket_team_name(name: str | None) -> str:
    team = rules().teams.get(name or "")
    return team.display_name if team else (name or "")


def team_tickets(db: Session, login: str) -> list[Ticket]:
    """Tickets handed over to the teams of ``login``, waiting for one of them to take it."""
    teams = rules().teams_of(login)
    if not teams:
        return []
    return service.by_due_date(db.scalars(select(Ticket).where(
        Ticket.owner_group.in_(teams), Ticket.status.in_(OPEN_STATUSES))))


@bp.post("/<number>/hand-over-team")
@requires(*DESK_ROLES)
def hand_over_team(number: str):
    form = request.form
    return act(number, lambda db, t: _owner_only(t) and service.hand_over_to_team(
        db, t, current_user().id, form.get("team", ""), form.get("note", ""), rules(), now()),
        _("Ticket handed over to the team."))


@bp.post("/<number>/take")
@requires(*DESK_ROLES)
def take(number: str):
    return act(number, lambda db, t: service.take(db, t, current_user(), rules(), now()),
               _("The ticket is yours now."))
