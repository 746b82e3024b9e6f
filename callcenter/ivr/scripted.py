"""A CallControl without a switch: for `callcenter ivr try` and the tests.

The caller is a script of whitespace-separated steps::

    1            press 1
    123456#      press 1 2 3 4 5 6 #
    wait:5       press nothing for 5 seconds (time is simulated: no real sleeping)
    talk:20      speak for 20 seconds (while recording)
    hangup       hang up

When the script runs out the caller hangs up. What the caller would hear is
written to ``out`` as text and kept in ``heard`` for tests.
"""
from __future__ import annotations

import re
import wave
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Sequence

from callcenter.ivr.control import (CallerHungUp, CollectResult, PromptAudio, RecordingResult)

STEP = re.compile(r"^(?:[0-9*#]+|wait:\d+(?:\.\d+)?|talk:\d+(?:\.\d+)?|hangup)$")


class ScriptError(ValueError):
    pass


def parse_script(text: str) -> list[str]:
    steps = text.split()
    bad = [s for s in steps if not STEP.match(s)]
    if bad:
        raise ScriptError(f"not a caller step: {', '.join(bad)} (steps: digits such as 1 or "
                          "123456#, wait:SECONDS, talk:SECONDS, hangup)")
    return steps


class ScriptSource:
    def __init__(self, steps: Sequence[str]):
        self.steps = list(steps)

    def next(self, timeout: float) -> str | None:
        return self.steps.pop(0) if self.steps else None


class TerminalSource:
    """Reads key presses from a terminal: an empty line is silence until the timeout."""

    def __init__(self, read: Callable[[str], str] = input):
        self.read = read

    def next(self, timeout: float) -> str | None:
        try:
            line = self.read(f"  keys (Enter = wait {timeout:g} s, h = hang up)> ").strip()
        except EOFError:
            return None
        if line in ("h", "hangup"):
            return "hangup"
        if not line:
            return f"wait:{timeout:g}"
        return line if STEP.match(line) else f"wait:{timeout:g}"


@dataclass
class Heard:
    kind: str  # play | say | hold | record | hangup | invalid
    detail: str


class ScriptedControl:
    """CallControl driven by a ScriptSource or TerminalSource, on simulated time."""

    def __init__(self, source: ScriptSource | TerminalSource,
                 out: Callable[[str], None] = lambda line: None,
                 start: datetime | None = None):
        self.source, self.out = source, out
        self.time = start or datetime.now(timezone.utc)
        self.heard: list[Heard] = []
        self.hung_up = False

    def now(self) -> datetime:
        return self.time

    def _hear(self, kind: str, detail: str, line: str) -> None:
        self.heard.append(Heard(kind, detail))
        self.out(line)

    def _next(self, timeout: float) -> str:
        if self.hung_up:
            raise CallerHungUp()
        step = self.source.next(timeout)
        if step is None or step == "hangup":
            self.hung_up = True
            self.out("  (caller hangs up)")
            raise CallerHungUp()
        return step

    def prompt_ids(self) -> list[str]:
        return [h.detail for h in self.heard if h.kind == "play"]

    # --- CallControl ----------------------------------------------------

    def play(self, prompts: Sequence[PromptAudio], interruptible: bool = True) -> None:
        for prompt in prompts:
            self._hear("play", prompt.id, f"  [{prompt.id}] {prompt.text}")

    def collect(self, prompt: PromptAudio, *, min_digits: int, max_digits: int, tries: int,
                timeout: float, terminators: str, pattern: str,
                invalid_prompt: PromptAudio | None, digit_timeout: float | None = None,
                secret: bool = False) -> CollectResult:
        last_invalid = ""
        for attempt in range(1, tries + 1):
            self.play([prompt])
            pressed = self._await_keys(timeout, secret)
            if pressed is not None:
                digits = pressed[:-1] if pressed and pressed[-1] in (terminators or "") else pressed
                if min_digits <= len(digits) <= max_digits and re.fullmatch(pattern, digits):
                    return CollectResult(digits)
                last_invalid = pressed
                self._hear("invalid", "*" * len(pressed) if secret else pressed, "  (not accepted)")
            else:
                last_invalid = ""
            if attempt < tries and invalid_prompt is not None:
                self.play([invalid_prompt])
        return CollectResult(None, last_invalid)

    def _await_keys(self, timeout: float, secret: bool = False) -> str | None:
        """Keys pressed before the timeout, or None when the caller stayed silent."""
        waited = 0.0
        while True:
            step = self._next(timeout - waited)
            if step.startswith(("wait:", "talk:")):
                seconds = float(step.split(":", 1)[1])
                if waited + seconds >= timeout:
                    self.time += timedelta(seconds=timeout - waited)
                    self.out(f"  (silence: {timeout:g} s timeout)")
                    return None
                waited += seconds
                self.time += timedelta(seconds=seconds)
                continue
            self.time += timedelta(seconds=len(step) * 0.3)
            self.out(f"  caller presses {'*' * len(step) if secret else step}")
            return step

    def say(self, kind: str, value: str, language: str) -> None:
        self._hear("say", f"{kind}:{value}", f"  <say {kind} {value} ({language})>")

    def start_hold_music(self) -> None:
        self._hear("hold", "start", "  (music on hold)")

    def stop_hold_music(self) -> None:
        self.heard.append(Heard("hold", "stop"))

    def record(self, path: str, max_seconds: int, silence_seconds: int) -> RecordingResult:
        step = self._next(max_seconds)
        seconds = float(step.split(":", 1)[1]) if step.startswith(("talk:", "wait:")) else 0.0
        seconds = min(seconds, max_seconds)
        write_silence(Path(path), seconds)
        self.time += timedelta(seconds=seconds + silence_seconds)
        self._hear("record", path, f"  (recording {seconds:g} s to {path})")
        return RecordingResult(path, int(seconds * 1000))

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        self.hung_up = True
        self._hear("hangup", cause, "  (the IVR hangs up)")


def write_silence(path: Path, seconds: float, rate: int = 8000) -> None:
    """A real 8 kHz mono 16-bit WAV of the given length (what a recording would leave)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"\x00\x00" * int(rate * seconds))
