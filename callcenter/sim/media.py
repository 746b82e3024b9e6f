"""Media stand-ins: how long a prompt lasts, and real WAV files for recordings.

No audio is mixed: a recording holds a quiet tone per speaker (left = the
recorded channel, right = its peer), silence where masked. That is enough for
a player, a duration check and a channel-count check.
"""
from __future__ import annotations

import math
import os
import re
import struct
import wave
from pathlib import Path

ENDLESS = math.inf
RATE = 8000


def is_endless(path: str) -> bool:
    """Music on hold: tone streams and local_stream:// play until broken."""
    return path.startswith(("tone_stream://", "local_stream://"))


def prompt_seconds(path: str, default: float) -> float:
    """Duration of one playback argument in (simulated) seconds."""
    path = path.strip()
    if is_endless(path):
        return ENDLESS
    m = re.match(r"silence_stream://(-?\d+)", path)
    if m:
        ms = int(m.group(1))
        return ENDLESS if ms < 0 else ms / 1000.0
    if path.startswith("file_string://"):
        return sum(prompt_seconds(p, default) for p in path[len("file_string://"):].split("!"))
    if path.startswith("say:"):
        return default
    file = Path(path)
    if file.suffix.lower() == ".wav" and file.is_file():
        try:
            with wave.open(str(file), "rb") as w:
                return w.getnframes() / float(w.getframerate() or RATE)
        except (wave.Error, EOFError, OSError):
            return default
    return default


def _tone(seconds: float, freq: float, amplitude: int = 1200) -> bytes:
    n = max(0, int(seconds * RATE))
    period = [int(amplitude * math.sin(2 * math.pi * freq * i / RATE)) for i in range(RATE)]
    one_second = struct.pack("<%dh" % RATE, *period)
    full, part = divmod(n, RATE)
    return one_second * full + one_second[: part * 2]


def write_wav(path: str, seconds: float, channels: int = 1,
              masked: list[tuple[float, float]] | None = None) -> int:
    """Write a 16-bit 8 kHz WAV of `seconds`; returns the byte size."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    mono = bytearray(_tone(seconds, 440.0))
    other = bytearray(_tone(seconds, 660.0))
    for start, end in masked or []:
        a, b = int(start * RATE) * 2, int(end * RATE) * 2
        mono[a:b] = bytes(len(mono[a:b]))
        other[a:b] = bytes(len(other[a:b]))
    if channels == 2:
        frames = bytearray(len(mono) * 2)
        frames[0::4] = mono[0::2]
        frames[1::4] = mono[1::2]
        frames[2::4] = other[0::2]
        frames[3::4] = other[1::2]
    else:
        frames = mono
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    return os.path.getsize(path)
