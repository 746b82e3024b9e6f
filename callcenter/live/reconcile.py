"""Repair what drifted from the switch: calls the engine holds whose legs the switch no
longer has (their hang-up was missed while the engine was disconnected).

A lagging engine has hang-ups not yet handled in its own queues, and those explain
most of what the switch no longer has: a leg is ended here only after every event the
switch sent before its answer has gone through the engine and the ACD, and only if the
call is still held then. Otherwise the call would be ended twice, the second time at
the wrong moment with the wrong cause."""
from __future__ import annotations

import logging
import time
from typing import Any

import gevent
from gevent.queue import Queue

from callcenter.esl import Switch, SwitchError

log = logging.getLogger(__name__)
CATCH_UP_SECONDS = 5.0  # how long a reconciliation waits for the engine to handle pending events


class Reconciliation:
    def __init__(self, switch: Switch, runner: Any, shell: Any, events: Queue) -> None:
        self.switch, self.runner, self.shell, self.events = switch, runner, shell, events

    def run(self) -> None:
        try:
            live = {channel.uuid for channel in self.switch.show_channels()}
        except SwitchError as error:
            log.warning("reconciliation skipped: %s", error)
            return
        suspects = []
        for call_id, state in list(self.runner.calls.items()):
            # a callback's caller leg was let go on purpose: only its agent leg counts
            legs = ([] if state.callback else [call_id]) + (
                [state.leg.uuid] if state.leg and state.leg.answered else [])
            # `show channels` can lag the switch's events: confirm with uuid_exists
            missing = [uuid for uuid in legs if uuid not in live and not self._exists(uuid)]
            if missing:
                suspects.append((call_id, missing[0]))
        if not suspects or not caught_up(self.events, self.shell, CATCH_UP_SECONDS):
            return
        for call_id, uuid in suspects:
            state = self.runner.calls.get(call_id)
            if state is None or (uuid != call_id and (state.leg is None or state.leg.uuid != uuid)):
                continue  # its hang-up was among the events not yet handled
            log.warning("[%s] reconciliation: leg %s is gone on the switch; ending the call",
                        call_id, uuid)
            self.shell.channel_hung_up(uuid, "RECONCILED")

    def _exists(self, uuid: str) -> bool:
        try:
            return self.switch.channel_exists(uuid)
        except SwitchError:
            return True  # unsure: leave the call alone until the next reconciliation


def caught_up(events: Queue, shell: Any, timeout: float) -> bool:
    """Whether the events received so far have been handled, their effect on the ACD
    included; False if that takes longer than ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not events.empty():
        if time.monotonic() > deadline:
            return False
        gevent.sleep(0.05)
    try:  # the ACD applies inputs in order: an empty step is a barrier behind the hang-ups
        shell.submit(lambda now: [], timeout=max(0.1, deadline - time.monotonic()))
    except gevent.Timeout:
        return False
    return True
