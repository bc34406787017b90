"""Fixtures for the emulator's own tests: a fake clock and an emulator on a loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from aiocloudocr.emulator import EmulatorConfig, RunningEmulator, run_emulator
from tests.emulator.emulator_testkit import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """A clock the test moves by hand."""
    return FakeClock()


@pytest.fixture
def config(clock: FakeClock) -> EmulatorConfig:
    """The default configuration on the fake clock."""
    return EmulatorConfig(clock=clock)


@pytest.fixture
async def running(config: EmulatorConfig) -> AsyncIterator[RunningEmulator]:
    """An emulator serving ``config`` on a free loopback port."""
    async with run_emulator(config) as emulator:
        yield emulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp client session."""
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def token(running: RunningEmulator) -> str:
    """A valid token for the default user's project."""
    return running.issue_token()
