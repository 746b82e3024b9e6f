"""CallControl: everything the IVR interpreter asks of a live call.

Switch-agnostic on purpose. The ESL implementation maps each method to one
FreeSWITCH application (playback, play_and_get_digits, say, record,
hangup); ``ivr try`` and the tests use ``callcenter.ivr.scripted``.
Every method may raise ``CallerHungUp`` when the caller is gone.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable


class CallerHungUp(Exception):
    """The caller hung up; the interpreter records where and stops."""


class CallControlError(Exception):
    """The switch could not do what was asked (timeout, lost connection)."""


@dataclass(frozen=True)
class PromptAudio:
    """A prompt resolved for one language: the file to play and its text."""

    id: str
    language: str
    text: str
    path: str  # <prompts_dir>/recorded/<lang>/<id>.wav if recorded, else <prompts_dir>/<lang>/<id>.wav


@dataclass(frozen=True)
class CollectResult:
    """``digits`` when the input was valid (terminator removed); otherwise None
    and ``invalid`` holds the last wrong input ('' when nothing was pressed)."""

    digits: str | None
    invalid: str = ""

    @property
    def timed_out(self) -> bool:
        return self.digits is None and self.invalid == ""


@dataclass(frozen=True)
class RecordingResult:
    path: str
    duration_ms: int


@runtime_checkable
class CallControl(Protocol):
    def play(self, prompts: Sequence[PromptAudio], interruptible: bool = True) -> None:
        """Play the prompts in order (a key press stops them when interruptible)."""

    def collect(self, prompt: PromptAudio, *, min_digits: int, max_digits: int, tries: int,
                timeout: float, terminators: str, pattern: str,
                invalid_prompt: PromptAudio | None, digit_timeout: float | None = None,
                secret: bool = False) -> CollectResult:
        """FreeSWITCH play_and_get_digits semantics: play ``prompt``, wait up to
        ``timeout`` seconds for ``min_digits``..``max_digits`` digits ended by one of
        ``terminators`` (or by reaching max_digits); input matching the regular
        expression ``pattern`` is valid. Up to ``tries`` attempts; after a wrong or
        missing input ``invalid_prompt`` (if any) is played before the next try.
        ``secret``: the digits are a password: never log them (nor the channel variable)."""

    def say(self, kind: str, value: str, language: str) -> None:
        """kind: number | money | date | digits. value: '42'; money as yuan with two
        decimals '123.45'; date as ISO 'YYYY-MM-DD'; digits '2611210007'.
        language: 'zh' or 'en' (FreeSWITCH say module)."""

    def start_hold_music(self) -> None: ...

    def stop_hold_music(self) -> None: ...

    def record(self, path: str, max_seconds: int, silence_seconds: int) -> RecordingResult:
        """Record the caller into ``path`` (a WAV file) until silence, a key or max_seconds."""

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None: ...
