"""A simulated leg's recordings (record_session): started and stopped with their
events, masked spans and held time kept, written as a WAV of the simulated length;
one that got no audio frame is deleted and flagged as the switch does.
A part of Channel (callcenter/sim/channel.py)."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from .media import RATE

PACKET_SECONDS = 0.02  # one 20 ms frame (PCMU): the least the media bug writes
WAV_HEADER_BYTES = 44  # the file the switch opened, before it deletes it


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
        if self.hung_up_at is not None:  # no frame comes after the hang-up
            now = min(now, self.hung_up_at)
        if rec.mask_started is not None:
            rec.masked.append((rec.mask_started, now))
        if rec.gap_started is not None:
            rec.gaps.append((rec.gap_started, now))
        elapsed = self.sim.clock.sim_elapsed

        def in_file(moment: float) -> float:  # the moment's offset in the file, gaps left out
            skipped = sum(elapsed(a, min(b, moment)) for a, b in rec.gaps if a < moment)
            return elapsed(rec.started, moment) - skipped
        seconds = in_file(now)
        if seconds < PACKET_SECONDS:
            self._discard_empty(path)
            return True
        masked = [(in_file(a), in_file(b)) for a, b in rec.masked]
        size = write_wav(path, seconds, rec.channels, masked)
        self.recorded_paths.append(path)
        self.variables["record_file_size"] = str(size)
        self._record_stop(path, int(seconds * RATE), "success-silence")
        return True

    def _discard_empty(self, path: str) -> None:
        """No audio frame reached the media bug (the channel hung up, or was held, within
        the first packet): as the switch's record_callback does on SWITCH_ABC_TYPE_CLOSE,
        "Discarding empty file": the file it opened is deleted, RECORD_DISCARDED=true is
        set on the channel (and stays there) and RECORD_STOP says "empty-file"."""
        self.variables["record_file_size"] = str(WAV_HEADER_BYTES)  # measured before deleting
        self.variables["RECORD_DISCARDED"] = "true"
        if os.path.exists(path):
            os.remove(path)
        self._record_stop(path, 0, "empty-file")

    def _record_stop(self, path: str, samples: int, cause: str) -> None:
        """send_record_stop_event: the figures as channel variables, then RECORD_STOP."""
        self.variables.update(record_samples=str(samples), record_seconds=str(samples // RATE),
                              record_ms=str(samples * 1000 // RATE), record_completion_cause=cause)
        self.emit("RECORD_STOP", [("Record-File-Path", path), ("Record-Completion-Cause", cause)])
        self.emit("MEDIA_BUG_STOP", before=[("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)])

    # ---- events ----------------------------------------------------------
