"""Switch: the FreeSWITCH command vocabulary, one small method per command.

Everything above this module speaks in calls (`switch.bridge(a, b)`), never in
command strings. Every argument is validated or escaped by
callcenter.esl.dialstring before it reaches the wire; every call has a timeout.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Mapping

from gevent.pool import Pool

from callcenter.esl import dialstring as ds
from callcenter.esl.connection import SwitchConnection, new_uuid
from callcenter.esl.dialstring import DialString, Endpoint
from callcenter.esl.errors import CallHungUp, CommandFailed, InvalidArgument, OriginateFailed
from callcenter.esl.events import ApplicationCompleted
from callcenter.esl.results import (ChannelInfo, Collected, ControlledChannel, Registration,
                                    channel_info, failure_cause, parse_registrations)

log = logging.getLogger(__name__)

# Not a channel variable: channel_variables() adds the leg's answer time (microseconds since
# the epoch, the switch's clock; "0" when unanswered) under this name.
ANSWERED_US = "cc_answered_us"
CC_VARIABLES = ("cc_call_id", "cc_state", "cc_queue", "cc_priority", "cc_queued_at", "cc_caller", "cc_agent",
                "cc_leg", "cc_hotline", "cc_entry", "cc_service_line",
                # what a restarted engine needs to know of an agent leg the switch bridged
                "api_on_answer", "bridge_uuid", "signal_bond", ANSWERED_US)
EAVESDROP_MODES = {
    "listen": {},
    "whisper": {"eavesdrop_whisper_aleg": "true"},
    "barge": {"eavesdrop_bridge_aleg": "true", "eavesdrop_bridge_bleg": "true"},
}
_GONE = ("no such channel", "invalid session", "invalid uuid", "no such uuid")
_TERMINATORS = re.compile(r"none|[0-9*#]{1,12}")


CONTROLLED_READS = 16  # uuid_dump commands in flight at once during a resync


@dataclass(frozen=True)
class Dialled:
    uuid: str
    answered_at: float | None  # seconds since the epoch, the switch's clock (None: not told)


class Switch:
    def __init__(self, connection: SwitchConnection) -> None:
        self.connection = connection

    # -- calls -------------------------------------------------------------------------
    def originate(self, endpoint: Endpoint, *, variables: Mapping[str, object] | None = None,
                  caller_id_number: str | None = None, caller_id_name: str | None = None,
                  timeout: int = 30, application: tuple[str, str] | None = None,
                  uuid: str | None = None) -> str:
        """Dial `endpoint` through bgapi and wait for the outcome; returns the new leg's uuid
        (chosen here, so a retry with the same `uuid` cannot create a second call)."""
        return self.dial(endpoint, variables=variables, caller_id_number=caller_id_number,
                         caller_id_name=caller_id_name, timeout=timeout, application=application,
                         uuid=uuid).uuid

    def dial(self, endpoint: Endpoint, *, variables: Mapping[str, object] | None = None,
             caller_id_number: str | None = None, caller_id_name: str | None = None,
             timeout: int = 30, application: tuple[str, str] | None = None,
             uuid: str | None = None) -> "Dialled":
        """originate, telling also when the far end answered on the switch's clock."""
        leg = ds.uuid(uuid) if uuid else new_uuid()
        if not isinstance(timeout, int) or not 1 <= timeout <= 600:
            raise InvalidArgument("timeout", timeout, "whole seconds between 1 and 600")
        dial_vars: dict[str, object] = {"origination_uuid": leg, "originate_timeout": timeout}
        if caller_id_number is not None:
            dial_vars["origination_caller_id_number"] = ds.token(caller_id_number, "caller id number")
        if caller_id_name is not None:
            dial_vars["origination_caller_id_name"] = caller_id_name
        dial_vars.update(variables or {})
        then = ds.app_suffix(*application) if application else "&park()"
        command = f"originate {DialString(endpoint, dial_vars).render()} {then}"
        log.debug("[%s] originate %s", leg, endpoint.text)
        job = self.connection.bgapi(command, timeout + self.connection.api_timeout)
        if not job.ok:
            raise OriginateFailed(command, failure_cause(job.body))
        return Dialled(leg, job.timestamp)

    def eavesdrop(self, target_uuid: str, supervisor: Endpoint, mode: str = "listen", *,
                  caller_id_number: str | None = None, timeout: int = 30,
                  uuid: str | None = None) -> str:
        """Ring the supervisor's phone and, once answered, listen to / whisper into /
        barge into the target channel and its partner. Whisper speaks into the target
        channel only ("aleg" is the eavesdropped channel), so the target is the agent's
        leg: the agent hears the supervisor, the caller does not, and a recording on the
        caller's channel does not pretend they did. Returns the supervisor leg's uuid
        (``uuid`` if given, so the engine can cancel a leg still ringing)."""
        if mode not in EAVESDROP_MODES:
            raise InvalidArgument("eavesdrop mode", mode, f"one of {sorted(EAVESDROP_MODES)}")
        return self.originate(supervisor, variables=EAVESDROP_MODES[mode], timeout=timeout,
                              caller_id_number=caller_id_number, uuid=uuid,
                              application=("eavesdrop", ds.uuid(target_uuid)))

    def execute(self, uuid: str, app: str, arg: str = "",
                timeout: float | None = None) -> ApplicationCompleted:
        return self.connection.execute(uuid, app, arg, timeout)

    def answer(self, uuid: str) -> None:
        self.execute(uuid, "answer")

    def playback(self, uuid: str, path: str, timeout: float | None = None) -> None:
        self.execute(uuid, "playback", ds.word(path, "file"), timeout)

    def play_and_get_digits(self, uuid: str, prompt: str, **options) -> str:
        """Play `prompt`, collect digits; returns them ('' when none were valid).
        Options as for collect()."""
        return self.collect(uuid, prompt, **options).digits

    def collect(self, uuid: str, prompt: str, *, min_digits: int = 1, max_digits: int = 1,
                tries: int = 3, timeout_ms: int = 5000, terminators: str = "#",
                invalid_prompt: str = "silence_stream://250", variable: str = "cc_digits",
                regex: str = r"\d+", digit_timeout_ms: int | None = None,
                timeout: float | None = None) -> Collected:
        """play_and_get_digits with everything FreeSWITCH reports back."""
        numbers = (min_digits, max_digits, tries, timeout_ms, digit_timeout_ms or timeout_ms)
        if not all(isinstance(n, int) and n >= 0 for n in numbers) or min_digits > max_digits:
            raise InvalidArgument("digit limits", numbers, "non-negative integers, min <= max")
        if not _TERMINATORS.fullmatch(terminators):
            raise InvalidArgument("terminators", terminators, "digits, * or #, or 'none'")
        arg = " ".join(str(part) for part in (
            min_digits, max_digits, tries, timeout_ms, terminators, ds.word(prompt, "prompt"),
            ds.word(invalid_prompt, "invalid prompt"), ds.var_name(variable),
            ds.word(regex, "regex"), digit_timeout_ms or timeout_ms))
        done = self.execute(uuid, "play_and_get_digits", arg, timeout)
        return Collected(done.variable(variable) or "", done.variable(variable + "_invalid") or "",
                         done.variable("read_result") or "")

    def record(self, uuid: str, path: str, max_seconds: int = 60, silence_threshold: int = 200,
               silence_seconds: int = 3, timeout: float | None = None) -> ApplicationCompleted:
        """Record the caller into `path` until silence, a key or max_seconds; the returned
        event carries FreeSWITCH's record_ms / record_seconds variables."""
        numbers = (max_seconds, silence_threshold, silence_seconds)
        if not all(isinstance(n, int) and n >= 0 for n in numbers):
            raise InvalidArgument("record limits", numbers, "non-negative integers")
        arg = f"{ds.word(path, 'recording path')} {max_seconds} {silence_threshold} {silence_seconds}"
        return self.execute(uuid, "record", arg, timeout if timeout is not None else max_seconds + 10)

    def say(self, uuid: str, text: str, *, language: str = "en", kind: str = "number",
            method: str = "pronounced", timeout: float | None = None) -> None:
        """mod_say, e.g. say(uuid, "12.50", kind="currency")."""
        arg = " ".join((ds.token(language, "language"), ds.token(kind, "say type"),
                        ds.token(method, "say method"), ds.word(text, "text")))
        self.execute(uuid, "say", arg, timeout)

    # -- api commands on live channels ---------------------------------------------------
    def _on_channel(self, uuid: str, command: str, quick: bool = False) -> str:
        """An api command on one channel, as bgapi (see SwitchConnection.api_in_background),
        or posted on the connection when ``quick`` (SwitchConnection.quick_api: the switch
        answers it at once); the switch's 'no such channel' becomes CallHungUp."""
        try:
            if quick:
                return self.connection.quick_api(command)
            return self.connection.api_in_background(command)
        except CommandFailed as failure:
            if any(m in failure.reply.lower() for m in _GONE):
                raise CallHungUp(uuid, "NO_SUCH_CHANNEL") from None
            raise

    def bridge(self, uuid_a: str, uuid_b: str) -> None:
        self._on_channel(uuid_a, f"uuid_bridge {ds.uuid(uuid_a)} {ds.uuid(uuid_b, 'other uuid')}")

    def transfer(self, uuid: str, destination: str, dialplan: str = "XML",
                 context: str = "default") -> None:
        self._on_channel(uuid, f"uuid_transfer {ds.uuid(uuid)} {ds.token(destination, 'destination')} "
                            f"{ds.token(dialplan, 'dialplan')} {ds.token(context, 'context')}")

    def hold(self, uuid: str) -> None:
        self._on_channel(uuid, f"uuid_hold {ds.uuid(uuid)}")

    def unhold(self, uuid: str) -> None:
        self._on_channel(uuid, f"uuid_hold off {ds.uuid(uuid)}")

    def park(self, uuid: str) -> None:
        self._on_channel(uuid, f"uuid_park {ds.uuid(uuid)}")

    def hold_call(self, caller: str, agent_leg: str, music: str) -> None:
        """Hold as the caller and the agent expect: the caller hears ``music``, the agent
        silence, and the caller's recording goes on (with the music). The caller is parked
        out of the bridge (the agent's leg, left alone, parks too) and played the music.

        Not `uuid_hold`: on FreeSWITCH 1.10, `uuid_hold <agent leg>` of a bridge sends the
        caller no audio at all (measured: no RTP toward the caller for the whole hold; see
        tests/traces/README.md), and `uuid_hold <caller>` plays the music to the agent."""
        self.set_variables(agent_leg, {"park_after_bridge": "true"})
        self.park(caller)
        self.broadcast(caller, music)

    def resume_call(self, caller: str, agent_leg: str) -> None:
        """Undo hold_call: stop the music and bridge the two legs again."""
        self.break_media(caller, True)
        self.bridge(caller, agent_leg)
        self.set_variables(agent_leg, {"park_after_bridge": "false"})

    def _record(self, uuid: str, action: str, path: str) -> None:
        self._on_channel(uuid, f"uuid_record {ds.uuid(uuid)} {action} {ds.word(path, 'recording path')}")

    def record_start(self, uuid: str, path: str) -> None:
        self._record(uuid, "start", path)

    def record_stop(self, uuid: str, path: str = "all") -> None:
        self._record(uuid, "stop", path)

    def record_mask(self, uuid: str, path: str) -> None:
        self._record(uuid, "mask", path)

    def record_unmask(self, uuid: str, path: str) -> None:
        self._record(uuid, "unmask", path)

    def cancel_scheduled(self, uuid: str) -> bool:
        """Cancel the dialplan's scheduled fallback for a parked call (`sched_del <uuid>`);
        False when nothing was scheduled."""
        try:
            reply = self.connection.quick_api(f"sched_del {ds.uuid(uuid)}")
        except CommandFailed:
            return False
        deleted = re.search(r"Deleted:\s*(\d+)", reply)  # FreeSWITCH: '+OK Deleted: 0' when none
        return int(deleted.group(1)) > 0 if deleted else True

    def break_media(self, uuid: str, all_queued: bool = False) -> None:
        self._on_channel(uuid, f"uuid_break {ds.uuid(uuid)}" + (" all" if all_queued else ""), quick=True)

    def broadcast(self, uuid: str, path: str, leg: str = "aleg") -> None:
        if leg not in ("aleg", "bleg", "both"):
            raise InvalidArgument("leg", leg, "aleg, bleg or both")
        self._on_channel(uuid, f"uuid_broadcast {ds.uuid(uuid)} {ds.word(path, 'file')} {leg}", quick=True)

    def hangup(self, uuid: str, cause: str = "NORMAL_CLEARING") -> bool:
        """uuid_kill; False when the channel was already gone."""
        try:
            self._on_channel(uuid, f"uuid_kill {ds.uuid(uuid)} {ds.cause(cause)}", quick=True)
        except CallHungUp:
            return False
        return True

    def set_variable(self, uuid: str, name: str, value: object) -> None:
        text = ds.api_value(value, name)
        self._on_channel(uuid, f"uuid_setvar {ds.uuid(uuid)} {ds.var_name(name)} {text}", quick=True)

    def set_variables(self, uuid: str, values: Mapping[str, object]) -> None:
        """All in one `uuid_setvar_multi` (it splits on ';', so no value may hold one)."""
        pairs = []
        for name, value in values.items():
            text = ds.api_value(value, name)
            if ";" in text or not text:
                raise InvalidArgument(name, value, "uuid_setvar_multi takes no ';' and no empty value")
            pairs.append(f"{ds.var_name(name)}={text}")
        if pairs:
            self._on_channel(uuid, f"uuid_setvar_multi {ds.uuid(uuid)} {';'.join(pairs)}", quick=True)

    def get_variable(self, uuid: str, name: str) -> str | None:
        value = self._on_channel(uuid, f"uuid_getvar {ds.uuid(uuid)} {ds.var_name(name)}", quick=True)
        return None if value in ("_undef_", "") else value

    def channel_exists(self, uuid: str) -> bool:
        return self.connection.quick_api(f"uuid_exists {ds.uuid(uuid)}") == "true"

    # -- switch-wide -------------------------------------------------------------------
    def show_channels(self) -> list[ChannelInfo]:
        text = self.connection.api_in_background("show channels as json")
        try:
            rows = json.loads(text).get("rows") or []
        except (ValueError, AttributeError) as error:
            raise CommandFailed("show channels as json", f"unreadable JSON: {error}") from error
        return [channel_info(row) for row in rows if row.get("uuid")]

    def reload_xml(self) -> None:
        """Re-read the configuration: a changed SIP directory (agents' a1-hashes) takes effect."""
        self.connection.api_in_background("reloadxml")

    def registrations(self) -> list[Registration]:
        text = self.connection.api_in_background("show registrations")
        return parse_registrations(text)

    def is_registered(self, extension: str, domain: str | None = None) -> bool:
        ds.token(extension, "extension")
        return any(r.extension == extension and (domain is None or r.realm == domain)
                   for r in self.registrations())

    def controlled_channels(self, variables: tuple[str, ...] = CC_VARIABLES) -> list[ControlledChannel]:
        """Resync helper: every live channel with the cc_* variables the engine set on it
        (one `uuid_dump` per channel, CONTROLLED_READS at a time). A channel that hangs up
        while we read it is left out."""
        infos = self.show_channels()
        pool = Pool(CONTROLLED_READS)
        dumps = pool.map(self._variables_or_none, [info.uuid for info in infos])
        return [ControlledChannel(info, {name: values.get(name) for name in variables})
                for info, values in zip(infos, dumps) if values is not None]

    def channel_variables(self, uuid: str) -> dict[str, str]:
        """Every channel variable of a live channel (`uuid_dump <uuid> json`)."""
        text = self._on_channel(uuid, f"uuid_dump {ds.uuid(uuid)} json")
        try:
            headers = json.loads(text)
        except ValueError as error:
            raise CommandFailed("uuid_dump json", f"unreadable JSON: {error}") from error
        variables = {name[len("variable_"):]: value for name, value in headers.items()
                     if name.startswith("variable_") and value not in ("", "_undef_")}
        answered = headers.get("Caller-Channel-Answered-Time")
        if answered:
            variables[ANSWERED_US] = answered
        return variables

    def _variables_or_none(self, uuid: str) -> dict[str, str] | None:
        try:
            return self.channel_variables(uuid)
        except (CallHungUp, CommandFailed):
            return None
