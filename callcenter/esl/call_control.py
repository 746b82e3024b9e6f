"""The IVR's CallControl on a live FreeSWITCH channel: one application each.

The interpreter (callcenter.ivr) stays switch-agnostic; this adapter knows
which FreeSWITCH application, say type and media URL does each job.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timezone
from typing import Sequence

from callcenter.esl.commands import Switch
from callcenter.esl.errors import CallHungUp, SwitchError
from callcenter.ivr.control import (CallControlError, CallerHungUp, CollectResult, PromptAudio,
                                    RecordingResult)

log = logging.getLogger(__name__)

MUSIC_ON_HOLD = "local_stream://moh"
SILENCE = "silence_stream://250"
DIGITS_VARIABLE = "cc_digits"
SECRET_VARIABLE = "cc_secret_digits"
# kind -> (say type, say method) of mod_say
SAY_TYPES = {
    "number": ("number", "pronounced"),
    "money": ("currency", "pronounced"),
    "date": ("current_date", "pronounced"),
    "digits": ("number", "iterated"),
}


class SwitchCallControl:
    def __init__(self, switch: Switch, uuid: str) -> None:
        self.switch = switch
        self.uuid = uuid

    def _run(self, action, *args, **kwargs):
        try:
            return action(*args, **kwargs)
        except CallHungUp as error:
            raise CallerHungUp(str(error)) from None
        except SwitchError as error:
            raise CallControlError(str(error)) from error

    def play(self, prompts: Sequence[PromptAudio], interruptible: bool = True) -> None:
        for prompt in prompts:
            self._run(self.switch.playback, self.uuid, prompt.path)

    def collect(self, prompt: PromptAudio, *, min_digits: int, max_digits: int, tries: int,
                timeout: float, terminators: str, pattern: str,
                invalid_prompt: PromptAudio | None, digit_timeout: float | None = None,
                secret: bool = False) -> CollectResult:
        variable = SECRET_VARIABLE if secret else DIGITS_VARIABLE
        result = self._run(
            self.switch.collect, self.uuid, prompt.path, min_digits=min_digits,
            max_digits=max_digits, tries=tries, timeout_ms=int(timeout * 1000),
            terminators=terminators or "none",
            invalid_prompt=invalid_prompt.path if invalid_prompt else SILENCE,
            variable=variable, regex=pattern or r"\d+",
            digit_timeout_ms=int(digit_timeout * 1000) if digit_timeout else None,
            timeout=tries * (timeout + 30))
        if secret:  # do not leave a password in the channel's variables (CDRs, uuid_dump)
            self._run(self.switch.set_variable, self.uuid, SECRET_VARIABLE, "")
        if result.digits:
            return CollectResult(result.digits)
        return CollectResult(None, "" if secret else result.invalid)

    def say(self, kind: str, value: str, language: str) -> None:
        if kind not in SAY_TYPES:
            raise CallControlError(f"cannot say a '{kind}' (known: {', '.join(SAY_TYPES)})")
        say_type, method = SAY_TYPES[kind]
        if kind == "date":
            day = date.fromisoformat(value)
            value = str(int(datetime.combine(day, time(12), timezone.utc).timestamp()))
        self._run(self.switch.say, self.uuid, value, language=language, kind=say_type,
                  method=method)

    def start_hold_music(self) -> None:
        self._run(self.switch.broadcast, self.uuid, MUSIC_ON_HOLD)

    def stop_hold_music(self) -> None:
        self._run(self.switch.break_media, self.uuid, True)

    def record(self, path: str, max_seconds: int, silence_seconds: int) -> RecordingResult:
        done = self._run(self.switch.record, self.uuid, path, max_seconds=max_seconds,
                         silence_seconds=silence_seconds)
        milliseconds = done.variable("record_ms") or "0"
        return RecordingResult(path, int(milliseconds) if milliseconds.isdigit() else 0)

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        try:
            self.switch.hangup(self.uuid, cause)
        except CallHungUp:
            pass
        except SwitchError as error:
            raise CallControlError(str(error)) from error
