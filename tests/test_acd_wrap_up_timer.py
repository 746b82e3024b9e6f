"""AcdCore.next_timer sees the end of wrap-up from the agents in wrap-up only: each way
into and out of wrap-up keeps that set right."""
from __future__ import annotations

import pytest

from acd.core import AcdCore
from acd_fixtures import config

# billing: wrap_up 20, wrap_up_extension 15; the call ends at 200 -> wrap-up until 220
CASES = [  # name, what happens next (an input of the core), next_timer then
    ("in wrap-up", None, 220.0),
    ("extended once", ("wrap_up_extend", "a", 210.0), 235.0),
    ("ended early", ("wrap_up_done", "a", 205.0), None),
    ("logged out", ("agent_logged_out", "a", 205.0), None),
    ("not ready asked: after the wrap-up", ("agent_not_ready", "a", "break", 205.0), 220.0),
]


def in_wrap_up() -> AcdCore:
    core = AcdCore(config())
    core.agent_logged_in("a", {"billing": 5}, 0.0)
    core.call_enqueued("c1", "billing", 100.0)
    core.offer_answered("c1", 105.0)
    core.call_ended("c1", 200.0)
    return core


@pytest.mark.parametrize("name, then, expected", CASES, ids=[c[0] for c in CASES])
def test_next_timer_follows_the_agents_in_wrap_up(name, then, expected):
    core = in_wrap_up()
    if then is not None:
        getattr(core, then[0])(*then[1:])
    assert core.next_timer() == expected


def test_a_restored_core_knows_who_is_in_wrap_up():
    core = in_wrap_up()
    assert AcdCore.restore(core.config, core.snapshot()).next_timer() == 220.0
