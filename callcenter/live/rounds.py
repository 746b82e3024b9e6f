"""A periodic job in its own greenlet, stopped between rounds rather than killed in one.

A greenlet killed inside a database query leaves its connection in the middle of a
transaction (seen on PostgreSQL: "can't change 'autocommit' now"), and the pool hands
that connection on. So ``stop`` lets a round in progress end, and kills only one that
will not end within ``STOP_WAIT_SECONDS``; ``stop_all`` stops several in that time.
"""
from __future__ import annotations

import logging
from typing import Callable

import gevent
import gevent.event

log = logging.getLogger(__name__)

STOP_WAIT_SECONDS = 5.0  # a few of these in a row stay inside systemd's TimeoutStopSec (30 s)


class Rounds:
    def __init__(self, name: str, work: Callable[[], object], interval: Callable[[], float] | float,
                 *, wait_first: bool = False) -> None:
        """``work``: one round (an exception is logged, the next round runs);
        ``interval``: seconds between rounds, or a function giving them (read each round);
        ``wait_first``: the first round comes after one interval rather than at once."""
        self.name, self.work, self.wait_first = name, work, wait_first
        self._interval = interval if callable(interval) else (lambda: interval)
        self._stopping = gevent.event.Event()
        self._greenlet: gevent.Greenlet | None = None

    @property
    def running(self) -> bool:
        return self._greenlet is not None and not self._greenlet.dead

    def start(self) -> None:
        if not self.running:
            self._stopping.clear()
            self._greenlet = gevent.spawn(self._run)

    def stop(self, timeout: float = STOP_WAIT_SECONDS) -> None:
        stop_all([self], timeout)

    def _run(self) -> None:
        if self.wait_first and self._stopping.wait(self._interval()):
            return
        while True:
            try:
                self.work()
            except Exception:  # noqa: BLE001 - a bad round must not stop the next one
                log.exception("%s: a round failed; trying again in %ss", self.name, self._interval())
            if self._stopping.wait(self._interval()):
                return


def stop_all(jobs: list[Rounds], timeout: float = STOP_WAIT_SECONDS) -> None:
    """Stop every job between rounds, waiting ``timeout`` seconds for all of them together."""
    running = []
    for job in jobs:
        greenlet, job._greenlet = job._greenlet, None
        if greenlet is not None:
            job._stopping.set()
            running.append((job, greenlet))
    gevent.joinall([greenlet for _, greenlet in running], timeout=timeout)
    for job, greenlet in running:
        if not greenlet.dead:
            log.warning("%s: the round in progress did not end within %ss; killed", job.name, timeout)
            greenlet.kill(timeout=5)
