"""A simulated leg's recordings (record_session): started and stopped with their
events, masked spans and held time kept, written as a WAV of the simulated length.
A part of Channel (callcenter/sim/channel.py)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Recording:
    path: str
    started: float  # time.monotonic()
    channels: int
    masked: list[tuple[float, float]] = field(default_factory=list)
    mask_started: float | None = None
    # while the recorded channel itself is held (uuid_hold on it: CF_HOLD | CF_SUSPEND)
    # the switch's media bug gets no frames: the file skips that time
    gaps: list[tuple[float, float]] = field(default_factory=list)
    gap_started: float | None = None


class ChannelRecordingMixin:
    def start_recording(self, path: str, channels: int) -> None:
        self.recordings[path] = Recording(path, time.monotonic(), channels)
        self.variables["record_stereo" if channels == 2 else "record_mono"] = "true"
        self.emit("RECORD_START", [("Record-File-Path", path)])
        self.emit("MEDIA_BUG_START", before=[("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)])

    def stop_recording(self, path: str) -> bool:
        from .media import write_wav
        rec = self.recordings.pop(path, None)
        if rec is None:
            return False
        now = time.monotonic()
        if rec.mask_started is not None:
            rec.masked.append((rec.mask_started, now))
        if rec.gap_started is not None:
            rec.gaps.append((rec.gap_started, now))
        elapsed = self.sim.clock.sim_elapsed

        def in_file(moment: float) -> float:  # the moment's offset in the file, gaps left out
            skipped = sum(elapsed(a, min(b, moment)) for a, b in rec.gaps if a < moment)
            return elapsed(rec.started, moment) - skipped
        seconds = in_file(now)
        masked = [(in_file(a), in_file(b)) for a, b in rec.masked]
        size = write_wav(path, seconds, rec.channels, masked)
        self.recorded_paths.append(path)
        self.variables["record_seconds"] = str(int(seconds))
        self.variables["record_ms"] = str(int(seconds * 1000))
        self.variables["record_file_size"] = str(size)
        self.emit("RECORD_STOP", [("Record-File-Path", path), ("Record-Completion-Cause", "success-silence")])
        self.emit("MEDIA_BUG_STOP", before=[("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)])
        return True

    # ---- events ----------------------------------------------------------
