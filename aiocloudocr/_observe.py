"""What the request pipeline tells its observers: tracing, metrics and users' hooks listen here.

The pipeline (:mod:`aiocloudocr._pipeline`) holds a tuple of :class:`Observer`. When a call
starts, each observer may return a :class:`CallObserver` that hears that call's events: each
attempt put on the wire (with the request about to be sent) and how it ended (the response or
the exception, and how long the exchange took), waits for the limiter or a wire slot longer
than :data:`MIN_WAIT`, retry sleeps, and the call's end. A pipeline without observers builds
none of this.

An observer never breaks a call: whatever it raises is logged (at WARNING the first time for
each observer of a pipeline, at DEBUG after that) and swallowed. ``attempt_started`` and
``attempt_ended`` may return an awaitable (an async user hook), which the pipeline awaits.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from aiocloudocr._http import HttpRequest, HttpResponse
    from aiocloudocr._pipeline import Call, Delivery

logger = logging.getLogger("aiocloudocr")

WaitKind = Literal["limiter", "slot"]

MIN_WAIT = 0.001
"""Waits for the limiter or a wire slot shorter than this (seconds) are not reported."""


class CallObserver(Protocol):
    """What one observer hears of one call, in order; every method is called at most once
    per attempt (``attempt_ended`` only after ``attempt_started``)."""

    def attempt_started(self, attempt: int, request: HttpRequest) -> Awaitable[None] | None:
        """Attempt ``attempt`` (1-based) is about to send ``request`` (signed)."""

    def attempt_ended(
        self,
        attempt: int,
        response: HttpResponse | None,
        error: BaseException | None,
        duration: float,
    ) -> Awaitable[None] | None:
        """The attempt ended: an answer (``error`` is its APIError unless 2xx), or no answer
        (``error`` says why); ``duration`` is the exchange's seconds."""

    def waited(self, kind: WaitKind, seconds: float) -> None:
        """The attempt waited ``seconds`` for the limiter or a wire slot."""

    def retrying(self, delay: float, error: BaseException | None, attempt: int) -> None:
        """Attempt ``attempt`` failed with ``error``; the call sleeps ``delay`` seconds."""

    def call_ended(self, delivery: Delivery | None, error: BaseException | None) -> None:
        """The call succeeded with ``delivery`` or failed with ``error``."""


class Observer(Protocol):
    """Hears the calls of a pipeline; returns None for a call it does not follow."""

    def call_started(self, call: Call) -> CallObserver | None:
        """A call starts; what it returns hears the rest of that call."""


def watch_call(observers: tuple[Observer, ...], failed: set[int], call: Call) -> Watch | None:
    """The observers following ``call``, behind one guard; None when none does.

    ``failed`` holds the indices of observers that have raised before (logged at WARNING
    once); it is updated here and by the returned :class:`Watch`.
    """
    listeners: list[tuple[int, CallObserver]] = []
    for index, observer in enumerate(observers):
        try:
            listener = observer.call_started(call)
        except Exception as error:
            _report(failed, index, observer, "call_started", error)
            continue
        if listener is not None:
            listeners.append((index, listener))
    return Watch(listeners, failed) if listeners else None


def _report(failed: set[int], index: int, observer: object, event: str, error: Exception) -> None:
    level = logging.DEBUG if index in failed else logging.WARNING
    failed.add(index)
    logger.log(
        level,
        "an observer of aiocloudocr calls failed in %s and was ignored: %s: %s",
        event, type(observer).__qualname__, type(error).__name__,
        exc_info=error,
    )  # fmt: skip


class Pending:
    """Awaitables some observers returned for one event; awaiting it awaits each, guarded."""

    __slots__ = ("_awaitables", "_failed")

    def __init__(
        self, awaitables: list[tuple[int, CallObserver, Awaitable[None]]], failed: set[int]
    ) -> None:
        self._awaitables = awaitables
        self._failed = failed

    def __await__(self) -> Generator[Any, None, None]:
        return self._settle().__await__()

    async def _settle(self) -> None:
        for index, listener, awaitable in self._awaitables:
            try:
                await awaitable
            except Exception as error:
                _report(self._failed, index, listener, "an awaited hook", error)

    def close(self) -> None:
        """Drop the awaitables unawaited (the attempt was cancelled)."""
        for _, _, awaitable in self._awaitables:
            close = getattr(awaitable, "close", None)
            if close is not None:
                close()


class Watch:
    """Every observer following one call; forwards each event to each, and swallows (and
    logs) what they raise."""

    __slots__ = ("_failed", "_listeners")

    def __init__(self, listeners: list[tuple[int, CallObserver]], failed: set[int]) -> None:
        self._listeners = listeners
        self._failed = failed

    def _failure(self, index: int, listener: object, event: str, error: Exception) -> None:
        _report(self._failed, index, listener, event, error)

    def attempt_started(self, attempt: int, request: HttpRequest) -> Pending | None:
        """Forward ``attempt_started``; what to await, if an observer returned an awaitable."""
        return self._forward(
            "attempt_started", lambda listener: listener.attempt_started(attempt, request)
        )

    def attempt_ended(
        self,
        attempt: int,
        response: HttpResponse | None,
        error: BaseException | None,
        duration: float,
    ) -> Pending | None:
        """Forward ``attempt_ended``; what to await, if an observer returned an awaitable."""
        return self._forward(
            "attempt_ended",
            lambda listener: listener.attempt_ended(attempt, response, error, duration),
        )

    def _forward(
        self, event: str, tell: Callable[[CallObserver], Awaitable[None] | None]
    ) -> Pending | None:
        # Each listener hears the event behind its own guard; the awaitables some return
        # are gathered into one Pending.
        awaitables: list[tuple[int, CallObserver, Awaitable[None]]] | None = None
        for index, listener in self._listeners:
            try:
                result = tell(listener)
            except Exception as error:
                self._failure(index, listener, event, error)
                continue
            if result is not None:
                awaitables = awaitables or []
                awaitables.append((index, listener, result))
        return None if awaitables is None else Pending(awaitables, self._failed)

    def waited(self, kind: WaitKind, seconds: float) -> None:
        """Forward a wait longer than :data:`MIN_WAIT`."""
        if seconds < MIN_WAIT:
            return
        for index, listener in self._listeners:
            try:
                listener.waited(kind, seconds)
            except Exception as error:
                self._failure(index, listener, "waited", error)

    def retrying(self, delay: float, error: BaseException | None, attempt: int) -> None:
        """Forward ``retrying``."""
        for index, listener in self._listeners:
            try:
                listener.retrying(delay, error, attempt)
            except Exception as failure:
                self._failure(index, listener, "retrying", failure)

    def call_ended(self, delivery: Delivery | None, error: BaseException | None) -> None:
        """Forward ``call_ended``."""
        for index, listener in self._listeners:
            try:
                listener.call_ended(delivery, error)
            except Exception as failure:
                self._failure(index, listener, "call_ended", failure)
