"""`aiocloudocr run` as a shell sees it: streams, exit statuses, one-line errors, signals."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aiocloudocr import WebImageRequest
from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID, EmulatorConfig, run_emulator
from aiocloudocr.errors import ConfigurationError
from aiocloudocr.operations import WEB_IMAGE, get_operation
from aiocloudocr.testing import emulated_client
from tests.fakes import make_png

CLI = [sys.executable, "-m", "aiocloudocr.cli"]
TIMEOUT = 30.0
# The bar is redrawn with \r; a line of it is what lies between two of those or newlines.
BAR = re.compile(r"\d+/\d+, ok=")


def images(folder: Path, good: int, bad: int = 0) -> list[str]:
    """Write ``good`` PNGs and ``bad`` broken .png files; return their keys as run from
    ``folder``'s parent (``in/img000.png``), sorted."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = []
    for i in range(good + bad):
        name = f"img{i:03d}.png"
        (folder / name).write_bytes(make_png(32, 24, seed=i) if i < good else b"broken")
        keys.append(f"{folder.name}/{name}")
    return keys


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment without any cloud settings (and no credentials file), plus ``extra``."""
    prefixes = ("HUAWEICLOUD_", "CLOUD_SDK_", "AIOCLOUDOCR_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(HOME=str(tmp_path / "home"), COLUMNS="80", **extra)
    return env


def emulator_env(tmp_path: Path, url: str, **extra: str) -> dict[str, str]:
    """The environment pointing the CLI at an emulator with its default key pair."""
    settings = {
        "AIOCLOUDOCR_ENDPOINT": url,
        "HUAWEICLOUD_SDK_AK": DEFAULT_KEY_PAIR.ak,
        "HUAWEICLOUD_SDK_SK": DEFAULT_KEY_PAIR.sk,
        "HUAWEICLOUD_SDK_PROJECT_ID": DEFAULT_PROJECT_ID,
    }
    return clean_env(tmp_path, **{**settings, **extra})


def cli(*argv: str, env: dict[str, str], cwd: Path, stdout: Any = subprocess.PIPE) -> Any:
    """Run the command line to completion (only with --emulator or no server at all)."""
    return subprocess.run([*CLI, *argv], env=env, cwd=cwd, stdout=stdout,  # noqa: S603
                          stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)  # fmt: skip


async def acli(*argv: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run the command line while this event loop serves an emulator."""
    process = await asyncio.create_subprocess_exec(*CLI, *argv, env=env, cwd=cwd,
                                                   stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), TIMEOUT)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def lines_of(path: Path) -> list[dict[str, Any]]:
    """Every line of a JSON Lines file, each of which must be whole."""
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n")
    return [json.loads(line) for line in data.splitlines()]


def bar_lines(stderr: str) -> list[str]:
    """The progress bar's states as drawn."""
    return [part for part in re.split(r"[\r\n]", stderr) if BAR.search(part)]


def test_outcomes_stream_to_stdout_and_the_rest_to_stderr(tmp_path: Path) -> None:
    """Without --output each outcome is a JSON line on stdout, shaped like a checkpoint line."""
    keys = images(tmp_path / "in", 3, bad=1)
    env = clean_env(tmp_path)
    done = cli("run", "web-image", "in", "--emulator", env=env, cwd=tmp_path)
    assert done.returncode == 1
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(r["key"] for r in records) == keys
    assert [r["status"] for r in records].count("ok") == 3
    assert "web_image: 3 ok, 1 failed (1 final, 0 retryable), 0 skipped in" in done.stderr
    assert "outcomes on stdout" in done.stderr
    saved = cli("run", "web_image", "in", "--emulator", "-o", "ck.jsonl", env=env, cwd=tmp_path)
    assert saved.returncode == 1 and saved.stdout == ""
    assert "outcomes in ck.jsonl" in saved.stderr
    by_key = {r["key"]: r for r in lines_of(tmp_path / "ck.jsonl")}
    for record in records:
        assert set(record) == set(by_key[record["key"]])


def test_stdout_saved_to_a_file_is_a_checkpoint_to_resume(tmp_path: Path) -> None:
    """`run ... > out.jsonl` then `--output out.jsonl --resume` has nothing left to do."""
    images(tmp_path / "in", 2)
    env = clean_env(tmp_path)
    with open(tmp_path / "out.jsonl", "w") as out:
        first = cli("run", "web-image", "in", "--emulator", env=env, cwd=tmp_path, stdout=out)
    assert first.returncode == 0
    assert f"outcomes on stdout ({tmp_path / 'out.jsonl'})" in first.stderr
    again = cli("run", "web-image", "in", "--emulator", "-o", "out.jsonl", "--resume",
                env=env, cwd=tmp_path)  # fmt: skip
    assert again.returncode == 0
    assert "0 ok, 0 failed (0 final, 0 retryable), 2 skipped" in again.stderr
    assert len(lines_of(tmp_path / "out.jsonl")) == 2


def test_help_documents_the_exit_statuses(tmp_path: Path) -> None:
    """`run --help` ends with the table of exit statuses."""
    shown = cli("run", "--help", env=clean_env(tmp_path), cwd=tmp_path)
    assert shown.returncode == 0
    table = shown.stdout.split("exit status:")[1]
    for status in ("0 ", "1 ", "2 ", "3 ", "130", "143"):
        assert f"\n  {status}" in table


@pytest.mark.parametrize(
    ("argv", "env", "needle"),
    [
        (["web-image", "in", "gone.png", "--emulator"], {}, "no such file or folder: gone.png"),
        (["web-image", "in", "--emulator", "-o", "no/out.jsonl"], {}, "folder no does not exist"),
        (["web-image", "in", "--emulator", "-o", "in"], {}, "--output in is a folder"),
        (["web-image", "in", "--emulator", "-o", "old.jsonl"], {}, "pass --resume"),
        (["web-image", "in", "--emulator", "--resume"], {}, "--resume needs --output"),
        (["web-image", "in", "--emulator", "--retry-failed", "-o", "x"], {}, "goes with --resume"),
        (["web-image", "in", "--emulator", "--timeout", "0"], {}, "argument --timeout: must be"),
        (["web-image", "in", "--emulator", "--concurrency", "0"], {}, "argument --concurrency"),
        (["web-image", "in", "--emulator", "--concurrency", "-2"], {}, "at least 1, got '-2'"),
        (["web-imag", "in", "--emulator"], {}, "did you mean web_image?"),
        (["web-image", "in", "--emulator", "--set", "foo=1"], {}, "--set foo=1: web_image has no"),
        (["image-tagging", "in", "--emulator", "--set", "limit=0"], {}, "limit must be from 1"),
        (["dark-enhance", "https://x.test/a.png", "--emulator"], {}, "not URLs"),
        (["web-image", "in"], {}, "no credentials found: set HUAWEICLOUD_SDK_AK"),
        (["web-image", "in"], {"HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s"},
         "no region: pass --region (e.g. ap-southeast-1) or set HUAWEICLOUD_SDK_REGION"),
        (["web-image", "in"], {"HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s",
                               "AIOCLOUDOCR_ENDPOINT": "http://127.0.0.1:9"},
         "no project id: pass --project-id or set HUAWEICLOUD_SDK_PROJECT_ID"),
        (["web-image", "in", "--endpoint", "ftp://x"],
         {"HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s"}, "--endpoint (or AIOCLOUDOCR"),
    ],
)  # fmt: skip
def test_user_errors_are_one_line_and_status_2(
    tmp_path: Path, argv: list[str], env: dict[str, str], needle: str
) -> None:
    """Each mistake is caught before any request: one line on stderr, no traceback, status 2."""
    images(tmp_path / "in", 1)
    (tmp_path / "old.jsonl").write_text("")
    done = cli("run", *argv, env=clean_env(tmp_path, **env), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert needle in done.stderr
    assert not re.search(r"\b(region|project_id|endpoints?)=", done.stderr)


async def test_names_with_dash_or_underscore_reach_the_same_operation() -> None:
    """`web-image` and `web_image` name one operation for get_operation, call and map."""
    assert get_operation("web-image") is get_operation("web_image") is WEB_IMAGE
    with pytest.raises(ConfigurationError, match=r"did you mean web_image\?.*known: bank_card"):
        get_operation("web-imag")
    png = make_png(32, 24)
    async with emulated_client() as client:
        request = WebImageRequest(image=__import__("base64").b64encode(png).decode())
        assert (await client.call("web-image", request)).words_block_count is not None
        async with client.map("web-image", [png]) as outcomes:
            assert [o.ok async for o in outcomes] == [True]


def test_verbose_logs_each_request_without_secrets(tmp_path: Path) -> None:
    """-v logs the aiocloudocr DEBUG lines on stderr; they never hold the secret key."""
    images(tmp_path / "in", 1)
    env = clean_env(tmp_path)
    loud = cli("run", "web-image", "in", "--emulator", "-v", "--no-progress", env=env, cwd=tmp_path)
    assert loud.returncode == 0
    assert re.search(r"DEBUG aiocloudocr: web_image status=200 .*request_id=\w+", loud.stderr)
    assert DEFAULT_KEY_PAIR.sk not in loud.stderr + loud.stdout
    quiet = cli("run", "web-image", "in", "--emulator", "--no-progress", env=env, cwd=tmp_path)
    assert "DEBUG" not in quiet.stderr


def test_operations_shows_what_each_field_accepts(tmp_path: Path) -> None:
    """The listing gives each field's allowed values or range, read from its validator."""
    shown = cli("operations", env=clean_env(tmp_path), cwd=tmp_path)
    assert shown.returncode == 0
    for needle in (
        "limit (int): a whole number from 1 to 150",
        "language (str): one of 'zh', 'en'",
        "side (str): one of 'front', 'back', ''",
        "detect_direction (bool): true or false",
        "extract_type (tuple[str, ...]): items must be among contact_info, image_size",
        "scale (int): one of 3, 4",
    ):
        assert needle in shown.stdout
    table = json.loads(cli("operations", "--json", env=clean_env(tmp_path), cwd=tmp_path).stdout)
    tagging = next(entry for entry in table if entry["name"] == "image_tagging")
    assert tagging["rules"]["threshold"] == "must be a number from 0 to 100"
    assert tagging["names"] == ["image-tagging", "image_tagging"]


def test_operations_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`operations | head -1`: a reader that leaves early gets status 0 and no traceback."""
    read, write = os.pipe()
    os.close(read)  # every write now fails with EPIPE, as once head has exited
    try:
        done = subprocess.run([*CLI, "operations"], stdout=write, stderr=subprocess.PIPE,  # noqa: S603
                              text=True, timeout=TIMEOUT, env=clean_env(tmp_path))  # fmt: skip
    finally:
        os.close(write)
    assert done.returncode == 0
    assert done.stderr == ""
    head = shutil.which("head")
    if head is None:
        return
    # The shell's `aiocloudocr operations | head -1`, spelled out.
    listing = subprocess.Popen([*CLI, "operations"], stdout=subprocess.PIPE,  # noqa: S603
                               stderr=subprocess.PIPE, env=clean_env(tmp_path))  # fmt: skip
    first = subprocess.run([head, "-1"], stdin=listing.stdout, capture_output=True,  # noqa: S603
                           text=True, timeout=TIMEOUT)  # fmt: skip
    assert listing.stdout is not None and listing.stderr is not None
    listing.stdout.close()
    assert listing.wait(TIMEOUT) == 0
    assert first.stdout.startswith("web_image ") and listing.stderr.read() == b""
    listing.stderr.close()


def test_run_into_a_closed_pipe_stops_with_141(tmp_path: Path) -> None:
    """Outcomes nobody can read stop the run: status 141, a summary, no traceback."""
    images(tmp_path / "in", 3)
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([*CLI, "run", "web-image", "in", "--emulator", "--no-progress"],  # noqa: S603
                              stdout=write, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                              timeout=TIMEOUT, env=clean_env(tmp_path))  # fmt: skip
    finally:
        os.close(write)
    assert done.returncode == 141
    assert "stdout was closed" in done.stderr and "Traceback" not in done.stderr


def test_progress_bar_fits_80_columns_and_counts_what_this_run_does(tmp_path: Path) -> None:
    """At COLUMNS=80 the bar keeps its counters; on --resume its total leaves skipped out."""
    images(tmp_path / "in", 3, bad=1)
    env = clean_env(tmp_path)
    first = cli("run", "web-image", "in", "--emulator", "-o", "ck.jsonl", env=env, cwd=tmp_path)
    drawn = bar_lines(first.stderr)
    assert drawn and all(len(line) <= 80 for line in drawn)
    assert drawn[-1].startswith("100%|") and "4/4, ok=3 failed=1 skipped=0 [" in drawn[-1]
    images(tmp_path / "in", 6)  # three more, after the first four
    (tmp_path / "in" / "img003.png").write_bytes(b"broken")
    resumed = cli("run", "web-image", "in", "--emulator", "-o", "ck.jsonl", "--resume",
                  env=env, cwd=tmp_path)  # fmt: skip
    assert resumed.returncode == 0
    drawn = bar_lines(resumed.stderr)
    assert all(len(line) <= 80 for line in drawn)
    assert drawn[0].startswith("  0%|") and " 0/2, ok=0 failed=0 skipped=4 [" in drawn[0]
    assert drawn[-1].startswith("100%|") and " 2/2, ok=2 failed=0 skipped=4 [" in drawn[-1]
    assert "2 ok, 0 failed (0 final, 0 retryable), 4 skipped" in resumed.stderr


@pytest.mark.parametrize(
    ("config", "sk", "needle"),
    [
        (EmulatorConfig(unsubscribed=("web_image",)), DEFAULT_KEY_PAIR.sk, "not subscribed"),
        (EmulatorConfig(), "wrong-secret", "HUAWEICLOUD_SDK_SK"),
    ],
)
async def test_systemic_error_stops_with_3_and_says_how_to_continue(
    tmp_path: Path, config: EmulatorConfig, sk: str, needle: str
) -> None:
    """An error no input can avoid stops the run: status 3, what to fix, the --resume line."""
    keys = images(tmp_path / "in", 6)
    argv = ["run", "web-image", "in", "-o", "ck.jsonl", "--concurrency", "1", "--no-progress"]
    async with run_emulator(config) as emulator:
        env = emulator_env(tmp_path, emulator.url, HUAWEICLOUD_SDK_SK=sk)
        status, out, err = await acli(*argv, env=env, cwd=tmp_path)
    assert status == 3, err
    assert out == "" and "Traceback" not in err
    stopped = next(line for line in err.splitlines() if line.startswith("aiocloudocr run: stopped"))
    assert needle in stopped
    assert f"to continue: aiocloudocr {shlex.join(argv[:])} --resume" in err
    assert len(lines_of(tmp_path / "ck.jsonl")) < len(keys)
    async with run_emulator() as emulator:  # fixed: the same line finishes the job
        env = emulator_env(tmp_path, emulator.url)
        status, _, err = await acli(*argv, "--resume", env=env, cwd=tmp_path)
    assert status == 0, err
    final = lines_of(tmp_path / "ck.jsonl")
    assert sorted(line["key"] for line in final if line["status"] == "ok") == keys


@pytest.mark.parametrize(("number", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
async def test_signal_stops_cleanly_and_resume_does_the_rest_once(
    tmp_path: Path, number: signal.Signals, status: int
) -> None:
    """SIGINT/SIGTERM: whole lines only, a summary, the --resume line; resuming does the rest."""
    keys = images(tmp_path / "in", 20)
    output = tmp_path / "ck.jsonl"
    argv = ["run", "web-image", "in", "-o", "ck.jsonl", "--concurrency", "2"]
    async with run_emulator(EmulatorConfig(latency=0.1)) as emulator:
        env = emulator_env(tmp_path, emulator.url)
        process = await asyncio.create_subprocess_exec(*CLI, *argv, env=env, cwd=tmp_path,
                                                       stderr=asyncio.subprocess.PIPE)  # fmt: skip
        for _ in range(500):
            await asyncio.sleep(0.02)
            if output.exists() and output.read_bytes().count(b"\n") >= 2:
                break
        process.send_signal(number)
        _, err_bytes = await asyncio.wait_for(process.communicate(), TIMEOUT)
        err = err_bytes.decode()
        assert process.returncode == status, err
        first = lines_of(output)
        assert 2 <= len(first) < len(keys)
        assert f"stopped by {number.name}; the requests in flight finished" in err
        assert "Traceback" not in err
        assert re.search(r"web_image: \d+ ok, 0 failed", err)
        resume = err.split("to continue: ")[1].splitlines()[0]
        assert resume == f"aiocloudocr {shlex.join(argv)} --resume"
        code, _, err = await acli(*shlex.split(resume)[1:], env=env, cwd=tmp_path)
    assert code == 0, err
    left = len(keys) - len(first)
    assert f" {left}/{left}, ok={left} failed=0 skipped={len(first)} [" in err
    assert sorted(line["key"] for line in lines_of(output)) == keys


async def test_second_signal_cancels_the_requests_in_flight(tmp_path: Path) -> None:
    """A second SIGINT cancels what the first let finish; the checkpoint keeps whole lines."""
    images(tmp_path / "in", 10)
    output = tmp_path / "ck.jsonl"
    argv = ["run", "web-image", "in", "-o", "ck.jsonl", "--concurrency", "2"]
    async with run_emulator(EmulatorConfig(latency=2.0)) as emulator:
        env = emulator_env(tmp_path, emulator.url)
        process = await asyncio.create_subprocess_exec(*CLI, *argv, env=env, cwd=tmp_path,
                                                       stderr=asyncio.subprocess.PIPE)  # fmt: skip
        for _ in range(500):
            await asyncio.sleep(0.02)
            if emulator.stats.in_flight >= 2:
                break
        process.send_signal(signal.SIGINT)
        await asyncio.sleep(0.3)
        process.send_signal(signal.SIGINT)
        _, err_bytes = await asyncio.wait_for(process.communicate(), TIMEOUT)
    err = err_bytes.decode()
    assert process.returncode == 130, err
    assert "stopped by SIGINT; requests in flight cancelled" in err
    assert all(line.endswith(b"\n") for line in output.read_bytes().splitlines(keepends=True))


async def test_signal_while_looking_up_the_project_stops_at_once(tmp_path: Path) -> None:
    """A signal before the run starts (an IAM lookup that hangs) ends it: 130, nothing sent."""
    images(tmp_path / "in", 2)
    connected = asyncio.Event()
    held: list[asyncio.StreamWriter] = []

    def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accept, never answer
        connected.set()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    env = clean_env(tmp_path, HUAWEICLOUD_SDK_AK="a", HUAWEICLOUD_SDK_SK="s",
                    HUAWEICLOUD_SDK_REGION="ap-southeast-1")  # fmt: skip
    argv = ["run", "web-image", "in", "--endpoint", url, "-o", "ck.jsonl"]
    async with server:
        process = await asyncio.create_subprocess_exec(*CLI, *argv, env=env, cwd=tmp_path,
                                                       stderr=asyncio.subprocess.PIPE)  # fmt: skip
        await asyncio.wait_for(connected.wait(), TIMEOUT)
        process.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(process.communicate(), TIMEOUT)
        for writer in held:
            writer.close()
    assert process.returncode == 130
    assert err.decode() == "aiocloudocr run: stopped by SIGINT before starting; nothing was sent\n"
    assert not (tmp_path / "ck.jsonl").exists()
