"""The client end to end over loopback HTTP against the emulator."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import pytest

from aiocloudocr import (
    NO_RETRY,
    APIError,
    AuthenticationError,
    Client,
    ConnectError,
    ImageError,
    RequestTimeout,
    RetryPolicy,
    ServerError,
    ThrottledError,
    TokenCredentials,
)
from aiocloudocr.emulator import DEFAULT_PROJECT_ID, Fault
from aiocloudocr.models.web_image import WebImageRequest
from aiocloudocr.retry import RETRYABLE_CODES
from tests.conftest import aksk_client, password_client
from tests.fakes import FakeSleep

RETRY_STATUS = {"APIG.0308": 429, "ModelArts.4401": 429, "APIG.0201": 504}


def token_client(emulator: Any, **options: Any) -> Client:
    """A client with a ready token issued by the emulator."""
    credentials = TokenCredentials(token=emulator.issue_token())
    return Client(credentials, endpoint=emulator.url, project_id=DEFAULT_PROJECT_ID, **options)


@pytest.mark.parametrize("kind", ["aksk", "password", "token"])
async def test_web_image_from_path_with_each_credential_kind(
    emulator: Any, png: bytes, tmp_path: Path, kind: str
) -> None:
    """A single web_image(path) call works with AK/SK, IAM password and a ready token."""
    path = tmp_path / "shot.png"
    path.write_bytes(png)
    make = {"aksk": aksk_client, "password": password_client}.get(kind)
    client = make(emulator.url) if make else token_client(emulator)
    async with client:
        result = await client.web_image(path, extract_type=["image_size"])
    assert result.words_block_count == len(result.words_block_list) > 0
    assert result.extracted_data is not None and result.extracted_data.image_size is not None
    assert (result.extracted_data.image_size.width, result.extracted_data.image_size.height) == (
        64,
        48,
    )
    assert result.meta is not None and result.meta.request_id and result.meta.attempts == 1
    assert emulator.stats.requests["web_image"] == 1


@pytest.mark.parametrize("kind", ["aksk", "password", "token"])
async def test_image_tagging_by_url_with_each_credential_kind(
    image_host: str, emulator_with_urls: Any, kind: str
) -> None:
    """image_tagging(url=...) works end to end; confidences arrive as floats."""
    emulator = emulator_with_urls
    make = {"aksk": aksk_client, "password": password_client}.get(kind)
    client = make(emulator.url) if make else token_client(emulator)
    async with client:
        result = await client.image_tagging(url=f"{image_host}/cat.png", language="en", limit=3)
    assert 0 < len(result.tags) <= 3
    assert all(isinstance(tag.confidence, float) for tag in result.tags)
    assert result.raw["tags"][0]["confidence"] == f"{result.tags[0].confidence:.2f}"


async def test_call_through_the_operation_table(emulator: Any, png: bytes) -> None:
    """client.call dispatches by operation name with a typed request."""
    async with aksk_client(emulator.url) as client:
        request = WebImageRequest(image=base64.b64encode(png).decode())
        result = await client.call("web_image", request)
    assert result.words_block_list


async def test_thousand_cold_calls_make_one_iam_request(emulator: Any, png: bytes) -> None:
    """1,000 concurrent first calls on a cold password client cause exactly one IAM request."""
    async with password_client(emulator.url, concurrency=64) as client:
        results = await asyncio.gather(*(client.web_image(png) for _ in range(1000)))
    assert len(results) == 1000
    assert emulator.stats.requests["iam"] == 1
    assert emulator.stats.tokens_issued == 1
    assert emulator.stats.requests["web_image"] == 1000


async def test_expired_token_is_dropped_and_call_retried_once(emulator: Any, png: bytes) -> None:
    """A rejected token is dropped, a new one fetched, and the call retried once."""
    async with password_client(emulator.url) as client:
        await client.web_image(png)
        emulator.expire_tokens()
        result = await client.web_image(png)
    assert result.meta is not None and result.meta.attempts == 2
    assert emulator.stats.tokens_issued == 2


async def test_token_refused_twice_is_not_retried_again(emulator: Any, png: bytes) -> None:
    """Fresh-token retry happens once; a second refusal surfaces as AuthenticationError."""
    emulator.inject("web_image", Fault(status=401, code="APIG.0301"), times=2)
    async with password_client(emulator.url) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.web_image(png)
    assert info.value.attempts == 2
    assert emulator.stats.tokens_issued == 2
    assert emulator.stats.requests["web_image"] == 2


async def test_static_token_refusal_is_final(emulator: Any, png: bytes) -> None:
    """A caller-supplied token cannot be renewed, so a refusal is raised at once."""
    client = Client(
        TokenCredentials(token="MIInot-a-real-token"),
        endpoint=emulator.url,
        project_id=DEFAULT_PROJECT_ID,
    )
    async with client:
        with pytest.raises(AuthenticationError) as info:
            await client.web_image(png)
    assert info.value.attempts == 1
    assert info.value.code == "APIG.0301"
    assert info.value.request_id


@pytest.mark.parametrize("code", sorted(RETRYABLE_CODES))
async def test_each_retryable_code_is_retried(
    emulator: Any, png: bytes, fake_sleep: FakeSleep, code: str
) -> None:
    """Throttling and transient codes are retried; the outcome counts the attempts."""
    emulator.inject("web_image", Fault(status=RETRY_STATUS.get(code, 503), code=code), times=2)
    async with aksk_client(emulator.url, sleep=fake_sleep) as client:
        result = await client.web_image(png)
    assert result.meta is not None and result.meta.attempts == 3
    assert emulator.stats.requests["web_image"] == 3
    assert len(fake_sleep.waits) == 2


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_retryable_statuses_without_code(
    emulator: Any, png: bytes, fake_sleep: FakeSleep, status: int
) -> None:
    """HTTP 429 and 5xx answers are retried."""
    emulator.inject("web_image", Fault(status=status), times=1)
    async with aksk_client(emulator.url, sleep=fake_sleep) as client:
        result = await client.web_image(png)
    assert result.meta is not None and result.meta.attempts == 2


@pytest.mark.parametrize("code", ["AIS.0101", "AIS.0102", "AIS.0103", "ModelArts.4204"])
async def test_request_errors_are_not_retried(
    emulator: Any, png: bytes, fake_sleep: FakeSleep, code: str
) -> None:
    """AIS.01xx and subscription errors are raised after one attempt."""
    emulator.inject("web_image", Fault(status=400, code=code), times=1)
    async with aksk_client(emulator.url, sleep=fake_sleep) as client:
        with pytest.raises(APIError) as info:
            await client.web_image(png)
    assert info.value.code == code
    assert info.value.attempts == 1
    assert emulator.stats.requests["web_image"] == 1
    assert fake_sleep.waits == []


async def test_image_error_type(emulator: Any, png: bytes) -> None:
    """AIS.0103 surfaces as ImageError with the service's message and request id."""
    emulator.inject("web_image", Fault(status=400, code="AIS.0103"), times=1)
    async with aksk_client(emulator.url) as client:
        with pytest.raises(ImageError) as info:
            await client.web_image(png)
    assert info.value.message == "The image size does not meet the requirements."
    assert info.value.request_id and info.value.operation == "web_image"


async def test_retry_after_is_honoured(emulator: Any, png: bytes, fake_sleep: FakeSleep) -> None:
    """The wait after a throttled answer is the Retry-After it carried."""
    emulator.inject("web_image", Fault(status=429, code="APIG.0308", retry_after=7), times=1)
    async with aksk_client(emulator.url, sleep=fake_sleep) as client:
        await client.web_image(png)
    assert fake_sleep.waits == [7.0]


async def test_retry_after_beyond_deadline_stops(
    emulator: Any, png: bytes, fake_sleep: FakeSleep
) -> None:
    """A Retry-After that would pass the call's deadline ends the call instead of sleeping."""
    emulator.inject("web_image", Fault(status=429, code="APIG.0308", retry_after=30), times=1)
    policy = RetryPolicy(deadline=5.0)
    async with aksk_client(emulator.url, sleep=fake_sleep, retry=policy) as client:
        with pytest.raises(ThrottledError) as info:
            await client.web_image(png)
    assert info.value.attempts == 1
    assert fake_sleep.waits == []


async def test_attempts_are_bounded(emulator: Any, png: bytes, fake_sleep: FakeSleep) -> None:
    """A failure that persists is raised after max_attempts, with the count."""
    emulator.inject("web_image", Fault(status=503, code="ModelArts.4403"), times=10)
    policy = RetryPolicy(max_attempts=3)
    async with aksk_client(emulator.url, sleep=fake_sleep, retry=policy) as client:
        with pytest.raises(ServerError) as info:
            await client.web_image(png)
    assert info.value.attempts == 3
    assert emulator.stats.requests["web_image"] == 3


async def test_dropped_connection_is_retried(
    emulator: Any, png: bytes, fake_sleep: FakeSleep
) -> None:
    """A connection dropped without an answer is a ConnectError and is retried."""
    emulator.inject("web_image", Fault(drop=True), times=1)
    async with aksk_client(emulator.url, sleep=fake_sleep) as client:
        result = await client.web_image(png)
        assert result.meta is not None and result.meta.attempts == 2
        emulator.inject("web_image", Fault(drop=True), times=1)
        with pytest.raises(ConnectError):
            await client.call("web_image", WebImageRequest(url="http://x"), retry=NO_RETRY)


async def test_stall_beyond_timeout_is_retried(
    emulator: Any, png: bytes, fake_sleep: FakeSleep
) -> None:
    """An answer slower than the attempt timeout is a RequestTimeout and is retried."""
    emulator.inject("web_image", Fault(stall=2.0, status=None), times=1)
    async with aksk_client(emulator.url, sleep=fake_sleep, timeout=0.5) as client:
        result = await client.web_image(png)
        assert result.meta is not None and result.meta.attempts == 2
        emulator.inject("web_image", Fault(stall=2.0, status=None), times=1)
        request = WebImageRequest(image=base64.b64encode(png).decode())
        with pytest.raises(RequestTimeout):
            await client.call("web_image", request, retry=NO_RETRY)


async def test_concurrency_bound_holds_at_the_server(png: bytes) -> None:
    """At most `concurrency` requests are ever in flight, as the server measures it."""
    from aiocloudocr.emulator import EmulatorConfig, run_emulator

    async with run_emulator(EmulatorConfig(latency=0.02)) as emulator:
        async with aksk_client(emulator.url, concurrency=8) as client:
            await asyncio.gather(*(client.web_image(png) for _ in range(80)))
        assert emulator.stats.max_in_flight == 8
        assert emulator.stats.requests["web_image"] == 80


async def test_no_slot_is_held_while_waiting_to_retry(emulator: Any, png: bytes) -> None:
    """A call sleeping before its retry does not hold a concurrency slot."""
    gate, sleeping = asyncio.Event(), asyncio.Event()

    async def slow_sleep(seconds: float) -> None:
        sleeping.set()
        await gate.wait()

    emulator.inject("web_image", Fault(status=503), times=1)
    async with aksk_client(emulator.url, concurrency=1, sleep=slow_sleep) as client:
        stuck = asyncio.ensure_future(client.web_image(png))
        await asyncio.wait_for(sleeping.wait(), timeout=5)
        # The first call now sleeps before its retry; a second call must still get through.
        other = await asyncio.wait_for(client.web_image(png), timeout=5)
        assert other.meta is not None and other.meta.attempts == 1
        gate.set()
        assert (await stuck).meta.attempts == 2  # type: ignore[union-attr]


async def test_iam_failures_are_retried_once_not_per_call_attempt(
    emulator: Any, png: bytes, fake_sleep: FakeSleep
) -> None:
    """A failing IAM is retried by its own policy; the API call does not multiply that."""
    emulator.inject("iam", Fault(status=503), times=2)
    async with password_client(emulator.url, sleep=fake_sleep) as client:
        result = await client.web_image(png)
        assert result.meta is not None and result.meta.attempts == 1
        assert emulator.stats.requests["iam"] == 3
        emulator.expire_tokens()
        emulator.inject("iam", Fault(status=503), times=50)
        with pytest.raises(ServerError) as info:
            await client.web_image(png)
    assert info.value.operation == "iam_token"
    assert emulator.stats.requests["iam"] == 3 + 5
    assert emulator.stats.requests["web_image"] == 2


async def test_aksk_without_project_id_looks_it_up_once(emulator: Any, png: bytes) -> None:
    """With AK/SK, a region and no project id, one signed IAM query finds it for all calls."""
    from aiocloudocr import AkSkCredentials
    from aiocloudocr.emulator import DEFAULT_KEY_PAIR

    credentials = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk)
    client = Client(credentials, region="ap-southeast-1", endpoint=emulator.url)
    async with client:
        results = await asyncio.gather(*(client.web_image(png) for _ in range(50)))
        assert await client.project_id() == DEFAULT_PROJECT_ID
    assert len(results) == 50
    assert emulator.stats.requests["iam"] == 1
    assert emulator.stats.outcomes[("iam", 200, None)] == 1


async def test_aksk_project_lookup_that_finds_nothing_says_what_to_do(
    emulator: Any, png: bytes
) -> None:
    """A region with no project of that name is a configuration error naming the fix."""
    from aiocloudocr import AkSkCredentials, ConfigurationError
    from aiocloudocr.emulator import DEFAULT_KEY_PAIR

    credentials = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk)
    async with Client(credentials, region="cn-north-4", endpoint=emulator.url) as client:
        with pytest.raises(ConfigurationError, match="HUAWEICLOUD_SDK_PROJECT_ID"):
            await client.web_image(png)
    assert emulator.stats.requests["web_image"] == 0


async def test_project_listing_needs_credentials(emulator: Any) -> None:
    """The emulator's IAM project listing refuses an unauthenticated request."""
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{emulator.url}/v3/projects?name=ap-southeast-1") as response,
    ):
        body = await response.json()
    assert response.status == 401
    assert body["error_code"] == "ModelArts.4101"
    assert response.headers["X-Request-Id"]
