"""The IVR: flow files, their two-stage validator, the interpreter that runs
a flow on a call through a CallControl, and the flow registry (hot reload).

The public names engine code needs are re-exported here."""
from callcenter.ivr.control import (CallControl, CallControlError, CallerHungUp, CollectResult,
                                    PromptAudio, RecordingResult)
from callcenter.ivr.flow import Flow, Node
from callcenter.ivr.interpreter import CallInfo, Interpreter, IvrOutcome, IvrSink
from callcenter.ivr.prompts import PromptLibrary
from callcenter.ivr.registry import FlowEntry, FlowRegistry, ReloadReport
from callcenter.ivr.validate import FlowInvalid, load_flow

__all__ = ["CallControl", "CallControlError", "CallerHungUp", "CollectResult", "PromptAudio",
           "RecordingResult", "Flow", "Node", "CallInfo", "Interpreter", "IvrOutcome", "IvrSink",
           "PromptLibrary", "FlowEntry", "FlowRegistry", "ReloadReport", "FlowInvalid",
           "load_flow"]
