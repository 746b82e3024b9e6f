"""Small named errors of the ACD core; the shell maps them to log lines or HTTP codes."""
from __future__ import annotations


class AcdError(Exception):
    """Base class of every ACD domain error."""


class QueueConfigError(AcdError):
    """The queues file is wrong; ``problems`` lists every problem as ``file:line:column: message``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class IllegalTransition(AcdError):
    """An agent state change that the transition table does not allow."""

    def __init__(self, agent: str, state: str, event: str, detail: str = ""):
        message = f"agent {agent}: event '{event}' is not allowed in state '{state}'"
        super().__init__(message + (f" ({detail})" if detail else ""))
        self.agent = agent
        self.state = state
        self.event = event


class WrapUpAlreadyExtended(IllegalTransition):
    """Wrap-up may be extended once only."""


class UnknownAgent(AcdError):
    def __init__(self, agent: str):
        super().__init__(f"unknown agent '{agent}' (not logged in to the ACD)")
        self.agent = agent


class UnknownCall(AcdError):
    def __init__(self, call_id: str):
        super().__init__(f"unknown call '{call_id}'")
        self.call_id = call_id


class DuplicateCall(AcdError):
    def __init__(self, call_id: str):
        super().__init__(f"call '{call_id}' is already in the ACD")
        self.call_id = call_id


class UnknownQueue(AcdError):
    def __init__(self, queue: str):
        super().__init__(f"unknown queue '{queue}'")
        self.queue = queue
