"""The simulated switch's phones and external parties: SIP registrations with their
sofia::register / unregister / expire events, and the behaviour each phone or outside
number answers with. A part of Simulator (callcenter/sim/simulator.py), which holds
the state."""
from __future__ import annotations

import time
import uuid as uuidlib
from dataclasses import dataclass

from .scripts import PhoneBehaviour


@dataclass
class Registration:
    extension: str
    behaviour: PhoneBehaviour
    call_id: str
    port: int
    expires_at: int

    @property
    def sip_uri(self) -> str:
        return f"sip:{self.extension}@127.0.0.1:{self.port}"

    def row(self, hostname: str) -> dict[str, str]:
        return {"reg_user": self.extension, "realm": "127.0.0.1", "token": self.call_id,
                "url": f"sofia/internal/{self.sip_uri}", "expires": str(self.expires_at),
                "network_ip": "127.0.0.1", "network_port": str(self.port),
                "network_proto": "udp", "hostname": hostname, "metadata": ""}


class PhonesMixin:
    def register_phone(self, extension: str, behaviour: "str | PhoneBehaviour" = "answer:1") -> None:
        parsed = PhoneBehaviour.parse(behaviour, f"phone {extension}")
        reg = Registration(extension, parsed, f"reg-{uuidlib.uuid4().hex[:10]}@127.0.0.1",
                           5070 + int(extension) % 1000 if extension.isdigit() else 5070,
                           int(time.time()) + 300)
        self.registrations[extension] = reg
        self._emit_registration("sofia::register", reg, "Registered(UDP)", "300")

    def set_phone_behaviour(self, extension: str, behaviour: "str | PhoneBehaviour") -> None:
        reg = self.registrations.get(extension)
        if reg is None:
            raise KeyError(f"phone {extension} is not registered")
        reg.behaviour = PhoneBehaviour.parse(behaviour, f"phone {extension}")

    def unregister_phone(self, extension: str) -> None:
        reg = self.registrations.pop(extension, None)
        if reg is not None:
            self._emit_registration("sofia::unregister", reg, "Unregistered(UDP)", "0")

    def expire_phone(self, extension: str) -> None:
        """The registration runs out without an unregister (phone unplugged):
        CUSTOM sofia::expire, as mod_sofia sends it."""
        reg = self.registrations.pop(extension, None)
        if reg is None:
            return
        headers = self.base_headers("CUSTOM", "sofia_reg.c", "sofia_reg_del_callback", 1158, "sofia::expire")
        headers += [
            ("profile-name", "internal"), ("call-id", reg.call_id), ("user", reg.extension),
            ("host", "127.0.0.1"), ("contact", f'"" <{reg.sip_uri}>'), ("expires", "0"),
            ("user-agent", "callcenter-sim-phone"),
        ]
        self.emit(headers)

    def _emit_registration(self, subclass: str, reg: Registration, status: str, expires: str) -> None:
        headers = self.base_headers("CUSTOM", "sofia_reg.c", "sofia_reg_handle_register_token", 2059, subclass)
        headers += [
            ("profile-name", "internal"), ("from-user", reg.extension), ("from-host", "127.0.0.1"),
            ("presence-hosts", "n/a"), ("contact", f'"" <{reg.sip_uri}>'), ("call-id", reg.call_id),
            ("rpid", "unknown"), ("status", status), ("expires", expires), ("to-user", reg.extension),
            ("to-host", "127.0.0.1"), ("network-ip", "127.0.0.1"), ("network-port", str(reg.port)),
            ("username", reg.extension), ("realm", "callcenter"), ("user-agent", "callcenter-sim-phone"),
        ]
        self.emit(headers)

    def add_external_party(self, number: str, behaviour: "str | PhoneBehaviour" = "answer:2 hangup:30") -> None:
        self.external_parties[number] = PhoneBehaviour.parse(behaviour, f"external party {number}")
