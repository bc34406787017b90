"""Inputs the docs accept and the service answers with its default: empty side, any threshold."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from aiocloudocr import AkSkCredentials, Client
from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID, RunningEmulator
from tests.emulator.emulator_testkit import FakeClock, b64, op_path, png, post

# Two images the emulator detects as different sides (checked in the client test below).
IMAGES = [png(64, 48, (10, 20, 30)), png(80, 60, (200, 100, 50))]


async def _result(
    running: RunningEmulator, session: aiohttp.ClientSession, name: str, body: dict[str, Any]
) -> dict[str, Any]:
    headers = {"X-Auth-Token": running.issue_token()}
    status, answer, _ = await post(session, running.url + op_path(name), body, headers)
    assert status == 200, answer
    result: dict[str, Any] = answer["result"]
    return result


@pytest.mark.parametrize("name", ["thailand_id_card", "emirates_id_card"])
@pytest.mark.parametrize("image", IMAGES, ids=["first", "second"])
async def test_empty_side_detects_the_side(
    running: RunningEmulator, session: aiohttp.ClientSession, name: str, image: bytes
) -> None:
    """An empty ``side`` is answered like no ``side``: the side is detected (seeds 001, 002)."""
    detected = await _result(running, session, name, {"image": b64(image)})
    empty = await _result(running, session, name, {"image": b64(image), "side": ""})
    assert empty == detected
    assert empty["side"] in ("front", "back")


@pytest.mark.parametrize("threshold", [-5, 100.5, 250])
async def test_v1_threshold_out_of_range_uses_the_default(
    running: RunningEmulator, session: aiohttp.ClientSession, threshold: float
) -> None:
    """A v1 threshold outside 0-100 is answered as the default, 0 (seed 003, 7.1.1)."""
    body = {"image": b64(IMAGES[0])}
    default = await _result(running, session, "image_tagging_v1", body)
    zero = await _result(running, session, "image_tagging_v1", {**body, "threshold": 0})
    out_of_range = await _result(
        running, session, "image_tagging_v1", {**body, "threshold": threshold}
    )
    assert out_of_range == default == zero


@pytest.fixture
async def client(running: RunningEmulator, clock: FakeClock) -> AsyncIterator[Client]:
    """A client signing with the default key pair (on the emulator's clock)."""
    credentials = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk)
    endpoint, project = running.url, DEFAULT_PROJECT_ID
    async with Client(credentials, endpoint=endpoint, project_id=project, clock=clock) as made:
        yield made


async def test_client_sends_an_empty_side(client: Client) -> None:
    """Through the client, ``side=""`` reaches the service and gets the detected side."""
    sides = set()
    for image in IMAGES:
        thai = await client.thailand_id_card(image)
        assert (await client.thailand_id_card(image, side="")).side == thai.side
        uae = await client.emirates_id_card(image)
        assert (await client.emirates_id_card(image, side="")).side == uae.side
        sides.add(thai.side)
    assert sides == {"front", "back"}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_client_sends_an_out_of_range_threshold(client: Client) -> None:
    """Through the client, an out-of-range v1 threshold is sent and answered as the default."""
    default = await client.image_tagging_v1(IMAGES[0])
    for threshold in (-5, 250):
        tags = (await client.image_tagging_v1(IMAGES[0], threshold=threshold)).tags
        assert [(tag.tag, tag.confidence) for tag in tags] == [
            (tag.tag, tag.confidence) for tag in default.tags
        ]
