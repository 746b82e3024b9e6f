"""Simulated customers on the carrier side: the phones a campaign dials.

    customers = Customers(sim, clock=pinned)       # sees every dial through a gateway
    customers.add("8613900000001", "answers", after=3, then="wait:2 press:9")
    customers.add("8613900000002", "busy")
    customers.add("8613900000003", "never_answers")
    customers.add("8613900000004", "machine")      # answers, plays a greeting, presses nothing
    ...
    customers.dials_to("8613900000001")            # [Dial(number, uuid, at, concurrent)]
    customers.said(uuid)                           # what mod_say said on that leg

A number nobody added does not exist (UNALLOCATED_NUMBER), as at a carrier.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # pragma: no cover
    from .channel import Channel
    from .simulator import Simulator

MACHINE_GREETING_SECONDS = 20.0


def behaviour(kind: str, after: float = 2.0, then: str = "") -> str:
    """A customer kind as a phone behaviour (callcenter.sim.scripts)."""
    if kind == "answers":
        return f"answer:{after:g} {then}".strip()
    if kind == "machine":  # the greeting talks over the flow, no key is ever pressed
        return f"answer:{after:g} wait:{MACHINE_GREETING_SECONDS:g} hangup"
    if kind == "busy":
        return "busy"
    if kind == "rejects":
        return "reject"
    if kind == "never_answers":
        return "ring"
    raise ValueError(f"unknown customer kind {kind!r} (answers, machine, busy, rejects, never_answers)")


@dataclass(frozen=True)
class Dial:
    number: str
    uuid: str
    at: datetime  # the observer's clock when the switch got the originate
    concurrent: int  # other live calls to the same number at that moment (0 expected)


class Customers:
    def __init__(self, sim: "Simulator", clock: Callable[[], datetime] | None = None) -> None:
        self.sim = sim
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.kinds: dict[str, str] = {}
        self.dials: list[Dial] = []
        sim.on_gateway_dial = self._dialled

    def add(self, number: str, kind: str, *, after: float = 2.0, then: str = "") -> None:
        self.sim.add_external_party(number, behaviour(kind, after, then))
        self.kinds[number] = kind

    def dials_to(self, number: str) -> list[Dial]:
        return [dial for dial in self.dials if dial.number == number]

    def said(self, uuid: str) -> list[str]:
        """The say applications run on a leg, as `say:<module>:<type>:<method>:<value>`."""
        channel = self.sim.channel(uuid)
        return [item for item in (channel.files_played if channel else ()) if item.startswith("say:")]

    def _dialled(self, number: str, channel: "Channel") -> None:
        others = [c for c in self.sim.live_channels() if c is not channel and c.destination == number
                  and c.variables.get("is_outbound") == "true" and c.hangup_cause is None]
        self.dials.append(Dial(number, channel.uuid, self.clock(), len(others)))
