"""Recording metadata: a row when a recording starts, size / duration / sha256
when the file is closed, and a retain-until date from the retention policy.

Both go on the engine's ordered write-behind queue (the CallLog's), after the
call's own row; the file is measured and hashed in a worker thread, so closing
a one-hour recording never stalls the other calls."""
from __future__ import annotations

import hashlib
import logging
import wave
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import gevent
from sqlalchemy.orm import Session, sessionmaker

from callcenter.live import writeops as ops
from callcenter.qa.storage import RecordingPaths

log = logging.getLogger(__name__)
HASH_CHUNK = 1 << 20


class RecordingStore:
    def __init__(self, sessions: sessionmaker[Session], directory: str, retention_days: int,
                 writer: Any = None, switch_directory: str = "") -> None:
        from callcenter.live.calllog import CallLog
        self.sessions = sessions
        self.directory = Path(directory)
        # paths are handed to the switch as it sees the (shared) folder; files are read here
        self.paths = RecordingPaths(directory, switch_directory)
        self.switch_view = switch_directory or str(self.directory)
        self.retention_days = retention_days
        self._day, self._folder = "", self.directory
        self.writer = writer if writer is not None else CallLog(sessions)  # .put(op)

    def path_for(self, call_uuid: str, kind: str = "call") -> str:
        day = datetime.now(timezone.utc).strftime("%Y/%m/%d")
        if day != self._day:  # one mkdir a day, not one a call
            self._folder = self.directory / day
            self._folder.mkdir(parents=True, exist_ok=True)
            self._day = day
        return self.paths.for_switch(f"{self._folder}/{call_uuid}-{kind}.wav")

    def started(self, call_uuid: str, path: str, kind: str = "call") -> None:
        self.writer.put({"op": ops.RECORDING, "uuid": call_uuid, "path": path, "kind": kind,
                         "at": datetime.now(timezone.utc),
                         "retain_until": date.today() + timedelta(days=self.retention_days)})

    def finished(self, path: str, duration_ms: int | None = None) -> None:
        """The file is closed: record its size, duration and sha256 (measured in a worker
        thread; only the calling greenlet waits)."""
        measured = gevent.get_hub().threadpool.apply(_measure, (self.paths.local(path), duration_ms))
        if measured is None:
            log.warning("recording %s is missing on disk", path)
            return
        self.writer.put({"op": ops.RECORDING_DONE, "path": path, **measured})


def _measure(path: str | Path, duration_ms: int | None) -> dict[str, Any] | None:
    file = Path(path)
    digest = hashlib.sha256()
    try:
        with file.open("rb") as reader:
            for chunk in iter(lambda: reader.read(HASH_CHUNK), b""):
                digest.update(chunk)
        size = file.stat().st_size
    except FileNotFoundError:
        return None
    duration = duration_ms if duration_ms is not None else _wav_duration_ms(file)
    return {"size_bytes": size, "sha256": digest.hexdigest(), "duration_ms": duration}


def _wav_duration_ms(file: Path) -> int | None:
    try:
        with wave.open(str(file)) as reader:
            return int(reader.getnframes() * 1000 / reader.getframerate())
    except (wave.Error, EOFError, ZeroDivisionError):
        return None
