"""A small publish/subscribe bus for live events (the console's SSE streams)."""
from __future__ import annotations

import threading
from typing import Iterator

from gevent.queue import Empty, Queue

from web.ports import LiveEvent

MAX_BACKLOG = 500  # a subscriber that stops reading loses its oldest events, not the engine


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[tuple[int | None, Queue]] = []
        self._lock = threading.Lock()

    def publish(self, event: LiveEvent) -> None:
        with self._lock:
            targets = [queue for agent_id, queue in self._subscribers
                       if agent_id is None or agent_id == event.agent_id]
        for queue in targets:
            if queue.qsize() >= MAX_BACKLOG:
                try:
                    queue.get_nowait()
                except Empty:
                    pass
            queue.put(event)

    def subscribe(self, agent_id: int | None, timeout: float) -> "Subscription":
        """Registered at once (before the first next()), so nothing is lost."""
        subscription = Subscription(self, agent_id, timeout)
        with self._lock:
            self._subscribers.append((agent_id, subscription.queue))
        return subscription

    def _unsubscribe(self, queue: Queue) -> None:
        with self._lock:
            self._subscribers = [entry for entry in self._subscribers if entry[1] is not queue]


class Subscription(Iterator[LiveEvent | None]):
    """Yields events, or None after ``timeout`` seconds without one; close() unsubscribes."""

    def __init__(self, bus: EventBus, agent_id: int | None, timeout: float) -> None:
        self.bus, self.agent_id, self.timeout = bus, agent_id, timeout
        self.queue: Queue = Queue()
        self.closed = False

    def __next__(self) -> LiveEvent | None:
        if self.closed:
            raise StopIteration
        try:
            return self.queue.get(timeout=self.timeout)
        except Empty:
            return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.bus._unsubscribe(self.queue)
