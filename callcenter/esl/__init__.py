"""The only package that knows FreeSWITCH: connection, typed events, typed commands."""
from callcenter.esl.commands import CC_VARIABLES, Switch, new_uuid
from callcenter.esl.connection import SwitchConnection
from callcenter.esl.results import ChannelInfo, Collected, ControlledChannel, Registration
from callcenter.esl.dialstring import DialString, Endpoint
from callcenter.esl.errors import (AuthenticationFailed, CallHungUp, CommandFailed, CommandTimeout,
                                   InvalidArgument, OriginateFailed, SwitchDisconnected, SwitchError)
from callcenter.esl.events import *  # noqa: F401,F403  (the typed event classes)

__all__ = [
    "Switch", "SwitchConnection", "Endpoint", "DialString", "ChannelInfo", "ControlledChannel", "Collected",
    "Registration", "CC_VARIABLES", "new_uuid", "SwitchError", "SwitchDisconnected",
    "AuthenticationFailed", "CommandTimeout", "CommandFailed", "OriginateFailed", "CallHungUp",
    "InvalidArgument",
]
