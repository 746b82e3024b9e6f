"""Event Socket framing and lazy header access: pure code, no socket, no gevent.

A frame is a block of `Name: value` lines ended by a blank line, followed by
`Content-Length` bytes of body when that header is present. Plain events carry
a second header block (values URL-encoded) in that body; BACKGROUND_JOB and API
events carry a third part after the event's own Content-Length.

The reader never raises on bad input: a header line without a colon, a bad or
missing Content-Length or bytes that are not UTF-8 are noted in
`Frame.problems` and the reader carries on at the next blank line, so one bad
frame costs that frame only, never the connection.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

MAX_BODY = 16 * 1024 * 1024
MAX_HEADER_BLOCK = 256 * 1024
# The envelope of a next frame showing up inside an event body means the body was
# shorter than its Content-Length said (truncated by the sender).
_ENVELOPE_LINE = b"\nContent-Type: "
_ENVELOPE_TYPE = re.compile(rb"(?:command/reply|api/response|text/event-plain|"
                            rb"text/disconnect-notice|auth/request)\n")
_LENGTH_LINE = re.compile(rb"\nContent-Length: \d+$")
_BLANK_START = (10, 13)  # b"\n", b"\r"

@dataclass(frozen=True, slots=True)
class Frame:
    headers: dict[str, str]
    body: bytes = b""
    problems: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


@dataclass(slots=True)
class FrameReader:
    """Incremental framer: feed() bytes as they arrive, then drain frames()."""

    _buf: bytearray = field(default_factory=bytearray)
    _pending: tuple[dict[str, str], int, tuple[str, ...]] | None = None

    def feed(self, data: bytes) -> None:
        self._buf += data

    def frames(self):
        while True:
            frame = self._next()
            if frame is None:
                return
            yield frame

    def _next(self) -> Frame | None:
        if self._pending is None and not self._read_header_block():
            return None
        headers, length, problems = self._pending
        if headers.get("Content-Type") == "text/event-plain":
            cut = _next_envelope(self._buf, length)
            if cut is not None:
                length = cut
                problems += (f"truncated body: Content-Length said {headers['Content-Length']}, "
                             f"the next frame began after {length} bytes",)
        if len(self._buf) < length:
            return None
        body = bytes(self._buf[:length])
        del self._buf[:length]
        self._pending = None
        return Frame(headers, body, problems)

    def _read_header_block(self) -> bool:
        buf = self._buf
        while buf and buf[0] in _BLANK_START:  # stray blank lines between frames
            if buf[0] == 10:
                del buf[:1]
            elif buf[:2] == b"\r\n":
                del buf[:2]
            else:
                break
        end = buf.find(b"\n\n")
        if end < 0:
            if len(buf) > MAX_HEADER_BLOCK:  # garbage without a blank line: drop it
                del buf[:buf.rfind(b"\n") + 1 or len(buf)]
            return False
        block = bytes(buf[:end])
        del buf[:end + 2]
        headers, problems = parse_header_block(block)
        length = 0
        if "Content-Length" in headers:
            length, problem = _content_length(headers["Content-Length"])
            if problem:
                problems.append(problem)
        self._pending = (headers, length, tuple(problems))
        return True


def _next_envelope(buf: bytearray, length: int) -> int | None:
    """Offset where a next frame's envelope starts within the first `length` bytes."""
    at = buf.find(_ENVELOPE_LINE, 0, length)
    while at >= 0:
        if _ENVELOPE_TYPE.match(buf, at + len(_ENVELOPE_LINE)):
            before = _LENGTH_LINE.search(buf, max(0, at - 40), at)
            return (before.start() if before else at) + 1
        at = buf.find(_ENVELOPE_LINE, at + 1, length)
    return None


def _content_length(raw: str) -> tuple[int, str | None]:
    text = raw.strip()
    if not text.isdigit():
        return 0, f"bad Content-Length {raw!r}: body ignored"
    length = int(text)
    if length > MAX_BODY:
        return 0, f"Content-Length {length} above {MAX_BODY}: body ignored"
    return length, None


def parse_header_block(block: bytes) -> tuple[dict[str, str], list[str]]:
    """Parse envelope lines (not URL-encoded). Returns headers and the problems seen."""
    problems: list[str] = []
    text = _decode(block, problems)
    headers: dict[str, str] = {}
    for line in text.split("\n"):
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            problems.append(f"header line without a colon: {line[:80]!r}")
            continue
        headers[name.strip()] = value.strip()
    return headers, problems


def _decode(data: bytes, problems: list[str] | None = None) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if problems is not None:
            problems.append(f"bytes that are not UTF-8 at offset {error.start}: replaced")
        return data.decode("utf-8", "replace")


_LINE_KEYS: dict[str, tuple[str, str]] = {}  # header name -> ("\nName: ", "Name: ")


class EventHeaders:
    """The header block of a plain event, parsed only as far as it is read.

    `get(name)` finds `\\nName: ` in the raw text and URL-decodes that one value;
    an 8 KB channel event read for five headers costs five searches, not 150
    splits and unquotes. `all()` parses everything for the rare full reader.
    """

    __slots__ = ("_text", "_end", "_cache")

    def __init__(self, body: bytes) -> None:
        self._text = _decode(body)
        end = self._text.find("\n\n")
        self._end = len(self._text) if end < 0 else end + 1
        self._cache: dict[str, str | None] = {}

    @property
    def payload(self) -> str:
        """What follows the header block (a BACKGROUND_JOB result, API output)."""
        return self._text[self._end + 1:]

    def get(self, name: str, default: str | None = None) -> str | None:
        try:
            value = self._cache[name]
        except KeyError:
            value = self._cache[name] = self._find(name)
        return default if value is None else value

    def _find(self, name: str) -> str | None:
        text = self._text
        try:
            line_key, key = _LINE_KEYS[name]
        except KeyError:
            line_key, key = _LINE_KEYS.setdefault(name, ("\n" + name + ": ", name + ": "))
        if text.startswith(key):
            start = len(key)
        else:
            at = text.find(line_key, 0, self._end)
            if at < 0:
                return None
            start = at + len(line_key)
        raw = text[start:text.find("\n", start)]
        return unquote(raw) if "%" in raw else raw

    def variable(self, name: str) -> str | None:
        return self.get("variable_" + name)

    def body(self) -> str:
        """The part after the header block (BACKGROUND_JOB result, API output), cut to its
        own Content-Length when the event declares one."""
        length = self.get("Content-Length")
        if length and length.isdigit():
            return self.payload.encode("utf-8")[:int(length)].decode("utf-8", "replace")
        return self.payload

    def all(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for line in self._text[:self._end].split("\n"):
            name, sep, value = line.partition(": ")
            if sep:
                result.setdefault(name, unquote(value))
        return result
