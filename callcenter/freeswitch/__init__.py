"""The FreeSWITCH deployment kit: checking freeswitch-conf/ + dialplans/ and
generating the agents' SIP directory. (Talking to a running FreeSWITCH is
callcenter.esl's job, not this package's.)"""
from __future__ import annotations

from pathlib import Path

from callcenter.freeswitch.preprocess import Problem

# The kit shipped in a source checkout: <repository>/freeswitch-conf.
SHIPPED_KIT = Path(__file__).resolve().parent.parent.parent / "freeswitch-conf"

__all__ = ["Problem", "SHIPPED_KIT"]
