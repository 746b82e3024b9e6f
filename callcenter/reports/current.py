"""The current interval and today, per queue, from the live figures; and the alerts a
wallboard shows (pure over the figures, the floor snapshot and the settings)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from callcenter.reports.indicators import Figures, Sums, total
from callcenter.reports.live import LiveFigures


def settings_for(services: Any, limits: Mapping[str, float] | None = None):
    from callcenter.reports.store import Settings
    return Settings.from_config(services.config, dict(limits) if limits is not None else None)


def live_figures(services: Any, limits: Mapping[str, float] | None = None) -> LiveFigures:
    from callcenter.reports.live import cached
    return cached(services.extras, services.db_engine, settings_for(services, limits))


def per_queue(figures: LiveFigures, now: datetime) -> dict[str, dict[str, Figures]]:
    """queue -> {"interval": Figures of the current interval, "today": Figures of today}
    (inbound visits; a queue with no visit today is absent)."""
    figures.refresh(now)
    current = figures.current_interval(now)
    today: dict[str, list[Sums]] = {}
    interval: dict[str, list[Sums]] = {}
    for (start, queue, direction), sums in figures.interval_sums().items():
        if direction != "inbound":
            continue
        today.setdefault(queue, []).append(sums)
        if start == current:
            interval.setdefault(queue, []).append(sums)
    count_short = figures.settings.rules.count_short_abandons
    return {queue: {"interval": Figures(total(interval.get(queue, [])), count_short),
                    "today": Figures(total(sums), count_short)} for queue, sums in today.items()}


@dataclass(frozen=True)
class Alert:
    kind: str  # service_level | longest_wait | not_ready | no_agent
    subject: str  # a queue name or an agent's name
    value: float
    limit: float


@dataclass(frozen=True)
class AlertLimits:
    service_level_target: Mapping[str, float]  # queue -> fraction (0.8)
    longest_wait_seconds: float
    not_ready_seconds: float


def alerts(queues: Mapping[str, dict[str, Figures]], waiting: Mapping[str, tuple[int, float]],
           eligible: Mapping[str, int], not_ready: Iterable[tuple[str, float]],
           limits: AlertLimits) -> list[Alert]:
    """``waiting``: queue -> (callers waiting, longest wait s); ``eligible``: queue -> agents
    logged in who could take its callers (absent: unknown, no alert); ``not_ready``:
    (agent's name, seconds not ready)."""
    out = []
    for queue, figures in sorted(queues.items()):
        level = figures["interval"].service_level
        target = limits.service_level_target.get(queue, 0.8)
        if level is not None and level < target:
            out.append(Alert("service_level", queue, level, target))
    for queue, (count, longest) in sorted(waiting.items()):
        if count and longest > limits.longest_wait_seconds:
            out.append(Alert("longest_wait", queue, longest, limits.longest_wait_seconds))
        if count and eligible.get(queue, 1) == 0:
            out.append(Alert("no_agent", queue, count, 0))
    for name, seconds in sorted(not_ready):
        if seconds > limits.not_ready_seconds:
            out.append(Alert("not_ready", name, seconds, limits.not_ready_seconds))
    return out


_QUEUES_CACHE: dict[str, tuple[int, dict]] = {}


def queue_configs(path: str) -> dict:
    """The ACD queues file's queues (name -> acd QueueConfig), re-read when the file
    changes; {} when it cannot be read (the figures then use the default limit)."""
    import os

    from acd.queue_config import QueueConfigError, load_queues
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return {}
    cached = _QUEUES_CACHE.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        queues = dict(load_queues(path).queues)
    except QueueConfigError:
        queues = {}
    _QUEUES_CACHE[path] = (stamp, queues)
    return queues


def limits_of(queues: Mapping[str, Any]) -> dict[str, float]:
    return {name: float(q.service_level.seconds) for name, q in queues.items()}


def targets_of(queues: Mapping[str, Any]) -> dict[str, float]:
    return {name: float(q.service_level.percent) / 100 for name, q in queues.items()}
