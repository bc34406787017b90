"""Spending nothing on requests the service has shown it will refuse.

The service locks an AK/SK after more than five failed authentications in a row (API
reference 002, APIG.0301), and IAM locks users likewise, so a wrong key must not be tried by
every task of a bulk run at once. Until the service has accepted a request of an operation,
one request probes it alone (the others wait for the first answer that says whether the key
works: a retried probe frees them as soon as any attempt is answered). A refused credential
is remembered for the session's life (every later call raises the refusal without sending),
and an operation refused for the account (not subscribed, no permission, not found) for
``refusal_memory`` seconds.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable

import attrs

from aiocloudocr.errors import APIError, AuthenticationError, CloudOcrError, is_systemic


@attrs.define
class Gate:
    """Admission by operation: probe alone until accepted; remember refusals."""

    refusal_memory: float = 30.0
    _monotonic: Callable[[], float] = time.monotonic
    _accepted: set[str] = attrs.field(factory=set, init=False)
    _probing: set[str] = attrs.field(factory=set, init=False)
    _news: dict[str, asyncio.Event] = attrs.field(factory=dict, init=False)
    _refused_credentials: CloudOcrError | None = attrs.field(default=None, init=False)
    _refused: dict[str, tuple[CloudOcrError, float]] = attrs.field(factory=dict, init=False)

    def is_open(self, operation: str) -> bool:
        """Whether a request of ``operation`` may go without asking (the fast path)."""
        return operation in self._accepted and self._refused_credentials is None

    async def enter(self, operation: str) -> bool:
        """Wait for the right to send, or raise a remembered refusal.

        Returns True when this call is the probe: it must call :meth:`leave` when it ends.
        """
        while True:
            self._raise_refusal(operation)
            if operation in self._accepted:
                return False
            if operation not in self._probing:
                self._probing.add(operation)
                return True
            news = self._news.get(operation)
            if news is None:
                news = self._news[operation] = asyncio.Event()
            await news.wait()

    def leave(self, operation: str) -> None:
        """The probe's call ended (whatever it learnt): the next waiter may probe."""
        self._probing.discard(operation)
        self._announce(operation)

    def _announce(self, operation: str) -> None:
        news = self._news.pop(operation, None)
        if news is not None:
            news.set()

    def _raise_refusal(self, operation: str) -> None:
        refusal = self._refused_credentials
        if refusal is None:
            remembered = self._refused.get(operation)
            if remembered is not None:
                if self._monotonic() < remembered[1]:
                    refusal = remembered[0]
                else:
                    del self._refused[operation]
        if refusal is not None:
            again = copy.copy(refusal)
            if isinstance(again, APIError):
                again.attempts = 0  # nothing was sent for this call
            raise again

    def record(self, operation: str, error: BaseException | None) -> None:
        """Learn from one answer to a request of ``operation`` (None: it succeeded)."""
        if error is None:
            self._accepted.add(operation)
        elif isinstance(error, AuthenticationError):
            self._refused_credentials = error
            self._accepted.clear()
        elif isinstance(error, APIError) and is_systemic(error):
            self._refused[operation] = (error, self._monotonic() + self.refusal_memory)
            self._accepted.discard(operation)
        elif isinstance(error, APIError):
            # Any other answer came from past the gateway's authentication: the key works.
            self._accepted.add(operation)
        else:
            return  # no answer (a transport error): nothing learnt
        self._announce(operation)
