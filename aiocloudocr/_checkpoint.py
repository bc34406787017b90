"""JSON Lines checkpoints: one line per finished input, safe against ``kill -9`` at any moment.

Each line is written with a single append as its outcome completes. A torn last line (the
process died mid-write) is ignored when reading and cut off before appending again, so a
resumed run never glues a new line onto a broken one.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import aiofiles
import attrs

from aiocloudocr.errors import ConfigurationError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one run per checkpoint is on the caller
    fcntl = None  # type: ignore[assignment]

Key = Hashable


def key_to_json(key: Key) -> Any:
    """The JSON form of an input key (ints and strings as they are, else their str)."""
    return key if isinstance(key, (int, str)) else str(key)


def read_checkpoint(path: str | os.PathLike[str]) -> dict[Any, Mapping[str, Any]]:
    """Return the last recorded line per key; missing file = empty; torn lines skipped."""
    records: dict[Any, Mapping[str, Any]] = {}
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below; sync: read once at start
    except FileNotFoundError:
        return records
    with handle:
        for raw in handle:
            if not raw.endswith(b"\n"):
                break  # a torn last line: the write never finished
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if isinstance(record, dict) and "key" in record and "status" in record:
                records[record["key"]] = record
    return records


def _cut_torn_tail(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if size == 0:
        return
    with open(path, "rb+") as handle:
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        # Walk back to the last complete line and drop what follows it.
        position = size - 1
        chunk = 4096
        while position > 0:
            start = max(0, position - chunk)
            handle.seek(start)
            data = handle.read(position - start)
            newline = data.rfind(b"\n")
            if newline != -1:
                handle.truncate(start + newline + 1)
                return
            position = start
        handle.truncate(0)


class CheckpointBusy(ConfigurationError):
    """Another run (in this process or another) is writing the same checkpoint."""


@attrs.define
class CheckpointWriter:
    """Appends one JSON line per outcome; each line goes out in one write, then is flushed.

    The file is locked (``flock``, where the platform has it) while the run writes, so two
    runs can never append the same inputs to one checkpoint.
    """

    path: Path
    lock_wait: float = 5.0
    _handle: Any = attrs.field(default=None, init=False)
    _lock: asyncio.Lock = attrs.field(factory=asyncio.Lock, init=False)
    _lock_fd: int | None = attrs.field(default=None, init=False)

    async def open(self) -> None:
        """Lock the file, cut off a torn last line, and open it for appending."""
        await self._acquire_file_lock()
        _cut_torn_tail(self.path)
        self._handle = await aiofiles.open(self.path, "ab")

    async def _acquire_file_lock(self) -> None:
        if fcntl is None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        # A run stopped early is closed by the event loop a moment later; wait for it briefly.
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise CheckpointBusy(
                        f"checkpoint {str(self.path)!r} is in use by another run"
                    ) from None
                await asyncio.sleep(0.02)
                continue
            self._lock_fd = fd
            return

    async def write(self, record: Mapping[str, Any]) -> None:
        """Append ``record`` as one line."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
        async with self._lock:  # many workers write; lines must not interleave
            await self._handle.write(line.encode() + b"\n")
            await self._handle.flush()

    async def close(self) -> None:
        """Close the file and release its lock."""
        if self._handle is not None:
            await self._handle.close()
            self._handle = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None


# Exception types whose failures are the input's own (lines written before the "final" field
# existed are read with this).
_FINAL_TYPES = frozenset({"ValidationError", "BadRequestError", "ImageError", "URLFetchError"})


def record_is_final(record: Mapping[str, Any]) -> bool:
    """Whether a checkpoint line records an outcome that sending again would not change."""
    if record.get("status") == "ok":
        return True
    final = record.get("final")
    if isinstance(final, bool):
        return final
    error = record.get("error")
    return isinstance(error, Mapping) and error.get("type") in _FINAL_TYPES


def record_is_done(record: Mapping[str, Any], *, retry_failed: bool = False) -> bool:
    """Whether a resumed run skips the input of this checkpoint line: successes always,
    final failures unless ``retry_failed``."""
    if record.get("status") == "ok":
        return True
    return not retry_failed and record_is_final(record)
