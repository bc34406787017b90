"""Text engines: where the emulator's Web Image text comes from.

``synthetic`` (the default) picks phrases from a hash of the image bytes: instant and
deterministic, for tests. ``rapidocr`` reads the image with a local OCR model (the ``ocr``
extra): real text for demos and end-to-end checks. ``auto`` is ``rapidocr`` when it can be
imported, else ``synthetic``.

An engine is loaded at most once per process, on first use, and shared by every emulator
in it: loading RapidOCR takes about a second and some 250 MB of memory.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections import Counter
from collections.abc import Callable

from aiocloudocr.emulator._engines import synthetic
from aiocloudocr.emulator._engines._base import (
    EngineUnavailableError,
    TextBlock,
    TextEngine,
    UnreadableImageError,
)

__all__ = [
    "AUTO",
    "ENGINE_CHOICES",
    "ENGINE_NAMES",
    "EngineUnavailableError",
    "TextBlock",
    "TextEngine",
    "UnreadableImageError",
    "load_count",
    "load_engine",
    "resolve_engine",
]

SYNTHETIC = synthetic.NAME
RAPIDOCR = "rapidocr"
AUTO = "auto"
ENGINE_NAMES = (SYNTHETIC, RAPIDOCR)
"""The engines there are."""
ENGINE_CHOICES = (*ENGINE_NAMES, AUTO)
"""What ``EmulatorConfig(engine=...)`` and ``--engine`` accept."""


def _load_rapidocr() -> TextEngine:
    from aiocloudocr.emulator._engines import rapid_ocr

    return rapid_ocr.load()


_LOADERS: dict[str, Callable[[], TextEngine]] = {
    SYNTHETIC: synthetic.SyntheticEngine,
    RAPIDOCR: _load_rapidocr,
}
_loaded: dict[str, TextEngine] = {}
_loads: Counter[str] = Counter()
# Held while loading, so that two emulators starting at once load an engine once.
_lock = threading.Lock()


def _importable(module: str) -> bool:
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def resolve_engine(name: str) -> str:
    """The engine ``name`` stands for: ``auto`` is ``rapidocr`` if installed, else
    ``synthetic``; ValueError for an unknown name."""
    if name == AUTO:
        return RAPIDOCR if _importable("rapidocr") and _importable("onnxruntime") else SYNTHETIC
    if name not in ENGINE_NAMES:
        raise ValueError(f"unknown text engine {name!r}; known: {', '.join(ENGINE_CHOICES)}")
    return name


def load_engine(name: str) -> TextEngine:
    """The process's engine ``name`` (see :func:`resolve_engine`), loaded on first use.

    Raises :class:`EngineUnavailableError` when its extra is not installed.
    """
    resolved = resolve_engine(name)
    with _lock:
        engine = _loaded.get(resolved)
        if engine is None:
            engine = _LOADERS[resolved]()
            _loaded[resolved] = engine
            _loads[resolved] += 1
    return engine


def load_count(name: str) -> int:
    """How many times this process has loaded engine ``name`` (at most once, unless reset)."""
    return _loads[resolve_engine(name)]
