"""How each Ray worker builds its client: picklable settings that never carry a secret."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from aiocloudocr._client import Client
from aiocloudocr._config import ENDPOINT_VAR, IAM_ENDPOINT_VAR, REGION_VARS, ClientConfig
from aiocloudocr._limiter import Limiter
from aiocloudocr.auth.credentials import (
    AkSkCredentials,
    Credentials,
    TokenCredentials,
    credentials_from_env,
    project_id_from_env,
)

# The Client keywords that ClientConfig.build checks (the others are objects, not settings).
_CONFIG_WORDS = frozenset(
    {"region", "endpoint", "endpoints", "project_id", "user_agent", "retry", "headers"}
    | {field.name for field in attrs.fields(ClientConfig)} - {"credentials"}
)


def emulator_credentials() -> AkSkCredentials:
    """The emulator's default key pair (a public demo pair, not a secret)."""
    from aiocloudocr.emulator import DEFAULT_KEY_PAIR

    return AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk)


@attrs.frozen(kw_only=True)
class ClientSettings:
    """What each worker builds its :class:`~aiocloudocr.Client` from; picklable.

    Credentials refuse to be pickled, so none is held here: ``credentials`` is a function
    called in the worker, by default :func:`~aiocloudocr.credentials_from_env` (the worker's
    environment variables, or ``~/.huaweicloud/credentials`` on its node). Pass your own
    zero-argument function (a module-level one, so that it pickles by name) to read a secret
    store; never a lambda closing over a secret, which would be pickled with it.
    ``options`` are further ``Client`` keywords (``retry=``, ``headers=``, ...).
    """

    credentials: Callable[[], Credentials] = credentials_from_env
    region: str | None = None
    endpoint: str | None = None
    endpoints: Mapping[str, str] | None = None
    project_id: str | None = None
    concurrency: int = 16
    timeout: float = 60.0
    options: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **changes: Any) -> ClientSettings:
        """Region, endpoint and project id from this process's environment, as
        ``Client.from_env`` reads them; the credentials are still read by each worker."""
        env = os.environ if environ is None else environ
        region = next((env[v].strip() for v in REGION_VARS if env.get(v, "").strip()), None)
        endpoint = env.get(ENDPOINT_VAR, "").strip() or None
        iam = env.get(IAM_ENDPOINT_VAR, "").strip()
        found: dict[str, Any] = {
            "region": region,
            "endpoint": endpoint,
            "endpoints": {"iam": iam} if iam else None,
            "project_id": project_id_from_env(env),
        }
        return cls(**{**found, **changes})

    @classmethod
    def for_emulator(cls, url: str, **changes: Any) -> ClientSettings:
        """Settings for an :mod:`aiocloudocr.emulator` at ``url`` with its default account."""
        from aiocloudocr.emulator import DEFAULT_PROJECT_ID

        found = {"credentials": emulator_credentials, "endpoint": url}
        return cls(**{**found, "project_id": DEFAULT_PROJECT_ID, **changes})

    def check(self) -> None:
        """Raise ConfigurationError now, in the driver, for what every worker would refuse
        (no region or endpoint, a bad URL, a bad bound); the credentials are not read."""
        options = {k: v for k, v in self._options().items() if k in _CONFIG_WORDS}
        ClientConfig.build(TokenCredentials(token="stand-in"), **options)  # noqa: S106

    def client(self, limiter: Limiter | None = None) -> Client:
        """A new client (call in the worker, inside its event loop)."""
        options = self._options()
        if limiter is not None:
            options["limiter"] = limiter
        return Client(self.credentials(), **options)

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {**self.options}
        given = {
            "region": self.region,
            "endpoint": self.endpoint,
            "endpoints": self.endpoints,
            "project_id": self.project_id,
        }
        options.update({name: value for name, value in given.items() if value is not None})
        options["concurrency"] = self.concurrency
        options["timeout"] = self.timeout
        return options
