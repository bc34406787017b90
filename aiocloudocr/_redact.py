"""Keeping secrets out of error text that came back from the wire.

Headers and payloads are never logged or put in errors at all, so only service messages
(which might echo a token or key) need scrubbing.
"""

from __future__ import annotations

from collections.abc import Iterable

MASK = "***"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Return ``text`` with every occurrence of a secret value replaced by a mask."""
    for secret in secrets:
        # Very short values would mask innocent text; real secrets are long.
        if secret and len(secret) >= 6 and secret in text:
            text = text.replace(secret, MASK)
    return text
