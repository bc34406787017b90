"""Every operation in the table has a typed client method that sends what its request holds."""

from __future__ import annotations

import contextlib
import inspect
import warnings
from typing import Any

import pytest
from attrs import fields as attrs_fields

from aiocloudocr import APIError, Client, ValidationError
from aiocloudocr.operations import OPERATIONS
from tests.conftest import aksk_client
from tests.fakes import make_png


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_each_operation_has_a_typed_method(name: str) -> None:
    """Client has a method per operation whose keywords are the request's fields."""
    import attrs

    method = getattr(Client, name)
    per_call = {"self", "check", "timeout", "retry", "headers", "extra_body"}
    params = set(inspect.signature(method).parameters) - per_call
    fields = {a.name for a in attrs.fields(OPERATIONS[name].request_type)}
    assert params == fields


async def test_image_only_operation_refuses_a_url(emulator: Any) -> None:
    """The v1 vision APIs take image data only; a URL is refused before sending."""
    async with aksk_client(emulator.url) as client:
        with pytest.raises(ValidationError, match="takes image data, not a URL"):
            await client.dark_enhance("https://example.com/a.png")
    assert sum(emulator.stats.requests.values()) == 0


async def test_url_only_operation_refuses_image_data(emulator: Any) -> None:
    """Background music recognition takes a video URL only: image data fails, unsent."""
    async with aksk_client(emulator.url) as client:
        outcomes = [o async for o in client.map("bgm_recognition", [make_png(20, 20)])]
    assert not outcomes[0].ok
    assert "takes a url, not image data" in str(outcomes[0].error)
    assert sum(emulator.stats.requests.values()) == 0


async def test_deprecated_operation_warns_once(emulator: Any) -> None:
    """A deprecated operation warns once per process, however often it is called."""
    import aiocloudocr._requests as requests_module

    requests_module._warned.discard("super_resolution")
    png = make_png(20, 20)
    async with aksk_client(emulator.url) as client:
        with (
            pytest.warns(DeprecationWarning, match="super_resolution"),
            contextlib.suppress(APIError),
        ):
            await client.super_resolution(png, scale=3)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with contextlib.suppress(APIError):
                await client.super_resolution(png, scale=3)


@pytest.mark.parametrize("name", list(OPERATIONS))
async def test_every_operation_round_trips_over_loopback(image_host: str, name: str) -> None:
    """Each table entry, called through client.call with its own request type, comes back
    as its own result type from a real HTTP server."""
    import base64

    from aiocloudocr.emulator import EmulatorConfig, run_emulator

    op = OPERATIONS[name]
    fields = {a.name for a in attrs_fields(op.request_type)}
    png = base64.b64encode(make_png(120, 80)).decode()
    request = (
        op.request_type(url=f"{image_host}/clip.mp4")
        if "image" not in fields
        else op.request_type(image=png)
    )
    config = EmulatorConfig(url_allow_hosts=("127.0.0.1",))
    async with run_emulator(config) as emulator, aksk_client(emulator.url) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            result = await client.call(name, request)
        assert emulator.stats.requests[name] == 1
    assert isinstance(result, op.result_type)
    assert result.meta is not None
    assert result.meta.status == 200
    assert result.meta.request_id


async def test_gif_to_an_id_card_is_refused_unsent(emulator: Any) -> None:
    """A GIF is fine for Web Image but not for ID cards: AIS.0102 before sending."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("P", (120, 80)).save(buffer, format="GIF")
    async with aksk_client(emulator.url) as client:
        with pytest.raises(ValidationError) as info:
            await client.thailand_id_card(buffer.getvalue(), side="front")
    assert info.value.code == "AIS.0102"
    assert "GIF" in info.value.message
    assert sum(emulator.stats.requests.values()) == 0
