"""The events a simulated leg sends: the headers each carries (its state, its caller
profile and its partner's, its variables) and where in the real switch's source each
event comes from. A part of Channel (callcenter/sim/channel.py)."""
from __future__ import annotations

STATE_NUMBERS = {
    "CS_NEW": 0, "CS_INIT": 1, "CS_ROUTING": 2, "CS_SOFT_EXECUTE": 3, "CS_EXECUTE": 4,
    "CS_EXCHANGE_MEDIA": 5, "CS_PARK": 6, "CS_CONSUME_MEDIA": 7, "CS_HIBERNATE": 8,
    "CS_RESET": 9, "CS_HANGUP": 10, "CS_REPORTING": 11, "CS_DESTROY": 12,
}
# Events the real switch sends without variable_* headers (see the traces).
NO_VARIABLES = {"DTMF", "CHANNEL_STATE", "CHANNEL_CALLSTATE", "PRIVATE_COMMAND", "CODEC", "CHANNEL_OUTGOING"}
CALLING = {
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", 627),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", 3848),
    "CHANNEL_PROGRESS": ("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3540),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", 2949),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", 2972),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", 1002),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", 1273),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1689),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1879),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", 3447),
    "CHANNEL_HANGUP_COMPLETE": ("switch_core_state_machine.c", "switch_core_session_reporting_state", 943),
    "CHANNEL_DESTROY": ("switch_core_session.c", "switch_core_session_perform_destroy", 1729),
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", 2409),
    "CHANNEL_CALLSTATE": ("switch_channel.c", "switch_channel_perform_set_callstate", 311),
    "CHANNEL_ORIGINATE": ("switch_core_session.c", "switch_core_session_outgoing_channel", 729),
    "DTMF": ("switch_channel.c", "switch_channel_dequeue_dtmf", 678),
    "PLAYBACK_START": ("switch_ivr_play_say.c", "switch_ivr_play_file", 1649),
    "PLAYBACK_STOP": ("switch_ivr_play_say.c", "switch_ivr_play_file", 2093),
    "RECORD_START": ("switch_ivr_async.c", "record_callback", 1482),
    "RECORD_STOP": ("switch_ivr_async.c", "send_record_stop_event", 1241),  # park_trace.txt
    # the phone held (a re-INVITE sendonly / inactive); uuid_hold: IVR_HOLD / IVR_UNHOLD
    "CHANNEL_HOLD": ("switch_channel.c", "switch_channel_mark_hold", 875),
    "CHANNEL_UNHOLD": ("switch_channel.c", "switch_channel_mark_hold", 875),
}


class ChannelEventsMixin:
    def emit(self, name: str, extra: list[tuple[str, str]] | None = None,
             before: list[tuple[str, str]] | None = None,
             calling: tuple[str, str, int] | None = None) -> None:
        self.sim.emit(self.event_headers(name, extra, before, calling))

    def event_headers(self, name: str, extra: list[tuple[str, str]] | None = None,
                      before: list[tuple[str, str]] | None = None,
                      calling: tuple[str, str, int] | None = None) -> list[tuple[str, str]]:
        file, function, line = calling or CALLING.get(
            name, ("switch_channel.c", "switch_channel_event_set_data", 2500))
        headers = self.sim.base_headers(name, file, function, line)
        headers += before or []
        if name == "CHANNEL_HANGUP_COMPLETE":
            headers.append(("Hangup-Cause", self.hangup_cause or "NORMAL_CLEARING"))
        headers += self.channel_headers()
        if name in NO_VARIABLES:
            return headers + (extra or [])
        # The other leg's profile stays on the channel after the bridge ends,
        # as on the real switch (CHANNEL_DESTROY still names it).
        if self.other_leg is not None:
            headers.append(("Other-Type", "originatee" if self.bridge_is_a else "originator"))
            headers += self.other_leg.profile_headers("Other-Leg")
        headers += [(f"variable_{k}", v) for k, v in self.variables.items()]
        return headers + (extra or [])

    def channel_headers(self) -> list[tuple[str, str]]:
        headers = [
            ("Channel-State", self.state), ("Channel-Call-State", self.call_state),
            ("Channel-State-Number", str(STATE_NUMBERS.get(self.state, 4))),
            ("Channel-Name", self.name), ("Unique-ID", self.uuid),
            ("Call-Direction", self.direction), ("Presence-Call-Direction", self.direction),
            ("Channel-HIT-Dialplan", "true" if self.direction == "inbound" else "false"),
            ("Channel-Call-UUID", self.call_uuid), ("Answer-State", self.answer_state),
        ]
        if self.hangup_cause:
            headers.append(("Hangup-Cause", self.hangup_cause))
        headers += [
            ("Channel-Read-Codec-Name", "PCMU"), ("Channel-Read-Codec-Rate", "8000"),
            ("Channel-Read-Codec-Bit-Rate", "64000"), ("Channel-Write-Codec-Name", "PCMU"),
            ("Channel-Write-Codec-Rate", "8000"), ("Channel-Write-Codec-Bit-Rate", "64000"),
        ]
        return headers + self.profile_headers("Caller")

    def profile_headers(self, prefix: str) -> list[tuple[str, str]]:
        p = prefix
        return [
            (f"{p}-Direction", self.direction), (f"{p}-Logical-Direction", self.direction),
            (f"{p}-Username", self.cid_number), (f"{p}-Dialplan", "XML"),
            (f"{p}-Caller-ID-Name", self.cid_name), (f"{p}-Caller-ID-Number", self.cid_number),
            (f"{p}-Orig-Caller-ID-Name", self.cid_name), (f"{p}-Orig-Caller-ID-Number", self.cid_number),
            (f"{p}-Network-Addr", "127.0.0.1"), (f"{p}-ANI", self.cid_number),
            (f"{p}-Destination-Number", self.destination), (f"{p}-Unique-ID", self.uuid),
            (f"{p}-Source", self.source), (f"{p}-Context", self.context),
            (f"{p}-Channel-Name", self.name), (f"{p}-Profile-Index", "1"),
            (f"{p}-Profile-Created-Time", str(self.created_us)),
            (f"{p}-Channel-Created-Time", str(self.created_us)),
            (f"{p}-Channel-Answered-Time", str(self.answered_us)),
            (f"{p}-Channel-Progress-Time", str(self.progress_us)),
            (f"{p}-Channel-Progress-Media-Time", "0"),
            (f"{p}-Channel-Hangup-Time", str(self.hangup_us)),
            (f"{p}-Channel-Transfer-Time", "0"), (f"{p}-Channel-Resurrect-Time", "0"),
            (f"{p}-Channel-Bridged-Time", str(self.bridged_us)),
            (f"{p}-Channel-Last-Hold", "0"), (f"{p}-Channel-Hold-Accum", "0"),
            (f"{p}-Screen-Bit", "true"), (f"{p}-Privacy-Hide-Name", "false"),
            (f"{p}-Privacy-Hide-Number", "false"),
        ]
