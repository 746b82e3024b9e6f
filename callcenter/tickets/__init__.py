"""Tickets: the closed loop (全程闭环管理).

states.py     the transition table (pure)
dispatch.py   the rules file: groups, dispatch, deadlines (validated, file:line:column)
deadlines.py  answer-back deadlines on the center's calendar (pure)
numbers.py    ticket numbers callers can key in
service.py    the loop's operations on the database (dispatch, accept, answer back, ...)
outbox.py     forwarding roaming complaints to the home center, with retries
"""
from callcenter.tickets.numbers import ANSWER_BACK_LIMIT, answer_back_deadline, next_ticket_number

__all__ = ["ANSWER_BACK_LIMIT", "answer_back_deadline", "next_ticket_number"]
