"""aiocloudocr.testing: the pytest fixtures and emulated_client, used as a user would."""

from __future__ import annotations

import pytest

from aiocloudocr import Client
from aiocloudocr.emulator import DEFAULT_PROJECT_ID, EmulatorConfig, Fault, KeyPair, RunningEmulator
from aiocloudocr.errors import ServerError
from aiocloudocr.retry import NO_RETRY
from tests.emulator.emulator_testkit import png

# What a user puts in their conftest.py; in a test module it enables the plugin the same way.
# (aiocloudocr.testing is imported inside the tests below: importing it here, before pytest
# loads it as a plugin, would keep pytest from rewriting its asserts.)
pytest_plugins = ["aiocloudocr.testing"]


async def test_client_fixture_reads_an_image(
    aiocloudocr_client: Client, aiocloudocr_emulator: RunningEmulator
) -> None:
    """aiocloudocr_client talks to aiocloudocr_emulator with the default key pair."""
    result = await aiocloudocr_client.web_image(png())
    assert result.words_block_list
    assert aiocloudocr_emulator.stats.requests["web_image"] == 1
    assert await aiocloudocr_client.project_id() == DEFAULT_PROJECT_ID


async def test_emulator_fixture_is_fresh_per_test(aiocloudocr_emulator: RunningEmulator) -> None:
    """Each test gets its own emulator with zeroed counters."""
    assert aiocloudocr_emulator.url.startswith("http://127.0.0.1:")
    assert aiocloudocr_emulator.stats.requests == {}


class TestConfigOverride:
    """Overriding aiocloudocr_emulator_config configures the fixture's emulator."""

    @pytest.fixture
    def aiocloudocr_emulator_config(self) -> EmulatorConfig:
        """Another key pair and project, and every call failing with a 5xx."""
        return EmulatorConfig(
            key_pairs=(KeyPair(ak="MYAK", sk="my-secret"),),
            project_ids=("c" * 32,),
            fault_rates={"5xx": 1.0},
        )

    async def test_client_follows_the_config(
        self, aiocloudocr_client: Client, aiocloudocr_emulator: RunningEmulator
    ) -> None:
        """The client uses the configured key pair and project; the faults apply."""
        assert await aiocloudocr_client.project_id() == "c" * 32
        with pytest.raises(ServerError):
            await aiocloudocr_client.web_image(png(), retry=NO_RETRY)
        assert aiocloudocr_emulator.stats.faults["5xx"] == 1


async def test_emulated_client_without_pytest_fixtures() -> None:
    """emulated_client() is a plain async context manager for scripts."""
    from aiocloudocr.testing import emulated_client

    async with emulated_client(concurrency=4) as client:
        assert client.concurrency == 4
        result = await client.web_image(png())
        assert result.words_block_list


async def test_client_for_takes_options(aiocloudocr_emulator: RunningEmulator) -> None:
    """client_for passes client options through and may be given a project."""
    from aiocloudocr.testing import client_for

    async with client_for(aiocloudocr_emulator, project_id="d" * 32, timeout=5.0) as client:
        assert await client.project_id() == "d" * 32
    aiocloudocr_emulator.inject("web_image", Fault(status=503))
    async with client_for(aiocloudocr_emulator) as client:
        with pytest.raises(ServerError):
            await client.web_image(png(), retry=NO_RETRY)
