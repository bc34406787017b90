"""The client: one per application, shared by every task that calls the service."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import time
import warnings
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, overload

import cattrs
from yarl import URL

from aiocloudocr._dispatch import Dispatcher, HttpRequest
from aiocloudocr._methods import OperationMethods
from aiocloudocr._transport import Transport
from aiocloudocr._version import __version__
from aiocloudocr.auth.authenticators import (
    AkSkAuthenticator,
    Authenticator,
    PasswordAuthenticator,
    StaticTokenAuthenticator,
)
from aiocloudocr.auth.credentials import (
    AkSkCredentials,
    Credentials,
    PasswordCredentials,
    TokenCredentials,
    credentials_from_env,
    project_id_from_env,
)
from aiocloudocr.auth.iam import (
    PROJECTS_PATH,
    TOKEN_PATH,
    IssuedToken,
    parse_token_response,
    token_request_body,
)
from aiocloudocr.auth.token_cache import TokenCache
from aiocloudocr.batch import BatchRun, ProgressCallback
from aiocloudocr.errors import ConfigurationError, InvalidResponseError, ValidationError
from aiocloudocr.images import (
    MB,
    ImageSource,
    check_image,
    decode_base64,
    encode_url,
    resolve_image,
)
from aiocloudocr.limiter import AdaptiveLimiter, shared_limiter
from aiocloudocr.models._base import ResponseMeta
from aiocloudocr.models.converter import encode_body, parse_result, request_body
from aiocloudocr.operations import AnyOperation, Operation, get_operation
from aiocloudocr.regions import IAM_REGIONS, IMAGE_REGIONS, OCR_REGIONS, ServiceName, endpoint_for
from aiocloudocr.retry import RetryPolicy

RequestT = TypeVar("RequestT")
ResultT = TypeVar("ResultT")

JSON_CONTENT_TYPE = "application/json;charset=utf-8"
# Both auth methods accept request bodies up to 12 MB (API reference, "Authentication").
MAX_BODY_BYTES = 12 * MB
REGION_VARS = ("HUAWEICLOUD_SDK_REGION", "CLOUD_SDK_REGION", "AIOCLOUDOCR_REGION")
ENDPOINT_VAR = "AIOCLOUDOCR_ENDPOINT"
IAM_ENDPOINT_VAR = "HUAWEICLOUD_SDK_IAM_ENDPOINT"
_KNOWN_REGIONS = tuple(dict.fromkeys(OCR_REGIONS + IMAGE_REGIONS + IAM_REGIONS))


def _endpoint_url(service: str, value: str) -> URL:
    url = URL(value.strip())
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(
            f"endpoint for {service} must be an http(s) URL such as "
            f"https://{service}.ap-southeast-1.myhuaweicloud.com, got {value!r}"
        )
    return url.with_path("/").with_query(None).with_fragment(None)


class Client(OperationMethods):
    """Asyncio client for the OCR and Image Recognition APIs.

    Create one per application and share it: it holds one HTTP session, one token cache
    and one concurrency bound. Use ``async with Client(...) as client`` or call
    :meth:`aclose` when done.
    """

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        region: str | None = None,
        project_id: str | None = None,
        endpoint: str | None = None,
        endpoints: Mapping[str, str] | None = None,
        enterprise_project_id: str | None = None,
        concurrency: int = 64,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        session: Any = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        user_agent: str | None = None,
        adaptive: bool = True,
        rate_limit: tuple[int, float] | None = None,
    ) -> None:
        if credentials is None:
            credentials = credentials_from_env()
        if not isinstance(credentials, (AkSkCredentials, PasswordCredentials, TokenCredentials)):
            raise ConfigurationError(
                "credentials must be AkSkCredentials, PasswordCredentials or TokenCredentials"
            )
        if concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, got {concurrency}")
        if region is not None and region not in _KNOWN_REGIONS:
            raise ConfigurationError(
                f"unknown region {region!r}; known regions: {', '.join(_KNOWN_REGIONS)}. "
                "For another region pass endpoint= or endpoints="
            )
        self._credentials = credentials
        self.region = region
        self._overrides: dict[str, URL] = {}
        if endpoint is not None:
            for service in ("ocr", "image", "iam"):
                self._overrides[service] = _endpoint_url(service, endpoint)
        for service, value in (endpoints or {}).items():
            if service not in ("ocr", "image", "iam"):
                raise ConfigurationError(
                    f"unknown service {service!r} in endpoints; use 'ocr', 'image' or 'iam'"
                )
            self._overrides[service] = _endpoint_url(service, value)
        if region is None and len(self._overrides) < 3:
            missing = [s for s in ("ocr", "image", "iam") if s not in self._overrides]
            if not (
                isinstance(credentials, (AkSkCredentials, TokenCredentials)) and missing == ["iam"]
            ):
                raise ConfigurationError(
                    f"no region and no endpoint for {', '.join(missing)}: pass region= "
                    "(e.g. 'ap-southeast-1') or endpoint="
                )
        self._project_id = project_id or (
            credentials.project_id if isinstance(credentials, PasswordCredentials) else None
        )
        self.enterprise_project_id = enterprise_project_id
        self._clock = clock
        self._sleep = sleep
        self._transport = Transport(
            connection_limit=concurrency,
            user_agent=user_agent or f"aiocloudocr/{__version__}",
            session=session,
        )
        self._adaptive = adaptive
        self._project_lookup = asyncio.Lock()
        self._rate_limit = rate_limit
        self._preparing = asyncio.Semaphore(2 * concurrency)
        self._limiters: dict[str, AdaptiveLimiter] = {}
        self._token_cache: TokenCache | None = None
        auth: Authenticator
        if isinstance(credentials, AkSkCredentials):
            auth = AkSkAuthenticator(credentials, clock)
        elif isinstance(credentials, TokenCredentials):
            auth = StaticTokenAuthenticator(credentials)
        else:
            self._token_cache = TokenCache(self._fetch_token, clock)
            auth = PasswordAuthenticator(credentials, self._token_cache)
        self._dispatcher = Dispatcher(
            self._transport,
            auth,
            concurrency,
            retry or RetryPolicy(),
            timeout=timeout,
            connect_timeout=connect_timeout,
            sleep=sleep,
            clock=clock,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Client:
        """Build a client from environment variables (credentials, region, endpoint, project).

        Reads the credentials as :func:`credentials_from_env` does, the region from
        ``HUAWEICLOUD_SDK_REGION`` (or ``CLOUD_SDK_REGION``, ``AIOCLOUDOCR_REGION``), an
        endpoint for every service from ``AIOCLOUDOCR_ENDPOINT``, the IAM endpoint from
        ``HUAWEICLOUD_SDK_IAM_ENDPOINT`` and the project id from
        ``HUAWEICLOUD_SDK_PROJECT_ID``. Keyword options override what the environment says.
        """
        import os

        env = os.environ if environ is None else environ
        options.setdefault("credentials", credentials_from_env(env))
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
        return cls(**options)

    def __repr__(self) -> str:
        kind = type(self._credentials).__name__
        where = self.region or ", ".join(f"{k}={v}" for k, v in self._overrides.items())
        state = "closed" if self._transport.closed else "open"
        return (
            f"<aiocloudocr.Client {kind} {where} project_id={self._project_id!r} "
            f"concurrency={self._dispatcher.concurrency} {state}>"
        )

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session (unless it was injected by the caller)."""
        await self._transport.close()

    def __del__(self) -> None:
        transport = getattr(self, "_transport", None)
        if transport is not None and transport.owns_session and not transport.session_closed:
            warnings.warn(
                "aiocloudocr.Client was garbage-collected unclosed; use 'async with' or aclose()",
                ResourceWarning,
                stacklevel=2,
            )

    @property
    def credentials(self) -> Credentials:
        """The credentials in use (their repr masks secrets)."""
        return self._credentials

    @property
    def concurrency(self) -> int:
        """The most requests on the wire at once."""
        return self._dispatcher.concurrency

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy calls use unless they pass their own."""
        return self._dispatcher.policy

    @property
    def token_cache(self) -> TokenCache | None:
        """The IAM token cache when using password credentials."""
        return self._token_cache

    def endpoint(self, service: ServiceName) -> URL:
        """The base URL used for ``service``."""
        override = self._overrides.get(service)
        if override is not None:
            return override
        if self.region is None:
            raise ConfigurationError(f"no region and no endpoint for the {service} service")
        return _endpoint_url(service, endpoint_for(service, self.region))

    def limiter(self, service: ServiceName = "ocr") -> AdaptiveLimiter | None:
        """The adaptive limiter for ``service`` (shared in-process by clients with the same
        credential, endpoint and project), or None with ``adaptive=False``.

        Its ``state()`` shows the current rate, concurrency and throttle counts.
        """
        if not self._adaptive:
            return None
        limiter = self._limiters.get(service)
        if limiter is None:
            key = (_identity(self._credentials), str(self.endpoint(service)), self._project_id)
            limiter = shared_limiter(key, self._dispatcher.concurrency, sleep=self._sleep)
            if self._rate_limit is not None:
                limiter.assume_rate(*self._rate_limit)
            self._limiters[service] = limiter
        return limiter

    async def project_id(self) -> str:
        """The project id for request paths (for a project-name token: read from the token)."""
        if self._project_id:
            return self._project_id
        if self._token_cache is not None:
            token = await self._token_cache.get()
            if token.project_id:
                return token.project_id
        if isinstance(self._credentials, AkSkCredentials) and self.region is not None:
            return await self._look_up_project_id(self.region)
        raise ConfigurationError(
            "no project id: pass project_id= or set HUAWEICLOUD_SDK_PROJECT_ID "
            "(My Credentials > Projects in the console lists it)"
        )

    async def _look_up_project_id(self, region: str) -> str:
        # As the official SDK does: the project named after the region, found once with a
        # signed IAM call and kept for the client's life. Concurrent first calls share it.
        async with self._project_lookup:
            if self._project_id:
                return self._project_id
            request = HttpRequest(
                operation="iam_projects",
                method="GET",
                endpoint=self.endpoint("iam"),
                path=PROJECTS_PATH,
                body=b"",
                query=(("name", region),),
            )
            delivery = await self._dispatcher.send(request)
            try:
                projects = json.loads(delivery.response.body)["projects"]
                project_id = str(projects[0]["id"])
            except (ValueError, KeyError, IndexError, TypeError):
                raise ConfigurationError(
                    f"IAM lists no project named {region!r} for this access key: pass "
                    "project_id= or set HUAWEICLOUD_SDK_PROJECT_ID"
                ) from None
            self._project_id = project_id
            return project_id

    async def _fetch_token(self) -> IssuedToken:
        credentials = self._credentials
        assert isinstance(credentials, PasswordCredentials)
        request = HttpRequest(
            operation="iam_token",
            method="POST",
            endpoint=self.endpoint("iam"),
            path=TOKEN_PATH,
            body=token_request_body(credentials),
            headers={"Content-Type": JSON_CONTENT_TYPE},
            authenticate=False,
        )
        delivery = await self._dispatcher.send(request)
        return parse_token_response(
            delivery.response.headers,
            delivery.response.body,
            received_at=self._clock(),
            request_id=delivery.request_id,
        )

    @overload
    async def call(
        self,
        operation: Operation[RequestT, ResultT],
        request: RequestT,
        *,
        timeout: float | None = ...,
        retry: RetryPolicy | None = ...,
        check: bool = ...,
    ) -> ResultT: ...

    @overload
    async def call(
        self,
        operation: str,
        request: Any,
        *,
        timeout: float | None = ...,
        retry: RetryPolicy | None = ...,
        check: bool = ...,
    ) -> Any: ...

    async def call(
        self,
        operation: AnyOperation | str,
        request: Any,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        check: bool = True,
    ) -> Any:
        """Send ``request`` to ``operation`` (an Operation or its name) and return its result.

        With ``check`` (the default) an ``image`` the operation's documented limits reject
        raises :class:`ValidationError` and nothing is sent.
        """
        op = get_operation(operation) if isinstance(operation, str) else operation
        if not isinstance(request, op.request_type):
            raise ConfigurationError(
                f"{op.name} takes a {op.request_type.__name__}, got {type(request).__name__}"
            )
        image = getattr(request, "image", None)
        if check and op.limits is not None and isinstance(image, str) and image:
            check_image(decode_base64(image), op.limits)
        return await self._send(op, request, timeout=timeout, retry=retry, check=check)

    async def _send(
        self,
        op: AnyOperation,
        request: Any,
        *,
        timeout: float | None,
        retry: RetryPolicy | None,
        check: bool,
        plain_image: bool = False,
    ) -> Any:
        if op.deprecated:
            _warn_deprecated(op)
        payload = encode_body(request_body(request), plain_image=plain_image)
        if check and len(payload) > MAX_BODY_BYTES:
            raise ValidationError(
                f"the request body is {len(payload) / MB:.1f} MB; the service accepts at most "
                f"{MAX_BODY_BYTES / MB:g} MB: send a smaller image or a url",
                code="APIG.0201",
                field="image",
            )
        project_id = await self.project_id() if op.needs_project_id else self._project_id
        headers = {"Content-Type": JSON_CONTENT_TYPE}
        if project_id and isinstance(self._credentials, AkSkCredentials):
            headers["X-Project-Id"] = project_id
        if self.enterprise_project_id:
            headers["Enterprise-Project-Id"] = self.enterprise_project_id
        http_request = HttpRequest(
            operation=op.name,
            method=op.method,
            endpoint=self.endpoint(op.service),
            path=op.render_path(project_id),
            body=payload,
            headers=headers,
            limiter=self.limiter(op.service),
        )
        delivery = await self._dispatcher.send(http_request, policy=retry, timeout=timeout)
        meta = ResponseMeta(
            request_id=delivery.request_id,
            status=delivery.response.status,
            attempts=delivery.attempts,
            elapsed=delivery.elapsed,
        )
        return _parse(op, delivery.response.body, meta)

    def map(
        self,
        operation: AnyOperation | str,
        inputs: Iterable[Any] | AsyncIterable[Any],
        *,
        concurrency: int | None = None,
        ordered: bool = False,
        item_timeout: float | None = None,
        progress: ProgressCallback | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        retry_failed: bool = False,
        check: bool = True,
        total: int | None = None,
        **fields: Any,
    ) -> BatchRun:
        """Run ``operation`` over many inputs; ``async for outcome in client.map(...)``.

        ``inputs`` is a sync or async iterable of anything the operation accepts (paths,
        bytes, URLs, file objects, request objects, or ``(key, source)`` pairs), read lazily:
        at most ``2 * concurrency`` inputs are held at once. Every input yields exactly one
        :class:`Outcome` (completion order, or input order with ``ordered=True``); a bad
        input becomes a failed outcome and the run goes on. ``fields`` are the operation's
        request fields, applied to every input. With ``checkpoint`` each outcome is appended
        to a JSON Lines file as it completes, and a re-run skips the inputs it records as done
        (failed ones too, unless ``retry_failed``). ``item_timeout`` bounds each input's time,
        retries included.
        """
        op = get_operation(operation) if isinstance(operation, str) else operation
        _check_fields(op, fields)
        return BatchRun(
            client=self,
            operation=op,
            inputs=inputs,
            fields=fields,
            concurrency=concurrency or self._dispatcher.concurrency,
            ordered=ordered,
            item_timeout=item_timeout,
            progress=progress,
            checkpoint=None if checkpoint is None else Path(checkpoint),
            retry_failed=retry_failed,
            check=check,
            total=total,
        )

    async def _run(
        self,
        op: AnyOperation,
        image: ImageSource | None,
        url: str | None,
        fields: dict[str, Any],
        *,
        check: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> Any:
        """Build the operation's request from an image source and typed fields, then send it."""
        # Reading and encoding happen before a wire slot is free; bounding them keeps a
        # gather of thousands of calls from holding thousands of encoded images at once.
        async with self._preparing:
            data: bytes | None = None
            if image is not None:
                if url is not None:
                    raise ValidationError(
                        "set exactly one of image and url (both given)", field="image"
                    )
                resolved = await resolve_image(image)
                data, url = resolved.data, resolved.url
            elif url is not None:
                url = encode_url(url)
            accepted = op.fields
            sources: dict[str, str | None] = {}
            if "image" in accepted:
                sources["image"] = None if data is None else base64.b64encode(data).decode("ascii")
            elif data is not None:
                raise ValidationError(f"{op.name} takes a url, not image data", field="image")
            if "url" in accepted:
                sources["url"] = url
            elif url is not None:
                raise ValidationError(
                    f"{op.name} takes image data, not a URL: download the image and pass its bytes",
                    field="url",
                )
            request = op.request_type(**sources, **fields)
            if check and op.limits is not None and data is not None:
                check_image(data, op.limits)
            return await self._send(
                op, request, timeout=timeout, retry=retry, check=check, plain_image=True
            )


def _check_fields(op: AnyOperation, fields: Mapping[str, Any]) -> None:
    """Refuse unknown or invalid request fields once, before a bulk run starts."""
    names = op.fields - {"image", "url"}
    unknown = sorted(set(fields) - names)
    if unknown:
        raise ConfigurationError(
            f"{op.name} has no field {', '.join(unknown)}; its fields: {', '.join(sorted(names))}"
        )
    placeholder = {"url": "https://example.com/x.jpg"}
    if "url" not in op.fields:
        placeholder = {"image": "AAAA"}
    try:
        op.request_type(**placeholder, **fields)
    except ValidationError as error:
        if error.field not in ("image", "url"):
            raise


def _identity(credentials: Credentials) -> str:
    # Who the service counts requests against; never a secret itself.
    if isinstance(credentials, AkSkCredentials):
        return f"ak:{credentials.access_key}"
    if isinstance(credentials, PasswordCredentials):
        return f"user:{credentials.domain}/{credentials.username}"
    return "token:" + hashlib.sha256(credentials.token.encode()).hexdigest()[:16]


_warned: set[str] = set()


def _warn_deprecated(op: AnyOperation) -> None:
    # Once per process and operation: bulk jobs would otherwise print it a million times.
    if op.name not in _warned:
        _warned.add(op.name)
        warnings.warn(
            f"{op.name} ({op.path}) is a deprecated API of the service",
            DeprecationWarning,
            stacklevel=4,
        )


def _parse(op: AnyOperation, body: bytes, meta: ResponseMeta) -> Any:
    def invalid(reason: str) -> InvalidResponseError:
        return InvalidResponseError(
            f"the {op.name} answer is not the documented result: {reason}",
            status=meta.status,
            request_id=meta.request_id,
            operation=op.name,
            attempts=meta.attempts,
        )

    try:
        payload = json.loads(body)
    except ValueError:
        raise invalid("body is not JSON") from None
    if not isinstance(payload, dict) or "result" not in payload:
        raise invalid("no 'result' member")
    try:
        return parse_result(payload["result"], op.result_type, meta)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        raise invalid(f"{type(exc).__name__}: {exc}") from None
