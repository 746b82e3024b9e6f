"""Record an Event Socket session with a real FreeSWITCH as a transcript in the format
of ../shared/esl-traces/ (`### SEND +T` / `### RECV +T` blocks with the raw bytes).

    with TraceRecorder("127.0.0.1", port, password) as trace:
        trace.send("event plain CHANNEL_HOLD CHANNEL_UNHOLD")
        trace.send("api uuid_hold " + uuid)
        trace.wait_for(b"Event-Name: CHANNEL_HOLD", timeout=5)
    trace.write(path, rewrite={"/tmp/...": "/var/lib/freeswitch/"})

The password is written as `TraceCapture` (as in the shared transcripts), the host
name as `fs1`. Used by tests/test_realswitch_softphone.py, which writes
tests/traces/hold_trace.txt when CALLCENTER_CAPTURE_TRACES=1.
"""
from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path


class TraceRecorder:
    def __init__(self, host: str, port: int, password: str):
        self.host, self.port, self.password = host, port, password
        self.blocks: list[tuple[str, float, bytes]] = []
        self._lock = threading.Condition()
        self._sock: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._started = 0.0

    def __enter__(self) -> TraceRecorder:
        self._sock = socket.create_connection((self.host, self.port), timeout=5)
        self._started = time.monotonic()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for(b"auth/request", 5)
        self.send(f"auth {self.password}", shown="auth TraceCapture")
        self.wait_for(b"+OK accepted", 5)
        return self

    def __exit__(self, *exc) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
        if self._reader is not None:
            self._reader.join(2)

    def send(self, command: str, shown: str | None = None) -> None:
        with self._lock:
            self.blocks.append(("SEND", time.monotonic() - self._started, ((shown or command) + "\n\n").encode()))
        self._sock.sendall((command + "\n\n").encode())

    def wait_for(self, needle: bytes, timeout: float, after: int = 0) -> bytes:
        """The first received block (from block index ``after``) containing ``needle``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for direction, _, data in self.blocks[after:]:
                    if direction == "RECV" and needle in data:
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"nothing containing {needle!r} within {timeout} s")
                self._lock.wait(remaining)

    def mark(self) -> int:
        with self._lock:
            return len(self.blocks)

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self._sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while True:
                end = buffer.find(b"\n\n")
                if end < 0:
                    break
                head = buffer[:end + 2]
                length = re.search(rb"Content-Length: (\d+)", head)
                size = int(length.group(1)) if length else 0
                if len(buffer) < end + 2 + size:
                    break
                frame, buffer = buffer[:end + 2 + size], buffer[end + 2 + size:]
                with self._lock:
                    self.blocks.append(("RECV", time.monotonic() - self._started, frame))
                    self._lock.notify_all()

    def write(self, path: Path, rewrite: dict[str, str] | None = None) -> None:
        out = []
        for direction, at, data in self.blocks:
            text = data.decode("utf-8", errors="replace")
            for old, new in (rewrite or {}).items():
                text = text.replace(old, new)
            text = re.sub(r"(FreeSWITCH-Hostname|FreeSWITCH-Switchname): [^\n]+", r"\1: fs1", text)
            out.append(f"### {direction} +{at:.3f}s\n{text}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(out))
