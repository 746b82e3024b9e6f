"""Where recordings live: the path FreeSWITCH writes (on its host) and the path
the engine and console read (here), and hashing files off the event loop.

With the switch on another host, both see one shared folder (e.g. NFS): the
switch as ``recordings.switch_directory``, this machine as
``recordings.directory``. The database keeps the switch's path (it is what
``uuid_record`` was told); ``local()`` maps it to a file here.
"""
from __future__ import annotations

import hashlib
import wave
from pathlib import Path, PurePosixPath
from typing import Any

HASH_CHUNK = 1 << 20
AUDIO_SUFFIXES = (".wav", ".mp3", ".ogg")


class RecordingPaths:
    def __init__(self, directory: str | Path, switch_directory: str = ""):
        self.directory = Path(directory)
        self.switch_directory = PurePosixPath(switch_directory) if switch_directory else None

    @classmethod
    def from_config(cls, config) -> "RecordingPaths":
        return cls(config.recordings.directory, config.recordings.switch_directory)

    def local(self, stored: str) -> Path:
        """The file on this machine for a path as the switch wrote it."""
        if self.switch_directory is not None:
            try:
                relative = PurePosixPath(stored).relative_to(self.switch_directory)
            except ValueError:
                return Path(stored)
            return self.directory / relative
        return Path(stored)

    def for_switch(self, local: str | Path) -> str:
        """The path to give the switch for a file that should appear here."""
        local = Path(local)
        if self.switch_directory is None:
            return str(local)
        return str(self.switch_directory / local.relative_to(self.directory).as_posix())

    def files(self) -> list[Path]:
        """Every audio file under the local directory (for finding orphans)."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.rglob("*")
                      if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as reader:
        for chunk in iter(lambda: reader.read(HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def measure(path: str | Path, duration_ms: int | None = None) -> dict[str, Any] | None:
    """A closed recording's size, sha256 and duration (the WAV header's when not given);
    None when the file is not there."""
    file = Path(path)
    try:
        digest = sha256_of(file)
        size = file.stat().st_size
    except FileNotFoundError:
        return None
    duration = duration_ms if duration_ms is not None else _wav_duration_ms(file)
    return {"size_bytes": size, "sha256": digest, "duration_ms": duration}


def _wav_duration_ms(file: Path) -> int | None:
    try:
        with wave.open(str(file)) as reader:
            return int(reader.getnframes() * 1000 / reader.getframerate())
    except (wave.Error, EOFError, ZeroDivisionError):
        return None


def sha256_off_loop(path: str | Path) -> str:
    """The same, in gevent's thread pool: a one-hour file must not stall the other calls."""
    import gevent
    return gevent.get_hub().threadpool.apply(sha256_of, (path,))
