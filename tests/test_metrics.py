"""/metrics: off by default, on a listener of its own when metrics.bind is set,
scraped over a real socket and parsed with the Prometheus client's parser."""
from __future__ import annotations

import urllib.request
from dataclasses import replace
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from callcenter.config import Section, load_config
from callcenter.reports import dayfile
from callcenter.reports.facts import CallRecord, Event
from web.metrics import serve_metrics
from web.ports import LiveCall, QueueLive
from web_fixtures import *  # noqa: F401,F403
from web_fixtures import QUEUES, add_agent, now


def a_call(uuid, joined, *, wait=None, abandon=None):
    events = [Event(joined, "ivr_finished", {"outcome": "queue", "need": "billing"})]
    if wait is not None:
        events.append(Event(joined + timedelta(seconds=wait), "connected", {"agent": "agent01"}))
    if abandon is not None:
        events.append(Event(joined + timedelta(seconds=abandon), "abandoned", {}))
    return CallRecord(uuid, events=tuple(events), queue_name="billing", ivr_flow="main")


def scrape(server) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/metrics",
                                timeout=5) as reply:
        text = reply.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_are_off_unless_bound_and_never_on_the_console(web_services, client):
    assert web_services.config.metrics.bind == ""
    assert serve_metrics(web_services) is None
    assert client.get("/metrics").status_code == 404


def test_a_scrape_gives_the_floor_the_engine_and_the_current_interval(
        web_services, sessions, db_engine, fake_live, write_config):
    web_services.config = load_config(write_config(
        f"switch:\n  password: x\nacd:\n  queues_file: {QUEUES}\n"
        "metrics:\n  bind: 127.0.0.1\n  port: 1\n", "metrics.yaml"))
    agent = add_agent(sessions, "agent01")
    fake_live.queues["billing"] = QueueLive("billing", 2, 47.5)
    fake_live.set_agent_state(agent, "ready")
    fake_live.offer(agent, LiveCall("live-1", "13800000001", "offered", None, queue="billing"))
    fake_live.connect(agent)
    web_services.switch_state = lambda: "connected"
    web_services.lag = lambda: {"event_lag_seconds": 0.02, "events_waiting": 0, "calls_in_ivr": 3,
                                "commands_waiting": 1, "oldest_command_seconds": 0.1,
                                "turned_away": 0, "overloaded": False,
                                "call_log": {"pending": 4, "spooled": 0, "written": 120,
                                             "dropped": 0, "oldest_pending_seconds": 0.05}}
    interval = now().replace(minute=now().minute // 30 * 30, second=0, microsecond=0)
    with db_engine.begin() as connection:  # this interval: one answered after 8 s, one abandoned
        dayfile.store(connection, [a_call("m1", interval, wait=8),
                                   a_call("m2", interval + timedelta(seconds=1), abandon=30),
                                   a_call("m0", interval - timedelta(seconds=90), wait=30)], [])
    server = _serve_on_a_free_port(web_services)
    try:
        samples = scrape(server)
    finally:
        server.stop()
    assert samples[("callcenter_switch_connected", (("state", "connected"),))] == 1.0
    assert samples[("callcenter_queue_waiting_calls", (("queue", "billing"),))] == 2
    assert samples[("callcenter_queue_longest_wait_seconds", (("queue", "billing"),))] == 47.5
    assert samples[("callcenter_queue_connected_calls", (("queue", "billing"),))] == 1
    assert samples[("callcenter_agents", (("state", "on_call"),))] == 1
    assert samples[("callcenter_calls_in_ivr", ())] == 3
    assert samples[("callcenter_db_writes_total", ())] == 120
    assert samples[("callcenter_interval_offered_calls", (("queue", "billing"),))] == 2
    assert samples[("callcenter_interval_service_level_ratio", (("queue", "billing"),))] == 0.5
    assert samples[("callcenter_interval_abandon_ratio", (("queue", "billing"),))] == 0.5


def _serve_on_a_free_port(services):
    """serve_metrics as configured, but on port 0 (any free one) instead of the file's."""
    config = services.config
    sections = {**config.sections, "metrics": Section("metrics", {"bind": "127.0.0.1", "port": 0})}
    services.config = replace(config, sections=sections)
    return serve_metrics(services)


def _histogram(text: str, name: str) -> dict:
    family = next(f for f in text_string_to_metric_families(text) if f.name == name)
    assert family.type == "histogram"
    return {(s.name, s.labels.get("le")): s.value for s in family.samples}


def test_the_log_writes_batch_latency_histogram_counts_each_committed_batch(
        web_services, sessions, tmp_path, fake_live):
    from callcenter.live.calllog import CallLog
    from callcenter.models import CallDirection
    calllog = CallLog(sessions, tmp_path / "data")
    try:
        for n in range(3):  # three batches: each flush writes what is queued in one transaction
            calllog.start(f"w{n}", CallDirection.INBOUND, "13800000001", "10000")
            calllog.event(f"w{n}", "ivr_node", {"n": n})
            assert calllog.flush()
        web_services.switch_state = lambda: "connected"
        web_services.lag = lambda: {"call_log": calllog.backlog()}
        server = _serve_on_a_free_port(web_services)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/metrics",
                                        timeout=5) as reply:
                text = reply.read().decode()
        finally:
            server.stop()
    finally:
        calllog.close()
    samples = _histogram(text, "callcenter_db_write_seconds")
    assert samples[("callcenter_db_write_seconds_count", None)] == 3
    assert samples[("callcenter_db_write_seconds_bucket", "+Inf")] == 3
    assert 0 < samples[("callcenter_db_write_seconds_sum", None)] < 10
    buckets = sorted((float(le), v) for (name, le), v in samples.items()
                     if name.endswith("_bucket") and le != "+Inf")
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)  # cumulative


def test_a_scrape_gives_todays_system_availability_from_the_engines_log(
        web_services, sessions, fake_live):
    from callcenter.models import AvailabilityRecord
    t = now()  # the fake engine's pinned clock (11:00 in Shanghai when the suite starts)
    rows = [(-3600, "engine_started"), (-3590, "switch_connected"), (-1800, "switch_lost"),
            (-1740, "switch_connected")] + [(s, "heartbeat") for s in range(-3540, 0, 60)]
    with sessions() as db:
        db.add_all(AvailabilityRecord(at=t + timedelta(seconds=s), kind=kind, run="run-1")
                   for s, kind in rows)
        db.commit()
    web_services.switch_state = lambda: "connected"
    web_services.lag = lambda: {}
    server = _serve_on_a_free_port(web_services)
    try:
        samples = scrape(server)
    finally:
        server.stop()
    # down: 10 s before the first connection, 60 s with the switch lost; measured from 10:00
    assert samples[("callcenter_availability_today_down_seconds", ())] == 70.0
    measured = 3600 + (now() - t).total_seconds()
    assert abs(samples[("callcenter_availability_today_ratio", ())] - (1 - 70 / measured)) < 1e-3


def test_no_availability_log_is_no_sample_not_zero(web_services, fake_live):
    web_services.switch_state = lambda: "connected"
    web_services.lag = lambda: {}
    server = _serve_on_a_free_port(web_services)
    try:
        samples = scrape(server)
    finally:
        server.stop()
    assert not [key for key in samples if key[0].startswith("callcenter_availability")]
