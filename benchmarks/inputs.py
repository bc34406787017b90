"""The images every client is given: incompressible ~100 KB PNGs and small PNGs."""

from __future__ import annotations

import io
import math
import random
from collections.abc import Iterator
from pathlib import Path

from PIL import Image


def noise_png(target_bytes: int, seed: int) -> bytes:
    """An RGB PNG of random pixels, about ``target_bytes`` long (noise does not compress)."""
    side = max(16, math.isqrt(target_bytes // 3))
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def small_png(seed: int, width: int = 64, height: int = 48) -> bytes:
    """A small PNG (a few hundred bytes to a few KB) that differs by ``seed``."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (rng.randrange(256), 128, 64))
    for _ in range(32):
        image.putpixel((rng.randrange(width), rng.randrange(height)), (rng.randrange(256),) * 3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def image_list(n: int, *, large: bool, distinct: int = 8) -> list[bytes]:
    """``n`` images cycling over ``distinct`` different ones (the list shares their bytes)."""
    pool = [noise_png(100_000, s) if large else small_png(s) for s in range(distinct)]
    return [pool[i % distinct] for i in range(n)]


def write_files(folder: Path, n: int, distinct: int = 16) -> None:
    """Write ``n`` small PNG files named ``00000.png``... into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    pool = [small_png(s) for s in range(distinct)]
    for i in range(n):
        (folder / f"{i:05d}.png").write_bytes(pool[i % distinct])


def iter_files(folder: Path, n: int) -> Iterator[Path]:
    """The first ``n`` files of ``folder`` by name, lazily (no list of paths is built)."""
    for i in range(n):
        yield folder / f"{i:05d}.png"
