"""The request pipeline through the transport seam: order of steps, one error tree, options."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest

from aiocloudocr import (
    AkSkCredentials,
    Client,
    CloudOcrError,
    ConnectError,
    HttpRequest,
    HttpResponse,
    LimiterState,
    PasswordCredentials,
    RetryPolicy,
    TokenCredentials,
    TransportError,
)
from aiocloudocr.auth import signer
from aiocloudocr.testing import MockTransport, json_response
from tests.fakes import make_png

PNG = make_png(32, 32)
EMPTY_RESULT = {"result": {"words_block_count": 0, "words_block_list": []}}
AKSK = AkSkCredentials(access_key="AKTESTEXAMPLE0000000", secret_key="S" * 40)


class WallClock:
    """A wall clock that moves only when the client sleeps (calls here run one at a time)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def iso(epoch: float) -> str:
    """An IAM timestamp."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def mock_client(handler: MockTransport, **options: object) -> Client:
    """A client for region ap-southeast-1 over ``handler``."""
    options.setdefault("project_id", "p1")
    return Client(
        options.pop("credentials", AKSK),  # type: ignore[arg-type]
        region="ap-southeast-1",
        transport=handler,
        **options,  # type: ignore[arg-type]
    )


async def test_signature_date_is_taken_after_the_limiter_wait() -> None:
    """A request paced for 10 minutes is signed when it leaves, not when it was called."""
    clock = WallClock()
    transport = MockTransport(lambda request: json_response(EMPTY_RESULT))
    started = clock.now
    async with mock_client(
        transport,
        clock=clock,
        sleep=clock.sleep,
        rate_limit=(1, 600.0),
        retry=RetryPolicy(deadline=None),
    ) as client:
        await client.web_image(PNG)
        await client.web_image(PNG)  # its turn under 1 request / 600 s comes 10 minutes later
    dates = sorted(r.headers[signer.DATE_HEADER] for r in transport.requests)
    second = datetime.strptime(dates[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    assert second.timestamp() - started >= 600


async def test_token_is_taken_after_the_limiter_wait() -> None:
    """A request paced past its token's expiry is sent with a fresh token."""
    clock = WallClock()
    issued: list[str] = []

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/v3/auth/tokens"):
            issued.append(f"token-{len(issued)}-" + "x" * 40)
            body = {"token": {"issued_at": iso(clock.now), "expires_at": iso(clock.now + 3600)}}
            return HttpResponse(
                status=201,
                headers={"X-Subject-Token": issued[-1]},
                body=json.dumps(body).encode(),
            )
        return json_response(EMPTY_RESULT)

    transport = MockTransport(handler)
    credentials = PasswordCredentials(
        username="u",
        password="p" * 12,
        domain="d",
        project_id="p1",
    )
    async with mock_client(
        transport,
        credentials=credentials,
        clock=clock,
        sleep=clock.sleep,
        rate_limit=(1, 7200.0),
        retry=RetryPolicy(deadline=None),
    ) as client:
        await client.web_image(PNG)
        await client.web_image(PNG)  # its turn comes two hours later, the token long expired
    sent = [r.headers["X-Auth-Token"] for r in transport.requests if "X-Auth-Token" in r.headers]
    assert sent == issued == [issued[0], issued[1]]


async def test_foreign_exception_from_a_transport_becomes_transport_error() -> None:
    """Whatever a transport raises, the caller sees an exception of the library's tree."""

    def handler(request: HttpRequest) -> HttpResponse:
        raise RuntimeError("socket exploded")

    async with mock_client(MockTransport(handler), retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(TransportError) as caught:
            await client.web_image(PNG)
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert caught.value.operation == "web_image"


async def test_connect_errors_are_retried_through_a_mock_transport() -> None:
    """A transport's ConnectError is retried like a real one."""
    failures = iter([True, True, False])

    def handler(request: HttpRequest) -> HttpResponse:
        if next(failures):
            raise ConnectError("reset")
        return json_response(EMPTY_RESULT)

    policy = RetryPolicy(max_attempts=3, initial_backoff=0.001, max_backoff=0.002)
    async with mock_client(MockTransport(handler), retry=policy) as client:
        result = await client.web_image(PNG)
    assert result.meta is not None and result.meta.attempts == 3


async def test_mock_transport_sees_the_wire_request() -> None:
    """The handler gets the signed request as it would go out: URL, headers and body."""
    transport = MockTransport(lambda request: json_response(EMPTY_RESULT))
    async with mock_client(transport) as client:
        await client.web_image(PNG, detect_direction=True)
    (request,) = transport.requests
    assert request.method == "POST"
    assert request.url == "https://ocr.ap-southeast-1.myhuaweicloud.com/v2/p1/ocr/web-image"
    assert request.headers["Authorization"].startswith("SDK-HMAC-SHA256 Access=AKTESTEXAMPLE")
    assert request.headers["X-Project-Id"] == "p1"
    assert json.loads(request.body)["detect_direction"] is True


async def test_with_options_shares_transport_and_slots() -> None:
    """A with_options client shares the transport, limiter and wire slots of its parent."""
    transport = MockTransport(lambda request: json_response(EMPTY_RESULT))
    async with mock_client(transport, concurrency=4) as client:
        quick = client.with_options(timeout=5.0, headers={"X-Trace": "t1"})
        assert quick.config.timeout == 5.0 and client.config.timeout == 60.0
        assert quick.limiter("ocr") is client.limiter("ocr")
        assert quick._pipeline._semaphore is client._pipeline._semaphore
        await quick.web_image(PNG)
        await client.web_image(PNG)
    assert [r.headers.get("X-Trace") for r in transport.requests] == ["t1", None]
    assert [r.timeout for r in transport.requests] == [5.0, 60.0]


async def test_with_options_refuses_what_it_cannot_share() -> None:
    """Changing credentials or an unknown option through with_options is a clear error."""
    async with mock_client(MockTransport(lambda r: json_response(EMPTY_RESULT))) as client:
        with pytest.raises(CloudOcrError, match="credentials"):
            client.with_options(credentials=TokenCredentials(token="t" * 20))
        with pytest.raises(CloudOcrError, match="timout"):
            client.with_options(timout=5)
        with pytest.raises(CloudOcrError, match="timeout"):
            client.with_options(timeout=0)


async def test_async_handler_is_awaited() -> None:
    """A MockTransport handler may be a coroutine function."""

    async def handler(request: HttpRequest) -> HttpResponse:
        await asyncio.sleep(0)
        return json_response(EMPTY_RESULT, headers={"X-Request-Id": "req-9"})

    async with mock_client(MockTransport(handler)) as client:
        result = await client.web_image(PNG)
    assert result.meta is not None and result.meta.request_id == "req-9"


class CountingLimiter:
    """A Limiter of its own: counts acquires and releases, remembers the outcomes."""

    def __init__(self) -> None:
        self.acquired = 0
        self.outcomes: list[str] = []

    async def acquire(self, *, deadline: float | None = None) -> None:
        self.acquired += 1

    def release(self, error: BaseException | None, latency: float | None = None) -> None:
        self.outcomes.append("ok" if error is None else type(error).__name__)

    def state(self) -> LimiterState:
        return LimiterState(
            rate=None, stated_rate=None, concurrency=1, max_concurrency=1, in_flight=0,
            throttles=0, rate_throttles=0, concurrency_throttles=0,
        )  # fmt: skip


async def test_a_limiter_of_ones_own_stands_in_for_the_adaptive_one() -> None:
    """Client(limiter=...) is asked before and told after every attempt, throttles included."""
    answers = iter(
        [json_response({"error_code": "APIG.0308", "error_msg": "slow down"}, status=429)]
    )

    def handler(request: HttpRequest) -> HttpResponse:
        return next(answers, json_response(EMPTY_RESULT))

    limiter = CountingLimiter()
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.001, max_backoff=0.002)
    async with mock_client(MockTransport(handler), retry=policy, limiter=limiter) as client:
        await client.web_image(PNG)
        assert client.limiter("ocr") is limiter and client.limiter("image") is limiter
    assert limiter.acquired == 2
    assert limiter.outcomes == ["ThrottledError", "ok"]
