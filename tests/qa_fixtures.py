"""Helpers for the QA and recordings tests: real WAV files and the rows that name them."""
from __future__ import annotations

import hashlib
import math
import struct
import wave
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from callcenter.config import load_config
from callcenter.db import transaction
from callcenter.engine import Services
from callcenter.models import Call, CallDirection, CallEvent, Recording

RATE = 8000
ROOT = Path(__file__).resolve().parent.parent


def make_app(db_engine, sessions, write_config, fake_live, folder: Path, hear_own: bool = False):
    """The console with recordings in ``folder`` and the shipped scorecards (teams are in
    the database: see add_team)."""
    from web import create_app
    config = load_config(write_config(f"""\
switch:
  password: x
recordings:
  directory: {folder}
  agents_hear_own: {'true' if hear_own else 'false'}
qa:
  scorecards_directory: {ROOT / 'scorecards'}
"""))
    services = Services(config=config, db_engine=db_engine, sessions=sessions,
                        secret_key="test-secret-key-0123456789", extras={"live": fake_live})
    return create_app(services, {"TESTING": True, "LOGIN_FAILURE_DELAY": 0.0})


def write_wav(path: Path, seconds: float, channels: int = 2) -> Path:
    """A real stereo WAV: a 440 Hz tone on the left (caller), 660 Hz on the right (agent)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    for n in range(int(seconds * RATE)):
        for channel in range(channels):
            tone = 440 if channel == 0 else 660
            frames += struct.pack("<h", int(8000 * math.sin(2 * math.pi * tone * n / RATE)))
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes(bytes(frames))
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_recorded_call(sessions, folder: Path, uuid: str, *, agent_id: int | None = None,
                      retain_until: date = date(2027, 3, 1), seconds: float = 2.0,
                      started: datetime = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc),
                      caller: str = "13800000001", queue: str = "billing",
                      disposition: str | None = None, survey_score: int | None = None,
                      direction: CallDirection = CallDirection.INBOUND,
                      stored_path: str | None = None) -> tuple[int, int]:
    """A finished call with its recording on disk; returns (call id, recording id)."""
    path = write_wav(folder / f"{uuid}-call.wav", seconds)
    with transaction(sessions) as db:
        call = Call(uuid=uuid, direction=direction, caller_number=caller, dialled_number="10000",
                    queue_name=queue, need=queue, agent_id=agent_id, created_at=started,
                    switch_answered_at=started, queued_at=started + timedelta(seconds=20),
                    agent_answered_at=started + timedelta(seconds=30),
                    ended_at=started + timedelta(seconds=30 + seconds),
                    disposition=disposition, survey_score=survey_score)
        db.add(call)
        db.flush()
        for offset, kind, data in ((0, "ivr_end", {"flow": "main"}), (20, "queued", {"queue": queue}),
                                   (30, "answered", {"agent_id": agent_id}),
                                   (30.2, "recording_paused", {"reason": "secret"}),
                                   (30.6, "recording_resumed", {"reason": "secret"}),
                                   (31, "hold", {}), (31.5, "unhold", {})):
            db.add(CallEvent(call_id=call.id, at=started + timedelta(seconds=offset), kind=kind,
                             data=data))
        recording = Recording(call_id=call.id, path=stored_path or str(path),
                              started_at=started + timedelta(seconds=30),
                              duration_ms=int(seconds * 1000), size_bytes=path.stat().st_size,
                              sha256=sha256(path), retain_until=retain_until)
        db.add(recording)
        db.flush()
        return call.id, recording.id
