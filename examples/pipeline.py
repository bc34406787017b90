"""An async pipeline stage: image paths stream in, ``(path, recognised text)`` streams out.

python examples/pipeline.py FOLDER              # credentials etc. from the environment
python examples/pipeline.py FOLDER --emulator   # against a local emulator

The emulator reads the images' text with a local OCR model when the ``ocr`` extra is
installed (``pip install 'aiocloudocr[ocr]'``); without it the text is synthetic, and a note
on stderr says so. ``--engine`` chooses: auto (the default), rapidocr or synthetic.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from pathlib import Path

from aiocloudocr import AkSkCredentials, Client

logger = logging.getLogger("examples.pipeline")

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})


async def ocr_stage(
    paths: AsyncIterable[Path], client: Client, *, concurrency: int = 16
) -> AsyncIterator[tuple[Path, str]]:
    """Recognise each image as it arrives; yield ``(path, its text lines joined by newlines)``.

    At most ``concurrency`` requests are in flight and about twice that many paths are held,
    however long the input stream. Results come in completion order. An image that fails
    (unreadable, refused, retries exhausted) is logged and skipped: one bad file never stops
    the stream.
    """

    async def keyed() -> AsyncIterator[tuple[Path, Path]]:
        # An explicit (key, source) pair gives the caller's own Path object back as the key.
        async for path in paths:
            yield path, path

    # `async with` cancels what is still in flight if our consumer stops early.
    async with client.map("web_image", keyed(), concurrency=concurrency) as outcomes:
        async for outcome in outcomes:
            path = outcome.key
            assert isinstance(path, Path)
            if outcome.ok and outcome.result is not None:
                blocks = outcome.result.words_block_list
                yield path, "\n".join((block.words or "") for block in blocks)
            else:
                logger.warning("%s: %s", path, outcome.error)


async def walk(folder: Path) -> AsyncIterator[Path]:
    """Image files under ``folder``, depth first, each directory listed off the event loop."""
    pending = [folder]
    while pending:
        directory = pending.pop()
        entries = await asyncio.to_thread(_scan, directory)
        for path, is_dir in entries:
            if is_dir:
                pending.append(path)
            elif path.suffix.lower() in IMAGE_SUFFIXES:
                yield path


def _scan(directory: Path) -> list[tuple[Path, bool]]:
    with os.scandir(directory) as entries:
        found = [(Path(e.path), e.is_dir(follow_symlinks=False)) for e in entries]
    return sorted(found)


async def amain(argv: Sequence[str] | None = None) -> int:
    """Walk a folder and print ``path<TAB>text`` for every image; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--emulator", action="store_true", help="run against a local emulator")
    parser.add_argument(
        "--engine",
        choices=("auto", "rapidocr", "synthetic"),
        default="auto",
        help="the emulator's text: read by rapidocr, or synthetic phrases",
    )
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    if not args.emulator:
        async with Client.from_env() as client:
            return await _print_all(args.folder, client, args.concurrency)
    from aiocloudocr.emulator import (
        DEFAULT_KEY_PAIR,
        DEFAULT_PROJECT_ID,
        EmulatorConfig,
        run_emulator,
    )

    async with run_emulator(EmulatorConfig(engine=args.engine)) as running:
        if running.emulator.engine.name == "synthetic":
            print("note: the emulator's text is synthetic, not read from the images; "
                  "pip install 'aiocloudocr[ocr]' to read them", file=sys.stderr)  # fmt: skip
        credentials = AkSkCredentials(
            access_key=DEFAULT_KEY_PAIR.ak, secret_key=DEFAULT_KEY_PAIR.sk
        )
        client = Client(credentials, endpoint=running.url, project_id=DEFAULT_PROJECT_ID)
        async with client:
            return await _print_all(args.folder, client, args.concurrency)


async def _print_all(folder: Path, client: Client, concurrency: int) -> int:
    count = 0
    async for path, text in ocr_stage(walk(folder), client, concurrency=concurrency):
        print(f"{path}\t{text.replace(chr(10), ' | ')}", flush=True)
        count += 1
    return 0 if count else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run :func:`amain` in a new event loop."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    return asyncio.run(amain(argv))


if __name__ == "__main__":
    raise SystemExit(main())
