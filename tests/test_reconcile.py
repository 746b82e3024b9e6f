"""Reconciliation ends a call the switch no longer has only once the engine has caught up
with the events already received: a lagging engine's queued hang-up is not ended twice."""
from types import SimpleNamespace

import gevent
import pytest
from gevent.queue import Queue

from callcenter.esl import SwitchError
from callcenter.live.reconcile import Reconciliation


class FakeSwitch:
    def __init__(self, live=(), exists=False, fails=False):
        self.live, self.exists, self.fails = set(live), exists, fails

    def show_channels(self):
        if self.fails:
            raise SwitchError("switch away")
        return [SimpleNamespace(uuid=uuid) for uuid in self.live]

    def channel_exists(self, uuid):
        return self.exists


class FakeShell:
    def __init__(self):
        self.hung_up = []
        self.inputs = []

    def submit(self, step, timeout=None):
        self.inputs.append(step)
        return step(0.0)

    def channel_hung_up(self, uuid, cause):
        self.hung_up.append((uuid, cause))


def call(leg=None, callback=False):
    return SimpleNamespace(callback=callback,
                           leg=SimpleNamespace(uuid=leg, answered=True) if leg else None)


@pytest.mark.parametrize("case, switch, calls, pending_hangups, expected", [
    ("caller gone, nothing pending", FakeSwitch(), {"A": call()}, [], [("A", "RECONCILED")]),
    ("caller gone, its hang-up still queued", FakeSwitch(), {"A": call()}, ["A"], []),
    ("agent leg gone, caller there", FakeSwitch(live={"B"}), {"B": call("B-agent")}, [],
     [("B-agent", "RECONCILED")]),
    ("callback: only the agent leg counts", FakeSwitch(live={"C-agent"}),
     {"C": call("C-agent", callback=True)}, [], []),
    ("show channels lags, uuid_exists says alive", FakeSwitch(exists=True), {"D": call()}, [], []),
    ("switch unreadable", FakeSwitch(fails=True), {"E": call()}, [], []),
])
def test_reconciliation(case, switch, calls, pending_hangups, expected):
    runner, shell, events = SimpleNamespace(calls=dict(calls)), FakeShell(), Queue()
    for uuid in pending_hangups:
        events.put(uuid)

    def dispatch():  # the engine handling its backlog: the hang-ups end their calls
        gevent.sleep(0.2)
        while not events.empty():
            runner.calls.pop(events.get(), None)

    dispatcher = gevent.spawn(dispatch)
    Reconciliation(switch, runner, shell, events).run()
    dispatcher.join(1)
    assert shell.hung_up == expected, case


def test_a_backlog_that_does_not_drain_in_time_leaves_the_calls_for_the_next_round(monkeypatch):
    from callcenter.live import reconcile
    monkeypatch.setattr(reconcile, "CATCH_UP_SECONDS", 0.2)
    events = Queue()
    events.put("something else")
    runner, shell = SimpleNamespace(calls={"A": call()}), FakeShell()
    Reconciliation(FakeSwitch(), runner, shell, events).run()
    assert shell.hung_up == [] and "A" in runner.calls
