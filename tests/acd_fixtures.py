"""Shared helpers for the ACD unit tests: a small queues file with short, round timings."""
from __future__ import annotations

from acd.agent_state import AgentState
from acd.model import AgentInfo, CallInfo
from acd.queue_config import load_queues_text

SKILLS = {"billing", "complaints", "service_orders", "general"}

QUEUES_YAML = """\
settings:
  offer_timeout: 10
  missed_offers_limit: 2
  priority_ageing_per_minute: 1
  resume_window: 60
  default_queue: general
  priorities: {transferred: 100, vip3: 30, vip2: 20, vip1: 10, regular: 0}
  estimate: {min_samples: 3, window: 10}
queues:
  billing:
    display_name: Billing
    skills: {billing: 1}
    max_wait: 300
    wrap_up: 20
    wrap_up_extension: 15
    announcements: {first_after: 30, every: 30, position: true, estimated_wait: true}
    overflow:
      - after: 30
        accept: {general: 5}
      - after: 120
        offer: [callback, voicemail]
    at_max_wait: callback
  complaints:
    display_name: Complaints
    skills: {complaints: 3}
    max_wait: 200
    wrap_up: 0
    overflow:
      - after: 60
        min_level: 1
    at_max_wait: {queue: general}
  service_orders:
    display_name: Service orders
    skills: {service_orders: 1}
    policy: longest_idle
    max_wait: 300
    wrap_up: 10
    at_max_wait: voicemail
  general:
    display_name: General
    skills: {general: 1}
    max_wait: 100
    wrap_up: 10
    at_max_wait: voicemail
"""


def config():
    return load_queues_text(QUEUES_YAML, "test-queues.yaml", SKILLS)


def agent(login: str, skills: dict[str, int], state: AgentState = AgentState.READY, *,
          idle_since: float = 0.0, phone: bool = True, external: bool = False,
          reason: str | None = None) -> AgentInfo:
    return AgentInfo(login, dict(skills), state=state, not_ready_reason=reason,
                     phone_registered=phone, on_external_call=external, idle_since=idle_since)


def call(call_id: str, queue: str, entered_at: float = 0.0, priority: str = "regular", *,
         need: str | None = "same", seq: int | None = None, declined: tuple[str, ...] = (),
         queue_since: float | None = None) -> CallInfo:
    return CallInfo(call_id, queue, entered_at, seq if seq is not None else int(entered_at * 10),
                    priority_class=priority, need=queue if need == "same" else need,
                    queue_since=entered_at if queue_since is None else queue_since,
                    declined_by=set(declined))
