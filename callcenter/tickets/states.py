"""The ticket's closed loop as a transition table (like the agent states in acd/).

    new -> dispatched -> accepted -> in_progress -> answered_back -> customer_informed -> closed
    plus: returned (sent back to the center), reopened (the customer called again),
    cancelled; re-dispatch from dispatched / returned / reopened.

Pure: ``next_status(status, action)`` answers the next status or raises
``IllegalTicketTransition`` naming the ticket's status and the refused action.
"""
from __future__ import annotations

from enum import Enum

from callcenter.models import TicketStatus as S


class Action(str, Enum):
    DISPATCH = "dispatch"  # by rule, or again by a supervisor (re-dispatch)
    ACCEPT = "accept"  # a back-office worker takes it from the group's queue
    START = "start"
    ANSWER_BACK = "answer_back"  # the result (电子回单)
    SEND_BACK = "send_back"  # back to the center, with a reason
    INFORM = "inform"  # the owner told the customer (回告)
    CLOSE = "close"
    GIVE_UP = "give_up"  # the attempts to tell the customer ran out: closed, flagged
    REOPEN = "reopen"
    CANCEL = "cancel"


TRANSITIONS: dict[tuple[S, Action], S] = {
    (S.NEW, Action.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, Action.DISPATCH): S.DISPATCHED,
    (S.ACCEPTED, Action.DISPATCH): S.DISPATCHED,  # a supervisor takes it from an absent worker
    (S.IN_PROGRESS, Action.DISPATCH): S.DISPATCHED,
    (S.RETURNED, Action.DISPATCH): S.DISPATCHED,
    (S.REOPENED, Action.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, Action.ACCEPT): S.ACCEPTED,
    (S.ACCEPTED, Action.START): S.IN_PROGRESS,
    (S.ACCEPTED, Action.ANSWER_BACK): S.ANSWERED_BACK,
    (S.IN_PROGRESS, Action.ANSWER_BACK): S.ANSWERED_BACK,
    (S.DISPATCHED, Action.SEND_BACK): S.RETURNED,
    (S.ACCEPTED, Action.SEND_BACK): S.RETURNED,
    (S.IN_PROGRESS, Action.SEND_BACK): S.RETURNED,
    (S.ANSWERED_BACK, Action.INFORM): S.CUSTOMER_INFORMED,
    (S.CUSTOMER_INFORMED, Action.CLOSE): S.CLOSED,
    (S.ANSWERED_BACK, Action.GIVE_UP): S.CLOSED,
    (S.ANSWERED_BACK, Action.REOPEN): S.REOPENED,
    (S.CUSTOMER_INFORMED, Action.REOPEN): S.REOPENED,
    (S.CLOSED, Action.REOPEN): S.REOPENED,
    **{(status, Action.CANCEL): S.CANCELLED
       for status in (S.NEW, S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS, S.RETURNED, S.REOPENED)},
}

FINISHED = frozenset({S.CLOSED, S.CANCELLED})
OPEN_STATUSES = frozenset(S) - FINISHED
# The back office holds the ticket in these; the answer-back deadline runs until it answers.
AWAITING_ANSWER = frozenset({S.NEW, S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS, S.RETURNED,
                             S.REOPENED})
WITH_BACK_OFFICE = frozenset({S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS})


class IllegalTicketTransition(ValueError):
    def __init__(self, status: S, action: Action):
        allowed = sorted(a.value for (s, a) in TRANSITIONS if s is status)
        super().__init__(f"'{action.value}' is not allowed on a ticket that is {status.value} "
                         f"(allowed now: {', '.join(allowed) or 'nothing'})")
        self.status = status
        self.action = action


def next_status(status: S, action: Action) -> S:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise IllegalTicketTransition(status, action) from None


def allowed_actions(status: S) -> list[Action]:
    return [a for (s, a) in TRANSITIONS if s is status]
