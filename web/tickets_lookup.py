"""Looking up tickets and customers: by ticket number, or by the customer's phone
number, account or name."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from callcenter.models import Account, Customer, CustomerPhone, Ticket
from callcenter.phone import InvalidPhoneNumber, normalize_phone

SEARCH_LIMIT = 30


def search_tickets(db: Session, query: str) -> list[Ticket]:
    """By ticket number, or by the customer's phone number, account or name."""
    if query.isdigit():
        by_number = db.scalars(select(Ticket).where(Ticket.number == query)).all()
        if by_number:
            return list(by_number)
    customers = [c.id for c in find_customers(db, query)]
    if not customers:
        return []
    return list(db.scalars(select(Ticket).where(Ticket.customer_id.in_(customers))
                           .order_by(Ticket.created_at.desc()).limit(SEARCH_LIMIT)))


def find_customers(db: Session, query: str) -> list[Customer]:
    conditions = [Customer.name.ilike(f"%{query}%")] if len(query) >= 2 else []
    try:
        conditions.append(Customer.id.in_(select(CustomerPhone.customer_id)
                                          .where(CustomerPhone.number == normalize_phone(query))))
    except InvalidPhoneNumber:
        pass
    digits = "".join(ch for ch in query if ch.isdigit())
    if digits:
        conditions.append(Customer.id.in_(select(Account.customer_id).where(
            Account.number.in_([query.upper(), digits, f"A{digits}"]))))
    if not conditions:
        return []
    return list(db.scalars(select(Customer).where(or_(*conditions)).order_by(Customer.name)
                           .limit(SEARCH_LIMIT)))
