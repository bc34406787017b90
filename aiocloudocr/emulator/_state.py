"""Everything the emulator remembers between requests: tokens, queued faults, statistics."""

from __future__ import annotations

import secrets
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from aiocloudocr.emulator._config import User
from aiocloudocr.emulator._faults import Fault

IAM = "iam"
"""The operation name under which the IAM token endpoint is counted and faulted."""

DROPPED = 0
"""The status recorded in ``outcomes`` for a request whose connection was dropped."""


@attrs.frozen(kw_only=True)
class IssuedToken:
    """What a token stands for: a user, its project and its validity window."""

    user: User
    issued_at: float
    expires_at: float
    revoked: bool = False


@attrs.define
class EmulatorStats:
    """Per-emulator counters; ``outcomes`` keys are ``(operation, status, error_code)``.

    ``throttled`` counts APIG.0308 answers of the rate limit, ``concurrency_rejected`` the
    ModelArts.4401 answers of the concurrency cap, ``faults`` the faults applied by kind
    (``"scripted"`` for injected ones).
    """

    requests: Counter[str] = attrs.field(factory=Counter)
    outcomes: Counter[tuple[str, int, str | None]] = attrs.field(factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    tokens_issued: int = 0
    throttled: int = 0
    concurrency_rejected: int = 0
    faults: Counter[str] = attrs.field(factory=Counter)

    def reset(self) -> None:
        """Zero every counter; requests still in flight stay counted as in flight."""
        self.requests.clear()
        self.outcomes.clear()
        self.faults.clear()
        self.max_in_flight = self.in_flight
        self.tokens_issued = self.throttled = self.concurrency_rejected = 0

    def as_dict(self) -> dict[str, Any]:
        """The counters as JSON-ready data."""
        return {
            "requests": dict(self.requests),
            "outcomes": [
                {"operation": op, "status": status, "error_code": code, "count": count}
                for (op, status, code), count in sorted(
                    self.outcomes.items(),
                    key=lambda item: (item[0][0], item[0][1], item[0][2] or ""),
                )
            ],
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "tokens_issued": self.tokens_issued,
            "throttled": self.throttled,
            "concurrency_rejected": self.concurrency_rejected,
            "faults": dict(self.faults),
        }


def _new_token() -> str:
    # Real tokens are several KB of base64 PKI blobs starting "MII"; an opaque random
    # string of a similar flavour keeps clients from assuming anything about the format.
    return "MII" + secrets.token_urlsafe(450)


@attrs.define
class EmulatorState:
    """The mutable state of one emulator; requests only touch it between awaits."""

    _clock: Callable[[], float]
    _token_ttl: float
    _stats: EmulatorStats = attrs.field(factory=EmulatorStats, init=False)
    _tokens: dict[str, IssuedToken] = attrs.field(factory=dict, init=False)
    _faults: dict[str, deque[Fault]] = attrs.field(factory=dict, init=False)

    @property
    def stats(self) -> EmulatorStats:
        """The live counters."""
        return self._stats

    def now(self) -> float:
        """The emulator's wall clock, in seconds since the epoch."""
        return self._clock()

    def issue_token(self, user: User) -> tuple[str, IssuedToken]:
        """Create a token for ``user``'s project, valid for the configured lifetime."""
        now = self._clock()
        token = _new_token()
        record = IssuedToken(user=user, issued_at=now, expires_at=now + self._token_ttl)
        self._tokens[token] = record
        self._stats.tokens_issued += 1
        return token, record

    def lookup_token(self, token: str) -> IssuedToken | None:
        """The record of a token this emulator issued, expired or not."""
        return self._tokens.get(token)

    def expire_tokens(self) -> None:
        """Make every token issued so far expired as of now."""
        now = self._clock()
        for token, record in self._tokens.items():
            self._tokens[token] = attrs.evolve(record, expires_at=min(record.expires_at, now))

    def revoke_tokens(self) -> None:
        """Revoke every token issued so far (they then fail with ModelArts.0203)."""
        for token, record in self._tokens.items():
            self._tokens[token] = attrs.evolve(record, revoked=True)

    def inject(self, operation: str, fault: Fault, times: int) -> None:
        """Queue ``fault`` for the next ``times`` requests to ``operation``."""
        self._faults.setdefault(operation, deque()).extend([fault] * times)

    def pop_fault(self, operation: str) -> Fault | None:
        """The next queued fault of ``operation``, removed from its queue."""
        queue = self._faults.get(operation)
        return queue.popleft() if queue else None

    def count(self, operation: str) -> None:
        """Count one request to ``operation`` as it arrives."""
        self._stats.requests[operation] += 1

    def record(self, operation: str, status: int, code: str | None) -> None:
        """Count one answered (or dropped) request."""
        self._stats.outcomes[(operation, status, code)] += 1

    @contextmanager
    def in_flight(self, operation: str) -> Iterator[None]:
        """Count ``operation``'s request and hold an in-flight slot while it is handled."""
        self.count(operation)
        stats = self._stats
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            yield
        finally:
            stats.in_flight -= 1

    def __repr__(self) -> str:
        queued = sum(len(queue) for queue in self._faults.values())
        return (
            f"<EmulatorState tokens={len(self._tokens)} queued_faults={queued} "
            f"in_flight={self._stats.in_flight}>"
        )
