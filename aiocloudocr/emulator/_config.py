"""The emulator's configuration: accounts, key pairs, projects, timing and where to listen."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from typing import Any

import attrs

DEFAULT_PROJECT_ID = "0123456789abcdef0123456789abcdef"


@attrs.frozen(kw_only=True)
class User:
    """An IAM user that can get a token scoped to its one project."""

    name: str
    password: str = attrs.field(repr=False)
    domain: str
    project_name: str
    project_id: str


@attrs.frozen(kw_only=True)
class KeyPair:
    """A permanent access key pair accepted for SDK-HMAC-SHA256 signed requests."""

    ak: str
    sk: str = attrs.field(repr=False)


DEFAULT_USER = User(
    name="demo",
    password="demo-password",  # noqa: S106 (the documented demo account)
    domain="demo-domain",
    project_name="ap-southeast-1",
    project_id=DEFAULT_PROJECT_ID,
)
DEFAULT_KEY_PAIR = KeyPair(ak="EMULATORAK0000000000", sk="emulator-sk-0000000000000000000000000000")


def _loopback(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    # The emulator accepts any credentials it was configured with, so it must never be
    # reachable from another machine. Host names are refused because "localhost" with
    # port 0 can bind IPv4 and IPv6 on two different free ports.
    try:
        loopback = ipaddress.ip_address(value).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"the emulator only listens on a loopback IP address (e.g. 127.0.0.1 or ::1), "
            f"not {value!r}"
        )


def _non_negative(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative, got {value!r}")


def _port(instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if not 0 <= value <= 65535:
        raise ValueError(f"port must be in 0..65535, got {value!r}")


@attrs.frozen(kw_only=True)
class EmulatorConfig:
    """What the emulator accepts and how it behaves; built once, never changed.

    ``project_ids`` are the project ids accepted in API paths (the users' own project ids
    are accepted too). ``url_allow_hosts`` lists the only hosts an image ``url`` may name;
    any other URL is refused with ModelArts.4601 and nothing is fetched.
    """

    users: tuple[User, ...] = (DEFAULT_USER,)
    key_pairs: tuple[KeyPair, ...] = (DEFAULT_KEY_PAIR,)
    project_ids: tuple[str, ...] = (DEFAULT_PROJECT_ID,)
    token_ttl: float = attrs.field(default=86400.0, validator=_non_negative)
    latency: float = attrs.field(default=0.0, validator=_non_negative)
    max_clock_skew: float = attrs.field(default=900.0, validator=_non_negative)
    clock: Callable[[], float] = attrs.field(default=time.time, repr=False)
    host: str = attrs.field(default="127.0.0.1", validator=_loopback)
    port: int = attrs.field(default=0, validator=_port)
    url_allow_hosts: tuple[str, ...] = ()

    @property
    def accepted_project_ids(self) -> frozenset[str]:
        """Project ids an API path may carry: the configured ones and the users' own."""
        return frozenset(self.project_ids) | {user.project_id for user in self.users}

    def secret_key(self, access_key: str) -> str | None:
        """Return the secret key of ``access_key``, or ``None`` if it is not configured."""
        for pair in self.key_pairs:
            if pair.ak == access_key:
                return pair.sk
        return None
