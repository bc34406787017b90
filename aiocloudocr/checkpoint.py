"""Deprecated module path: its public names are exported from ``aiocloudocr``."""

from __future__ import annotations

from typing import Any

from aiocloudocr import _checkpoint
from aiocloudocr._deprecation import moved


def __getattr__(name: str) -> Any:
    return moved(__name__, _checkpoint, name)
