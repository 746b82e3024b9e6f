"""ESL wire framing, as FreeSWITCH's mod_event_socket writes it.

Pure functions: bytes in, bytes out. The shapes follow the transcripts in
shared/esl-traces/ (header order, URL-encoded values in plain events,
Content-Length framing, the second body of BACKGROUND_JOB).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote

# FreeSWITCH URL-encodes event header values with switch_url_encode, which
# leaves these characters alone (see "sip:mod_sofia@..." -> "sip%3Amod_sofia%40",
# "silence_stream://500" -> "silence_stream%3A//500" in the traces).
_SAFE = "/-_.!~*'(),"

GOODBYE = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9/\-_.!~*'(),]")


@lru_cache(maxsize=65536)
def url_encode(value: str) -> str:
    """Header values repeat a lot (codec names, channel names, states):
    cached, and returned as they are when nothing needs quoting."""
    if not _NEEDS_QUOTING.search(value):
        return value
    return quote(value, safe=_SAFE)


def command_reply(reply_text: str, extra: list[tuple[str, str]] | None = None) -> bytes:
    lines = ["Content-Type: command/reply", f"Reply-Text: {reply_text}"]
    for key, value in extra or []:
        lines.append(f"{key}: {value}")
    return ("\n".join(lines) + "\n\n").encode()


def api_response(body: str) -> bytes:
    data = body.encode()
    return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(data) + data


def auth_request() -> bytes:
    return b"Content-Type: auth/request\n\n"


def disconnect_notice(linger: dict[str, str] | None = None) -> bytes:
    """`exit` gets the goodbye text; the linger notice (outbound sockets) has
    Content-Length: 0 and names the controlled session."""
    if linger is None:
        return (b"Content-Type: text/disconnect-notice\nContent-Length: %d\n\n" % len(GOODBYE)) + GOODBYE
    head = ["Content-Type: text/disconnect-notice"]
    head += [f"{k}: {v}" for k, v in linger.items()]
    head.append("Content-Length: 0")
    return ("\n".join(head) + "\n\n").encode()


def plain_event(headers: list[tuple[str, str]], body: str | None = None) -> bytes:
    """A text/event-plain frame. Values are URL-encoded; an event with a body
    (BACKGROUND_JOB, API results) carries its own Content-Length header last,
    followed by a blank line and the body, all inside the outer length."""
    lines = [f"{name}: {url_encode(str(value))}" for name, value in headers]
    if body is not None:
        payload = body.encode()
        text = "\n".join(lines) + f"\nContent-Length: {len(payload)}\n\n"
        inner = text.encode() + payload
    else:
        inner = ("\n".join(lines) + "\n\n").encode()
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(inner) + inner


@dataclass
class Command:
    """One command a client sent: the first line, the header lines after it
    (sendmsg), and an optional body announced by Content-Length."""
    line: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    @property
    def verb(self) -> str:
        return self.line.split(" ", 1)[0].lower() if self.line else ""

    @property
    def rest(self) -> str:
        parts = self.line.split(" ", 1)
        return parts[1].strip() if len(parts) > 1 else ""


def read_command(rfile) -> Command | None:
    """Read one command from a binary file object: lines up to a blank line,
    then Content-Length bytes if announced. None at end of stream."""
    lines: list[str] = []
    while True:
        raw = rfile.readline()
        if not raw:
            return None
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line:
            if lines:
                break
            continue  # FreeSWITCH skips blank lines between commands
        lines.append(line)
    command = Command(lines[0].strip())
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            command.headers[key.strip().lower()] = value.strip()
    length = command.headers.get("content-length")
    if length and length.isdigit() and int(length) > 0:
        command.body = rfile.read(int(length)).decode("utf-8", errors="replace")
    return command


# Malformed frames for fault injection (what a broken peer could send).
def _framed(body: bytes, extra_head: bytes = b"") -> bytes:
    return b"Content-Length: %d\nContent-Type: text/event-plain\n" % len(body) + extra_head + b"\n" + body


FAULTS: dict[str, bytes] = {
    "bad_content_length": b"Content-Length: abc\nContent-Type: text/event-plain\n\nEvent-Name: HEARTBEAT\n\n",
    "missing_content_length": b"Content-Type: text/event-plain\n\nEvent-Name: HEARTBEAT\n\n",
    # announces 500 bytes, sends 22 and nothing more
    "truncated_body": b"Content-Length: 500\nContent-Type: text/event-plain\n\nEvent-Name: HEARTBEAT\n",
    "non_utf8": _framed(b"Event-Name: HEARTBEAT\nBad-Bytes: \xff\xfe\xfd\n\n"),
    "header_without_colon": _framed(b"Event-Name: HEARTBEAT\nNoColonHere\n\n", b"BROKENHEADER\n"),
}
