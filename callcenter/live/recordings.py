"""Recording metadata: a row when a recording starts, size / duration / sha256
when the file is closed (or "empty" when the switch wrote no audio and deleted the
file), and a retain-until date from the retention policy.

Both go on the engine's ordered write-behind queue (the CallLog's), after the
call's own row; the file is measured and hashed in a worker thread, so closing
a one-hour recording never stalls the other calls.

While a call is recorded the store remembers its file and the spans it was paused
(masked) for, from the agent's desk or around a secret the IVR collected; they go
into the recording's metadata (masked_spans, ms from its start) when it is closed.
An engine restart forgets an open recording's spans: the QA timeline then rebuilds
them from the call's recording_paused / recording_resumed events."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.live import writeops as ops
from callcenter.models import Call, CallEvent
from callcenter.qa.storage import RecordingPaths

log = logging.getLogger(__name__)


@dataclass
class LiveRecording:
    path: str
    started_at: datetime
    spans: list[tuple[int, int]] = field(default_factory=list)  # ms from started_at
    paused_at: datetime | None = None

    def ms(self, at: datetime) -> int:
        return max(0, int((at - self.started_at).total_seconds() * 1000))


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
        self._day, self._switch_folder = "", self.switch_view
        self.writer = writer if writer is not None else CallLog(sessions)  # .put(op)
        self.live: dict[str, LiveRecording] = {}  # call uuid -> the file being written now

    def path_for(self, call_uuid: str, kind: str = "call") -> str:
        day = datetime.now(timezone.utc).strftime("%Y/%m/%d")
        if day != self._day:  # one mkdir and one path translation a day, not one a call
            folder = self.directory / day
            folder.mkdir(parents=True, exist_ok=True)
            self._switch_folder = self.paths.for_switch(folder)
            self._day = day
        return f"{self._switch_folder}/{call_uuid}-{kind}.wav"

    def started(self, call_uuid: str, path: str, kind: str = "call", track: bool = True) -> None:
        """A recording of the call began (``track``: it is the call's own, the one a
        pause masks; a consultation leg's file is not)."""
        at = datetime.now(timezone.utc)
        current = self.live.get(call_uuid)
        if track and (current is None or current.path != path):  # a consultation goes on in the same file
            self.live[call_uuid] = LiveRecording(path, at)
        self.writer.put({"op": ops.RECORDING, "uuid": call_uuid, "path": path, "kind": kind,
                         "at": at, "retain_until": date.today() + timedelta(days=self.retention_days)})

    def record_rest_of_call(self, control: Any, calllog: Any, call_uuid: str, kind: str,
                            note: dict[str, Any], file_tag: str = "") -> bool:
        """Record the call from here to its hang-up through the IVR's call control
        (whoever joins it later); False (logged) when the switch could not start it."""
        from callcenter.ivr.control import CallControlError, CallerHungUp
        path = self.path_for(call_uuid, file_tag or kind)
        try:
            control.record_whole_call(path)
        except (CallControlError, CallerHungUp) as error:
            log.error("[%s] the %s recording could not start: %s", call_uuid, kind, error)
            return False
        self.started(call_uuid, path, kind=kind)
        calllog.event(call_uuid, "recording_started", {"path": path, **note})
        return True

    def adopt(self, call_uuid: str, path: str, started_at: datetime) -> None:
        """After an engine restart: the switch went on recording the call into ``path``
        (its media bug does not need the engine); pauses work on it again, and a pause
        still open (the switch still masks) is taken from the call's last pause event."""
        if call_uuid in self.live:
            return
        current = self.live[call_uuid] = LiveRecording(path, started_at)
        with self.sessions() as db:
            last = db.execute(select(CallEvent.kind, CallEvent.at).join(Call).where(
                Call.uuid == call_uuid,
                CallEvent.kind.in_(("recording_paused", "recording_resumed")))
                .order_by(CallEvent.id.desc()).limit(1)).first()
        if last is not None and last.kind == "recording_paused":
            current.paused_at = last.at if last.at.tzinfo else last.at.replace(tzinfo=timezone.utc)

    def recording_of(self, call_uuid: str) -> LiveRecording | None:
        """The file the call is being recorded to now, if any."""
        return self.live.get(call_uuid)

    def mark_paused(self, call_uuid: str, paused: bool, at: datetime) -> None:
        """The switch masked (paused) or unmasked the call's recording at ``at``."""
        current = self.live.get(call_uuid)
        if current is None:
            return
        if paused and current.paused_at is None:
            current.paused_at = at
        elif not paused and current.paused_at is not None:
            current.spans.append((current.ms(current.paused_at), current.ms(at)))
            current.paused_at = None

    def finished(self, path: str, duration_ms: int | None = None) -> None:
        """The file is closed: its size, duration and sha256 are measured by the write-behind
        writer, in its worker thread, with the batch that records them (writeops)."""
        self._close_spans(path)
        self.writer.put({"op": ops.RECORDING_DONE, "path": path, "local": str(self.paths.local(path)),
                         "duration_ms": duration_ms})

    def discarded(self, call_uuid: str, path: str) -> None:
        """The switch closed the file without one audio frame in it and deleted it (the call
        ended as it was connected): the row is marked empty, there is nothing to measure."""
        self._close_spans(path)
        log.info("[%s] recording %s is empty, discarded by the switch", call_uuid, path)
        self.writer.put({"op": ops.RECORDING_EMPTY, "path": path})

    def _close_spans(self, path: str) -> None:
        """Forget the call's live recording and keep its masked spans (a span still
        open when the file closed ends with it)."""
        call_uuid = next((u for u, r in self.live.items() if r.path == path), None)
        if call_uuid is None:
            return
        self.mark_paused(call_uuid, False, datetime.now(timezone.utc))
        current = self.live.pop(call_uuid)
        if current.spans:
            self.writer.put({"op": ops.RECORDING_MASKED, "path": path,
                             "masked_spans": [list(span) for span in current.spans]})
