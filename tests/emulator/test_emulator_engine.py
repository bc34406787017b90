"""Text engines: Web Image reads real text with rapidocr, once per process, off the loop."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import pytest
from PIL import Image, ImageDraw, ImageFont

from aiocloudocr import BadRequestError, Client
from aiocloudocr._run_plan import EMULATOR_ENGINES
from aiocloudocr.cli import main
from aiocloudocr.emulator import (
    Emulator,
    EmulatorConfig,
    EngineUnavailableError,
    RunningEmulator,
    run_emulator,
)
from aiocloudocr.emulator import _engines as engines
from aiocloudocr.emulator._cli import build_parser, config_from_args, how_to
from aiocloudocr.emulator._cli import main as emulator_main
from aiocloudocr.emulator._engines import synthetic
from aiocloudocr.emulator._images import ImageInfo

needs_rapidocr = pytest.mark.skipif(
    importlib.util.find_spec("rapidocr") is None,
    reason="the ocr extra is not installed: pip install -e '.[test,ocr]'",
)
RAPIDOCR = EmulatorConfig(engine="rapidocr")
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LINES = ("INVOICE 2026", "PAID IN FULL")
SIZE = (480, 160)
TOPS = (24, 90)


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans when the machine has it, else Pillow's own scalable font."""
    if FONT.exists():
        return ImageFont.truetype(str(FONT), size)
    return ImageFont.load_default(size=size)


def rendered(
    mode: str = "RGB", background: Any = "white", *, turned: bool = False
) -> tuple[bytes, list[tuple[int, int, int, int]]]:
    """A PNG with :data:`LINES` in dark print, and where each line was drawn."""
    image = Image.new(mode, SIZE, background)
    draw = ImageDraw.Draw(image)
    boxes = []
    for top, line in zip(TOPS, LINES, strict=True):
        draw.text((20, top), line, fill="black", font=font(36))
        left, upper, right, lower = draw.textbbox((20, top), line, font=font(36))
        boxes.append((int(left), int(upper), int(right), int(lower)))
    if turned:
        image = image.rotate(180)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue(), boxes


def client_for(running: RunningEmulator) -> Client:
    """aiocloudocr.testing.client_for, imported late: test_testing_fixtures loads that module
    as a pytest plugin, which must come first for pytest to rewrite its asserts."""
    from aiocloudocr.testing import client_for

    return client_for(running)


@contextlib.asynccontextmanager
async def emulated_client(config: EmulatorConfig) -> AsyncIterator[Client]:
    """A client of a fresh emulator of ``config`` (as aiocloudocr.testing.emulated_client)."""
    async with run_emulator(config) as running, client_for(running) as client:
        yield client


def squeezed(words: str) -> str:
    """The words without spaces (an engine may read a wide gap as two spaces, or none)."""
    return "".join(words.split())


@pytest.fixture
async def ocr_client() -> AsyncIterator[Client]:
    """A client of an emulator whose Web Image text is read by rapidocr."""
    async with emulated_client(RAPIDOCR) as client:
        yield client


@needs_rapidocr
async def test_web_image_reads_the_words_of_a_rendered_image(ocr_client: Client) -> None:
    """The blocks are the lines as drawn, top to bottom, with confidences and boxes."""
    image, drawn = rendered()
    result = await ocr_client.web_image(image, extract_type=["image_size"])
    blocks = result.words_block_list
    assert [squeezed(block.words or "") for block in blocks] == [squeezed(x) for x in LINES]
    assert result.words_block_count == len(blocks)
    assert result.extracted_data is not None and result.extracted_data.image_size is not None
    assert (result.extracted_data.image_size.width, result.extracted_data.image_size.height) == SIZE
    for block, (left, upper, right, lower) in zip(blocks, drawn, strict=True):
        assert block.confidence is not None and 0 < block.confidence <= 1
        assert block.location is not None and len(block.location) == 4
        xs = [x for x, _ in block.location]
        ys = [y for _, y in block.location]
        assert all(0 <= x < SIZE[0] for x in xs) and all(0 <= y < SIZE[1] for y in ys)
        # The box covers the middle of the line as drawn.
        assert min(xs) <= (left + right) // 2 <= max(xs)
        assert min(ys) <= (upper + lower) // 2 <= max(ys)


@needs_rapidocr
async def test_other_fields_stay_synthetic_around_the_real_text(ocr_client: Client) -> None:
    """detect_font and contact_info are still answered, in the documented shape."""
    image, _ = rendered()
    result = await ocr_client.web_image(image, detect_font=True, extract_type=["contact_info"])
    raw = result.raw
    assert [squeezed(b["words"]) for b in raw["words_block_list"]] == [squeezed(x) for x in LINES]
    assert all(len(b["font_list"]) == len(b["font_scores"]) == 5 for b in raw["words_block_list"])
    assert set(raw["extracted_data"]) == {"contact_info"}
    assert all(isinstance(p, list) and len(p) == 2 for p in raw["words_block_list"][0]["location"])


@needs_rapidocr
async def test_detect_direction_reads_upside_down_text(ocr_client: Client) -> None:
    """With detect_direction the engine turns lines read upside down the right way up."""
    image, _ = rendered(turned=True)
    result = await ocr_client.web_image(image, detect_direction=True)
    words = sorted(squeezed(block.words or "") for block in result.words_block_list)
    assert words == sorted(squeezed(x) for x in LINES)


@needs_rapidocr
async def test_text_on_a_transparent_image_is_read(ocr_client: Client) -> None:
    """Transparent areas are read as white, so dark text on them stays legible."""
    image, _ = rendered("RGBA", (0, 0, 0, 0))
    result = await ocr_client.web_image(image)
    assert [squeezed(b.words or "") for b in result.words_block_list] == [
        squeezed(x) for x in LINES
    ]


@needs_rapidocr
async def test_an_image_without_text_has_no_blocks(ocr_client: Client) -> None:
    """A blank image is answered with an empty list, not an error."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(buffer, "PNG")
    result = await ocr_client.web_image(buffer.getvalue())
    assert result.words_block_count == 0
    assert result.words_block_list == ()


@needs_rapidocr
async def test_the_engine_is_loaded_once_for_every_emulator_and_call() -> None:
    """Two emulators and many calls share the one engine this process loaded."""
    image, _ = rendered()
    async with run_emulator(RAPIDOCR) as first, run_emulator(RAPIDOCR) as second:
        assert first.emulator.engine is second.emulator.engine
        async with client_for(first) as one, client_for(second) as two:
            results = await asyncio.gather(*(c.web_image(image) for c in (one, two) * 4))
    assert {len(result.words_block_list) for result in results} == {len(LINES)}
    assert engines.load_count("rapidocr") == 1


def test_concurrent_first_loads_load_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Emulators starting at once in several threads wait for one load of the engine."""
    monkeypatch.setattr(engines, "_loaded", {})
    monkeypatch.setattr(engines, "_loads", Counter())
    entered = threading.Semaphore(0)
    release = threading.Event()
    calls = []

    def slow_load() -> synthetic.SyntheticEngine:
        calls.append(1)
        entered.release()
        assert release.wait(10)
        return synthetic.SyntheticEngine()

    monkeypatch.setitem(engines._LOADERS, "rapidocr", slow_load)
    got: list[object] = []
    threads = [
        threading.Thread(target=lambda: got.append(engines.load_engine("rapidocr")))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    assert entered.acquire(timeout=10)
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1
    assert len(got) == 4 and all(engine is got[0] for engine in got)
    assert engines.load_count("rapidocr") == 1


@attrs.define
class Held:
    """rapidocr's recognitions, held until ``release`` is set; ``events`` is their story."""

    events: list[str] = attrs.field(factory=list)
    started: threading.Event = attrs.field(factory=threading.Event)
    release: threading.Event = attrs.field(factory=threading.Event)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[Held]:
    """Every rapidocr recognition waits for ``Held.release`` before it reads."""
    from aiocloudocr.emulator._engines.rapid_ocr import RapidOcrEngine

    state = Held()
    recognise = RapidOcrEngine.recognise

    def held_recognise(self: RapidOcrEngine, *args: Any) -> Any:
        pooled = threading.current_thread().name.startswith("aiocloudocr-ocr")
        state.events.append("started in the pool" if pooled else "started elsewhere")
        state.started.set()
        assert state.release.wait(10)
        blocks = recognise(self, *args)
        state.events.append("finished")
        return blocks

    monkeypatch.setattr(RapidOcrEngine, "recognise", held_recognise)
    yield state
    state.release.set()


@needs_rapidocr
async def test_recognition_runs_off_the_event_loop(held: Held) -> None:
    """While a recognition is held in the pool, the emulator answers its stats endpoint."""
    image, _ = rendered()
    async with run_emulator(RAPIDOCR) as running, client_for(running) as client:
        call = asyncio.ensure_future(client.web_image(image))
        assert await asyncio.to_thread(held.started.wait, 10)
        stats = await _stats(running)
        held.events.append(f"stats: {stats['in_flight']} in flight")
        held.release.set()
        result = await call
    assert held.events == [
        "started in the pool",
        "stats: 1 in flight",
        "finished",
    ]
    assert [squeezed(b.words or "") for b in result.words_block_list] == [
        squeezed(x) for x in LINES
    ]


async def _stats(running: RunningEmulator) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(running.url + "/_emulator/stats") as answer,
    ):
        stats: dict[str, Any] = await answer.json()
    return stats


@pytest.fixture
def without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as if the ocr extra were not installed (and no engine loaded yet)."""
    monkeypatch.setitem(sys.modules, "rapidocr", None)
    monkeypatch.setattr(engines, "_loaded", {})
    monkeypatch.setattr(engines, "_loads", Counter())


@pytest.mark.usefixtures("without_the_extra")
async def test_a_missing_extra_fails_at_start_saying_what_to_install() -> None:
    """EmulatorConfig(engine="rapidocr") without the extra: a typed error naming the fix."""
    with pytest.raises(EngineUnavailableError, match=r"pip install 'aiocloudocr\[ocr\]'"):
        Emulator(RAPIDOCR)
    with pytest.raises(EngineUnavailableError, match=r"pip install 'aiocloudocr\[ocr\]'"):
        async with run_emulator(RAPIDOCR):
            pass
    assert engines.resolve_engine("auto") == "synthetic"
    assert engines.load_count("rapidocr") == 0


@pytest.mark.usefixtures("without_the_extra")
def test_the_commands_say_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--engine rapidocr` is a one-line usage error; auto falls back and says so."""
    image, _ = rendered()
    (tmp_path / "a.png").write_bytes(image)
    argv = ["run", "web_image", str(tmp_path / "a.png"), "--emulator", "--no-progress"]
    assert main([*argv, "--engine", "rapidocr"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'aiocloudocr[ocr]'" in err
    assert main([*argv, "-o", str(tmp_path / "out.jsonl")]) == 0
    err = capsys.readouterr().err
    assert "note: the emulator's text is synthetic" in err.splitlines()[0]
    assert "pip install 'aiocloudocr[ocr]'" in err.splitlines()[0]
    assert emulator_main(["--port", "0", "--engine", "rapidocr"]) == 2
    assert "pip install 'aiocloudocr[ocr]'" in capsys.readouterr().err


def test_emulator_and_its_command_default_to_synthetic_text() -> None:
    """Tests get the instant, deterministic engine unless they ask for another."""
    assert EmulatorConfig().engine == "synthetic"
    assert Emulator().engine.name == "synthetic"
    assert config_from_args(build_parser().parse_args([])).engine == "synthetic"
    chosen = config_from_args(build_parser().parse_args(["--engine", "rapidocr"]))
    assert chosen.engine == "rapidocr"
    assert "Web Image text: synthetic" in how_to("http://127.0.0.1:9", EmulatorConfig())
    with pytest.raises(ValueError, match="unknown text engine 'tesseract'"):
        EmulatorConfig(engine="tesseract")
    assert set(EMULATOR_ENGINES) == set(engines.ENGINE_CHOICES)


async def test_synthetic_text_is_a_function_of_the_bytes() -> None:
    """The synthetic engine answers known phrases, the same ones for the same image."""
    image, _ = rendered()
    info = ImageInfo(data=image, digest=b"x" * 32, format="PNG", width=SIZE[0], height=SIZE[1])
    engine = engines.load_engine("synthetic")
    first = await engine.read(info, align=False)
    assert first == await engine.read(info, align=True)
    assert first and all(block.words in synthetic.PHRASES for block in first)


def test_the_core_never_imports_the_engine() -> None:
    """Importing the package, its emulator and CLI loads no rapidocr, onnxruntime or numpy."""
    code = (
        "import sys, aiocloudocr, aiocloudocr.cli, aiocloudocr.emulator, aiocloudocr.testing\n"
        "from aiocloudocr.emulator import Emulator\n"
        "Emulator()\n"
        "print(sorted({'rapidocr', 'onnxruntime', 'numpy', 'cv2'} & set(sys.modules)))"
    )
    done = subprocess.run(  # noqa: S603 (fixed argv)
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


@needs_rapidocr
def test_run_with_the_emulator_reads_the_sample_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run --emulator` (engine auto, the extra installed) writes the text the image shows."""
    sample = Path(__file__).parents[2] / "examples" / "images" / "sample-00.png"
    out = tmp_path / "out.jsonl"
    argv = ["run", "web_image", str(sample), "--emulator", "--no-progress", "-o", str(out)]
    assert main(argv) == 0
    assert "synthetic" not in capsys.readouterr().err
    (record,) = (json.loads(line) for line in out.read_text().splitlines())
    assert [b["words"] for b in record["result"]["words_block_list"]] == ["Hello, world"]


def test_missing_models_are_an_error_not_a_download(tmp_path: Path) -> None:
    """The engine takes its models from the wheel only; without them it refuses to start."""
    from aiocloudocr.emulator._engines.rapid_ocr import _shipped_models

    (tmp_path / "models").mkdir()
    with pytest.raises(EngineUnavailableError, match="never downloads"):
        _shipped_models(tmp_path)
    for name in ("PP-OCRv6_det_small.onnx", "ch_ppocr_mobile_v2.0_cls_mobile.onnx", "x_rec_y.onnx"):
        (tmp_path / "models" / name).write_bytes(b"")
    assert _shipped_models(tmp_path) == {
        "Det.model_path": str(tmp_path / "models" / "PP-OCRv6_det_small.onnx"),
        "Cls.model_path": str(tmp_path / "models" / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"),
        "Rec.model_path": str(tmp_path / "models" / "x_rec_y.onnx"),
    }


@needs_rapidocr
async def test_a_damaged_image_is_answered_with_the_documented_code() -> None:
    """Pixels that cannot be decoded behind a valid header: 400 AIS.0104, not a 500."""
    image, _ = rendered()
    truncated = image[: len(image) // 2]
    async with emulated_client(RAPIDOCR) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.web_image(truncated, check=False)
    assert (caught.value.status, caught.value.code) == (400, "AIS.0104")
