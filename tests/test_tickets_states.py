"""The ticket's transition table: every legal move, and illegal ones refused clearly."""
from __future__ import annotations

import pytest

from callcenter.models import TicketStatus as S
from callcenter.tickets.states import (TRANSITIONS, Action as A, IllegalTicketTransition,
                                       OPEN_STATUSES, allowed_actions, next_status)

LOOP = [(S.NEW, A.DISPATCH, S.DISPATCHED), (S.DISPATCHED, A.ACCEPT, S.ACCEPTED),
        (S.ACCEPTED, A.START, S.IN_PROGRESS), (S.IN_PROGRESS, A.ANSWER_BACK, S.ANSWERED_BACK),
        (S.ANSWERED_BACK, A.INFORM, S.CUSTOMER_INFORMED), (S.CUSTOMER_INFORMED, A.CLOSE, S.CLOSED)]


@pytest.mark.parametrize("status,action,expected", LOOP + [
    (S.ACCEPTED, A.ANSWER_BACK, S.ANSWERED_BACK),  # answered at once, without "start"
    (S.DISPATCHED, A.DISPATCH, S.DISPATCHED),  # a supervisor re-dispatches
    (S.IN_PROGRESS, A.DISPATCH, S.DISPATCHED),  # ... also from a worker who is away
    (S.IN_PROGRESS, A.SEND_BACK, S.RETURNED),
    (S.RETURNED, A.DISPATCH, S.DISPATCHED),
    (S.CLOSED, A.REOPEN, S.REOPENED),  # the customer called again, unhappy
    (S.REOPENED, A.DISPATCH, S.DISPATCHED),
    (S.ANSWERED_BACK, A.GIVE_UP, S.CLOSED),  # attempts to tell the customer ran out
    (S.NEW, A.CANCEL, S.CANCELLED),
    (S.RETURNED, A.CANCEL, S.CANCELLED),
])
def test_legal_moves(status, action, expected):
    assert next_status(status, action) is expected


@pytest.mark.parametrize("status,action", [
    (S.NEW, A.ACCEPT),  # not dispatched yet
    (S.DISPATCHED, A.ANSWER_BACK),  # accept first
    (S.ANSWERED_BACK, A.CLOSE),  # the customer has not been told
    (S.CLOSED, A.CANCEL),
    (S.CANCELLED, A.REOPEN),
    (S.CUSTOMER_INFORMED, A.SEND_BACK),
    (S.IN_PROGRESS, A.INFORM),
])
def test_illegal_moves_are_refused_with_what_is_allowed(status, action):
    with pytest.raises(IllegalTicketTransition) as refused:
        next_status(status, action)
    message = str(refused.value)
    assert f"'{action.value}' is not allowed on a ticket that is {status.value}" in message
    assert all(a.value in message for a in allowed_actions(status))


def test_finished_tickets_allow_only_reopening():
    assert allowed_actions(S.CLOSED) == [A.REOPEN]
    assert allowed_actions(S.CANCELLED) == []
    assert S.CLOSED not in OPEN_STATUSES and S.CANCELLED not in OPEN_STATUSES


def test_every_status_is_reachable_from_new():
    reached, frontier = {S.NEW}, [S.NEW]
    while frontier:
        status = frontier.pop()
        for (source, _), target in TRANSITIONS.items():
            if source is status and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(S)


def test_the_old_open_status_is_the_new_one():
    assert S.OPEN is S.NEW and S("new") is S.NEW
