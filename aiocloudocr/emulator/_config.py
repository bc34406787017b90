"""The emulator's configuration: accounts, key pairs, projects, load behaviour, where to listen."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from aiocloudocr.emulator._engines import ENGINE_CHOICES
from aiocloudocr.emulator._faults import ERROR_KINDS, FAULT_KINDS

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


def project_id_for(project_name: str) -> str:
    """The project id the emulator gives ``project_name`` (the same one every time).

    The default project's name gets :data:`DEFAULT_PROJECT_ID`; any other name the first
    32 hex digits of its SHA-256.
    """
    if project_name == DEFAULT_USER.project_name:
        return DEFAULT_PROJECT_ID
    return hashlib.sha256(project_name.encode()).hexdigest()[:32]


Latency = float | tuple[float, float]
"""Seconds added to each API call: a fixed delay or a uniform ``(low, high)`` range."""
FaultRates = tuple[tuple[str, float], ...]


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
    if not value >= 0:  # also refuses NaN
        raise ValueError(f"{attribute.name} must not be negative, got {value!r}")


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not value > 0:
        raise ValueError(f"{attribute.name} must be positive, got {value!r}")


def _probability(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"{attribute.name} must be a probability in [0, 1], got {value!r}")


def _port(instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if not 0 <= value <= 65535:
        raise ValueError(f"port must be in 0..65535, got {value!r}")


def _latency(instance: object, attribute: attrs.Attribute[Any], value: Latency) -> None:
    low, high = value if isinstance(value, tuple) else (value, value)
    if not 0 <= low <= high or not math.isfinite(high):
        raise ValueError(f"latency must be seconds >= 0 or a (low, high) range, got {value!r}")


def _to_rates(value: Mapping[str, float] | Iterable[tuple[str, float]]) -> FaultRates:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((str(kind), float(rate)) for kind, rate in items))


def _check_rates(
    instance: EmulatorConfig, attribute: attrs.Attribute[Any], value: FaultRates
) -> None:
    for kind, rate in value:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        if not 0 <= rate <= 1:
            raise ValueError(f"the rate of fault {kind!r} must be in [0, 1], got {rate!r}")
    if sum(rate for _, rate in value) + instance.fault_rate > 1 + 1e-9:
        raise ValueError("fault_rate and fault_rates add up to more than 1")


def _engine(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in ENGINE_CHOICES:
        raise ValueError(f"unknown text engine {value!r}; known: {', '.join(ENGINE_CHOICES)}")


def _check_unsubscribed(
    instance: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]
) -> None:
    from aiocloudocr.operations import OPERATIONS

    for entry in value:
        name = entry.rpartition(":")[2]
        if name not in OPERATIONS:
            known = ", ".join(sorted(OPERATIONS))
            raise ValueError(f"unsubscribed names unknown operation {name!r}; known: {known}")


@attrs.frozen(kw_only=True)
class EmulatorConfig:
    """What the emulator accepts and how it behaves; built once, never changed.

    Accounts: ``users`` get IAM tokens, ``key_pairs`` sign requests, ``project_ids`` are the
    project ids accepted in API paths (the users' own ones are accepted too).
    ``unsubscribed`` names operations answered with ModelArts.4204, each either ``"name"``
    (every project) or ``"project_id:name"``. ``url_allow_hosts`` lists the only hosts an
    input ``url`` may name; any other URL is refused with ModelArts.4601, nothing fetched.

    Load: ``rate_limit`` requests per ``rate_window`` seconds per user (access key or token
    user), beyond which APIG.0308 is answered (429); ``max_concurrency`` requests in flight
    per user, beyond which ModelArts.4401 (429); ``latency`` seconds per call, fixed or a
    uniform ``(low, high)`` range. Faults: each call fails with probability ``fault_rate``
    (spread evenly over the four transient error kinds) plus ``fault_rates[kind]``, a mapping
    of the kinds ``"5xx"`` (500 ModelArts.4505), ``"ModelArts.4402"`` (504),
    ``"ModelArts.4403"`` (503), ``"ModelArts.4502"`` (502), ``"ModelArts.4503"`` (500, the
    service does not exist: not transient, never in the spread), ``"drop"`` (the connection
    is closed, no answer) and ``"stall"`` (the call is held ``stall`` seconds, then
    answered). Dice and latency come from random streams seeded with ``seed`` (``None``:
    unseeded). ``clock`` is the wall
    clock for tokens, signatures and rate windows.

    Text: ``engine`` says where Web Image's text comes from: ``"synthetic"`` phrases picked
    from a hash of the image bytes (instant, deterministic: for tests), ``"rapidocr"`` the
    text read by a local OCR model (the ``ocr`` extra; EngineUnavailableError at start
    without it), or ``"auto"``: rapidocr when installed, else synthetic.
    """

    users: tuple[User, ...] = (DEFAULT_USER,)
    key_pairs: tuple[KeyPair, ...] = (DEFAULT_KEY_PAIR,)
    project_ids: tuple[str, ...] = (DEFAULT_PROJECT_ID,)
    unsubscribed: tuple[str, ...] = attrs.field(default=(), validator=_check_unsubscribed)
    url_allow_hosts: tuple[str, ...] = ()
    token_ttl: float = attrs.field(default=86400.0, validator=_non_negative)
    max_clock_skew: float = attrs.field(default=900.0, validator=_non_negative)
    rate_limit: int | None = attrs.field(default=None, validator=_positive)
    rate_window: float = attrs.field(default=60.0, validator=_positive)
    max_concurrency: int | None = attrs.field(default=None, validator=_positive)
    latency: Latency = attrs.field(default=0.0, validator=_latency)
    fault_rate: float = attrs.field(default=0.0, validator=_probability)
    fault_rates: FaultRates = attrs.field(default=(), converter=_to_rates, validator=_check_rates)
    stall: float = attrs.field(default=120.0, validator=_non_negative)
    seed: int | None = 0
    clock: Callable[[], float] = attrs.field(default=time.time, repr=False)
    engine: str = attrs.field(default="synthetic", validator=_engine)
    host: str = attrs.field(default="127.0.0.1", validator=_loopback)
    port: int = attrs.field(default=0, validator=_port)

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

    def is_subscribed(self, operation: str, project_id: str | None) -> bool:
        """Whether ``operation`` may be called (for ``project_id`` when one is known)."""
        if operation in self.unsubscribed:
            return False
        return project_id is None or f"{project_id}:{operation}" not in self.unsubscribed

    def fault_table(self) -> tuple[tuple[str, float], ...]:
        """Each fault kind with its total probability, ``fault_rate`` spread in."""
        rates = dict.fromkeys(FAULT_KINDS, 0.0)
        for kind in ERROR_KINDS:
            rates[kind] += self.fault_rate / len(ERROR_KINDS)
        for kind, rate in self.fault_rates:
            rates[kind] += rate
        return tuple((kind, rate) for kind, rate in rates.items() if rate > 0)
