"""/api/v1: customers and tickets."""
from __future__ import annotations

from flask import abort, jsonify
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Customer, Role, Ticket
from callcenter.tickets.service import (TicketFormError, dispatch_by_rule, hand_over,
                                        hand_over_to_team, take)
from callcenter.tickets.states import IllegalTicketTransition
from web import data
from web.api import body, bp
from web.auth import DESK_ROLES, FLOOR_ROLES, audit, current_user, requires, sessions
from web.tickets import in_call_uuid, now as tickets_now, rules as ticket_rules


@bp.get("/customers/<int:customer_id>")
@requires(*DESK_ROLES, *FLOOR_ROLES)
def customer(customer_id: int):
    with transaction(sessions()) as db:
        row = db.get(Customer, customer_id)
        if row is None:
            abort(404, description=f"no customer {customer_id}")
        audit(db, "customer_view", "customer", customer_id, {"in_call": in_call_uuid()})
        return jsonify(customer=data.customer_summary(db, row),
                       bills=data.recent_bills(db, row.id, limit=12),
                       tickets=data.open_tickets(db, row.id), contacts=data.last_contacts(db, row.id))


@bp.post("/tickets")
@requires(*DESK_ROLES)
def ticket_create():
    payload, user = body(), current_user()
    customer_id = payload.get("customer_id")
    try:
        customer_id = int(customer_id) if customer_id not in (None, "") else None
        with transaction(sessions()) as db:
            ticket = data.create_ticket(db, category=str(payload.get("category", "")),
                                        description=str(payload.get("description", "")),
                                        owner_id=user.id, customer_id=customer_id,
                                        call_uuid=payload.get("call_uuid") or None,
                                        now=tickets_now())
            try:
                ticket.detail = ticket_rules().check_detail(ticket.category.value,
                                                            str(payload.get("detail") or ""))
            except ValueError as exc:
                raise TicketFormError("detail", str(exc)) from None
            dispatch_by_rule(db, ticket, ticket_rules(), tickets_now())
            audit(db, "ticket_create", "ticket", ticket.number)
            result = data.ticket_dict(ticket)
    except ValueError as exc:
        field = getattr(exc, "field", "customer_id")
        return jsonify(error=getattr(exc, "message", str(exc)), field=field), 400
    return jsonify(result), 201


@bp.get("/tickets/<number>")
@requires(*DESK_ROLES, *FLOOR_ROLES)
def ticket_get(number: str):
    with sessions()() as db:
        ticket = db.scalar(select(Ticket).where(Ticket.number == number))
        if ticket is None:
            abort(404, description=f"no ticket {number}")
        return jsonify(data.ticket_dict(ticket, with_history=True))


@bp.post("/tickets/<number>/notes")
@requires(*DESK_ROLES, *FLOOR_ROLES)
def ticket_note(number: str):
    try:
        with transaction(sessions()) as db:
            ticket = data.add_ticket_note(db, number, current_user().id,
                                          str(body().get("note", "")))
            result = data.ticket_dict(ticket, with_history=True)
    except data.FormError as exc:
        return jsonify(error=exc.message, field=exc.field), 400
    except LookupError as exc:
        abort(404, description=str(exc))
    return jsonify(result), 201


@bp.post("/tickets/<number>/hand-over")
@requires(*DESK_ROLES)
def ticket_hand_over(number: str):
    """To a named agent (``agent``: login) or a team (``team``), with a ``note``; the owner
    or a supervisor. Audited."""
    payload, user = body(), current_user()
    try:
        with transaction(sessions()) as db:
            ticket = _ticket(db, number)
            if user.id != ticket.owner_agent_id and user.role is not Role.SUPERVISOR:
                abort(403, description="only the ticket's owner or a supervisor hands it over")
            note = str(payload.get("note", ""))
            if payload.get("team"):
                hand_over_to_team(db, ticket, user.id, str(payload["team"]), note, tickets_now())
            else:
                hand_over(db, ticket, user.id, str(payload.get("agent", "")), note, tickets_now())
            audit(db, "ticket_hand_over", "ticket", number)
            db.flush()
            db.expire(ticket, ["owner"])  # the new owner, not the one loaded before
            result = data.ticket_dict(ticket, with_history=True)
    except TicketFormError as exc:
        return jsonify(error=exc.message, field=exc.field), 400
    except IllegalTicketTransition as exc:
        return jsonify(error=str(exc), kind="IllegalTicketTransition"), 409
    return jsonify(result)


@bp.post("/tickets/<number>/take")
@requires(*DESK_ROLES)
def ticket_take(number: str):
    """An agent of the team the ticket was handed to (or a supervisor) takes it. Audited."""
    try:
        with transaction(sessions()) as db:
            ticket = _ticket(db, number)
            take(db, ticket, current_user(), tickets_now())
            audit(db, "ticket_take", "ticket", number)
            db.flush()
            db.expire(ticket, ["owner"])
            result = data.ticket_dict(ticket, with_history=True)
    except TicketFormError as exc:
        return jsonify(error=exc.message, field=exc.field), 400
    return jsonify(result)


def _ticket(db, number: str) -> Ticket:
    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None:
        abort(404, description=f"no ticket {number}")
    return ticket
