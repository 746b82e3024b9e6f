"""One inbound Event Socket connection: auth, subscriptions, commands.

Replies go out before the events a command causes (as on the real switch):
while an `api` command runs, events for this connection are held and sent
after the api/response. A writer greenlet per connection keeps a slow client
from blocking the simulator.
"""
from __future__ import annotations

import logging
import re
import uuid as uuidlib
from typing import TYPE_CHECKING

import gevent
from gevent.queue import Queue

from . import wire

if TYPE_CHECKING:  # pragma: no cover
    from .simulator import Simulator

log = logging.getLogger(__name__)

_CLOSE = object()


class EslConnection:
    def __init__(self, sim: "Simulator", sock, address) -> None:
        self.sim = sim
        self.sock = sock
        self.address = address
        self.authed = False
        self.all_events = False
        self.events: set[str] = set()
        self.subclasses: set[str] = set()
        self.filters: list[tuple[str, str]] = []
        self.linger = False
        self.session_uuid: str | None = None  # set by `myevents <uuid>`
        self.session_done = False
        self.closed = False
        self._out: Queue = Queue()
        self._held: list[bytes] | None = None
        self._writer: gevent.Greenlet | None = None

    # ---- output ------------------------------------------------------------

    def send(self, data: bytes) -> None:
        if not self.closed:
            self._out.put(data)

    def _write_loop(self) -> None:
        try:
            while True:
                data = self._out.get()
                if data is _CLOSE:
                    break
                self.sock.sendall(data)
        except OSError:
            pass
        finally:
            self._shutdown()

    def deliver(self, name: str, subclass: str | None, headers: dict[str, str], frame: bytes) -> None:
        if not self.authed or self.closed or self.session_done or not self.wants(name, subclass):
            return
        if self.filters and not passes_filters(self.filters, headers):
            return
        if self.sim.silent_events:
            return
        if self._held is not None:
            self._held.append(frame)
        else:
            self.send(frame)

    def wants(self, name: str, subclass: str | None) -> bool:
        if self.all_events:
            return True
        if name == "CUSTOM":
            return "CUSTOM" in self.events and (not self.subclasses or (subclass or "") in self.subclasses)
        return name in self.events

    def close(self) -> None:
        """Abrupt close (switch stop, connection drop): no goodbye."""
        if self.closed:
            return
        self.closed = True
        self._out.put(_CLOSE)
        self._shutdown()

    def _shutdown(self) -> None:
        self.closed = True
        try:
            self.sock.shutdown(2)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    # ---- input -------------------------------------------------------------

    def serve(self) -> None:
        self._writer = gevent.spawn(self._write_loop)
        self.send(wire.auth_request())
        rfile = self.sock.makefile("rb")
        try:
            while not self.closed:
                try:
                    command = wire.read_command(rfile)
                except (OSError, ValueError):
                    break
                if command is None:
                    break
                if self.sim.unresponsive:
                    log.info("sim: not answering %r (fault injection)", command.line)
                    continue
                if not self.handle(command):
                    break
        finally:
            try:
                rfile.close()
            except OSError:
                pass
            if not self.closed:
                self.closed = True
                self._out.put(_CLOSE)
            # StreamServer closes the socket when this handler returns: let
            # the writer flush what is queued (the goodbye) first.
            if self._writer is not None:
                self._writer.join(timeout=2.0)
            self.sim.connection_closed(self)

    def handle(self, command: wire.Command) -> bool:
        """Run one command; False ends the session."""
        verb = command.verb
        if not self.authed:
            if verb != "auth":
                self.send(wire.command_reply("-ERR command not found"))
                return True
            if command.rest == self.sim.password:
                self.authed = True
                self.send(wire.command_reply("+OK accepted"))
                return True
            self.send(wire.command_reply("-ERR invalid"))
            gevent.sleep(0.05)
            self.close()
            return False
        handler = getattr(self, f"cmd_{verb}", None)
        if handler is None:
            self.send(wire.command_reply("-ERR command not found"))
            return True
        return handler(command) is not False

    def cmd_event(self, command: wire.Command) -> None:
        words = command.rest.split()
        if not words or words[0].lower() not in ("plain", "json", "xml"):
            self.send(wire.command_reply("-ERR invalid format"))
            return
        if words[0].lower() != "plain":
            # Simplified: only plain events are simulated (greenswitch uses plain).
            self.send(wire.command_reply("-ERR only plain events are simulated"))
            return
        custom = False
        for word in words[1:]:
            if word == "ALL":
                self.all_events = True
            elif word == "CUSTOM":
                custom = True
                self.events.add("CUSTOM")
            elif custom and "::" in word:
                self.subclasses.add(word)
            else:
                self.events.add(word)
        self.send(wire.command_reply("+OK event listener enabled plain"))

    def cmd_noevents(self, command: wire.Command) -> None:
        self.all_events = False
        self.events.clear()
        self.subclasses.clear()
        self.send(wire.command_reply("+OK no longer listening for events"))

    def cmd_nixevent(self, command: wire.Command) -> None:
        for word in command.rest.split():
            if word == "ALL":
                self.all_events = False
                self.events.clear()
            elif "::" in word:
                self.subclasses.discard(word)
            else:
                self.events.discard(word)
        self.send(wire.command_reply("+OK events nixed"))

    def cmd_filter(self, command: wire.Command) -> None:
        words = command.rest.split(None, 2)
        if words and words[0] == "delete":
            key = words[1] if len(words) > 1 else ""
            value = words[2] if len(words) > 2 else None
            self.filters = [(k, v) for k, v in self.filters if not (k == key and (value is None or v == value))]
            self.send(wire.command_reply(f"+OK filter deleted. [{key}]=[{value or ''}]"))
            return
        if len(words) < 2:
            self.send(wire.command_reply("-ERR invalid syntax"))
            return
        self.filters.append((words[0], " ".join(words[1:])))
        self.send(wire.command_reply(f"+OK filter added. [{words[0]}]=[{' '.join(words[1:])}]"))

    def cmd_myevents(self, command: wire.Command) -> None:
        """Inbound `myevents <uuid>`: every event of that one channel, and a
        disconnect notice when it ends (linger: Content-Length 0, the
        connection stays; otherwise the switch closes it)."""
        uuid = command.rest.split()[0] if command.rest.split() else ""
        channel = self.sim.live_channel(uuid)
        if channel is None:
            self.send(wire.command_reply("-ERR invalid uuid"))
            return
        if self.session_uuid is not None:
            self.send(wire.command_reply("-ERR aready enabled."))  # sic, as FreeSWITCH spells it
            return
        self.session_uuid = uuid
        self.all_events = True
        self.filters.append(("Unique-ID", uuid))
        self.send(wire.command_reply("+OK Events Enabled"))

    def session_ended(self, channel_uuid: str, channel_name: str) -> None:
        if self.session_uuid != channel_uuid or self.closed:
            return
        self.session_done = True  # nothing more after the notice (outbound_trace.txt)
        if self.linger:
            self.send(wire.disconnect_notice({"Controlled-Session-UUID": channel_uuid,
                                              "Content-Disposition": "linger",
                                              "Channel-Name": channel_name, "Linger-Time": "-1"}))
            return
        self.send(wire.disconnect_notice({"Controlled-Session-UUID": channel_uuid,
                                          "Content-Disposition": "disconnect",
                                          "Channel-Name": channel_name}))
        self.closed = True
        self._out.put(_CLOSE)

    def cmd_linger(self, command: wire.Command) -> None:
        self.linger = True
        self.send(wire.command_reply("+OK will linger"))

    def cmd_nolinger(self, command: wire.Command) -> None:
        self.linger = False
        self.send(wire.command_reply("+OK will not linger"))

    def cmd_log(self, command: wire.Command) -> None:
        self.send(wire.command_reply(f"+OK log level {command.rest or 'debug'} [7]"))

    def cmd_nolog(self, command: wire.Command) -> None:
        self.send(wire.command_reply("+OK no longer spewing log data"))

    def cmd_exit(self, command: wire.Command) -> bool:
        self.send(wire.command_reply("+OK bye"))
        self.send(wire.disconnect_notice())
        self.closed = True
        self._out.put(_CLOSE)
        return False

    def cmd_api(self, command: wire.Command) -> None:
        from .api import run_api
        line = command.rest
        self._held = []
        try:
            result = run_api(self.sim, line)
        finally:
            held, self._held = self._held, None
        self.send(wire.api_response(result))
        for frame in held:
            self.send(frame)
        self.sim.emit_api_event(line)

    def cmd_bgapi(self, command: wire.Command) -> None:
        from .api import run_api
        job_uuid = command.headers.get("job-uuid") or str(uuidlib.uuid4())
        line = command.rest
        self.send(wire.command_reply(f"+OK Job-UUID: {job_uuid}", [("Job-UUID", job_uuid)]))

        def job() -> None:
            result = run_api(self.sim, line)
            self.sim.emit_api_event(line)
            name, _, arg = line.partition(" ")
            self.sim.emit_job(job_uuid, name, arg, result)
        self.sim.spawn(job)

    def cmd_sendmsg(self, command: wire.Command) -> None:
        target = command.rest.strip()
        channel = self.sim.live_channel(target)
        if channel is None:
            self.send(wire.command_reply(f"-ERR invalid session id [{target}]"))
            return
        headers = command.headers
        call_command = headers.get("call-command", "").lower()
        if call_command == "execute":
            app = headers.get("execute-app-name", "")
            arg = headers.get("execute-app-arg", "")
            if not arg and command.body:
                arg = command.body
            if not app:
                self.send(wire.command_reply("-ERR no execute-app-name"))
                return
            self.send(wire.command_reply("+OK"))
            # Simplified: 'loops' and 'event-lock' headers are ignored.
            channel.execute(app, arg, headers.get("event-uuid"))
        elif call_command == "hangup":
            self.send(wire.command_reply("+OK"))
            channel.hangup(headers.get("hangup-cause", "NORMAL_CLEARING") or "NORMAL_CLEARING")
        else:
            self.send(wire.command_reply(f"-ERR unsupported call-command [{call_command}]"))


def passes_filters(filters: list[tuple[str, str]], headers: dict[str, str]) -> bool:
    """FreeSWITCH's event filter (mod_event_socket): with filters set, an event is sent if
    it matches a positive one and no negative one after it. A value may start with `+`
    or `-` (negative); one starting with `/` is a regular expression (`/re/` with i or s
    options; FreeSWITCH tests the raw value, so `-/re/` compares the text as it is);
    any other value compares case-insensitively. A missing header never matches."""
    send = False
    lowered = {name.lower(): value for name, value in headers.items()}
    for name, raw in filters:
        value = lowered.get(name.lower())
        if value is None:
            continue
        compare, positive = raw, True
        while compare and compare[0] in "+- ":
            if compare[0] != " ":
                positive = compare[0] == "+"
            compare = compare[1:]
        if send and positive:
            continue
        if not compare:
            continue
        if raw.startswith("/"):
            matched = _regex_matches(compare, value)
        else:
            matched = value.lower() == compare.lower()
        if matched:
            if not positive:
                return False
            send = True
    return send


def _regex_matches(expression: str, value: str) -> bool:
    body, _, options = expression[1:].rpartition("/")
    if not _:
        return False  # FreeSWITCH logs "missing ending '/' delimeter" and does not match
    flags = (re.IGNORECASE if "i" in options else 0) | (re.DOTALL if "s" in options else 0)
    try:
        return re.search(body, value, flags) is not None
    except re.error:
        return False
