"""Prometheus /metrics, in the text format, from the standard client library.

Not part of the console: it has no login, so it is OFF by default and, when
``metrics.bind`` is set, served by a listener of its own on that address
(``metrics.port``), e.g. the monitoring network's, never on the console's port.
``serve_metrics(services)`` starts it (the engine's run command calls it).
Every figure is read at scrape time: the live engine's snapshot, the engine's lag
figures, and the current interval's indicators from the log (callcenter.reports)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Iterator

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from callcenter.reports.current import limits_of, live_figures, per_queue, queue_configs

log = logging.getLogger(__name__)

ENGINE_GAUGES = {  # Engine.lag() key -> (metric, help)
    "event_lag_seconds": ("callcenter_event_lag_seconds", "Age of the last switch event handled"),
    "events_waiting": ("callcenter_events_waiting", "Switch events received, not handled yet"),
    "commands_waiting": ("callcenter_switch_commands_waiting", "Commands sent, not acknowledged yet"),
    "oldest_command_seconds": ("callcenter_switch_oldest_command_seconds",
                               "How long the oldest unacknowledged command has waited"),
    "calls_in_ivr": ("callcenter_calls_in_ivr", "Callers in the IVR"),
    "overloaded": ("callcenter_overloaded", "1 when the engine turns new callers away"),
}
HISTOGRAMS = (  # Engine.lag() key, metric, help
    ("command_round_trips", "callcenter_switch_command_seconds",
     "Round trip of each command sent to the switch"),
    ("routing_decisions", "callcenter_acd_decision_seconds",
     "Time the ACD core takes to decide on one input (routing, timers), not carrying it out"),
)
CALL_LOG_GAUGES = {
    "pending": ("callcenter_db_writes_pending", "Log writes queued, not in the database yet"),
    "spooled": ("callcenter_db_writes_spooled", "Log writes kept on disk while the database is away"),
    "oldest_pending_seconds": ("callcenter_db_write_lag_seconds",
                               "Age of the oldest log write not in the database yet"),
}
CALL_LOG_COUNTERS = {
    "written": ("callcenter_db_writes", "Log writes done"),
    "dropped": ("callcenter_db_writes_dropped", "Log writes given up"),
}


class CallCenterCollector:
    def __init__(self, services: Any) -> None:
        self.services = services

    def collect(self) -> Iterator[Any]:
        live = getattr(self.services, "live", None) or self.services.extras.get("live")
        snapshot = live.floor() if live is not None else None
        now = snapshot.at if snapshot is not None else datetime.now(timezone.utc)
        yield from self._switch()
        if snapshot is not None:
            yield from self._floor(snapshot)
        yield from self._interval(now)
        yield from self._availability(now)

    def _availability(self, now: datetime) -> Iterator[Any]:
        """系统可用率 of the center's day so far, from the engine's own log."""
        from zoneinfo import ZoneInfo

        from callcenter.reports.availability import STALE, availability
        from callcenter.reports.intervals import day_start
        from callcenter.reports.store import load_availability
        try:
            zone = ZoneInfo(self.services.config.general.timezone)
            start = day_start(now.astimezone(zone).date(), zone)
            with self.services.db_engine.connect() as connection:
                records = load_availability(connection, start)
            today = availability(records, start, now, now, STALE)
        except Exception as error:  # a scrape reports what it can; the log says why not
            log.warning("availability for /metrics failed: %s", error)
            return
        if today.rate is None:  # no data is no sample, not 0
            return
        yield GaugeMetricFamily("callcenter_availability_today_ratio",
                                "System availability (系统可用率) of the center's day so far: up / measured",
                                value=today.rate)
        yield GaugeMetricFamily("callcenter_availability_today_down_seconds",
                                "Time down in the center's day so far (engine stopped or crashed, "
                                "switch not connected)",
                                value=sum((span.end - span.start).total_seconds() for span in today.down))
    def _switch(self) -> Iterator[Any]:
        state = self.services.switch_state()
        connected = GaugeMetricFamily("callcenter_switch_connected",
                                      "1 while the engine's event socket connection is up",
                                      labels=["state"])
        connected.add_metric([state], 1.0 if state == "connected" else 0.0)
        yield connected
        lag = self.services.lag() if self.services.lag is not None else {}
        for key, (name, text) in ENGINE_GAUGES.items():
            if key in lag:
                yield GaugeMetricFamily(name, text, value=float(lag[key]))
        if "turned_away" in lag:
            yield CounterMetricFamily("callcenter_callers_turned_away",
                                      "Callers given the overload answer", value=lag["turned_away"])
        if "switch_reconnects" in lag:
            yield CounterMetricFamily("callcenter_switch_reconnects",
                                      "Event socket sessions re-established after the first",
                                      value=lag["switch_reconnects"])
        for key, name, text in HISTOGRAMS:
            if key in lag:
                yield HistogramMetricFamily(name, text, buckets=lag[key]["buckets"],
                                            sum_value=lag[key]["sum"])
        backlog = lag.get("call_log") or {}
        for key, (name, text) in CALL_LOG_GAUGES.items():
            if key in backlog:
                yield GaugeMetricFamily(name, text, value=float(backlog[key]))
        for key, (name, text) in CALL_LOG_COUNTERS.items():
            if key in backlog:
                yield CounterMetricFamily(name, text, value=float(backlog[key]))
        if "write_seconds" in backlog:
            yield HistogramMetricFamily(
                "callcenter_db_write_seconds",
                "Time to write one batch of the log's write-behind queue to the database (committed)",
                buckets=backlog["write_seconds"]["buckets"], sum_value=backlog["write_seconds"]["sum"])

    def _floor(self, snapshot: Any) -> Iterator[Any]:
        waiting = GaugeMetricFamily("callcenter_queue_waiting_calls", "Callers waiting",
                                    labels=["queue"])
        longest = GaugeMetricFamily("callcenter_queue_longest_wait_seconds",
                                    "The longest wait of the callers waiting", labels=["queue"])
        for queue in snapshot.queues:
            waiting.add_metric([queue.name], queue.waiting)
            longest.add_metric([queue.name], queue.longest_wait_seconds)
        connected = GaugeMetricFamily("callcenter_queue_connected_calls",
                                      "Calls with an agent (connected or on hold)", labels=["queue"])
        per_queue_calls: dict[str, int] = {}
        for call in snapshot.calls:
            if call.state in ("bridged", "held"):
                per_queue_calls[call.queue or "none"] = per_queue_calls.get(call.queue or "none", 0) + 1
        for name, count in sorted(per_queue_calls.items()):
            connected.add_metric([name], count)
        agents = GaugeMetricFamily("callcenter_agents", "Agents per state", labels=["state"])
        by_state: dict[str, int] = {}
        for status in snapshot.agents:
            by_state[status.state] = by_state.get(status.state, 0) + 1
        for state, count in sorted(by_state.items()):
            agents.add_metric([state], count)
        yield from (waiting, longest, connected, agents)

    def _interval(self, now: datetime) -> Iterator[Any]:
        families = {
            "offered": GaugeMetricFamily("callcenter_interval_offered_calls",
                                         "Calls offered in the current interval", labels=["queue"]),
            "abandoned": GaugeMetricFamily("callcenter_interval_abandoned_calls",
                                           "Calls abandoned in the current interval", labels=["queue"]),
            "service_level": GaugeMetricFamily(
                "callcenter_interval_service_level_ratio",
                "Service level of the current interval (docs/indicators.md)", labels=["queue"]),
            "abandon_rate": GaugeMetricFamily("callcenter_interval_abandon_ratio",
                                              "Abandon rate of the current interval", labels=["queue"]),
        }
        try:
            limits = limits_of(queue_configs(self.services.config.acd.queues_file))
            queues = per_queue(live_figures(self.services, limits), now)
        except Exception as error:  # a scrape reports what it can; the log says why not
            log.warning("interval figures for /metrics failed: %s", error)
            queues = {}
        for queue, figures in sorted(queues.items()):
            current = figures["interval"]
            families["offered"].add_metric([queue], current.sums.offered)
            families["abandoned"].add_metric([queue], current.sums.abandoned)
            for key in ("service_level", "abandon_rate"):
                value = getattr(current, key)
                if value is not None:  # no data is no sample, not 0
                    families[key].add_metric([queue], value)
        yield from families.values()


def metrics_app(services: Any):
    """The WSGI application serving /metrics (any path) for ``services``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CallCenterCollector(services))
    return make_wsgi_app(registry)


def serve_metrics(services: Any):
    """Start the /metrics listener if ``metrics.bind`` is set; returns the gevent server
    (stop() it at shutdown) or None when metrics are off."""
    config = services.config.metrics
    if not config.bind:
        return None
    from gevent.pywsgi import WSGIServer
    server = WSGIServer((config.bind, config.port), metrics_app(services), log=None)
    server.start()
    log.info("Prometheus metrics on http://%s:%d/metrics", config.bind, server.server_port)
    return server
