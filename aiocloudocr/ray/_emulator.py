"""An emulator served from a background thread of a synchronous program (a Ray driver), so
that the Ray workers on this machine reach it over loopback."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Iterator

from aiocloudocr.emulator import EmulatorConfig, RunningEmulator, run_emulator


@contextlib.contextmanager
def emulator_in_thread(config: EmulatorConfig | None = None) -> Iterator[RunningEmulator]:
    """Serve an emulator on a free loopback port from a daemon thread for the ``with`` block.

    Its ``stats`` are live counters; read them between runs (they are not locked).
    """
    loop = asyncio.new_event_loop()
    started: concurrent.futures.Future[RunningEmulator] = concurrent.futures.Future()
    stop = asyncio.Event()

    async def serve() -> None:
        async with run_emulator(config) as running:
            started.set_result(running)
            await stop.wait()

    def run() -> None:
        try:
            loop.run_until_complete(serve())
        except BaseException as error:
            if not started.done():
                started.set_exception(error)
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="aiocloudocr-emulator", daemon=True)
    thread.start()
    try:
        yield started.result(timeout=30)
    finally:
        if not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
