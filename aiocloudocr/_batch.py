"""Bulk fan-out: many inputs through one operation, bounded memory, checkpoints, progress."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Hashable,
    Iterable,
    Mapping,
)
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import attrs

from aiocloudocr._checkpoint import (
    CheckpointWriter,
    key_to_json,
    read_checkpoint,
    record_is_done,
)
from aiocloudocr.errors import (
    APIError,
    CloudOcrError,
    ConfigurationError,
    RunAbortedError,
    is_final,
    is_systemic,
)
from aiocloudocr.operations import AnyOperation
from aiocloudocr.retry import RetryPolicy

if TYPE_CHECKING:
    from aiocloudocr._client import Client

ResultT = TypeVar("ResultT")
_Item = TypeVar("_Item")
Status = Literal["ok", "failed"]


@attrs.frozen(kw_only=True)
class Outcome(Generic[ResultT]):
    """What became of one input: its key, and either the result or the error."""

    key: Hashable
    index: int
    status: Status
    result: ResultT | None = None
    error: BaseException | None = None
    attempts: int = 0
    latency: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the input succeeded."""
        return self.status == "ok"

    @property
    def final(self) -> bool:
        """Whether sending this input again would end the same way (see ``errors.is_final``):
        true for successes and the input's own faults, false for systemic or transient
        failures, which a resumed run tries again."""
        return self.error is None or is_final(self.error)

    def record(self) -> dict[str, Any]:
        """The JSON-ready checkpoint line for this outcome."""
        line: dict[str, Any] = {
            "key": key_to_json(self.key),
            "status": self.status,
            "final": self.final,
            "attempts": self.attempts,
            "latency": round(self.latency, 6),
        }
        if self.result is not None:
            meta = getattr(self.result, "meta", None)
            line["request_id"] = getattr(meta, "request_id", None)
            line["result"] = getattr(self.result, "raw", None)
        if self.error is not None:
            line["error"] = error_record(self.error)
        return line


def error_record(error: BaseException) -> dict[str, Any]:
    """A JSON-ready description of an error (already free of secrets)."""
    return {
        "type": type(error).__name__,
        "code": getattr(error, "code", None),
        "message": getattr(error, "message", None) or str(error),
        "status": getattr(error, "status", None),
        "request_id": getattr(error, "request_id", None),
    }


@attrs.define
class MapStats:
    """Live counters of a bulk run, handed to the progress callback."""

    total: int | None = None
    submitted: int = 0
    done: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    retries: int = 0
    held: int = 0
    max_held: int = 0
    started: float = attrs.field(factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started


ProgressCallback = Callable[[MapStats, "Outcome[Any]"], None]


def input_key(index: int, source: Any) -> tuple[Hashable, Any]:
    """Split an input into (key, source): paths and URLs are their own keys, else the index.

    An explicit ``(key, source)`` pair keeps its key.
    """
    if isinstance(source, tuple) and len(source) == 2:
        return source[0], source[1]
    if isinstance(source, os.PathLike):
        return os.fspath(source), source
    if isinstance(source, str) and len(source) < 1024:
        return source, source
    return index, source


class _Inbox(Generic[_Item]):
    """An unbounded FIFO awaited by one task: what the run's outcomes travel through.

    asyncio.Queue does the same with more bookkeeping (bounds, several getters, task
    counts), which showed as several microseconds per input on the bulk hot path.
    """

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: collections.deque[_Item] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: _Item) -> None:
        """Add ``item`` and wake the task waiting in :meth:`get`, if any."""
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> _Item:
        """The oldest item, waiting for one if there is none."""
        while not self._items:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        return self._items.popleft()


@attrs.define
class BatchRun:
    """One bulk run; iterate it (``async for``) to drive it and receive outcomes."""

    client: Client
    operation: AnyOperation
    inputs: Iterable[Any] | AsyncIterable[Any]
    fields: Mapping[str, Any]
    concurrency: int
    ordered: bool = False
    item_timeout: float | None = None
    progress: ProgressCallback | None = None
    checkpoint: Path | None = None
    retry_failed: bool = False
    check: bool = True
    total: int | None = None
    stats: MapStats = attrs.field(init=False)
    _iterator: AsyncGenerator[Outcome[Any], None] | None = attrs.field(default=None, init=False)
    _started: bool = attrs.field(default=False, init=False)
    _stop_requested: bool = attrs.field(default=False, init=False)
    _halt: Callable[[], None] | None = attrs.field(default=None, init=False)

    def __attrs_post_init__(self) -> None:
        if self.concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, got {self.concurrency}")
        self.stats = MapStats(total=self.total)

    def _policy(self) -> RetryPolicy | None:
        if self.item_timeout is None:
            return None
        return attrs.evolve(self.client.retry_policy, deadline=self.item_timeout)

    async def _process(
        self, index: int, key: Hashable, source: Any, policy: RetryPolicy | None
    ) -> Outcome[Any]:
        started = time.monotonic()
        try:
            if isinstance(source, self.operation.request_type):
                result = await self.client.call(
                    self.operation, source, retry=policy, check=self.check
                )
            else:
                result = await self.client._run(
                    self.operation, source, None, self.fields, check=self.check, retry=policy
                )
        except (CloudOcrError, OSError, ValueError, TypeError) as error:
            # One bad input never stops the run; it becomes a failed outcome.
            attempts = (
                error.attempts if isinstance(error, APIError) else getattr(error, "attempts", 0)
            )
            return Outcome(key=key, index=index, status="failed", error=error,
                           attempts=attempts, latency=time.monotonic() - started)  # fmt: skip
        meta = getattr(result, "meta", None)
        return Outcome(key=key, index=index, status="ok", result=result,
                       attempts=getattr(meta, "attempts", 1),
                       latency=time.monotonic() - started)  # fmt: skip

    def stop(self) -> None:
        """Start no further input: the ones in flight finish and are yielded (and written to
        the checkpoint), then the iteration ends. A resumed run does the rest."""
        self._stop_requested = True
        if self._halt is not None:
            self._halt()

    def __aiter__(self) -> AsyncGenerator[Outcome[Any], None]:
        if self._started:
            raise RuntimeError("a bulk run can be iterated once; call client.map() again")
        self._started = True
        # No reference to the generator is kept here: a run abandoned by `break` must be
        # finalised as soon as the loop drops it, not when the cycle collector gets to it.
        if self.checkpoint is None:
            return self._pipeline(None, set())  # nothing to open or close around it
        return self._run()

    async def __aenter__(self) -> AsyncIterator[Outcome[Any]]:
        self._iterator = self.__aiter__()
        return self._iterator

    async def __aexit__(self, *exc_info: object) -> None:
        # Deterministic cleanup: cancel what is still in flight and release the checkpoint
        # now, rather than whenever the event loop finalises an abandoned generator.
        if self._iterator is not None:
            iterator, self._iterator = self._iterator, None
            await iterator.aclose()

    async def _run(self) -> AsyncGenerator[Outcome[Any], None]:
        writer = CheckpointWriter(self.checkpoint) if self.checkpoint is not None else None
        if writer is not None:
            await writer.open()  # lock first, so the read sees every earlier run's lines
        try:
            done = self._done_keys(writer)
            async with contextlib.aclosing(self._pipeline(writer, done)) as outcomes:
                async for outcome in outcomes:
                    yield outcome
        finally:
            if writer is not None:
                await writer.close()

    def _done_keys(self, writer: CheckpointWriter | None) -> set[Any]:
        if writer is None:
            return set()
        return {
            key
            for key, record in read_checkpoint(writer.path).items()
            if record_is_done(record, retry_failed=self.retry_failed)
        }

    async def _pipeline(
        self, writer: CheckpointWriter | None, done_keys: set[Any]
    ) -> AsyncGenerator[Outcome[Any], None]:
        # At most two inputs per worker are held (read and not yet yielded). The producer
        # sleeps while that window is full and is woken once a quarter of it is free again,
        # not for every outcome: one wake-up per batch of inputs.
        held_limit = 2 * self.concurrency
        refill_at = held_limit - max(1, self.concurrency // 2)
        room = asyncio.Event()
        # Work items carry a submission number: ordered output follows it, which skips the
        # gaps left by inputs a checkpoint says are done.
        work: asyncio.Queue[tuple[int, int, Hashable, Any] | None] = asyncio.Queue()
        results: _Inbox[tuple[int, Outcome[Any]] | BaseException | None] = _Inbox()
        stats = self.stats
        # Set when no worker may start another input: the first error that no other input can
        # avoid (the run then raises RunAbortedError), or None for stop().
        stop: list[BaseException | None] = []
        position = -1  # of the last input read

        def admit(item: Any) -> bool:
            # Queue one input unless a checkpoint says it is done; False once the run stops.
            nonlocal position
            position += 1
            key, source = input_key(position, item)
            if done_keys and key_to_json(key) in done_keys:
                stats.skipped += 1
                return True
            if stop:
                return False
            stats.held += 1
            stats.max_held = max(stats.max_held, stats.held)
            work.put_nowait((stats.submitted, position, key, source))
            stats.submitted += 1
            return True

        async def room_for_one() -> None:
            while stats.held >= held_limit and not stop:
                room.clear()
                await room.wait()

        async def produce() -> None:
            inputs = self.inputs
            try:
                # A plain iterable is read in a plain loop: wrapping it in an async
                # generator cost a suspension point per input.
                if isinstance(inputs, AsyncIterable):
                    async for item in inputs:
                        if stats.held >= held_limit:
                            await room_for_one()
                        if not admit(item):
                            return
                else:
                    for item in inputs:
                        if stats.held >= held_limit:
                            await room_for_one()
                        if not admit(item):
                            return
            except Exception as error:  # the input iterable itself failed: end the run with it
                results.put_nowait(error)
                return
            for _ in range(self.concurrency):
                work.put_nowait(None)

        policy = self._policy()  # one per run: the same for every input

        async def consume() -> None:
            try:
                while not stop:
                    # The queue is usually full (the producer refills it in batches).
                    item = work.get_nowait() if not work.empty() else await work.get()
                    if item is None:
                        break
                    seq, index, key, source = item
                    outcome = await self._process(index, key, source, policy)
                    error = outcome.error
                    if error is not None and is_systemic(error) and not (stop and stop[0]):
                        halt(error)
                    if writer is not None:
                        # Written as soon as it completes, not when the caller gets to it: a
                        # run stopped early (or killed) keeps every result it has paid for.
                        await writer.write(outcome.record())
                    results.put_nowait((seq, outcome))
                    # Nothing of this input stays referenced while the next is in flight:
                    # a worker holding its last outcome kept one result per worker alive
                    # and made every young-generation collection walk them.
                    del item, source, outcome, error
            except Exception as error:  # e.g. the checkpoint disk is full: end the run with it
                results.put_nowait(error)
                return
            results.put_nowait(None)

        def halt(error: BaseException | None = None) -> None:
            # Inputs queued but not started are dropped (a resumed run does them); idle
            # workers are woken to leave; busy ones finish the input in hand.
            halted = bool(stop)
            stop[:] = [error if error is not None else (stop[0] if stop else None)]
            if halted:
                return
            self._halt = None
            producer.cancel()
            while not work.empty():
                if work.get_nowait() is not None:
                    stats.held -= 1
                    stats.submitted -= 1
            for _ in workers:
                work.put_nowait(None)

        producer = asyncio.ensure_future(produce())
        workers = [asyncio.ensure_future(consume()) for _ in range(self.concurrency)]
        self._halt = halt
        if self._stop_requested:
            halt()
        finished = 0
        pending: dict[int, Outcome[Any]] = {}
        next_seq = 0
        try:
            while finished < len(workers):
                got = await results.get()
                if got is None:
                    finished += 1
                    continue
                if isinstance(got, BaseException):
                    raise got
                seq, outcome = got
                stats.done += 1
                stats.ok += outcome.ok
                stats.failed += not outcome.ok
                stats.retries += max(outcome.attempts - 1, 0)
                if self.progress is not None:
                    self.progress(stats, outcome)
                if not self.ordered or stop:
                    stats.held -= 1
                    if stats.held <= refill_at:
                        room.set()
                    yield outcome
                    continue
                pending[seq] = outcome
                while next_seq in pending:
                    ready = pending.pop(next_seq)
                    next_seq += 1
                    stats.held -= 1
                    if stats.held <= refill_at:
                        room.set()
                    yield ready
            for seq in sorted(pending):  # gaps left by inputs dropped at a stop
                yield pending.pop(seq)
            if stop and stop[0] is not None:
                raise RunAbortedError(abort_message(stop[0]), cause=stop[0], done=stats.done)
        finally:
            self._halt = None
            producer.cancel()
            for worker in workers:
                worker.cancel()
            await asyncio.gather(producer, *workers, return_exceptions=True)


_REMEDY = {
    "AuthenticationError": "the credentials were refused: check the access key and secret "
    "key (or the password, domain and project), and that the key is enabled",
    "NotSubscribedError": "the API is not subscribed for this account and region: subscribe "
    "to it in the console, in the region you call",
    "PermissionDeniedError": "the account may not call this API: check its permissions, "
    "whether it is frozen or restricted, and its balance",
    "NotFoundError": "the API was not found: check the region (or endpoint) and the project id",
}


def abort_message(error: BaseException) -> str:
    """What stopped a bulk run and what to fix, in one line."""
    kind = next((name for cls in type(error).__mro__ if (name := cls.__name__) in _REMEDY), None)
    what = str(error)
    if kind is None:
        return f"the run stopped: {what}"
    return f"the run stopped: {_REMEDY[kind]} ({what})"
