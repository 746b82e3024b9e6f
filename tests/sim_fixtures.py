"""A small raw-socket Event Socket client for the simulator's own tests
(deliberately independent of callcenter.esl), plus fixtures."""
from __future__ import annotations

import re
import socket
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import gevent
import pytest
from gevent.event import Event
from gevent.queue import Empty, Queue

from callcenter.sim import Simulator

PASSWORD = "sim-test-secret"


@dataclass
class Frame:
    headers: dict[str, str]
    body: bytes = b""
    raw: bytes = b""
    event: dict[str, str] = field(default_factory=dict)
    event_body: str | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


def parse_event_body(body: bytes, strict: bool = True) -> tuple[dict[str, str], str | None]:
    """A plain event body: header lines (values URL-encoded), then an
    optional second body announced by its own Content-Length. strict=False
    for the transcripts, whose lengths changed when the host name was
    rewritten (two bytes per event: FreeSWITCH-Hostname and -Switchname)."""
    text = body.decode("utf-8")
    head, sep, rest = text.partition("\n\n")
    headers: dict[str, str] = {}
    for line in head.split("\n"):
        if not line:
            continue
        key, colon, value = line.partition(": ")
        assert colon, f"event header line without ': ' {line!r}"
        headers[key] = unquote(value)
    inner = None
    if "Content-Length" in headers:
        length = int(headers["Content-Length"])
        inner_bytes = rest.encode()
        assert not strict or len(inner_bytes) == length, f"inner body {len(inner_bytes)} bytes, announced {length}"
        inner = inner_bytes.decode()
    return headers, inner


class EslClient:
    def __init__(self, port: int, password: str = PASSWORD, auth: bool = True, timeout: float = 3.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(None)
        self.rfile = self.sock.makefile("rb")
        self.frames: list[Frame] = []
        self.events: list[Frame] = []
        self.replies: Queue = Queue()
        self.closed = Event()
        self.timeout = timeout
        self._changed = Event()
        self._reader = gevent.spawn(self._read_loop)
        first = self.replies.get(timeout=timeout)
        assert first.content_type == "auth/request"
        if auth:
            reply = self.command(f"auth {password}")
            assert reply.headers["Reply-Text"] == "+OK accepted", reply.headers

    def _read_frame(self) -> Frame | None:
        raw = b""
        headers: dict[str, str] = {}
        while True:
            line = self.rfile.readline()
            if not line:
                return None
            raw += line
            if line == b"\n":
                if headers:
                    break
                continue
            key, _, value = line.decode().rstrip("\n").partition(": ")
            headers[key] = value
        body = b""
        if "Content-Length" in headers:
            body = self.rfile.read(int(headers["Content-Length"]))
            raw += body
        frame = Frame(headers, body, raw)
        if frame.content_type == "text/event-plain":
            frame.event, frame.event_body = parse_event_body(body)
        return frame

    def _read_loop(self) -> None:
        try:
            while True:
                frame = self._read_frame()
                if frame is None:
                    break
                self.frames.append(frame)
                if frame.content_type == "text/event-plain":
                    self.events.append(frame)
                    self._changed.set()
                else:
                    self.replies.put(frame)
        except OSError:
            pass
        finally:
            self.closed.set()
            self._changed.set()

    def send(self, text: str) -> None:
        self.sock.sendall((text + "\n\n").encode())

    def command(self, text: str, timeout: float | None = None) -> Frame:
        self.send(text)
        return self.replies.get(timeout=timeout or self.timeout)

    def api(self, text: str, timeout: float | None = None) -> str:
        frame = self.command(f"api {text}", timeout)
        assert frame.content_type == "api/response", frame.headers
        return frame.body.decode()

    def bgapi(self, text: str) -> str:
        frame = self.command(f"bgapi {text}")
        assert frame.headers["Reply-Text"].startswith("+OK Job-UUID: ")
        return frame.headers["Job-UUID"]

    def sendmsg(self, uuid: str, app: str, arg: str = "", event_uuid: str | None = None) -> str:
        event_uuid = event_uuid or str(uuidlib.uuid4())
        lines = [f"sendmsg {uuid}", "call-command: execute", f"execute-app-name: {app}"]
        if arg:
            lines.append(f"execute-app-arg: {arg}")
        lines.append(f"Event-UUID: {event_uuid}")
        reply = self.command("\n".join(lines))
        assert reply.headers["Reply-Text"] == "+OK", reply.headers
        return event_uuid

    def wait_event(self, name: str, timeout: float = 3.0, start: int = 0, **match: str) -> dict[str, str]:
        """The first event (from index `start`) named `name` whose headers
        match `match` (underscores in keys stand for dashes)."""
        wanted = {k.replace("_", "-") if not k.startswith("variable_") else k: v for k, v in match.items()}
        deadline = time.monotonic() + timeout
        while True:
            for frame in self.events[start:]:
                ev = frame.event
                if ev.get("Event-Name") == name and all(ev.get(k) == v for k, v in wanted.items()):
                    return ev
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                names = [f.event.get("Event-Name") for f in self.events[start:]]
                raise AssertionError(f"no {name} {wanted} within {timeout}s; got {names}")
            self._changed.clear()
            self._changed.wait(min(remaining, 0.05))

    def names(self, uuid: str | None = None) -> list[str]:
        return [f.event["Event-Name"] for f in self.events
                if uuid is None or f.event.get("Unique-ID") == uuid]

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
        self._reader.kill(block=False)


def no_reply(client: EslClient, timeout: float) -> bool:
    try:
        client.replies.get(timeout=timeout)
    except Empty:
        return True
    return False


@pytest.fixture
def dialplan_dir(tmp_path):
    path = tmp_path / "dialplans"
    path.mkdir()
    (path / "hotline.xml").write_text("""<include>
  <extension name="hotline">
    <condition field="destination_number" expression="^(10000)$">
      <action application="set" data="cc_hotline=$1"/>
      <action application="export" data="cc_entry=hotline"/>
      <action application="answer"/>
      <action application="park"/>
    </condition>
  </extension>
  <extension name="billing">
    <condition field="destination_number" expression="^10001$">
      <action application="set" data="cc_hotline=10001"/>
      <action application="set" data="cc_entry=hotline"/>
      <action application="set" data="cc_service_line=billing"/>
      <action application="answer"/>
      <action application="park"/>
    </condition>
  </extension>
</include>
""")
    return str(path)


@pytest.fixture
def sim(dialplan_dir):
    simulator = Simulator(PASSWORD, speed=20.0, fast_media=True, dialplan_dir=dialplan_dir)
    simulator.start()
    yield simulator
    simulator.close()


@pytest.fixture
def client(sim):
    c = EslClient(sim.port)
    reply = c.command("event plain ALL")
    assert reply.headers["Reply-Text"] == "+OK event listener enabled plain"
    yield c
    c.close()


TRACES = Path(__file__).resolve().parent.parent.parent / "shared" / "esl-traces"


def load_trace(name: str) -> list[tuple[str, bytes]]:
    """Blocks of a transcript: ('SEND' | 'RECV', raw bytes)."""
    path = TRACES / name
    if not path.is_file():
        pytest.skip(f"transcript {path} not available")
    data = path.read_bytes()
    blocks = re.split(rb"^### (SEND|RECV) \+[\d.]+s\n", data, flags=re.M)
    return [(blocks[i].decode(), blocks[i + 1]) for i in range(1, len(blocks), 2)]


def trace_frames(blocks: list[tuple[str, bytes]]) -> list[tuple[str, Frame | str]]:
    """('SEND', command text) and ('RECV', Frame) in transcript order."""
    out: list[tuple[str, Frame | str]] = []
    for kind, raw in blocks:
        if kind == "SEND":
            out.append(("SEND", raw.decode().strip("\n")))
            continue
        head, _, body = raw.partition(b"\n\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\n") if line)
        frame = Frame(headers, body, raw)
        if frame.content_type == "text/event-plain":
            frame.event, frame.event_body = parse_event_body(frame.body, strict=False)
        out.append(("RECV", frame))
    return out
