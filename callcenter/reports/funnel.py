"""The IVR funnel per flow and node, from `ivr_node` / `ivr_finished` events (pure)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from callcenter.reports.facts import CallRecord


@dataclass
class NodeFunnel:
    entered: int = 0  # calls (once per call)
    choices: Counter = field(default_factory=Counter)  # outcome -> runs
    dropped: int = 0  # calls whose caller hung up here


@dataclass
class FlowFunnel:
    entered: int = 0
    contained: int = 0  # the flow finished the call itself (self-service)
    queued: int = 0
    reached_agent: int = 0
    dropped: int = 0
    transferred: int = 0
    nodes: dict[str, NodeFunnel] = field(default_factory=dict)

    @property
    def containment(self) -> float | None:
        return None if self.entered == 0 else self.contained / self.entered


def funnel(calls: Iterable[CallRecord]) -> dict[str, FlowFunnel]:
    out: dict[str, FlowFunnel] = {}
    for call in calls:
        node_events = [e for e in call.events if e.kind == "ivr_node"]
        finished = next((e for e in call.events if e.kind == "ivr_finished"), None)
        if not call.ivr_flow or (not node_events and finished is None):
            continue
        flow = out.setdefault(call.ivr_flow, FlowFunnel())
        flow.entered += 1
        seen: set[str] = set()
        for event in node_events:
            node = flow.nodes.setdefault(str(event.data.get("node")), NodeFunnel())
            node.choices[str(event.data.get("outcome"))] += 1
            if event.data.get("node") not in seen:
                seen.add(event.data.get("node"))
                node.entered += 1
        outcome = (finished.data or {}).get("outcome") if finished else None
        if outcome == "hangup":
            flow.contained += 1
        elif outcome == "transfer":
            flow.transferred += 1
        elif outcome == "queue":
            flow.queued += 1
            flow.reached_agent += any(e.kind == "connected" for e in call.events)
        elif outcome == "caller_hung_up":
            flow.dropped += 1
            last = (finished.data or {}).get("last_node")
            if last is not None:
                flow.nodes.setdefault(str(last), NodeFunnel()).dropped += 1
    return out
