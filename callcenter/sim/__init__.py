"""A FreeSWITCH stand-in that speaks the Event Socket wire protocol, for
tests and the demo (never production).

    sim = Simulator("s3cret", speed=20, fast_media=True, dialplan_dir="dialplans")
    port = sim.start()
    uuid = sim.place_call("13800000001", "10000", "wait:1 press:1 wait:30 hangup")
    sim.register_phone("1001", "answer:1")
    sim.wait_until(lambda: sim.channel(uuid).parked, timeout=2)
    sim.close()

Control API (tests, demo): Simulator(password, host="127.0.0.1", port=0,
speed=1.0, fast_media=False, dialplan_dir="dialplans",
default_prompt_seconds=2.0, heartbeat_interval=20.0, hostname="fs1",
global_vars=None); start() -> port; stop(keep_channels=False);
drop_connections(); close(); place_call(caller, destination, script="",
caller_name="Caller", context="public") -> uuid; press(uuid, digits);
hangup_call(uuid, cause="NORMAL_CLEARING"); register_phone(extension,
behaviour="answer:1"); set_phone_behaviour(extension, behaviour);
unregister_phone(extension); expire_phone(extension);
add_external_party(number, behaviour="answer:2 hangup:30"); channel(uuid) ->
ChannelSnapshot | None; channels() -> list[ChannelSnapshot];
wait_until(predicate, timeout) -> bool; connection_count();
inject_fault(kind); send_raw(data); set_unresponsive(on=True, events=False);
reload_dialplans(). Demo traffic: callcenter.sim.traffic.Traffic.
"""
from .channel import ChannelSnapshot
from .scripts import CallerScript, PhoneBehaviour, ScriptError
from .simulator import Simulator

__all__ = ["Simulator", "ChannelSnapshot", "CallerScript", "PhoneBehaviour", "ScriptError"]
