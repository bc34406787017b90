"""A local emulator of the cloud service (IAM tokens, OCR, Image Recognition) over real HTTP.

It authenticates like the gateway (X-Auth-Token or SDK-HMAC-SHA256), validates requests of
all the operations with the documented error codes, answers deterministic results derived
from the image bytes, and behaves like a loaded service on request: per-user rate limit and
concurrency cap, latency, and faults scripted (:class:`Fault`, hostile answers included:
raw bodies, gzip bombs, echoed headers, any Retry-After) or drawn with seeded probabilities
(``EmulatorConfig.fault_rates``). Web Image's text is synthetic by default, or read from the
image by a local OCR model with ``EmulatorConfig(engine="rapidocr")`` (the ``ocr`` extra).
It only ever listens on a loopback address::

    async with run_emulator(EmulatorConfig(rate_limit=100)) as running:
        ...  # point the iam, ocr and image endpoints at running.url

From a shell: ``aiocloudocr emulator --help`` (or ``python -m aiocloudocr.emulator``).
For tests of your own code, see :mod:`aiocloudocr.testing`.
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
from aiocloudocr.emulator._engines import EngineUnavailableError
from aiocloudocr.emulator._faults import Fault
from aiocloudocr.emulator._state import EmulatorStats

__all__ = [
    "DEFAULT_KEY_PAIR",
    "DEFAULT_PROJECT_ID",
    "DEFAULT_USER",
    "Emulator",
    "EmulatorConfig",
    "EmulatorStats",
    "EngineUnavailableError",
    "Fault",
    "KeyPair",
    "RunningEmulator",
    "User",
    "run_emulator",
]
