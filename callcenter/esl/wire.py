"""One Event Socket connection: greenswitch's InboundESL with its unsafe parts replaced.

greenswitch 0.0.19 (see /work/shared/docs/style.md, "greenswitch traps") cannot
be used as it is by an engine that must survive a switch restart:
- `send()` waits forever for a reply; a dropped socket or a silent switch blocks
  the caller for good. Here every command runs under gevent.Timeout, and a reply
  that does not come in time closes the connection, because replies are matched
  to commands by order only and a late reply would answer the next command.
- `receive_events()` ends silently on EOF (no DISCONNECT handler runs, pending
  commands hang), dies on a non-UTF-8 byte or a bad Content-Length, and
  `_read_socket()` spins forever when the socket closes mid-body. It is replaced
  by a reader over callcenter.esl.parse.FrameReader that never raises on bad
  input and, on EOF or error, fails every pending command at once with
  SwitchDisconnected and reports the loss.
- `ESLEvent.parse_data()` URL-decodes the whole body before splitting it and
  glues a BACKGROUND_JOB result onto its Content-Length value; events are parsed
  here lazily by callcenter.esl.events instead, in the reader greenlet, without
  greenswitch's second queue and greenlet.
What is kept: the InboundESL object, its attributes and its `authenticate()`.
"""
from __future__ import annotations

import logging
from collections import deque
from typing import Callable

import gevent
import gevent.lock
import gevent.socket
from gevent.event import AsyncResult
from greenswitch.esl import InboundESL

from callcenter.esl.errors import (AuthenticationFailed, CommandTimeout, SwitchDisconnected,
                                   SwitchError)
from callcenter.esl.parse import Frame, FrameReader

log = logging.getLogger(__name__)
REPLY_TYPES = ("command/reply", "api/response")


class Reply:
    """A command/reply or api/response; `.headers` and `.data` as greenswitch has them."""

    __slots__ = ("headers", "data")

    def __init__(self, frame: Frame) -> None:
        self.headers = frame.headers
        if frame.content_type == "api/response":
            self.data = frame.body.decode("utf-8", "replace")
        else:
            self.data = frame.headers.get("Reply-Text", "")

    @property
    def text(self) -> str:
        return self.data.strip()

    @property
    def ok(self) -> bool:
        return not self.text.startswith("-ERR")


class Posted:
    """A command sent without waiting for its reply: `on_reply` gets the Reply, or the
    SwitchDisconnected that ended the wait, in the reader greenlet (it must not block)."""

    __slots__ = ("on_reply", "answered")

    def __init__(self, on_reply: Callable[["Reply | SwitchError"], None]) -> None:
        self.on_reply = on_reply
        self.answered = False

    def set(self, reply: "Reply | SwitchError") -> None:
        self.answered = True
        try:
            self.on_reply(reply)
        except Exception:  # a bad handler must never stop the reader
            log.exception("reply handler failed")

    set_exception = set


class HardenedInboundESL(InboundESL):
    def __init__(self, host: str, port: int, password: str, *, timeout: float,
                 on_event_frame: Callable[[Frame], None], on_lost: Callable[[str], None]) -> None:
        super().__init__(host, port, password, timeout=timeout)
        self._frames = FrameReader()
        self._send_lock = gevent.lock.Semaphore()
        self._on_event_frame = on_event_frame
        self._on_lost = on_lost
        self._lost = False
        self._commands_sent: deque = deque()  # AsyncResult or Posted, in the order sent
        self.sock = None

    # -- lifecycle -----------------------------------------------------------------
    def connect(self) -> None:
        try:
            self.sock = gevent.socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as error:
            raise SwitchDisconnected(f"cannot reach {self.host}:{self.port}: {error}") from error
        self.sock.settimeout(None)
        self.connected = True
        self.start_event_handlers()
        if not self._auth_request_event.wait(self.timeout) or not self.connected:
            self.close("no auth/request from the switch")
            raise SwitchDisconnected(f"{self.host}:{self.port} sent no auth/request within "
                                     f"{self.timeout:g} s (or rejected us)")
        try:
            self.authenticate()
        except ValueError as error:
            self.close("authentication refused")
            raise AuthenticationFailed(f"{self.host}:{self.port} refused the ESL password") from error

    def start_event_handlers(self) -> None:
        self._receive_events_greenlet = gevent.spawn(self.receive_events)

    def stop(self) -> None:
        if self.connected and not self._lost:
            try:
                self.send("exit", timeout=1.0)
            except SwitchError:
                pass
        self.close("stopped")

    def close(self, reason: str) -> None:
        """Tear down: fail every pending command, close the socket, report the loss once."""
        if self._lost:
            return
        self._lost = True
        self.connected = False
        self._run = False
        self._auth_request_event.set()
        pending, self._commands_sent = self._commands_sent, deque()
        for result in pending:
            result.set_exception(SwitchDisconnected(f"connection lost: {reason}"))
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self._on_lost(reason)

    # -- reading ---------------------------------------------------------------------
    def receive_events(self) -> None:
        reason = "switch closed the connection"
        try:
            while not self._lost:
                data = self.sock.recv(65536)
                if not data:
                    break
                self._frames.feed(data)
                for frame in self._frames.frames():
                    self.handle_frame(frame)
        except OSError as error:
            reason = f"socket error: {error}"
        finally:
            self.close(reason)

    def handle_frame(self, frame: Frame) -> None:
        if frame.problems:
            log.warning("malformed frame from %s:%s (%s): %s", self.host, self.port,
                        frame.content_type or "no Content-Type", "; ".join(frame.problems))
        kind = frame.content_type
        if kind == "text/event-plain":
            try:
                self._on_event_frame(frame)
            except Exception:  # a bad event must never stop the reader
                log.exception("event handler failed on a frame; event dropped")
        elif kind in REPLY_TYPES:
            if not self._commands_sent:
                log.warning("reply with no command waiting, dropped: %r", frame.headers)
                return
            self._commands_sent.popleft().set(Reply(frame))
        elif kind == "auth/request":
            self._auth_request_event.set()
        elif kind == "text/rude-rejection":
            self.connected = False
            self._auth_request_event.set()
        elif kind == "text/disconnect-notice":
            log.info("switch sent a disconnect notice: %s", frame.body[:200])
        else:
            log.debug("frame of type %r ignored", kind)

    # -- writing ---------------------------------------------------------------------
    def post(self, data: str, on_reply: Callable[["Reply | SwitchError"], None]) -> Posted:
        """Send `data` and return at once; its reply goes to `on_reply`. The caller bounds
        its own wait (for a BACKGROUND_JOB, an application's completion) and, if that wait
        runs out with `answered` still False, closes the connection as send() would."""
        if self._lost or not self.connected:
            raise SwitchDisconnected("not connected to the switch")
        _check_text(data)
        posted = Posted(on_reply)
        try:
            with self._send_lock:
                self._commands_sent.append(posted)
                self.sock.sendall((data + "\n\n").encode("utf-8"))
        except OSError as error:
            self.close(f"send failed: {error}")
            raise SwitchDisconnected(f"send failed: {error}") from error
        return posted

    def send(self, data: str, timeout: float | None = None) -> Reply:
        if self._lost or not self.connected:
            raise SwitchDisconnected("not connected to the switch")
        _check_text(data)
        seconds = self.timeout if timeout is None else timeout
        result: AsyncResult = AsyncResult()
        timer = gevent.Timeout(seconds)
        committed = False
        timer.start()
        try:
            with self._send_lock:
                self._commands_sent.append(result)
                committed = True
                self.sock.sendall((data + "\n\n").encode("utf-8"))
            return result.get()
        except gevent.Timeout as fired:
            if fired is not timer:
                raise
            name = data.split("\n", 1)[0][:80]
            if committed:  # the reply stream can no longer be matched by order
                self.close(f"no reply to {name!r} within {seconds:g} s")
            raise CommandTimeout(name, seconds) from None
        except OSError as error:
            self.close(f"send failed: {error}")
            raise SwitchDisconnected(f"send failed: {error}") from error
        finally:
            timer.close()


def _check_text(data: str) -> None:
    if "\r" in data or "\0" in data or "\n\n" in data:
        raise ValueError("ESL command text with CR, NUL or a blank line")
