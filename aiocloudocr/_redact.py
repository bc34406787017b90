"""Keeping secrets out of anything a user can see: logs, reprs and error text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

SENSITIVE_HEADERS = frozenset(
    {"authorization", "x-auth-token", "x-security-token", "x-subject-token", "cookie"}
)
MASK = "***"


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return a copy of ``headers`` with credential-bearing values masked."""
    return {
        name: MASK if name.lower() in SENSITIVE_HEADERS else value
        for name, value in headers.items()
    }


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Return ``text`` with every occurrence of a secret value replaced by a mask."""
    for secret in secrets:
        # Very short values would mask innocent text; real secrets are long.
        if secret and len(secret) >= 6 and secret in text:
            text = text.replace(secret, MASK)
    return text
