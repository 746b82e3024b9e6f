"""Hand-over to a team of the center's agents (the database's teams, Admin → Agents →
Teams): the owner (or a supervisor) hands a ticket to a team with a note; it waits on
the team's list in My tickets until one of its agents takes it. Routes of the tickets
blueprint; each move is in the ticket's history and the audit log (web.tickets_forms.act)."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.models import Ticket
from callcenter.tickets import service, teams
from callcenter.tickets.states import OPEN_STATUSES
from web.auth import DESK_ROLES, current_user, requires
from web.tickets import act, bp, now
from web.tickets_forms import owner_only


def team_tickets(db: Session, agent_id: int) -> list[Ticket]:
    """Tickets handed over to the agent's team, waiting for one of its agents to take it."""
    key = teams.key_of(db, agent_id)
    if key is None:
        return []
    return service.by_due_date(db.scalars(select(Ticket).where(
        Ticket.owner_group == key, Ticket.status.in_(OPEN_STATUSES))))


def hand_over_context(db: Session, agent_id: int) -> dict:
    """For the ticket pages: the teams (key -> display name) to hand over to and to name the
    team a ticket waits with, and the reader's own team's key."""
    return {"ticket_teams": teams.names(db), "my_team": teams.key_of(db, agent_id)}


@bp.post("/<number>/hand-over-team")
@requires(*DESK_ROLES)
def hand_over_team(number: str):
    form = request.form
    return act(number, lambda db, t: owner_only(t) and service.hand_over_to_team(
        db, t, current_user().id, form.get("team", ""), form.get("note", ""), now()),
        _("Ticket handed over to the team."))


@bp.post("/<number>/take")
@requires(*DESK_ROLES)
def take(number: str):
    return act(number, lambda db, t: service.take(db, t, current_user(), now()),
               _("The ticket is yours now."))
