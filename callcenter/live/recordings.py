"""Recording metadata: a row when a recording starts, size / duration / sha256
when the file is closed, and a retain-until date from the retention policy."""
from __future__ import annotations

import hashlib
import logging
import wave
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.models import Call, Recording

log = logging.getLogger(__name__)


class RecordingStore:
    def __init__(self, sessions: sessionmaker[Session], directory: str, retention_days: int) -> None:
        self.sessions = sessions
        self.directory = Path(directory)
        self.retention_days = retention_days

    def path_for(self, call_uuid: str, kind: str = "call") -> str:
        day = datetime.now(timezone.utc)
        folder = self.directory / day.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder / f"{call_uuid}-{kind}.wav")

    def started(self, call_uuid: str, path: str, kind: str = "call") -> None:
        with transaction(self.sessions) as session:
            call_id = session.scalar(select(Call.id).where(Call.uuid == call_uuid))
            if call_id is None or session.scalar(select(Recording.id).where(Recording.path == path)):
                return
            session.add(Recording(call_id=call_id, path=path, kind=kind,
                                  retain_until=date.today() + timedelta(days=self.retention_days)))

    def finished(self, path: str, duration_ms: int | None = None) -> None:
        """The file is closed: record its size, duration and sha256."""
        file = Path(path)
        if not file.exists():
            log.warning("recording %s is missing on disk", path)
            return
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        duration = duration_ms if duration_ms is not None else _wav_duration_ms(file)
        with transaction(self.sessions) as session:
            recording = session.scalar(select(Recording).where(Recording.path == path))
            if recording is None:
                return
            recording.size_bytes = file.stat().st_size
            recording.sha256 = digest
            recording.duration_ms = duration


def _wav_duration_ms(file: Path) -> int | None:
    try:
        with wave.open(str(file)) as reader:
            return int(reader.getnframes() * 1000 / reader.getframerate())
    except (wave.Error, EOFError, ZeroDivisionError):
        return None
