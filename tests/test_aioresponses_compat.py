"""A user's aioresponses-based test of code that uses the client works (aiohttp >= 3.14)."""

from __future__ import annotations

import re

import pytest
from aioresponses import aioresponses

from aiocloudocr import AkSkCredentials, Client, RetryPolicy, ThrottledError
from aiocloudocr.testing import AioresponsesResponse
from tests.fakes import make_png

WEB_IMAGE = re.compile(r"https://ocr\.ap-southeast-1\.myhuaweicloud\.com/v2/p1/ocr/web-image")
RESULT = {"result": {"words_block_count": 1, "words_block_list": [{"words": "hi"}]}}


def make_client() -> Client:
    """A client whose default aiohttp transport aioresponses intercepts."""
    credentials = AkSkCredentials(access_key="AKTESTEXAMPLE0000000", secret_key="S" * 40)
    return Client(credentials, region="ap-southeast-1", project_id="p1")


async def test_mocked_answer_reaches_the_typed_result() -> None:
    """aioresponses with the compat response class answers a typed call."""
    with aioresponses() as mocked:
        mocked.post(WEB_IMAGE, payload=RESULT, response_class=AioresponsesResponse)
        async with make_client() as client:
            result = await client.web_image(make_png(32, 32))
    assert [block.words for block in result.words_block_list] == ["hi"]
    ((method, _url), calls), *_ = mocked.requests.items()
    assert method == "POST" and len(calls) == 1
    assert calls[0].kwargs["headers"]["Authorization"].startswith("SDK-HMAC-SHA256")


async def test_mocked_throttle_is_retried() -> None:
    """A mocked APIG.0308 then a success: the client retries as against the service."""
    with aioresponses() as mocked:
        mocked.post(
            WEB_IMAGE,
            status=429,
            payload={"error_code": "APIG.0308", "error_msg": "too fast"},
            headers={"Retry-After": "0"},
            response_class=AioresponsesResponse,
        )
        mocked.post(WEB_IMAGE, payload=RESULT, response_class=AioresponsesResponse)
        async with make_client() as client:
            result = await client.web_image(make_png(32, 32))
    assert result.meta is not None and result.meta.attempts == 2


async def test_mocked_throttle_surfaces_typed_error_when_not_retried() -> None:
    """With one attempt allowed, the mocked throttle is a ThrottledError with its code."""
    with aioresponses() as mocked:
        mocked.post(
            WEB_IMAGE,
            status=429,
            payload={"error_code": "APIG.0308", "error_msg": "too fast"},
            response_class=AioresponsesResponse,
        )
        async with make_client() as client:
            once = client.with_options(retry=RetryPolicy(max_attempts=1))
            with pytest.raises(ThrottledError) as caught:
                await once.web_image(make_png(32, 32))
    assert caught.value.code == "APIG.0308"
