"""The simulator's event filter follows mod_event_socket's (FreeSWITCH 1.10
src/mod/event_handlers/mod_event_socket/mod_event_socket.c): any positive filter
passes an event, a matching negative one stops it, /re/ values are regular
expressions, plain values compare case-insensitively, missing headers never match."""
import pytest

from callcenter.esl.events import subscription_filters
from callcenter.sim.connection import passes_filters

PARK = {"Event-Name": "CHANNEL_PARK", "Unique-ID": "a"}
OWN_COMPLETE = {"Event-Name": "CHANNEL_EXECUTE_COMPLETE", "Application": "playback",
                "Application-UUID": "cc-6f0c2d9e-0000-4000-8000-000000000001"}
DIALPLAN_COMPLETE = {"Event-Name": "CHANNEL_EXECUTE_COMPLETE", "Application": "set",
                     "Application-UUID": "6f0c2d9e-0000-4000-8000-000000000002"}
JOB = {"Event-Name": "BACKGROUND_JOB", "Job-UUID": "j"}
REGISTER = {"Event-Name": "CUSTOM", "Event-Subclass": "sofia::register"}

CASES = [
    # filters, headers, passes
    ([("Event-Name", "CHANNEL_PARK")], PARK, True),
    ([("Event-Name", "channel_park")], PARK, True),  # strcasecmp
    ([("Event-Name", "CHANNEL_BRIDGE")], PARK, False),
    ([("event-name", "CHANNEL_PARK")], PARK, True),  # header names too
    ([("Application-UUID", "/^cc-/")], OWN_COMPLETE, True),
    ([("Application-UUID", "/^cc-/")], DIALPLAN_COMPLETE, False),
    ([("Application-UUID", "/^cc-/")], PARK, False),  # no such header: no match
    ([("Application", "/^PLAY/i")], OWN_COMPLETE, True),
    ([("Application", "/^PLAY/")], OWN_COMPLETE, False),
    ([("Application", "/^play")], OWN_COMPLETE, False),  # no closing slash: an error, no match
    ([("Event-Name", "CHANNEL_EXECUTE_COMPLETE"), ("Application", "-set")], DIALPLAN_COMPLETE, False),
    ([("Event-Name", "CHANNEL_EXECUTE_COMPLETE"), ("Application", "-set")], OWN_COMPLETE, True),
    ([("Application", "-set")], OWN_COMPLETE, False),  # negatives alone pass nothing
    ([("Event-Name", "+CHANNEL_PARK")], PARK, True),
]


@pytest.mark.parametrize("filters, headers, passes", CASES)
def test_filter_table(filters, headers, passes):
    assert passes_filters(filters, headers) is passes


@pytest.mark.parametrize("headers, passes", [(PARK, True), (OWN_COMPLETE, True), (JOB, True),
                                             (REGISTER, True), (DIALPLAN_COMPLETE, False)])
def test_the_engines_filters_keep_what_it_reads_and_drop_the_dialplans_completions(headers, passes):
    filters = [tuple(command.split(" ", 2)[1:]) for command in subscription_filters()]
    assert passes_filters(filters, headers) is passes
