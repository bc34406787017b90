"""A local emulator of the cloud service (IAM tokens, OCR, Image Recognition) over real HTTP.

It authenticates like the gateway (X-Auth-Token or SDK-HMAC-SHA256), validates requests with
the documented error codes, answers deterministic results derived from the image bytes, and
can be scripted to misbehave (:class:`Fault`). It only ever listens on a loopback address::

    async with run_emulator() as running:
        ...  # point the iam, ocr and image endpoints at running.url
"""

from aiocloudocr.emulator._app import Emulator, RunningEmulator, run_emulator
from aiocloudocr.emulator._config import (
    DEFAULT_KEY_PAIR,
    DEFAULT_PROJECT_ID,
    DEFAULT_USER,
    EmulatorConfig,
    KeyPair,
    User,
)
from aiocloudocr.emulator._faults import Fault
from aiocloudocr.emulator._state import EmulatorStats

__all__ = [
    "DEFAULT_KEY_PAIR",
    "DEFAULT_PROJECT_ID",
    "DEFAULT_USER",
    "Emulator",
    "EmulatorConfig",
    "EmulatorStats",
    "Fault",
    "KeyPair",
    "RunningEmulator",
    "User",
    "run_emulator",
]
