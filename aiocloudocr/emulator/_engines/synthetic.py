"""The synthetic engine: phrases picked from a hash of the image bytes, nothing is read.

Instant, deterministic and dependency-free, so it is the default for tests: the same image
always gets the same blocks, and two images almost never get the same ones.
"""

from __future__ import annotations

import random

from aiocloudocr.emulator._engines._base import TextBlock
from aiocloudocr.emulator._images import ImageInfo

NAME = "synthetic"

PHRASES = (
    "Summer Sale",
    "50% OFF",
    "Free shipping on all orders",
    "www.example.com",
    "Limited time offer",
    "New arrivals",
    "Call 400-000-0000",
    "限时优惠",
    "新品上市",
    "全场包邮",
    "扫码关注",
    "立即购买",
)


def synthetic_blocks(image: ImageInfo) -> tuple[TextBlock, ...]:
    """One to six phrases in horizontal bands, top to bottom, like the service's list."""
    # Seeded as the emulator always has, so that earlier recorded answers stay valid.
    rng = random.Random(image.digest + b"blocks")
    width, height = image.width, image.height
    count = rng.randint(1, 6)
    blocks: list[TextBlock] = []
    for index in range(count):
        top = index * height // count
        bottom = max(top, (index + 1) * height // count - 1)
        left = rng.randint(0, max(0, width // 4))
        right = rng.randint(min(width - 1, left + 1), width - 1)
        blocks.append(
            TextBlock(
                words=rng.choice(PHRASES),
                confidence=round(rng.uniform(0.85, 0.9999), 4),
                location=((left, top), (right, top), (right, bottom), (left, bottom)),
            )
        )
    return tuple(blocks)


class SyntheticEngine:
    """The :class:`~aiocloudocr.emulator._engines.TextEngine` of :func:`synthetic_blocks`."""

    name = NAME

    def __repr__(self) -> str:
        return "<SyntheticEngine>"

    async def read(self, image: ImageInfo, *, align: bool) -> tuple[TextBlock, ...]:
        """Synthetic blocks (``align`` changes nothing: no text is turned)."""
        return synthetic_blocks(image)
