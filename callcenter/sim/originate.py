"""originate: dial a registered phone (user/<ext>), an external party
(sofia/gateway/<gw>/<number>) or fail like the switch; ring per the far
end's behaviour; answer, then hand the leg its application."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gevent

from .api import parse_dial_string, split_args
from .channel import Channel
from .scripts import PhoneBehaviour

if TYPE_CHECKING:  # pragma: no cover
    from .simulator import Simulator


@dataclass(frozen=True)
class OriginateResult:
    ok: bool
    cause: str
    channel: Channel | None = None


def originate(sim: "Simulator", arg: str) -> str:
    """`originate <dial string> <&app(arg) | extension> ...` -> '+OK <uuid>\\n'
    or '-ERR <CAUSE>\\n'. The reply comes once the leg answered or failed."""
    parts = split_args(arg)
    if len(parts) < 2:
        return "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>]\n"
    dial = parts[0]
    target = " ".join(parts[1:])
    try:
        result = originate_leg(sim, dial)
    except ValueError as exc:
        return f"-ERR {exc}\n"
    if not result.ok:
        return f"-ERR {result.cause}\n"
    ch = result.channel
    if target.startswith("&"):
        name, _, rest = target[1:].partition("(")
        app_arg = rest.rsplit(")", 1)[0] if rest else ""
        ch.execute(name.strip(), app_arg)
    else:
        words = target.split()
        sim.transfer(ch, words[0], words[2] if len(words) > 2 else "default")
    return f"+OK {ch.uuid}\n"

def originate_leg(sim: "Simulator", dial: str, caller: Channel | None = None) -> OriginateResult:
    variables, endpoint = parse_dial_string(dial)
    if caller is not None:
        variables = {**caller.exports, **variables}
    timeout = _number(variables.get("originate_timeout") or variables.get("call_timeout"), 60.0)
    behaviour, name, dest, cause = _resolve(sim, endpoint)
    cid_name = variables.get("origination_caller_id_name", "Outbound Call")
    cid_num = variables.get("origination_caller_id_number",
                            caller.cid_number if caller is not None else "0000000000")
    ch = Channel(sim, uuid=variables.get("origination_uuid") or None, direction="outbound",
                 cid_name=cid_name, cid_number=cid_num, destination=dest, name=name,
                 context="default", variables=variables, source="src/switch_ivr_originate.c")
    if sim.live_channel(ch.uuid) is not None:
        return OriginateResult(False, "DESTINATION_OUT_OF_ORDER")
    ch.variables.update(is_outbound="true", originate_endpoint=endpoint.split("/")[0])
    sim.add_channel(ch)
    observer = getattr(sim, "on_gateway_dial", None)  # callcenter.sim.customers
    if observer is not None and endpoint.startswith("sofia/gateway/"):
        observer(dest, ch)
    ch.emit("CHANNEL_OUTGOING")
    ch.set_state("CS_INIT")
    ch.emit("CHANNEL_CREATE")
    ch.emit("CHANNEL_ORIGINATE")
    ch.set_state("CS_ROUTING")
    ch.start()
    if cause is None and behaviour.unreachable:
        cause = "NORMAL_TEMPORARY_FAILURE"
    if cause is None:
        cause = _ring(sim, ch, behaviour, timeout, caller)
    if cause is not None:
        ch.hangup(cause, from_executor=False)
        return OriginateResult(False, cause, ch)
    ch.answer()
    ch.set_state("CS_EXECUTE")
    if behaviour.after_answer.steps:
        sim.spawn(sim.run_script, ch, behaviour.after_answer)
    return OriginateResult(True, "SUCCESS", ch)

def _resolve(sim: "Simulator", endpoint: str) -> tuple[PhoneBehaviour, str, str, str | None]:
    """(behaviour, channel name, destination, failure cause or None)."""
    never = PhoneBehaviour(None, None)
    if endpoint.startswith("user/"):
        user = endpoint[5:].split("@")[0]
        reg = sim.registrations.get(user)
        if reg is None:
            return never, f"sofia/internal/{user}@127.0.0.1", user, "USER_NOT_REGISTERED"
        return reg.behaviour, f"sofia/internal/{user}@127.0.0.1:{reg.port}", user, None
    if endpoint.startswith("sofia/gateway/"):
        rest = endpoint[len("sofia/gateway/"):]
        number = rest.split("/", 1)[1] if "/" in rest else rest
        party = sim.external_parties.get(number)
        if party is None:
            return never, endpoint, number, "UNALLOCATED_NUMBER"
        return party, endpoint, number, None
    if endpoint.startswith("sofia/"):
        user = endpoint.split("/")[-1].split("@")[0]
        reg = sim.registrations.get(user)
        if reg is None:
            return never, endpoint, user, "NORMAL_TEMPORARY_FAILURE"
        return reg.behaviour, endpoint, user, None
    if endpoint.startswith("error/"):
        return never, endpoint, "", endpoint[6:].upper() or "NORMAL_TEMPORARY_FAILURE"
    return never, endpoint, endpoint, "CHAN_NOT_IMPLEMENTED"

def _ring(sim: "Simulator", ch: Channel, behaviour: PhoneBehaviour, timeout: float,
          caller: Channel | None) -> str | None:
    """Ring per the phone's behaviour; None when it answers, else a cause."""
    ch.ring()
    if behaviour.reject is not None:
        wait, outcome = min(0.2, timeout), behaviour.reject
    elif behaviour.answer_after is None or behaviour.answer_after > timeout:
        wait, outcome = timeout, "NO_ANSWER"
    else:
        wait, outcome = behaviour.answer_after, None
    deadline = time.monotonic() + sim.clock.real(wait)
    while time.monotonic() < deadline:
        if ch.hangup_cause is not None:
            return ch.hangup_cause
        if caller is not None and caller.hangup_cause is not None:
            return "ORIGINATOR_CANCEL"
        gevent.sleep(min(0.01, max(0.0, deadline - time.monotonic())))
    if ch.hangup_cause is not None:
        return ch.hangup_cause
    return outcome


def _number(text: str | None, default: float) -> float:
    try:
        return float(text) if text else default
    except ValueError:
        return default
