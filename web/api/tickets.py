"""/api/v1: customers and tickets."""
from __future__ import annotations

from flask import abort, jsonify
from sqlalchemy import select

from callcenter.db import transaction
from callcenter.models import Customer, Ticket
from callcenter.tickets.service import TicketFormError, dispatch_by_rule
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
