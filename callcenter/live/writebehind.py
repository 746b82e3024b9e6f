"""An ordered write-behind queue for the engine's database writes.

Every write is a plain op (a dict of JSON-able values; datetimes and dates are
tagged in the spool file) put on ONE queue. A writer greenlet takes the ops
from the head in batches, BATCH_DELAY seconds after the first one arrived,
and hands each batch to ``apply(connection, ops)`` inside one transaction, run
in gevent's pool of real threads so a slow or locked database never stalls
the hub (and with it every call).

Order is the queue's order: a batch is removed from the head only once it is
committed. A batch that fails because the database is unreachable stays at the
head and is retried with backoff; everything behind it waits. A batch that
fails on its data (a constraint, a value too long) is written again op by op,
and only the op the database refuses is dropped (logged, counted).

Memory is bounded: past ``max_pending`` ops in memory (and while the database
is failing), new ops are appended to a spool file (JSON lines) and read back,
in order, as the queue drains. The
spool survives the process: a new queue on the same file replays it first.
``close()`` spools what could not be written, so a stop during an outage loses
nothing either.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

import gevent
from sqlalchemy import Engine, exc

from callcenter.esl.timing import DB_WRITE_BUCKETS, RoundTrips
from callcenter.live.spool import Op, Spool
from callcenter.live.writeops import PRESENCE_PUT

log = logging.getLogger(__name__)

BATCH_DELAY = 0.25  # seconds the first op of a batch waits for others (bigger batches: less CPU a call; a kill -9 loses at most this much, and recovery reads what it needs from the switch)
MAX_BATCH = 2000  # ops in one transaction
MAX_PENDING = 50_000  # ops held in memory; past that they go to the spool file
RETRY_FIRST, RETRY_MAX = 0.5, 30.0  # seconds between attempts while the database is away

class Applier(Protocol):
    """Turns ops into SQL. ``apply`` runs inside the batch's transaction and returns notes
    to log; ``settle`` says whether that transaction was committed (caches learnt in it
    are kept only if so)."""

    def apply(self, connection: Any, ops: list[Op]) -> list[str]: ...

    def settle(self, committed: bool) -> None: ...


class Transient(Exception):
    """The database is not reachable (or busy): try the same batch again later."""


def is_transient(error: BaseException) -> bool:
    """Errors of the database's availability, not of the data written."""
    if isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.TimeoutError,
                          exc.DisconnectionError, OSError, Transient)):
        return True
    return isinstance(error, exc.DBAPIError) and bool(error.connection_invalidated)


# --- the spool file's encoding ----------------------------------------------------

class WriteBehind:
    def __init__(self, db: Engine, applier: Applier, spool_path: str | Path | None = None, *,
                 batch_delay: float = BATCH_DELAY, max_batch: int = MAX_BATCH,
                 max_pending: int = MAX_PENDING, retry_first: float = RETRY_FIRST,
                 retry_max: float = RETRY_MAX, in_thread: bool = True) -> None:
        self.db, self.applier = db, applier
        self.batch_delay, self.max_batch, self.max_pending = batch_delay, max_batch, max_pending
        self.retry_first, self.retry_max = retry_first, retry_max
        self.in_thread = in_thread  # False: write on the hub (tests that count greenlet switches)
        self.spool = Spool(Path(spool_path)) if spool_path else None
        self._queue: deque[Op] = deque()
        self._writer: gevent.Greenlet | None = None
        self._inflight: Any = None  # the batch being written (a threadpool result)
        # agent id -> its presence op queued since the last batch was taken: a newer state
        # of the same agent replaces it (only the last state is kept in that table anyway)
        self._latest_presence: dict[Any, Op] = {}
        self._unacknowledged = 0  # ops the worker thread wrote whose outcome the hub has not taken
        self._retry = 0.0  # current backoff; 0 while writes succeed
        self._closed = False
        self.written = self.dropped = 0
        self.cpu_seconds = 0.0  # CPU spent writing (in the worker thread)
        self.batch_seconds = RoundTrips(DB_WRITE_BUCKETS)  # wall time of each committed batch
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.failing_since: float | None = None
        if self.spool is not None and self.spool.count:
            self._write_soon()

    # --- putting ops --------------------------------------------------------------
    def put(self, op: Op) -> None:
        """Queue ``op`` (never blocks, never touches the database)."""
        op["q"] = time.time()
        if self.spool is not None and (self.spool.count or len(self._queue) >= self.max_pending
                                       or self.failing_since is not None):
            # behind everything in memory, so the order holds; while the database is away,
            # new ops go to the file at once, so a crash then loses at most the batch in hand
            self.spool.append(op)
        elif len(self._queue) >= self.max_pending:
            self.dropped += 1
            log.error("database write dropped: %d writes pending and no spool file", len(self._queue))
            return
        else:
            if op.get("op") == PRESENCE_PUT:
                agent = op["row"]["agent_id"]
                queued = self._latest_presence.get(agent)
                if queued is not None:
                    queued["row"] = op["row"]
                    return
                self._latest_presence[agent] = op
            self._queue.append(op)
        self._write_soon()

    def _write_soon(self) -> None:
        if (self._writer is None or self._writer.dead) and not self._closed:
            self._writer = gevent.spawn(self._drain)

    # --- writing ------------------------------------------------------------------
    def _drain(self) -> None:
        while self._queue or (self.spool is not None and self.spool.count):
            gevent.sleep(self._retry or self.batch_delay)
            self._write_all()

    def _write_all(self) -> bool:
        """Write batches from the head until nothing is pending; False at the first failure."""
        while True:
            self._refill()
            if not self._queue:
                return True
            if not self._write_head():
                return False

    def flush(self) -> bool:
        """Write everything pending now (in order); False if the database refused (the ops
        stay queued and the writer keeps retrying)."""
        return self._write_all()

    def _refill(self) -> None:
        if self.spool is not None and self.spool.count and len(self._queue) < self.max_pending // 2:
            self._await_inflight()
            self._queue.extend(self.spool.read(self.max_pending - len(self._queue)))

    def _await_inflight(self) -> None:
        while self._inflight is not None:
            job = self._inflight
            job.wait()
            if self._inflight is job:  # its writer was stopped before it took the outcome
                self._inflight = None
                self._unacknowledged = 0

    def _write_head(self) -> bool:
        self._await_inflight()
        self._latest_presence.clear()  # what is taken now is no longer replaced in place
        batch = list(islice(self._queue, self.max_batch))
        if not batch:
            return True
        if self.in_thread:
            job = self._inflight = gevent.get_hub().threadpool.spawn(self._commit, batch)
            outcome = job.get()
        else:
            outcome = self._commit(batch)
        ok, notes, error = outcome
        self._unacknowledged = 0
        for note in notes:
            log.warning("%s", note)
        spooled_to = max((op.get("_spool_end", 0) for op in batch), default=0)
        if spooled_to and self.spool is not None and ok:
            self.spool.committed(spooled_to)
        if ok:
            if self.failing_since is not None:
                log.warning("database writes resumed after %.1f s; %d pending",
                            time.time() - self.failing_since, self.pending)
            self._retry, self.failing_since = 0.0, None
            return True
        self.last_error, self.last_error_at = error, time.time()
        if self.failing_since is None:
            self.failing_since = self.last_error_at
            log.error("database writes failing (%s); %d pending, kept in order and retried",
                      error, self.pending)
        self._retry = min(self.retry_max, max(self.retry_first, self._retry * 2))
        return False

    def _commit(self, batch: list[Op]) -> tuple[bool, list[str], str | None]:
        """Write ``batch`` in one transaction and take it off the head of the queue.
        May run in a worker thread: it logs nothing (the caller logs the notes)."""
        started = time.thread_time()
        try:
            return self._commit_batch(batch)
        finally:
            self.cpu_seconds += time.thread_time() - started

    def _commit_batch(self, batch: list[Op]) -> tuple[bool, list[str], str | None]:
        notes: list[str] = []
        started = time.perf_counter()
        try:
            with self.db.begin() as connection:
                notes += self.applier.apply(connection, batch)
        except Exception as error:
            self.applier.settle(False)
            if is_transient(error):
                return False, [], _describe(error)
            return self._one_by_one(batch, [])
        self.applier.settle(True)
        self.batch_seconds.observe(time.perf_counter() - started)
        self._done(len(batch))
        return True, notes, None

    def _one_by_one(self, batch: list[Op], notes: list[str]) -> tuple[bool, list[str], str | None]:
        """A batch refused for its data: write its ops alone, drop the ones refused."""
        for op in batch:
            try:
                with self.db.begin() as connection:
                    notes += self.applier.apply(connection, [op])
            except Exception as error:
                self.applier.settle(False)
                if is_transient(error):
                    return False, notes, _describe(error)
                notes.append(f"database write dropped ({op.get('op')} {op.get('uuid', '')}): "
                             f"{_describe(error)}")
                self.dropped += 1
            else:
                self.applier.settle(True)
            self._done(1)
        return True, notes, None

    def _done(self, count: int) -> None:
        for _ in range(count):
            self._queue.popleft()
            self._unacknowledged += 1  # still pending until the hub has taken the outcome
        self.written += count

    # --- stopping ---------------------------------------------------------------------
    def close(self) -> None:
        """Write what can be written; spool the rest for the next run."""
        if self._writer is not None:
            self._writer.kill(timeout=5)
            self._writer = None
        self._await_inflight()
        self._closed = True
        if self._write_all():
            if self.spool is not None:
                self.spool.remove()
            return
        if self.spool is None:
            log.error("%d database writes lost: the database is away and no spool file is set",
                      len(self._queue))
            return
        self.spool.rewrite(list(self._queue))
        log.warning("%d database writes spooled to %s for the next run", self.spool.count,
                    self.spool.path)
        self._queue.clear()

    # --- figures ----------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return len(self._queue) + self._unacknowledged + (self.spool.count if self.spool is not None else 0)

    def backlog(self) -> dict[str, Any]:
        try:
            oldest = self._queue[0]["q"]
        except IndexError:  # nothing pending (or the writer thread just took the last)
            oldest = None
        now = time.time()
        return {"pending": self.pending, "in_memory": len(self._queue),
                "spooled": self.spool.count if self.spool is not None else 0,
                "oldest_pending_seconds": round(now - oldest, 3) if oldest else 0.0,
                "written": self.written, "dropped": self.dropped,
                "write_cpu_seconds": round(self.cpu_seconds, 3),
                "write_seconds": self.batch_seconds.snapshot(),
                "failing_for_seconds": round(now - self.failing_since, 3) if self.failing_since else 0.0,
                "last_error": self.last_error,
                "last_error_seconds_ago": round(now - self.last_error_at, 3) if self.last_error_at else None}


def _describe(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"
