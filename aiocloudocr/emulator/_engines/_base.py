"""What a text engine gives the Web Image behaviour: text blocks, read from an accepted image."""

from __future__ import annotations

from typing import Any, Protocol

import attrs

from aiocloudocr.emulator._images import ImageInfo
from aiocloudocr.errors import ConfigurationError

Point = tuple[int, int]


@attrs.frozen(kw_only=True)
class TextBlock:
    """One line of text with its confidence in (0, 1] and the four corners of its box.

    The corners go clockwise from the top left of the text, in pixels of the image as sent
    (origin top left), as the service's ``location`` does.
    """

    words: str
    confidence: float
    location: tuple[Point, Point, Point, Point]

    def as_json(self) -> dict[str, Any]:
        """The block as an entry of ``words_block_list``."""
        return {
            "words": self.words,
            "confidence": self.confidence,
            "location": [list(point) for point in self.location],
        }


class TextEngine(Protocol):
    """Reads the text of an image; loaded once per process and shared by every emulator."""

    @property
    def name(self) -> str:
        """The name ``EmulatorConfig(engine=...)`` and ``--engine`` know it by."""
        ...

    async def read(self, image: ImageInfo, *, align: bool) -> tuple[TextBlock, ...]:
        """The text blocks of ``image``, top to bottom and left to right.

        ``align`` asks for text that is turned (the request's ``detect_direction``) to be
        read the right way up, where the engine can.
        """
        ...


class UnreadableImageError(Exception):
    """The engine cannot decode the image's pixels (its header was fine: e.g. truncated)."""


class EngineUnavailableError(ConfigurationError):
    """The configured text engine cannot be loaded (its optional dependencies are missing)."""
