"""The client's configuration as frozen data, checked and resolved once."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping
from typing import Any

import attrs
from yarl import URL

from aiocloudocr._hooks import RequestHook, ResponseHook
from aiocloudocr._http import DEFAULT_MAX_RESPONSE_BYTES
from aiocloudocr._version import __version__
from aiocloudocr.auth.credentials import (
    AkSkCredentials,
    Credentials,
    PasswordCredentials,
    TokenCredentials,
    credentials_from_env,
    project_id_from_env,
)
from aiocloudocr.errors import ConfigurationError
from aiocloudocr.regions import IAM_REGIONS, IMAGE_REGIONS, OCR_REGIONS, ServiceName, endpoint_for
from aiocloudocr.retry import RetryPolicy

SERVICES: tuple[ServiceName, ...] = ("ocr", "image", "iam")
REGION_VARS = ("HUAWEICLOUD_SDK_REGION", "CLOUD_SDK_REGION", "AIOCLOUDOCR_REGION")
ENDPOINT_VAR = "AIOCLOUDOCR_ENDPOINT"
IAM_ENDPOINT_VAR = "HUAWEICLOUD_SDK_IAM_ENDPOINT"
_KNOWN_REGIONS = tuple(dict.fromkeys(OCR_REGIONS + IMAGE_REGIONS + IAM_REGIONS))


def endpoint_url(service: str, value: str) -> URL:
    """Parse a service endpoint: an http(s) URL, reduced to scheme, host and port."""
    url = URL(value.strip())
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(
            f"endpoint for {service} must be an http(s) URL such as "
            f"https://{service}.ap-southeast-1.myhuaweicloud.com, got {value!r}"
        )
    return url.with_path("/").with_query(None).with_fragment(None)


def _masked_url(value: str | None) -> str:
    # A proxy URL may carry a password: never in a repr.
    if value is None:
        return "None"
    url = URL(value)
    return repr(str(url.with_password("***")) if url.password else value)


def _positive(name: str, value: float) -> None:
    if not value > 0:  # also refuses NaN
        raise ConfigurationError(f"{name} must be a positive number of seconds, got {value!r}")


@attrs.frozen(kw_only=True)
class ClientConfig:
    """Everything a :class:`~aiocloudocr.Client` was configured with, resolved once.

    ``endpoints`` maps each service (``ocr``, ``image``, ``iam``) to its base URL; a service
    with no endpoint is absent. ``headers`` are sent with every request (and signed).
    ``initial_concurrency`` is where the adaptive limiter starts while the quota is unknown
    (see :class:`~aiocloudocr.AdaptiveLimiter`); ``concurrency`` turns the slow start off.
    """

    credentials: Credentials
    region: str | None = None
    endpoints: Mapping[str, URL] = attrs.field(factory=dict)
    project_id: str | None = None
    enterprise_project_id: str | None = None
    concurrency: int = 64
    timeout: float = 60.0
    connect_timeout: float = 10.0
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    headers: Mapping[str, str] = attrs.field(factory=dict)
    user_agent: str = f"aiocloudocr/{__version__}"
    adaptive: bool = True
    rate_limit: tuple[int, float] | None = None
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    initial_concurrency: int = 8
    proxy: str | None = attrs.field(default=None, repr=lambda value: _masked_url(value))
    trust_env: bool = True
    tracing: bool | None = None
    on_request: RequestHook | None = None
    on_response: ResponseHook | None = None

    @classmethod
    def build(
        cls,
        credentials: Credentials,
        *,
        region: str | None = None,
        endpoint: str | None = None,
        endpoints: Mapping[str, str] | None = None,
        project_id: str | None = None,
        user_agent: str | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        **options: Any,
    ) -> ClientConfig:
        """Check the options a user passed to ``Client`` and resolve the endpoints."""
        if not isinstance(credentials, (AkSkCredentials, PasswordCredentials, TokenCredentials)):
            raise ConfigurationError(
                "credentials must be AkSkCredentials, PasswordCredentials or TokenCredentials"
            )
        if region is not None and region not in _KNOWN_REGIONS:
            raise ConfigurationError(
                f"unknown region {region!r}; known regions: {', '.join(_KNOWN_REGIONS)}. "
                "For another region pass endpoint= or endpoints="
            )
        overrides: dict[str, URL] = {}
        if endpoint is not None:
            overrides = {service: endpoint_url(service, endpoint) for service in SERVICES}
        for service, value in (endpoints or {}).items():
            if service not in SERVICES:
                raise ConfigurationError(
                    f"unknown service {service!r} in endpoints; use 'ocr', 'image' or 'iam'"
                )
            overrides[service] = endpoint_url(service, value)
        missing = [s for s in SERVICES if s not in overrides]
        if (
            region is None
            and missing
            and not (missing == ["iam"] and not isinstance(credentials, PasswordCredentials))
        ):
            raise ConfigurationError(
                f"no region and no endpoint for {', '.join(missing)}: pass region= "
                "(e.g. 'ap-southeast-1') or endpoint="
            )
        resolved = dict(overrides)
        if region is not None:
            for service in missing:
                with contextlib.suppress(ConfigurationError):  # said when the service is used
                    resolved[service] = endpoint_url(service, endpoint_for(service, region))
        if project_id is None and isinstance(credentials, PasswordCredentials):
            project_id = credentials.project_id
        return cls(
            credentials=credentials,
            region=region,
            endpoints=resolved,
            project_id=project_id or None,
            user_agent=user_agent or f"aiocloudocr/{__version__}",
            retry=retry or RetryPolicy(),
            headers=dict(headers or {}),
            **options,
        )

    def __attrs_post_init__(self) -> None:
        if isinstance(self.concurrency, bool) or not isinstance(self.concurrency, int):
            raise ConfigurationError(
                f"concurrency must be a whole number, got {self.concurrency!r}"
            )
        if self.concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, got {self.concurrency}")
        _positive("timeout", self.timeout)
        _positive("connect_timeout", self.connect_timeout)
        if self.proxy is not None:
            proxy = URL(self.proxy)
            if proxy.scheme not in ("http", "https") or not proxy.host:
                raise ConfigurationError(
                    f"proxy must be an http(s) URL such as http://proxy.example:3128, got "
                    f"{_masked_url(self.proxy)}"
                )
        if self.initial_concurrency < 1:
            raise ConfigurationError(
                f"initial_concurrency must be at least 1, got {self.initial_concurrency}"
            )
        if self.max_response_bytes < 1:
            raise ConfigurationError("max_response_bytes must be at least 1")
        if self.rate_limit is not None:
            limit, window = self.rate_limit
            if not (limit >= 1 and window > 0):
                raise ConfigurationError(
                    f"rate_limit must be (requests >= 1, seconds > 0), got {self.rate_limit!r}"
                )

    def endpoint(self, service: str) -> URL:
        """The base URL of ``service``."""
        try:
            return self.endpoints[service]
        except KeyError:
            if self.region is not None and service in SERVICES:
                # Raises, naming the regions that do have the service.
                endpoint_for(service, self.region)
            raise ConfigurationError(
                f"no region and no endpoint for the {service} service: pass region= or "
                f"endpoints={{'{service}': ...}}"
            ) from None

    def identity(self) -> str:
        """Who the service counts requests against; never a secret itself."""
        credentials = self.credentials
        if isinstance(credentials, AkSkCredentials):
            return f"ak:{credentials.access_key}"
        if isinstance(credentials, PasswordCredentials):
            return f"user:{credentials.domain}/{credentials.username}"
        return "token:" + hashlib.sha256(credentials.token.encode()).hexdigest()[:16]


def options_from_env(env: Mapping[str, str], options: dict[str, Any]) -> dict[str, Any]:
    """``Client`` options from environment variables; explicit ``options`` win."""
    if options.get("credentials") is None:
        options["credentials"] = credentials_from_env(env)
    region = next((env[v].strip() for v in REGION_VARS if env.get(v, "").strip()), None)
    if region and "region" not in options:
        options["region"] = region
    if env.get(ENDPOINT_VAR, "").strip():
        options.setdefault("endpoint", env[ENDPOINT_VAR])
    if env.get(IAM_ENDPOINT_VAR, "").strip():
        merged = dict(options.get("endpoints") or {})
        merged.setdefault("iam", env[IAM_ENDPOINT_VAR])
        options["endpoints"] = merged
    options.setdefault("project_id", project_id_from_env(env))
    return options
