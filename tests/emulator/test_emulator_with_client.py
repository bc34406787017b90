"""The client's result models read every emulator answer with no field left over.

The emulator builds its answers from the docs on its own; this checks that both readings
agree on every field name (a field the client does not know would land in ``extra``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from aiocloudocr import AkSkCredentials, Client
from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID, RunningEmulator
from tests.emulator.emulator_testkit import FakeClock, png

PNG = png(120, 80, (30, 60, 90))
ID_FLAGS: dict[str, Any] = {
    "return_portrait_image": True,
    "return_portrait_location": True,
    "return_idcard_type": True,
}


@pytest.fixture
async def client(fetching: RunningEmulator, clock: FakeClock) -> AsyncIterator[Client]:
    """A client signing with the default key pair (on the emulator's clock)."""
    credentials = AkSkCredentials(access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk)
    endpoint, project = fetching.url, DEFAULT_PROJECT_ID
    async with Client(credentials, endpoint=endpoint, project_id=project, clock=clock) as made:
        yield made


def _no_extra(value: Any) -> None:
    # Walk the result: every attrs record must have an empty ``extra``.
    extra = getattr(value, "extra", None)
    assert not extra, f"{type(value).__name__} got unknown fields {sorted(extra or {})}"
    for name in getattr(type(value), "__attrs_attrs__", ()):
        child = getattr(value, name.name)
        for item in child if isinstance(child, tuple) else (child,):
            if hasattr(type(item), "__attrs_attrs__"):
                _no_extra(item)


@pytest.mark.parametrize("side", ["front", "back"])
async def test_id_cards(client: Client, side: str) -> None:
    """Thai, Myanmar and UAE cards parse completely, flags included."""
    thai = await client.thailand_id_card(PNG, side=side, return_text_location=True, **ID_FLAGS)
    assert thai.side == side and thai.confidence
    _no_extra(thai)
    uae = await client.emirates_id_card(PNG, side=side)
    assert uae.side == side and uae.confidence
    _no_extra(uae)


async def test_myanmar_passport_bank_card(client: Client) -> None:
    """Myanmar (its ``class`` key included), passport and bank card parse completely."""
    myanmar = await client.myanmar_id_card(
        PNG, return_confidence=True, return_translation=True, convert_unicode=True, **ID_FLAGS
    )
    assert myanmar.class_ == "new_version" and myanmar.portrait_image
    _no_extra(myanmar)
    passport = await client.passport(PNG, country_code="CHN")
    assert passport.country_code == "CHN" and passport.extra_info == {}
    _no_extra(passport)
    card = await client.bank_card(PNG)
    assert card.card_number and card.type in {"Visa", "MasterCard", "Unrecognized"}
    _no_extra(card)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_v1_apis(client: Client, file_host: str) -> None:
    """Tagging v1, the three image transforms and BGM parse completely."""
    tags = await client.image_tagging_v1(PNG, language="en", limit=3)
    assert len(tags.tags) == 3
    _no_extra(tags)
    for result in (
        await client.dark_enhance(PNG, brightness=0.5),
        await client.defog(PNG, gamma=2.0, natural_look=False),
        await client.super_resolution(PNG, scale=4, model="SRCNN"),
    ):
        assert result.image.startswith(b"\x89PNG")
        _no_extra(result)
    music = await client.bgm_recognition(file_host + "/clip.mp4")
    assert music.audio_name
    _no_extra(music)


async def test_v2_apis_by_url(client: Client, file_host: str) -> None:
    """Web Image and Tagging v2 parse completely, also for url inputs."""
    words = await client.web_image(
        url=file_host + "/ok.png", detect_font=True, extract_type=["image_size", "contact_info"]
    )
    assert words.words_block_list
    _no_extra(words)
    tags = await client.image_tagging(url=file_host + "/ok.png", threshold=0, language="en")
    assert tags.tags
    _no_extra(tags)
