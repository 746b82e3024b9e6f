"""Bridges between legs, and what moves or holds a bridged leg: uuid_bridge, the end
of a bridge, uuid_transfer, uuid_hold and a phone's own hold. A part of Simulator
(callcenter/sim/simulator.py), which holds the state."""
from __future__ import annotations

import logging
import time

from .channel import Channel

log = logging.getLogger(__name__)

# where the real switch fires CHANNEL_HOLD / _UNHOLD for `uuid_hold` (FreeSWITCH 1.10 source)
IVR_HOLD = ("switch_ivr.c", "switch_ivr_hold", 1558)
IVR_UNHOLD = ("switch_ivr.c", "switch_ivr_unhold", 1638)


class BridgingMixin:
    def bridge(self, a: Channel, b: Channel, via_api: bool = False) -> None:
        for leg in (a, b):
            peer = self.live_channel(leg.bridged_to) if leg.bridged_to else None
            if peer is not None and peer not in (a, b):
                self.unbridge(leg, peer)
        # The real switch links the legs (Other-Leg-* headers) before it pulls
        # them out of park, so CHANNEL_UNPARK already names the other leg.
        a.bridged_to, b.bridged_to = b.uuid, a.uuid
        a.bridge_is_a, b.bridge_is_a = True, False
        a.other_leg, b.other_leg = b, a
        for leg in (a, b):
            leg.interrupt("bridge")
        if via_api:
            for leg in (a, b):
                leg.emit("CHANNEL_EXECUTE", [("Application", "uuid_bridge"),
                                             ("Application-Data", (b if leg is a else a).uuid)])
        for leg in (a, b):
            if not leg.answered_us:
                leg.answer()
        now = int(time.time() * 1_000_000)
        b.call_uuid = a.uuid
        for leg, other in ((a, b), (b, a)):
            leg.bridged_us = now
            leg.state = "CS_EXCHANGE_MEDIA"
            leg.variables.update(bridge_uuid=other.uuid, last_bridge_to=other.uuid,
                                 bridge_channel=other.name, signal_bond=other.uuid,
                                 call_uuid=leg.call_uuid)
        log.info("sim: bridged %s <-> %s", a.uuid, b.uuid)
        a.emit("CHANNEL_BRIDGE", before=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)])
        for leg in (a, b):
            leg.in_a_bridge.set()

    def unbridge(self, leaving: Channel, staying: Channel) -> None:
        """`leaving` left the bridge (hung up or transferred)."""
        if leaving.bridged_to != staying.uuid:
            return
        a, b = (leaving, staying) if leaving.bridge_is_a else (staying, leaving)
        a.emit("CHANNEL_UNBRIDGE", before=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)])
        leaving.bridged_to = staying.bridged_to = None
        leaving.in_a_bridge.clear()
        staying.in_a_bridge.clear()
        staying.held = staying.hearing_music = False
        if staying.hangup_cause is not None:
            return
        if staying.in_bridge_app:
            staying.interrupt("unbridged", wait=False)
        elif staying.variables.get("park_after_bridge") == "true" or \
                staying.variables.get("hangup_after_bridge") == "false":
            staying.execute("park")
        else:
            staying.hangup("NORMAL_CLEARING", from_executor=False)

    def transfer(self, ch: Channel, dest: str, context: str | None = None) -> None:
        from .apps import transfer_to
        peer = self.live_channel(ch.bridged_to) if ch.bridged_to else None
        if peer is not None:
            self.unbridge(ch, peer)
        ch.interrupt("transfer")
        transfer_to(ch, dest, context)

    def hold(self, ch: Channel, on: bool) -> None:
        """`uuid_hold [off] <uuid>` (switch_ivr_hold / _unhold): the channel's phone is sent
        a re-INVITE sendonly and hears nothing; a recording on the held channel skips the
        held time."""
        if ch.held == on:
            return
        ch.held = on
        for rec in ch.recordings.values():
            if on:
                rec.gap_started = time.monotonic()
            elif rec.gap_started is not None:
                rec.gaps.append((rec.gap_started, time.monotonic()))
                rec.gap_started = None
        # Measured on FreeSWITCH 1.10 (tests/traces/README.md): holding the B leg of a
        # bridge (the agent's) leaves its partner with no audio at all (CF_SUSPEND stops
        # the bridge); holding the A leg (the caller's) plays the music to the B leg.
        if ch.bridge_is_a or not on:
            self._music_to_partner(ch, on)
        ch.emit("CHANNEL_HOLD" if on else "CHANNEL_UNHOLD",
                calling=IVR_HOLD if on else IVR_UNHOLD)
        ch.set_call_state("HELD" if on else "ACTIVE")

    def phone_hold(self, uuid: str, on: bool) -> None:
        """The phone of channel ``uuid`` holds (a re-INVITE a=sendonly) or resumes: the
        switch marks the channel (CHANNEL_HOLD / CHANNEL_UNHOLD) and plays the hold music
        to its partner by itself; recordings go on."""
        ch = self._require(uuid)
        if ch.held == on:
            return
        ch.held = on
        self._music_to_partner(ch, on)
        ch.emit("CHANNEL_HOLD" if on else "CHANNEL_UNHOLD")
        ch.set_call_state("HELD" if on else "ACTIVE")

    def _music_to_partner(self, ch: Channel, on: bool) -> None:
        ch.variables.setdefault("hold_music", "local_stream://moh")
        peer = self.live_channel(ch.bridged_to) if ch.bridged_to else None
        if peer is not None:
            peer.hearing_music = on
            if on:
                peer.files_played.append(ch.variables["hold_music"])
