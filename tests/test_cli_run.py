"""The command line: `aiocloudocr run` over folders and stdin, resume after kill -9, listing."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from aiocloudocr._run_plan import iter_paths, parse_assignments
from aiocloudocr.cli import main
from aiocloudocr.emulator import (
    DEFAULT_KEY_PAIR,
    DEFAULT_PROJECT_ID,
    EmulatorConfig,
    run_emulator,
)
from tests.fakes import make_png


def write_images(folder: Path, count: int, bad: int = 0) -> list[Path]:
    """Write ``count`` PNGs (and ``bad`` broken .png files) under nested folders."""
    paths = []
    for i in range(count + bad):
        path = folder / f"sub{i % 3}" / f"img{i:04d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make_png(32, 24, seed=i) if i < count else b"broken")
        paths.append(path)
    (folder / "notes.txt").write_text("not an image")
    return paths


def env_for(url: str) -> dict[str, str]:
    """Environment pointing the CLI at an emulator with its default key pair."""
    return {
        "HUAWEICLOUD_SDK_AK": DEFAULT_KEY_PAIR.ak,
        "HUAWEICLOUD_SDK_SK": DEFAULT_KEY_PAIR.sk,
        "HUAWEICLOUD_SDK_PROJECT_ID": DEFAULT_PROJECT_ID,
        "AIOCLOUDOCR_ENDPOINT": url,
    }


def records(path: Path) -> list[dict[str, Any]]:
    """The complete lines of an output file."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_iter_paths_walks_folders_for_images_only(tmp_path: Path) -> None:
    """Folders are walked recursively for image files; '-' reads paths from stdin."""
    paths = write_images(tmp_path, 4)
    found = list(iter_paths([str(tmp_path)], io.StringIO()))
    assert sorted(found) == sorted(str(p) for p in paths)
    stdin = io.StringIO("a.png\n\n b.jpg \n")
    assert list(iter_paths(["-", "https://x/y.png"], stdin)) == [
        "a.png",
        "b.jpg",
        "https://x/y.png",
    ]


def test_set_values_parse_as_json_or_text() -> None:
    """--set values are JSON when they parse, else text."""
    given = ["limit=5", "language=en", "detect_font=true", 'extract_type=["image_size"]']
    assert parse_assignments(given) == {
        "limit": 5, "language": "en", "detect_font": True, "extract_type": ["image_size"],
    }  # fmt: skip


def test_run_against_in_process_emulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run --emulator` works with no credentials; bad files fail and set the exit status."""
    write_images(tmp_path / "in", 6, bad=2)
    output = tmp_path / "out.jsonl"
    status = main(["run", "web_image", str(tmp_path / "in"), "--emulator", "--output",
                   str(output), "--no-progress", "--set", "extract_type=image_size"])  # fmt: skip
    assert status == 1
    lines = records(output)
    assert len(lines) == 8
    assert sum(line["status"] == "ok" for line in lines) == 6
    assert {line["error"]["code"] for line in lines if line["status"] == "failed"} == {"AIS.0102"}
    err = capsys.readouterr().err
    assert "6 ok, 2 failed" in err and "AIS.0102" in err


def test_existing_output_needs_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An existing output file is never appended to without --resume."""
    output = tmp_path / "out.jsonl"
    output.write_text("")
    assert main(["run", "web_image", str(tmp_path), "--emulator", "-o", str(output)]) == 2
    assert "--resume" in capsys.readouterr().err


def test_operations_lists_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    """`aiocloudocr operations` lists every operation with its fields."""
    from aiocloudocr.operations import OPERATIONS

    assert main(["operations", "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert [entry["name"] for entry in table] == list(OPERATIONS)
    assert "extract_type" in table[0]["fields"]


async def test_kill_9_mid_run_then_resume_gives_each_input_once(tmp_path: Path) -> None:
    """A run killed with SIGKILL and resumed records every input exactly once."""
    write_images(tmp_path / "in", 120)
    output = tmp_path / "out.jsonl"
    async with run_emulator(EmulatorConfig(latency=0.02)) as emulator:
        env = {**os.environ, **env_for(emulator.url)}
        argv = [sys.executable, "-m", "aiocloudocr.cli", "run", "web_image", str(tmp_path / "in"),
                "-o", str(output), "--concurrency", "4", "--no-progress"]  # fmt: skip
        process = await asyncio.create_subprocess_exec(*argv, env=env)
        for _ in range(500):
            await asyncio.sleep(0.02)
            if output.exists() and len(output.read_bytes().splitlines()) >= 30:
                break
        process.send_signal(signal.SIGKILL)
        await process.wait()
        killed_at = len(records(output))
        assert 0 < killed_at < 120
        resumed = await asyncio.create_subprocess_exec(*argv, "--resume", env=env)
        assert await asyncio.wait_for(resumed.wait(), timeout=60) == 0
    keys = [line["key"] for line in records(output)]
    assert len(keys) == len(set(keys)) == 120
    assert all(line["status"] == "ok" for line in records(output))
