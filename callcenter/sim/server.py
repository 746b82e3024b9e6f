"""The simulator's Event Socket server: listening, the client connections, the
background greenlets, and fault injection (malformed frames, a switch that stops
answering). A part of Simulator (callcenter/sim/simulator.py), which holds the state."""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Callable

import gevent
from gevent.server import StreamServer

from . import wire
from .connection import EslConnection

if TYPE_CHECKING:  # pragma: no cover
    from .channel import Channel

log = logging.getLogger(__name__)


class ServerMixin:
    # ---- server lifecycle --------------------------------------------------

    def start(self) -> int:
        """Listen; returns the port. After stop(), listens on the same port."""
        if self._server is not None:
            return self.port
        self._server = StreamServer((self.host, self.port), self._handle)
        self._server.reuse_addr = 1
        self._server.start()
        self.port = self._server.server_port
        self.started_at = time.monotonic()
        self.unresponsive = False
        self.silent_events = False
        self._heartbeat = gevent.spawn(self._heartbeat_loop)
        log.info("sim: switch simulator listening on %s:%d (speed %.1f)", self.host, self.port, self.clock.speed)
        return self.port

    def stop(self, keep_channels: bool = False) -> None:
        """Stop listening and close every ESL connection abruptly. By default
        every channel disappears too, without events, like a switch restart;
        keep_channels=True keeps the calls (an ESL-only outage)."""
        if self._server is not None:
            self._server.stop(timeout=0)
            self._server = None
        if self._heartbeat is not None:
            self._heartbeat.kill(block=False)
            self._heartbeat = None
        self.drop_connections()
        if not keep_channels:
            self.silent_events = True
            for ch in list(self._channels.values()):
                ch.hangup("SYSTEM_SHUTDOWN", from_executor=False)
            for ch in list(self._channels.values()):
                ch.done.wait(2.0)
            self.silent_events = False
            self.registrations.clear()  # phones re-register with a new switch

    def drop_connections(self) -> None:
        """Close every ESL socket (no goodbye); channels and calls go on."""
        for conn in list(self._connections):
            conn.close()
        self._connections.clear()

    def close(self) -> None:
        """Stop and kill every background greenlet (end of a test)."""
        self.stop()
        for g in list(self._greenlets):
            g.kill(block=False)

    def _handle(self, sock, address) -> None:
        conn = EslConnection(self, sock, address)
        self._connections.add(conn)
        conn.serve()

    def connection_closed(self, conn: EslConnection) -> None:
        self._connections.discard(conn)

    def session_ended(self, ch: Channel) -> None:
        """Tell `myevents <uuid>` listeners their channel is gone."""
        for conn in list(self._connections):
            conn.session_ended(ch.uuid, ch.name)

    def connection_count(self) -> int:
        return sum(1 for c in self._connections if not c.closed)

    def spawn(self, fn: Callable, *args) -> gevent.Greenlet:
        g = gevent.spawn(fn, *args)
        self._greenlets.add(g)
        g.link(lambda done: self._greenlets.discard(done))
        return g

    # ---- fault injection -----------------------------------------------------

    def inject_fault(self, kind: str) -> None:
        """Send a malformed frame to every connected client. Kinds:
        bad_content_length, missing_content_length, truncated_body, non_utf8,
        header_without_colon."""
        frame = wire.FAULTS.get(kind)
        if frame is None:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(sorted(wire.FAULTS))}")
        for conn in list(self._connections):
            if conn.authed:
                conn.send(frame)

    def send_raw(self, data: bytes) -> None:
        """Send arbitrary bytes to every authenticated client."""
        for conn in list(self._connections):
            if conn.authed:
                conn.send(data)

    def set_unresponsive(self, on: bool = True, events: bool = False) -> None:
        """Stop answering commands (they are read and dropped); with
        events=True also stop sending events. Calls go on meanwhile."""
        self.unresponsive = on
        self.silent_events = on and events
