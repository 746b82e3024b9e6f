"""The events the simulated switch sends: the headers every event carries, delivery
to the connections subscribed to it, API and BACKGROUND_JOB events, and the HEARTBEAT.
A part of Simulator (callcenter/sim/simulator.py), which holds the state."""
from __future__ import annotations

import time

from . import wire


class EventsMixin:
    def base_headers(self, name: str, file: str = "switch_channel.c", function: str = "",
                     line: int = 0, subclass: str | None = None) -> list[tuple[str, str]]:
        self._sequence += 1
        now = time.time()
        headers = [("Event-Subclass", subclass)] if subclass else []
        headers += [
            ("Event-Name", name), ("Core-UUID", self.core_uuid),
            ("FreeSWITCH-Hostname", self.hostname), ("FreeSWITCH-Switchname", self.hostname),
            ("FreeSWITCH-IPv4", "127.0.0.1"), ("FreeSWITCH-IPv6", "::1"),
            ("Event-Date-Local", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))),
            ("Event-Date-GMT", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now))),
            ("Event-Date-Timestamp", str(int(now * 1_000_000))),
            ("Event-Calling-File", file), ("Event-Calling-Function", function),
            ("Event-Calling-Line-Number", str(line)), ("Event-Sequence", str(self._sequence)),
        ]
        return headers

    def emit(self, headers: list[tuple[str, str]], body: str | None = None) -> None:
        if self.silent_events:
            return
        lookup = dict(headers)
        name = lookup.get("Event-Name", "")
        subclass = lookup.get("Event-Subclass")
        listeners = [c for c in self._connections if c.authed and not c.closed and c.wants(name, subclass)]
        if not listeners:
            return  # nobody subscribed: skip the encoding
        frame = wire.plain_event(headers, body)
        for conn in listeners:
            conn.deliver(name, subclass, lookup, frame)

    def emit_api_event(self, line: str) -> None:
        name, _, arg = line.partition(" ")
        headers = self.base_headers("API", "switch_loadable_module.c", "switch_api_execute", 2954)
        headers.append(("API-Command", name))
        if arg:
            headers.append(("API-Command-Argument", arg))
        self.emit(headers)

    def emit_job(self, job_uuid: str, name: str, arg: str, result: str) -> None:
        headers = self.base_headers("BACKGROUND_JOB", "mod_event_socket.c", "api_exec", 1569)
        headers += [("Job-UUID", job_uuid), ("Job-Command", name)]
        if arg:
            headers.append(("Job-Command-Arg", arg))
        self.emit(headers, body=result)

    def _heartbeat_loop(self) -> None:
        while True:
            self.clock.sleep(self.heartbeat_interval)
            up = int(time.monotonic() - self.started_at)
            self.emit(self.base_headers("HEARTBEAT", "switch_core.c", "send_heartbeat", 80) + [
                ("Event-Info", "System Ready"), ("Up-Time", f"0 years, 0 days, 0 hours, 0 minutes, {up} seconds"),
                ("FreeSWITCH-Version", "1.11.2-dev"), ("Uptime-msec", str(up * 1000)),
                ("Session-Count", str(len(self._channels))), ("Max-Sessions", "2000"),
                ("Session-Per-Sec", "200"), ("Session-Since-Startup", str(self.session_count)),
                ("Idle-CPU", "99.000000"), ("Heartbeat-Interval", str(int(self.heartbeat_interval)))])
