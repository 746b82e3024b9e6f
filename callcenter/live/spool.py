"""The write-behind queue's spool file: ops that did not fit in memory (or came while
the database was failing), as JSON lines with datetimes and dates tagged, read back in
order; it survives the process, so a new queue on the same file replays it first."""
from __future__ import annotations

import enum
import json
import logging
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
Op = dict[str, Any]


def _tagged(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$t": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} in a write-behind op is not serialisable")


def _untagged(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$t" in obj:
            return datetime.fromisoformat(obj["$t"])
        if "$d" in obj:
            return date.fromisoformat(obj["$d"])
    return obj


def encode_op(op: Op) -> str:
    return json.dumps(op, default=_tagged, ensure_ascii=False, separators=(",", ":"))


def decode_op(line: str) -> Op:
    return json.loads(line, object_hook=_untagged)


class Spool:
    """Ops that did not fit in memory, as JSON lines, read back in order. ``<path>.offset``
    remembers how far the file is committed to the database, so a restart replays
    only the rest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset_path = path.with_name(path.name + ".offset")
        self.read_at = 0  # byte offset of the next line to load into memory
        self.count = 0  # ops in the file not loaded into memory yet
        self._out = None
        if path.exists():
            self.read_at = self._committed_offset()
            with path.open("rb") as reader:
                reader.seek(self.read_at)
                self.count = sum(1 for line in reader if line.strip())
            if self.count:
                log.warning("replaying %d database writes spooled by the previous run (%s)",
                            self.count, path)
            else:
                self.remove()

    def _committed_offset(self) -> int:
        try:
            return int(self.offset_path.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def append(self, op: Op) -> None:
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("a", encoding="utf-8")
        self._out.write(encode_op(op) + "\n")
        self._out.flush()
        self.count += 1

    def read(self, limit: int) -> list[Op]:
        """Up to ``limit`` ops from the file, in order; each carries "_spool_end", the
        offset just past its line (committed with it)."""
        if self.count == 0:
            return []
        ops = []
        with self.path.open("rb") as reader:
            reader.seek(self.read_at)
            while len(ops) < limit:
                line = reader.readline()
                if not line:
                    break
                self.read_at += len(line)
                if line.strip():
                    op = decode_op(line.decode("utf-8"))
                    op["_spool_end"] = self.read_at
                    ops.append(op)
        self.count -= len(ops)
        if not ops:
            self.count = 0
        return ops

    def committed(self, offset: int) -> None:
        """Ops of the file up to ``offset`` are in the database."""
        if self.count == 0 and offset >= self.read_at:
            self.remove()  # everything in it is written: start afresh
            return
        self.offset_path.write_text(str(offset))

    def remove(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        for path in (self.path, self.offset_path):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        self.read_at = self.count = 0

    def rewrite(self, first: list[Op]) -> None:
        """Make the file hold ``first`` followed by the ops not loaded yet (a clean stop)."""
        rest: list[bytes] = []
        if self.count and self.path.exists():
            with self.path.open("rb") as reader:
                reader.seek(self.read_at)
                rest = [line for line in reader if line.strip()]
        if self._out is not None:
            self._out.close()
            self._out = None
        if not first and not rest:
            self.remove()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = self.path.with_name(self.path.name + ".new")
        with fresh.open("wb") as writer:
            for op in first:
                writer.write((encode_op({k: v for k, v in op.items() if k != "_spool_end"})
                              + "\n").encode("utf-8"))
            writer.writelines(rest)
            writer.flush()
            os.fsync(writer.fileno())
        os.replace(fresh, self.path)
        try:
            self.offset_path.unlink()
        except FileNotFoundError:
            pass
        self.read_at, self.count = 0, len(first) + len(rest)
