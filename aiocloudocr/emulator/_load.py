"""Service behaviour under load: per-user rate limit and concurrency cap, latency, random faults."""

from __future__ import annotations

import math
import random
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager

import attrs

from aiocloudocr.emulator._config import EmulatorConfig
from aiocloudocr.emulator._errors import ApiError
from aiocloudocr.emulator._faults import FAULT_KINDS, STALL, Fault

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60))


def window_text(seconds: float) -> str:
    """A window as the gateway states it: ``1 minute``, ``2 second``, ``0.5 second``."""
    for unit, size in _UNITS:
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} second"


def throttle_message(limit: int, window: float) -> str:
    """The documented APIG.0308 message with the configured limit and window filled in."""
    return (
        "The throttling threshold has been reached: policy user over ratelimit,"
        f"limit:{limit},time:{window_text(window)}"
    )


def _rng(seed: int | None, stream: str) -> random.Random:
    # One stream per purpose, so that turning latency on never shifts which calls fault.
    return random.Random(None if seed is None else f"{seed}:{stream}")


@attrs.define
class LoadControl:
    """The per-emulator state of rate windows, in-flight calls per user and the dice."""

    _config: EmulatorConfig
    _windows: dict[str, deque[float]] = attrs.field(factory=dict, init=False)
    _in_flight: Counter[str] = attrs.field(factory=Counter, init=False)
    _fault_dice: random.Random = attrs.field(init=False)
    _latency_dice: random.Random = attrs.field(init=False)
    _faults: tuple[tuple[str, float], ...] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._fault_dice = _rng(self._config.seed, "faults")
        self._latency_dice = _rng(self._config.seed, "latency")
        self._faults = self._config.fault_table()

    def admit(self, user: str, now: float) -> None:
        """Count a call of ``user`` in its sliding window; 429 APIG.0308 when it is full.

        Refused calls are not counted, so a client that waits for Retry-After gets in.
        """
        limit, window = self._config.rate_limit, self._config.rate_window
        if limit is None:
            return
        stamps = self._windows.setdefault(user, deque())
        while stamps and stamps[0] <= now - window:
            stamps.popleft()
        if len(stamps) >= limit:
            wait = stamps[0] + window - now
            raise ApiError(
                429,
                "APIG.0308",
                throttle_message(limit, window),
                # Whole seconds, as HTTP has it; at least 1 so a client never spins.
                retry_after=max(1, math.ceil(wait)),
            )
        stamps.append(now)

    def has_slot(self, user: str) -> bool:
        """Whether ``user`` is below the concurrency cap."""
        cap = self._config.max_concurrency
        return cap is None or self._in_flight[user] < cap

    @contextmanager
    def slot(self, user: str) -> Iterator[None]:
        """Hold one of ``user``'s concurrent slots; 429 ModelArts.4401 when none is free."""
        if not self.has_slot(user):
            raise ApiError(429, "ModelArts.4401")
        self._in_flight[user] += 1
        try:
            yield
        finally:
            self._in_flight[user] -= 1
            if not self._in_flight[user]:
                del self._in_flight[user]

    def latency(self) -> float:
        """Seconds to delay the current call."""
        latency = self._config.latency
        if isinstance(latency, tuple):
            return self._latency_dice.uniform(*latency)
        return latency

    def roll_fault(self) -> tuple[str, Fault] | None:
        """Throw the dice once: the kind and fault this call suffers, or ``None``."""
        if not self._faults:
            return None
        roll = self._fault_dice.random()
        for kind, rate in self._faults:
            if roll < rate:
                if kind == STALL:
                    # status=None: a stall answers normally once it is over.
                    return kind, Fault(stall=self._config.stall, status=None)
                return kind, FAULT_KINDS[kind]
            roll -= rate
        return None

    def __repr__(self) -> str:
        return f"<LoadControl users_in_flight={len(self._in_flight)}>"
