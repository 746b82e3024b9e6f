"""Random input sequences against AcdCore: the bookkeeping invariants hold after every input."""
from __future__ import annotations

import json
import random

import pytest

from acd.actions import CancelOffer, OfferCall, StartCallback
from acd.agent_state import AgentState
from acd.core import AcdCore
from acd.errors import AcdError
from acd_fixtures import config

AGENTS = {"a1": {"billing": 5}, "a2": {"billing": 2, "general": 6}, "a3": {"complaints": 4},
          "a4": {"general": 3}, "a5": {"service_orders": 7, "complaints": 1}}
QUEUES = ["billing", "complaints", "service_orders", "general", None]


def check(core: AcdCore, offered: dict[str, str]) -> None:
    waiting = core.waiting()
    assert len({c.call_id for c in waiting}) == len(waiting)
    keys = [core._key(c) for c in waiting]
    assert keys == sorted(keys), "the waiting order is the priority order"
    reserved = {}
    for call in waiting:
        if call.offered_to is not None:
            agent = core.agent(call.offered_to)
            assert agent.state in (AgentState.RESERVED, AgentState.RINGING)
            assert agent.call_id == call.call_id
            assert call.offered_to not in reserved, "one offer per agent"
            reserved[call.offered_to] = call.call_id
    for agent in core.agents():
        if agent.state in (AgentState.RESERVED, AgentState.RINGING):
            assert reserved.get(agent.login) == agent.call_id
    assert offered == reserved, "the shell's view of open offers matches the core's"


@pytest.mark.parametrize("seed", range(6))
def test_random_inputs_keep_the_core_consistent(seed):
    rng = random.Random(seed)
    core = AcdCore(config())
    offered: dict[str, str] = {}  # agent -> call, as the shell would track it from the actions
    now, calls = 0.0, 0
    for step in range(400):
        now += rng.choice([0, 0.5, 1, 3, 7, 15])
        waiting = [c.call_id for c in core.waiting()]
        open_offers = [c.call_id for c in core.waiting() if c.offered_to]
        choice = rng.random()
        try:
            if choice < 0.2:
                calls += 1
                actions = core.call_enqueued(f"c{calls}", rng.choice(QUEUES), now,
                                             tier=rng.choice(["regular", "vip1", "vip3"]),
                                             transferred=rng.random() < 0.1,
                                             caller=f"139{rng.randrange(8)}")
            elif choice < 0.3 and waiting:
                actions = core.call_abandoned(rng.choice(waiting), now)
            elif choice < 0.35 and waiting:
                actions = core.callback_requested(rng.choice(waiting), now)
            elif choice < 0.5 and open_offers:
                event = rng.choice([core.offer_answered, core.offer_rejected, core.offer_ringing])
                call_id = rng.choice(open_offers)
                actions = event(call_id, now)
                if event == core.offer_rejected:  # the agent said no: that offer is over
                    offered = {a: c for a, c in offered.items() if c != call_id}
            elif choice < 0.6:
                active = [c for c in core._active]
                actions = core.call_ended(rng.choice(active), now) if active else core.tick(now)
            elif choice < 0.75:
                login = rng.choice(list(AGENTS))
                action = rng.choice(["in", "out", "ready", "not_ready", "done", "phone", "ext"])
                if action == "in":
                    actions = core.agent_logged_in(login, AGENTS[login], now)
                elif action == "out":
                    actions = core.agent_logged_out(login, now)
                elif action == "ready":
                    actions = core.agent_ready(login, now)
                elif action == "not_ready":
                    actions = core.agent_not_ready(login, rng.choice(["break", "lunch"]), now)
                elif action == "done":
                    actions = core.wrap_up_done(login, now)
                elif action == "phone":
                    actions = (core.phone_unregistered if rng.random() < 0.5
                               else core.phone_registered)(login, now)
                else:
                    actions = (core.agent_on_external_call if rng.random() < 0.5
                               else core.agent_external_call_ended)(login, now)
            else:
                actions = core.tick(now)
        except AcdError:
            continue  # an input the state does not allow (e.g. logging out while ringing)
        for action in actions:
            if isinstance(action, CancelOffer):
                assert offered.pop(action.agent) == action.call_id
            elif isinstance(action, (OfferCall, StartCallback)):
                assert action.agent not in offered
                offered[action.agent] = action.call_id
        for login, call_id in list(offered.items()):  # answered offers are no longer open
            if core.active_call(call_id):
                del offered[login]
        check(core, offered)
        if step % 50 == 0:
            restored = AcdCore.restore(core.config, json.loads(json.dumps(core.snapshot())))
            assert restored.snapshot() == core.snapshot()
