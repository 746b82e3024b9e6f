"""The IVR's CallControl on a live FreeSWITCH channel: one application each.

The interpreter (callcenter.ivr) stays switch-agnostic; this adapter knows
which FreeSWITCH application, say type and media URL does each job.
"""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timezone
from typing import Callable, Sequence

from callcenter.esl.commands import Switch
from callcenter.esl.errors import CallHungUp, SwitchError
from callcenter.esl.results import Collected
from callcenter.ivr.control import (CallControlError, CallerHungUp, CollectResult, PromptAudio,
                                    RecordingResult)

log = logging.getLogger(__name__)

MUSIC_ON_HOLD = "local_stream://moh"
SILENCE = "silence_stream://250"
PROMPT_ALLOWANCE = 60.0  # seconds a collect's prompt may take, in its execute timeout
TERMINATORS_VARIABLE = "playback_terminators"
ANY_KEY = "0123456789*#"
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
    def __init__(self, switch: Switch, uuid: str,
                 on_masked: Callable[[bool], None] | None = None) -> None:
        self.switch = switch
        self.uuid = uuid
        self.whole_call_recording: str | None = None  # the file, once record_whole_call ran
        self.on_masked = on_masked  # told True / False when the recording is masked / unmasked

    def record_whole_call(self, path: str) -> None:
        """Record the rest of the call, whoever joins it (issue 13: sensitive flows)."""
        if self.whole_call_recording is None:
            self._run(self.switch.record_start, self.uuid, path)
            self.whole_call_recording = path

    def _mask(self, masked: bool) -> None:
        """Silence the recording while a secret is keyed (the tones would give it away)."""
        path = self.whole_call_recording
        if path is None:
            return
        try:
            (self.switch.record_mask if masked else self.switch.record_unmask)(self.uuid, path)
        except SwitchError as error:
            log.warning("[%s] could not %s the recording: %s", self.uuid,
                        "mask" if masked else "unmask", error)
            return
        if self.on_masked is not None:
            self.on_masked(masked)

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
        """One play_and_get_digits per try (see _attempt). The invalid prompt is heard only
        before another try, as the start of that try's prompt (file_string://), so a key
        pressed during it counts; FreeSWITCH's own bad-input file would also be played
        after the last try ("please enter it again", then the caller is sent elsewhere)."""
        regex = pattern or r"\d+"
        last_invalid = ""
        if secret:
            self._mask(True)
        try:
            for attempt in range(1, tries + 1):
                again = invalid_prompt if attempt > 1 else None
                path = f"file_string://{again.path}!{prompt.path}" if again else prompt.path
                result = self._attempt(path, min_digits, max_digits, timeout, terminators,
                                       regex, digit_timeout, secret)
                if result.digits is not None:
                    return result
                last_invalid = result.invalid
            return CollectResult(None, last_invalid)
        finally:
            if secret:
                self._forget_secret()
                self._mask(False)

    def _attempt(self, path: str, min_digits: int, max_digits: int, timeout: float,
                 terminators: str, regex: str, digit_timeout: float | None,
                 secret: bool) -> CollectResult:
        """One try. With terminators, FreeSWITCH may read one key more than max_digits: it
        stops reading at max_digits, so the '#' the caller is asked to press after the
        last digit would stay queued and become the next menu's (wrong) choice."""
        keys = max_digits + 1 if terminators else max_digits
        between = digit_timeout or timeout
        result = self._run(
            self.switch.collect, self.uuid, path, min_digits=min_digits, max_digits=keys, tries=1,
            timeout_ms=int(timeout * 1000), terminators=terminators or "none",
            invalid_prompt=SILENCE, variable=SECRET_VARIABLE if secret else DIGITS_VARIABLE,
            regex=regex, digit_timeout_ms=int(digit_timeout * 1000) if digit_timeout else None,
            timeout=PROMPT_ALLOWANCE + timeout + keys * between)  # a slow typist still fits
        return self._judge(result, min_digits, max_digits, regex, secret)

    def _forget_secret(self) -> None:
        """Do not leave a password in the channel's variables (CDRs, uuid_dump): FreeSWITCH
        keeps the digits in <var> and, after a regex mismatch, in <var>_invalid."""
        for name in (SECRET_VARIABLE, SECRET_VARIABLE + "_invalid"):
            self._restore(name, "")

    @staticmethod
    def _judge(result: Collected, min_digits: int, max_digits: int, regex: str,
               secret: bool) -> CollectResult:
        """play_and_get_digits leaves <var> set when the input was too short
        (switch_ivr_read stores whatever was read; only a regex mismatch clears it), so
        the digits count only when they fit the limits and the pattern again."""
        digits = result.digits
        if digits and min_digits <= len(digits) <= max_digits and re.search(regex, digits):
            return CollectResult(digits)
        if secret or result.result == "timeout":  # the last try heard nothing (or: secret)
            return CollectResult(None, "")
        return CollectResult(None, result.invalid or digits)

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
        """FreeSWITCH's record stops on a key only if it is in playback_terminators (unset:
        '*' alone), and the prompts ask for '#': any key ends the recording here, then
        the channel's own setting comes back."""
        before = self._run(self.switch.get_variable, self.uuid, TERMINATORS_VARIABLE)
        self._run(self.switch.set_variable, self.uuid, TERMINATORS_VARIABLE, ANY_KEY)
        try:
            done = self._run(self.switch.record, self.uuid, path, max_seconds=max_seconds,
                             silence_seconds=silence_seconds)
        finally:
            self._restore(TERMINATORS_VARIABLE, before or "")
        milliseconds = done.variable("record_ms") or "0"
        return RecordingResult(path, int(milliseconds) if milliseconds.isdigit() else 0)

    def _restore(self, name: str, value: str) -> None:
        try:
            self.switch.set_variable(self.uuid, name, value)
        except CallHungUp:
            pass
        except SwitchError as error:
            log.warning("[%s] could not restore %s: %s", self.uuid, name, error)

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        try:
            self.switch.hangup(self.uuid, cause)
        except CallHungUp:
            pass
        except SwitchError as error:
            raise CallControlError(str(error)) from error
