"""The examples and the benchmark runners, end to end against the emulator over loopback."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from aiocloudocr import NO_RETRY, Client
from aiocloudocr.emulator import EmulatorConfig, run_emulator
from benchmarks import runners, sdk
from benchmarks.inputs import image_list, noise_png
from examples import aiohttp_app, pipeline
from tests.conftest import aksk_client
from tests.fakes import make_png

SAMPLES = Path(__file__).parents[1] / "examples" / "images"


async def app_client(emulator: Any, **options: Any) -> TestClient[web.Request, web.Application]:
    """A test HTTP client of the example app, whose aiocloudocr client targets ``emulator``."""
    app = aiohttp_app.create_app(lambda app: aksk_client(emulator.url, **options))
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_app_recognises_a_raw_body(emulator: Any, png: bytes) -> None:
    """POST /ocr with the image as the body answers its words and the request id."""
    http = await app_client(emulator)
    async with http:
        response = await http.post("/ocr", data=png, headers={"Content-Type": "image/png"})
        body = await response.json()
    assert response.status == 200
    assert body["words"] and all(isinstance(word, str) for word in body["words"])
    assert isinstance(body["request_id"], str) and body["request_id"]
    assert emulator.stats.requests["web_image"] == 1


async def test_app_recognises_a_multipart_upload(emulator: Any, png: bytes) -> None:
    """A multipart file field is read as the image, with the same answer as a raw body."""
    http = await app_client(emulator)
    async with http:
        form = aiohttp.FormData()
        form.add_field("image", png, filename="shot.png", content_type="image/png")
        multipart = await (await http.post("/ocr", data=form)).json()
        raw = await (await http.post("/ocr", data=png)).json()
    assert multipart["words"] == raw["words"] != []


async def test_app_answers_400_for_an_invalid_image(emulator: Any) -> None:
    """A ValidationError (not an image) becomes 400 with its message; nothing is sent."""
    http = await app_client(emulator)
    async with http:
        response = await http.post("/ocr", data=b"not an image at all")
        body = await response.json()
    assert response.status == 400
    assert body["code"] == "AIS.0102"
    assert "format is not recognised" in body["error"]
    assert emulator.stats.requests["web_image"] == 0


async def test_app_answers_400_for_an_empty_body(emulator: Any) -> None:
    """No image at all is refused by the app itself."""
    http = await app_client(emulator)
    async with http:
        response = await http.post("/ocr", data=b"")
    assert response.status == 400


async def test_app_answers_503_when_throttled(png: bytes) -> None:
    """A ThrottledError (retries spent) becomes 503 with a Retry-After."""
    async with run_emulator(EmulatorConfig(rate_limit=1, rate_window=60.0)) as emulator:
        http = await app_client(emulator, retry=NO_RETRY)
        async with http:
            first = await http.post("/ocr", data=png)
            second = await http.post("/ocr", data=png)
            body = await second.json()
    assert first.status == 200
    assert second.status == 503
    assert body["code"] == "APIG.0308" and body["request_id"]
    assert int(second.headers["Retry-After"]) >= 1


async def test_app_answers_502_for_other_service_errors(png: bytes) -> None:
    """Any other APIError (here: the API is not subscribed) becomes 502 with its code."""
    async with run_emulator(EmulatorConfig(unsubscribed=("web_image",))) as emulator:
        http = await app_client(emulator)
        async with http:
            response = await http.post("/ocr", data=png)
            body = await response.json()
    assert response.status == 502
    assert body["code"] == "ModelArts.4204" and body["request_id"]


async def test_app_shares_one_client_and_closes_it(emulator: Any, png: bytes) -> None:
    """Concurrent requests use the one client made at startup; shutdown closes it."""
    http = await app_client(emulator)
    async with http:
        shared = http.app[aiohttp_app.CLIENT] if http.app is not None else None
        answers = await asyncio.gather(*(http.post("/ocr", data=png) for _ in range(10)))
        assert [a.status for a in answers] == [200] * 10
        assert isinstance(shared, Client) and "open" in repr(shared)
    assert "closed" in repr(shared)
    assert emulator.stats.requests["web_image"] == 10


async def test_app_in_emulator_mode(png: bytes) -> None:
    """create_app(emulator=True), as --emulator runs it, serves against its own emulator."""
    app = aiohttp_app.create_app(emulator=True, engine="synthetic")
    async with TestClient(TestServer(app)) as http:
        response = await http.post("/ocr", data=png)
        body = await response.json()
    assert response.status == 200 and body["words"]


async def _paths(paths: list[Path]) -> AsyncIterator[Path]:
    for path in paths:
        yield path


async def test_ocr_stage_streams_path_and_text(emulator: Any, tmp_path: Path) -> None:
    """Every readable image comes out once with its text; a bad file is skipped, not fatal."""
    good = []
    for i in range(12):
        good.append(tmp_path / f"{i:02d}.png")
        good[-1].write_bytes(make_png(64, 48, seed=i))
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    async with aksk_client(emulator.url) as client:
        out = [
            item async for item in pipeline.ocr_stage(_paths([*good, bad]), client, concurrency=4)
        ]
    assert sorted(path for path, _ in out) == good
    assert all(text and isinstance(text, str) for _, text in out)
    assert all(isinstance(path, Path) for path, _ in out)
    assert emulator.stats.requests["web_image"] == 12


async def test_ocr_stage_stops_cleanly_when_the_consumer_does(
    emulator: Any, tmp_path: Path
) -> None:
    """Closing the stage early cancels its work; the client stays usable."""
    paths = []
    for i in range(40):
        paths.append(tmp_path / f"{i:02d}.png")
        paths[-1].write_bytes(make_png(64, 48, seed=i))
    async with aksk_client(emulator.url) as client:
        stage = cast(
            "AsyncGenerator[tuple[Path, str], None]",
            pipeline.ocr_stage(_paths(paths), client, concurrency=4),
        )
        first = await stage.__anext__()
        await stage.aclose()
        assert first[0] in paths
        assert (await client.web_image(paths[0])).words_block_list


def test_pipeline_main_with_emulator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``pipeline.py FOLDER --emulator`` walks sub-folders and prints one line per image."""
    (tmp_path / "sub").mkdir()
    for i, folder in enumerate((tmp_path, tmp_path, tmp_path / "sub")):
        (folder / f"{i}.png").write_bytes(make_png(64, 48, seed=i))
    (tmp_path / "notes.txt").write_text("not an image")
    assert pipeline.main([str(tmp_path), "--emulator", "--engine", "synthetic"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sorted(line.split("\t")[0] for line in lines) == sorted(
        str(p) for p in (tmp_path / "0.png", tmp_path / "1.png", tmp_path / "sub" / "2.png")
    )
    assert all(line.split("\t")[1] for line in lines)


@pytest.mark.skipif(
    importlib.util.find_spec("rapidocr") is None, reason="the ocr extra is not installed"
)
def test_pipeline_reads_the_sample_images(capsys: pytest.CaptureFixture[str]) -> None:
    """``pipeline.py examples/images --emulator`` prints the text the images show."""
    assert pipeline.main([str(SAMPLES), "--emulator"]) == 0
    out, err = capsys.readouterr()
    text = dict(line.split("\t") for line in out.splitlines())
    assert len(text) == len(list(SAMPLES.iterdir()))
    assert text[str(SAMPLES / "sample-00.png")] == "Hello, world"
    assert "synthetic" not in err


async def test_benchmark_runners_smoke(emulator: Any) -> None:
    """The raw and aiocloudocr runners of scenario (a) send N requests, all answered 200."""
    images = [noise_png(100_000, seed) for seed in range(2)] * 10
    results = [
        await runners.run_raw(emulator.url, images, concurrency=8, warmup=0),
        await runners.run_aiocloudocr_gather(emulator.url, images, concurrency=8, warmup=0),
        await runners.run_aiocloudocr_map(emulator.url, images, concurrency=8, warmup=0),
    ]
    assert [(r.n, r.ok, r.failed) for r in results] == [(20, 20, 0)] * 3
    assert emulator.stats.requests["web_image"] == 60
    outcomes = {
        (o["status"], o["error_code"]): o["count"] for o in emulator.stats.as_dict()["outcomes"]
    }
    assert outcomes == {(200, None): 60}


@pytest.mark.skipif(not sdk.available(), reason="the official SDK (bench extra) is not installed")
async def test_benchmark_sdk_runners_smoke(emulator: Any) -> None:
    """The official SDK's runners, signed with AK/SK, get 200s from the emulator too."""
    images = image_list(20, large=False)
    # The SDK blocks: it runs in a thread while the emulator serves on this loop.
    threads = await asyncio.to_thread(
        sdk.run_sdk_threads, emulator.url, images, threads=4, warmup=0
    )
    futures = await asyncio.to_thread(sdk.run_sdk_async, emulator.url, images, warmup=0)
    assert [(r.n, r.ok, r.failed) for r in (threads, futures)] == [(20, 20, 0)] * 2
    assert emulator.stats.requests["web_image"] == 40
