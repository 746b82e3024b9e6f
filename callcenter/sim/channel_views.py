"""What can be seen of a simulated leg from outside: the snapshot tests read, and its
row of `show channels`. A part of Channel (callcenter/sim/channel.py)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChannelSnapshot:
    """What a test can see of a leg. `gone` is True once it was destroyed
    (the simulator keeps the last snapshot of finished legs for tests; the
    real switch forgets them)."""
    uuid: str
    direction: str
    caller_id_number: str
    destination: str
    state: str
    call_state: str
    answer_state: str
    answered: bool
    hangup_cause: str | None
    variables: dict[str, str]
    applications: tuple[tuple[str, str], ...]
    files_played: tuple[str, ...]
    dtmf_heard: str
    bridged_to: str | None
    parked: bool
    held: bool
    hearing_music: bool  # its partner is held: the switch plays it the hold music
    recordings: tuple[str, ...]
    eavesdrop_mode: str | None
    gone: bool
    hangup_at: float | None = None  # seconds since the epoch, the switch's clock


class ChannelViewsMixin:
    def snapshot(self, gone: bool = False) -> ChannelSnapshot:
        return ChannelSnapshot(
            uuid=self.uuid, direction=self.direction, caller_id_number=self.cid_number,
            destination=self.destination, state=self.state, call_state=self.call_state,
            answer_state=self.answer_state, answered=bool(self.answered_us),
            hangup_cause=self.hangup_cause, variables=dict(self.variables),
            applications=tuple(self.applications), files_played=tuple(self.files_played),
            dtmf_heard=self.dtmf_heard, bridged_to=self.bridged_to, parked=self.parked,
            held=self.held, hearing_music=self.hearing_music, recordings=tuple(self.recorded_paths),
            eavesdrop_mode=self.eavesdrop_mode, gone=gone,
            hangup_at=self.hangup_us / 1_000_000 if self.hangup_us else None,
        )

    def describe(self) -> dict[str, Any]:
        """One row of `show channels` (column names of the real switch)."""
        created = self.created_us // 1_000_000
        return {
            "uuid": self.uuid, "direction": self.direction,
            "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created)),
            "created_epoch": str(created), "name": self.name, "state": self.state,
            "cid_name": self.cid_name, "cid_num": self.cid_number,
            "ip_addr": "127.0.0.1" if self.direction == "inbound" else "",
            "dest": self.destination, "application": self.current_app,
            "application_data": self.current_app_data,
            "dialplan": "XML" if self.direction == "inbound" else "", "context": self.context,
            "read_codec": "PCMU", "read_rate": "8000", "read_bit_rate": "64000",
            "write_codec": "PCMU", "write_rate": "8000", "write_bit_rate": "64000",
            "secure": "", "hostname": self.sim.hostname, "presence_id": "", "presence_data": "",
            "accountcode": "", "callstate": self.call_state, "callee_name": "", "callee_num": "",
            "callee_direction": "", "call_uuid": self.call_uuid if self.bridged_to else "",
            "sent_callee_name": "", "sent_callee_num": "", "initial_cid_name": self.cid_name,
            "initial_cid_num": self.cid_number,
            "initial_ip_addr": "127.0.0.1" if self.direction == "inbound" else "",
            "initial_dest": self.destination, "initial_dialplan": "XML" if self.direction == "inbound" else "",
            "initial_context": self.context,
        }
