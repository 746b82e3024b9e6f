"""Was the customer told? The answer-back call's last word, as a table. Pure.

A ticket whose dispatch rule says ``tell: call`` is told by the answer-back
campaign (docs/tickets.md). Its contact ends in one of the dialer's final states
with the last attempt's result; this table turns that into the ticket's outcome:

- ``told``: the flow reached its end with the customer on the line (they pressed 1,
  or listened to the end), or they asked for an agent after hearing the result;
- ``not_reached``: the attempts ran out, the number does not exist or must not be
  called, or the customer hung up before the end (not counted as told);
- None: the dialer has not finished with the contact yet.
"""
from __future__ import annotations

from callcenter.models import ContactStatus as C

TOLD, NOT_REACHED = "told", "not_reached"
HEARD_RESULTS = frozenset({"heard_flow", "to_agent"})  # CallResult.result of a told customer

# (contact status, the last attempt heard) -> the ticket's outcome
VERDICTS: dict[tuple[C, bool], str | None] = {
    (C.PENDING, False): None, (C.PENDING, True): None,
    (C.DIALING, False): None, (C.DIALING, True): None,
    (C.DONE, True): TOLD,
    (C.DONE, False): NOT_REACHED,  # answered, hung up before the end of the flow
    (C.EXHAUSTED, False): NOT_REACHED, (C.EXHAUSTED, True): NOT_REACHED,
    (C.FAILED, False): NOT_REACHED, (C.FAILED, True): NOT_REACHED,
    (C.SKIPPED, False): NOT_REACHED, (C.SKIPPED, True): NOT_REACHED,  # do-not-call, opted out
}


def verdict(status: C, result: str | None) -> str | None:
    """The ticket's outcome from its contact's status and last result (None: not yet)."""
    return VERDICTS[(status, result in HEARD_RESULTS)]
