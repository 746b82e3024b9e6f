"""Helpers for the ESL tests: the recorded FreeSWITCH transcripts, and FakeSwitch, a tiny
Event Socket server over a real socket with real framing whose replies and events are taken
from those transcripts. It can inject raw (malformed) bytes, go silent, refuse a password,
and stop/restart on the same port like a restarting FreeSWITCH.

About the transcripts: after the host name was rewritten to `fs1` (2 bytes longer per
occurrence) and paths to /var/lib/freeswitch/, the Content-Length headers were not updated,
and a newline was appended to blocks that did not end with one. `recv_blocks()` gives each
RECV block as written; `reframe()` recomputes Content-Length so a fake switch sends
well-formed frames with the transcript's real headers.
"""
from __future__ import annotations

import re
import socket
import threading
import time
import uuid as uuidlib
from pathlib import Path
from urllib.parse import quote

import gevent
import pytest

TRACES = Path(__file__).resolve().parent.parent.parent / "shared" / "esl-traces"
_MARK = re.compile(rb"(?m)^### (RECV|SEND) \+[\d.]+s\n")


def trace_path(name: str) -> Path:
    path = TRACES / name
    if not path.exists():
        pytest.skip(f"FreeSWITCH transcript {path} not available")
    return path


def blocks(name: str) -> list[tuple[str, bytes]]:
    parts = _MARK.split(trace_path(name).read_bytes())
    return [(parts[i].decode(), parts[i + 1]) for i in range(1, len(parts), 2)]


def recv_blocks(name: str) -> list[bytes]:
    return [data for kind, data in blocks(name) if kind == "RECV"]


def sent_commands(name: str) -> list[str]:
    return [data.decode().rstrip("\n") for kind, data in blocks(name) if kind == "SEND"]


def reframe(block: bytes) -> bytes:
    """The block with its Content-Length recomputed from the bytes that follow the envelope."""
    head, sep, body = block.partition(b"\n\n")
    if b"Content-Length:" not in head:
        return block
    if body.endswith(b"\n\n\n"):
        body = body[:-1]
    head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(body), head)
    return head + sep + body


def trace_event(name: str, event_name: str, nth: int = 0, replace: dict[str, str] | None = None) -> bytes:
    """A real event of the transcript (well-framed), with text replaced (e.g. uuids)."""
    found = [b for b in recv_blocks(name) if b"\nEvent-Name: " + event_name.encode() + b"\n" in b]
    block = found[nth]
    for old, new in (replace or {}).items():
        block = block.replace(old.encode(), new.encode())
    return reframe(block)


def plain_event(headers: dict[str, str], body: str = "") -> bytes:
    text = "".join(f"{k}: {quote(str(v), safe='')}\n" for k, v in headers.items())
    if body:
        text += f"Content-Length: {len(body.encode())}\n\n{body}"
    else:
        text += "\n"
    data = text.encode()
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(data) + data


def reply(text: str) -> bytes:
    return f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode()


def api_response(body: str) -> bytes:
    data = body.encode()
    return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(data) + data


def job_event(job_uuid: str, command: str, body: str) -> bytes:
    return plain_event({"Event-Name": "BACKGROUND_JOB", "Core-UUID": "fake", "Job-UUID": job_uuid,
                        "Job-Command": command}, body)


class FakeSwitch:
    """`api` maps the first word of an api command to fn(args) -> response body (for
    `api`, and for a `bgapi` of a known command as a BACKGROUND_JOB unless `on_bgapi`
    is set; an unknown bgapi gets no job, like a switch that never finishes it);
    `on_sendmsg(uuid, headers)` and `on_bgapi(job_uuid, command)` may push() events.
    `bgapi_refusal` / `sendmsg_refusal`: a reply text (-ERR ...) given instead of +OK;
    `own_job_uuids`: answer a bgapi with a Job-UUID of its own, as an old switch would."""

    def __init__(self, password: str = "fake-esl-secret") -> None:
        self.password = password
        self.port = 0
        self.silent = False
        self.received: list[str] = []
        self.subscriptions: list[str] = []
        self.filters: list[str] = []
        self.sessions = 0
        self.api = {"status": lambda args: "UP 0 years\n", "show": lambda args: "\n0 total.\n"}
        self.on_sendmsg = None
        self.on_bgapi = None
        self.bgapi_refusal: str | None = None
        self.sendmsg_refusal: str | None = None
        self.own_job_uuids = False
        self._listener: socket.socket | None = None
        self._clients: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> int:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self.port = self._listener.getsockname()[1]
        self._listener.listen(8)
        gevent.spawn(self._accept, self._listener)
        return self.port

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener:
            listener.close()
        for client in list(self._clients):
            self._drop(client)

    def push(self, data: bytes) -> None:
        for client in list(self._clients):
            try:
                client.sendall(data)
            except OSError:
                self._drop(client)

    def _drop(self, client: socket.socket) -> None:
        try:
            client.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        client.close()
        if client in self._clients:
            self._clients.remove(client)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self._clients.append(client)
            gevent.spawn(self._serve, client)

    def _serve(self, client: socket.socket) -> None:
        client.sendall(b"Content-Type: auth/request\n\n")
        buf = b""
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                buf += data
                while b"\n\n" in buf:
                    command, buf = buf.split(b"\n\n", 1)
                    self._command(client, command.decode())
        except OSError:
            pass
        finally:
            self._drop(client)

    def _command(self, client: socket.socket, command: str) -> None:
        self.received.append(command)
        if self.silent:
            return
        first, *header_lines = command.split("\n")
        headers = dict(line.split(": ", 1) for line in header_lines if ": " in line)
        verb, _, rest = first.partition(" ")
        if verb == "auth":
            if rest == self.password:
                self.sessions += 1
                client.sendall(reply("+OK accepted"))
            else:
                client.sendall(reply("-ERR invalid"))
                self._drop(client)
        elif verb == "event":
            self.subscriptions.append(first)
            client.sendall(reply("+OK event listener enabled plain"))
        elif verb == "filter":  # recorded; the fake sends what tests push, unfiltered
            self.filters.append(rest)
            name, _, value = rest.partition(" ")
            client.sendall(reply(f"+OK filter added. [{name}]=[{value}]"))
        elif verb == "api":
            name, _, args = rest.partition(" ")
            handler = self.api.get(name)
            client.sendall(api_response(handler(args) if handler else
                                        f"-ERR {name} Command not found!\n"))
        elif verb == "bgapi" and self.bgapi_refusal:
            client.sendall(reply(self.bgapi_refusal))
        elif verb == "sendmsg" and self.sendmsg_refusal:
            client.sendall(reply(self.sendmsg_refusal))
        elif verb == "bgapi":
            job = (None if self.own_job_uuids else headers.get("Job-UUID")) or str(uuidlib.uuid4())
            client.sendall(b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: %s\nJob-UUID: %s\n\n"
                           % (job.encode(), job.encode()))
            if self.on_bgapi:
                gevent.spawn(self.on_bgapi, job, rest)
            elif rest.partition(" ")[0] in self.api:  # as FreeSWITCH: the output, later,
                name, _, args = rest.partition(" ")       # in a BACKGROUND_JOB
                gevent.spawn(self.push, job_event(job, name, self.api[name](args)))
        elif verb == "sendmsg":
            client.sendall(reply("+OK"))
            if self.on_sendmsg:
                gevent.spawn(self.on_sendmsg, rest, headers)
        elif verb == "exit":
            client.sendall(reply("+OK bye"))
            self._drop(client)
        else:
            client.sendall(reply("-ERR command not found"))


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.01) -> bool:
    """Wait on a condition (never a bare sleep); True when it held in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        gevent.sleep(interval)
    return bool(predicate())


class EslClient:
    """What the engine does with the layer: a connection, a Switch, the events it got,
    and how many times it was told to resynchronise (on_connected)."""

    def __init__(self, port: int, password: str, **kwargs):
        from callcenter.esl import Switch, SwitchConnection
        self.events, self.resyncs = [], 0
        options = dict(api_timeout=2.0, application_timeout=10.0, connect_timeout=1.0,
                       backoff_initial=0.05, backoff_max=0.3)
        options.update(kwargs)
        self.connection = SwitchConnection("127.0.0.1", port, password, on_event=self.events.append,
                                           on_connected=self._resync, **options)
        self.switch = Switch(self.connection)

    def _resync(self):
        self.resyncs += 1

    def seen(self, kind, **fields):
        return [e for e in self.events if isinstance(e, kind)
                and all(getattr(e, k) == v for k, v in fields.items())]

