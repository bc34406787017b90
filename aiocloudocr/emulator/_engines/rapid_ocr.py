"""The ``rapidocr`` engine: the image's real text, read by RapidOCR on onnxruntime.

This module is the only one that imports ``rapidocr`` (and so onnxruntime, OpenCV and
numpy), and it is itself imported only when the engine is asked for: the core install
never loads any of them.

The models are the ONNX files inside the installed ``rapidocr`` package, each passed by
path: RapidOCR downloads a model only when it is given none, so nothing is ever fetched at
run time.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from aiocloudocr.emulator._engines._base import (
    EngineUnavailableError,
    Point,
    TextBlock,
    UnreadableImageError,
)
from aiocloudocr.emulator._images import ImageInfo

NAME = "rapidocr"
INSTALL_HINT = "pip install 'aiocloudocr[ocr]'"
MAX_WORKERS = max(1, min(4, os.cpu_count() or 1))
"""Recognitions at once. Each runs onnxruntime on one thread (which releases the GIL), so
a pool as large as the machine's cores keeps them all busy without oversubscribing them."""

_MODEL_TASKS = ("det", "cls", "rec")
# Detection works on the image scaled so that its longer side is at most 960 px: what
# PaddleOCR does by default, and it bounds the work per request. RapidOCR's own default
# scales the shorter side up to 736 px, ten times the work on a small web image for no
# better reading.
_DETECTION = {"Det.limit_type": "max", "Det.limit_side_len": 960}
_ONE_THREAD = {
    "EngineConfig.onnxruntime.intra_op_num_threads": 1,
    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
}


def _shipped_models(package_dir: Path) -> dict[str, str]:
    """``Det.model_path`` etc. for the models in the wheel; EngineUnavailableError if absent."""
    models = package_dir / "models"
    paths: dict[str, str] = {}
    for task in _MODEL_TASKS:
        found = sorted(models.glob(f"*_{task}_*.onnx"))
        if not found:
            raise EngineUnavailableError(
                f"the installed rapidocr has no {task} model in {models} and the emulator "
                f"never downloads one; reinstall it: {INSTALL_HINT}"
            )
        paths[f"{task.capitalize()}.model_path"] = str(found[0])
    return paths


def _pixels(data: bytes) -> Image.Image:
    """The first frame as RGB, transparent areas white (text on a transparent web image
    is usually dark); UnreadableImageError if the pixels cannot be decoded."""
    try:
        return _decoded(data)
    except Exception:
        # Pillow raises a zoo of errors on damaged data; the header was checked already.
        raise UnreadableImageError from None


def _decoded(data: bytes) -> Image.Image:
    with Image.open(BytesIO(data)) as opened:
        image: Image.Image = opened  # Pillow types the context manager's value as Any
        image.seek(0)
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            background.alpha_composite(rgba)
            return background.convert("RGB")
        return image.convert("RGB")


def _corner(point: Any, width: int, height: int) -> Point:
    x, y = (round(float(value)) for value in point)
    return (min(max(x, 0), width - 1), min(max(y, 0), height - 1))


def _blocks(output: Any, width: int, height: int) -> tuple[TextBlock, ...]:
    if output.txts is None or output.boxes is None:  # no text found
        return ()
    blocks = []
    for words, score, box in zip(output.txts, output.scores, output.boxes, strict=True):
        a, b, c, d = (_corner(point, width, height) for point in box)
        confidence = min(max(round(float(score), 4), 0.0001), 1.0)
        blocks.append(TextBlock(words=str(words), confidence=confidence, location=(a, b, c, d)))
    return tuple(blocks)


class RapidOcrEngine:
    """RapidOCR behind a small thread pool; build it with :func:`load` (once per process).

    Two pipelines share the models' files: the plain one, and one with RapidOCR's line
    classifier, which turns lines read upside down (or sideways) the right way up. The
    classifier is only for requests with ``detect_direction``: on upright text it sometimes
    turns a line it should not. RapidOCR takes its switches per call by setting them on the
    shared object, which races between threads, so each pipeline is built with its own.
    """

    name = NAME

    def __init__(self, rapid_ocr: Any, params: dict[str, Any]) -> None:
        self._rapid_ocr = rapid_ocr
        self._params = params
        self._plain = rapid_ocr(params={**params, "Global.use_cls": False})
        self._aligning: Any = None
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="aiocloudocr-ocr")

    def __repr__(self) -> str:
        return f"<RapidOcrEngine workers={MAX_WORKERS}>"

    async def read(self, image: ImageInfo, *, align: bool) -> tuple[TextBlock, ...]:
        """The image's text, recognised in the pool while the event loop serves others."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, self.recognise, image.data, image.width, image.height, align
        )

    def recognise(self, data: bytes, width: int, height: int, align: bool) -> tuple[TextBlock, ...]:
        """Read ``data`` (blocking); ``width`` and ``height`` bound the corners."""
        pipeline = self._aligning_pipeline() if align else self._plain
        return _blocks(pipeline(_pixels(data)), width, height)

    def warm_up(self) -> None:
        """Open the plain pipeline's model sessions now rather than on the first request."""
        # RapidOCR opens them on first use: reading one small line makes that happen.
        image = Image.new("RGB", (160, 32), "white")
        ImageDraw.Draw(image).text((8, 10), "aiocloudocr 2026", fill="black")
        self._plain(image)

    def _aligning_pipeline(self) -> Any:
        with self._lock:
            if self._aligning is None:
                self._aligning = self._rapid_ocr(params={**self._params, "Global.use_cls": True})
            return self._aligning


def load() -> RapidOcrEngine:
    """Import RapidOCR, point it at its shipped models and open them; a typed error if the
    ``ocr`` extra is missing."""
    try:
        import onnxruntime  # noqa: F401 (RapidOCR would only say so on first use)
        import rapidocr
    except ImportError as error:
        raise EngineUnavailableError(
            f"the {NAME!r} text engine needs the ocr extra: {INSTALL_HINT} ({error})"
        ) from None
    params: dict[str, Any] = {
        "Global.log_level": "error",
        **_shipped_models(Path(rapidocr.__file__).parent),
        **_DETECTION,
        **_ONE_THREAD,
    }
    engine = RapidOcrEngine(rapidocr.RapidOCR, params)
    engine.warm_up()
    return engine
