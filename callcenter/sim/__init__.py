"""A FreeSWITCH stand-in that speaks the Event Socket wire protocol, for
tests and the demo (never production).

    sim = Simulator(password="s3cret", speed=50, fast_media=True)
    port = sim.start()
    uuid = sim.place_call("13800000001", "10000", "wait:1 press:1 wait:30 hangup")
    sim.register_phone("1001", "answer:1")
    sim.wait_until(lambda: sim.channel(uuid).parked, timeout=2)
    sim.stop()
"""
from .channel import ChannelSnapshot
from .scripts import CallerScript, PhoneBehaviour, ScriptError
from .simulator import Simulator

__all__ = ["Simulator", "ChannelSnapshot", "CallerScript", "PhoneBehaviour", "ScriptError"]
