"""Channels whose hang-up the engine has received but may not have handled yet.

Events are read off the socket as they come and handled in order; a lagging engine
has a backlog between the two. Whatever it is about to do for a caller (queue them,
ring an agent for them) is pointless, and for the agent a ring to silence, if the
caller's CHANNEL_HANGUP is already in that backlog: this set is filled at reading time
so those steps can look."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

from callcenter.esl import ChannelHungUp

KEEP = 20_000  # channels remembered (a few minutes of the busiest traffic)


class HungUpChannels:
    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._seen: OrderedDict[str, None] = OrderedDict()

    def note(self, event: Any) -> None:
        """Each event as it is read off the socket: the hang-ups are remembered."""
        if type(event) is ChannelHungUp:
            self.saw(event.uuid)

    def saw(self, uuid: str) -> None:
        self._seen[uuid] = None
        if len(self._seen) > self.keep:
            self._seen.popitem(last=False)

    def __contains__(self, uuid: object) -> bool:
        return uuid in self._seen
