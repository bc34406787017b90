"""The command line: options, the printed instructions, and a real process served to curl."""

from __future__ import annotations

import argparse
import asyncio
import json
import runpy
import shutil
import signal
import socket
import sys

import pytest

from aiocloudocr import cli
from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID, DEFAULT_USER, KeyPair, User
from aiocloudocr.emulator._cli import (
    build_parser,
    config_from_args,
    how_to,
    main,
    parse_fault,
    parse_latency,
    parse_user,
)
from aiocloudocr.emulator._config import EmulatorConfig, project_id_for
from tests.emulator.emulator_testkit import b64, iam_body, png

CURL_TIMEOUT = 20.0


def test_parse_user() -> None:
    """NAME:PASSWORD:DOMAIN:PROJECT[:PROJECT_ID]; the id rule for a project name."""
    user = parse_user("ann:pw:acme:eu-west-101")
    assert user == User(name="ann", password="pw", domain="acme", project_name="eu-west-101",
                        project_id=project_id_for("eu-west-101"))  # fmt: skip
    assert len(user.project_id) == 32 and int(user.project_id, 16) >= 0
    assert parse_user("b:p:d:ap-southeast-1").project_id == DEFAULT_PROJECT_ID
    assert parse_user("b:p:d:proj:" + "9" * 32).project_id == "9" * 32
    for bad in ("a:b:c", "a::c:d", "a:b:c:d:e:f"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_user(bad)


def test_parse_latency_and_fault() -> None:
    """Latency is SECONDS or LOW:HIGH; a fault is KIND=P with a known kind."""
    assert parse_latency("0.25") == 0.25
    assert parse_latency("0.1:0.5") == (0.1, 0.5)
    assert parse_fault("drop=0.1") == ("drop", 0.1)
    assert parse_fault("ModelArts.4403=1") == ("ModelArts.4403", 1.0)
    for bad in ("fast", "1:2:3"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_latency(bad)
    for bad in ("drop", "nope=0.1", "drop=x"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_fault(bad)


def test_every_option_reaches_the_config() -> None:
    """Each command-line option sets its EmulatorConfig field."""
    argv = [
        "--host", "127.0.0.2", "--port", "0", "--ak", "A1", "--sk", "S1", "--ak", "A2",
        "--sk", "S2", "--project", "p" * 32, "--user", "ann:pw:acme:proj", "--token-ttl", "60",
        "--max-clock-skew", "30", "--rate-limit", "5", "--rate-window", "2",
        "--max-concurrency", "3", "--latency", "0.1:0.2", "--fault-rate", "0.2",
        "--fault", "drop=0.1", "--fault", "stall=0.05", "--stall", "9", "--seed", "42",
        "--unsubscribed", "passport", "--unsubscribed", "p" * 32 + ":defog",
        "--allow-url-host", "127.0.0.1",
    ]  # fmt: skip
    config = config_from_args(build_parser().parse_args(argv))
    assert config.host == "127.0.0.2" and config.port == 0
    assert config.key_pairs == (KeyPair(ak="A1", sk="S1"), KeyPair(ak="A2", sk="S2"))
    assert config.project_ids == ("p" * 32,)
    assert [user.name for user in config.users] == ["ann"]
    assert (config.token_ttl, config.max_clock_skew) == (60, 30)
    assert (config.rate_limit, config.rate_window, config.max_concurrency) == (5, 2, 3)
    assert config.latency == (0.1, 0.2)
    assert (config.fault_rate, config.fault_rates) == (0.2, (("drop", 0.1), ("stall", 0.05)))
    assert (config.stall, config.seed) == (9, 42)
    assert config.unsubscribed == ("passport", "p" * 32 + ":defog")
    assert config.url_allow_hosts == ("127.0.0.1",)


def test_defaults_are_the_documented_ones() -> None:
    """No options: loopback, the demo user, the demo key pair and project."""
    config = config_from_args(build_parser().parse_args([]))
    assert config.host == "127.0.0.1" and config.port == 8800
    assert config.users == (DEFAULT_USER,)
    assert config.key_pairs == (DEFAULT_KEY_PAIR,)
    assert config.project_ids == (DEFAULT_PROJECT_ID,)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--host", "0.0.0.0"], "loopback"),  # noqa: S104 (refused)
        (["--ak", "A1"], "--sk"),
        (["--fault-rate", "2"], "probability"),
        (["--unsubscribed", "nope"], "unknown operation"),
    ],
)
def test_bad_options_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Inconsistent options end with status 2 and say why, also through `aiocloudocr`."""
    for run in (main, lambda args: cli.main(["emulator", *args])):
        with pytest.raises(SystemExit) as caught:
            run(argv)
        assert caught.value.code == 2
        assert message in capsys.readouterr().err


def test_busy_port_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """A port already taken ends with status 1 and a message."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["--port", str(busy.getsockname()[1]), "--quiet"]) == 1
    assert "cannot listen" in capsys.readouterr().err


def test_cli_dispatcher(capsys: pytest.CaptureFixture[str]) -> None:
    """`aiocloudocr` lists the emulator command and rejects unknown arguments."""
    with pytest.raises(SystemExit) as caught:
        cli.main(["--help"])
    assert caught.value.code == 0
    assert "emulator" in capsys.readouterr().out
    with pytest.raises(SystemExit) as caught:
        cli.main([])
    assert caught.value.code == 2


def test_module_entry_point(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m aiocloudocr.emulator` runs the same command line."""
    monkeypatch.setattr(sys, "argv", ["aiocloudocr.emulator", "--help"])
    with pytest.raises(SystemExit) as caught:
        runpy.run_module("aiocloudocr.emulator", run_name="__main__")
    assert caught.value.code == 0
    assert "--rate-limit" in capsys.readouterr().out


def test_how_to_names_everything_a_client_needs() -> None:
    """The printed instructions give the env vars, a Python snippet and curl commands."""
    text = how_to("http://127.0.0.1:9", EmulatorConfig())
    for needle in (
        "export AIOCLOUDOCR_ENDPOINT=http://127.0.0.1:9",
        f"export HUAWEICLOUD_SDK_AK={DEFAULT_KEY_PAIR.ak}",
        f"export HUAWEICLOUD_SDK_SK={DEFAULT_KEY_PAIR.sk}",
        f"export HUAWEICLOUD_SDK_PROJECT_ID={DEFAULT_PROJECT_ID}",
        "Client(AkSkCredentials(",
        'endpoint="http://127.0.0.1:9"',
        "curl -si http://127.0.0.1:9/v3/auth/tokens",
        "/_emulator/stats",
    ):
        assert needle in text


async def _run(*argv: str, stdin: bytes | None = None) -> tuple[int, bytes]:
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(process.communicate(stdin), CURL_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, out


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
async def test_serves_curl_from_a_subprocess() -> None:
    """`aiocloudocr emulator --port 0` prints its URL and answers curl; SIGTERM stops it."""
    user = "ann:secret:acme:proj-a"
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiocloudocr.cli", "emulator", "--port", "0", "--user", user,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        line = (await asyncio.wait_for(server.stdout.readline(), CURL_TIMEOUT)).decode()
        assert line.startswith("aiocloudocr emulator listening on http://127.0.0.1:")
        url = line.split()[-1]
        ann = parse_user(user)
        code, out = await _run(
            "curl", "-si", "--max-time", "10", url + "/v3/auth/tokens",
            "-H", "Content-Type: application/json", "--data-binary", "@-",
            stdin=json.dumps(iam_body(ann)).encode(),
        )  # fmt: skip
        assert code == 0
        head, _, _ = out.decode().partition("\r\n\r\n")
        assert head.startswith("HTTP/1.1 201")
        token = next(
            line.split(":", 1)[1].strip()
            for line in head.splitlines()
            if line.lower().startswith("x-subject-token:")
        )
        code, out = await _run(
            "curl", "-s", "--max-time", "10", f"{url}/v2/{ann.project_id}/ocr/web-image",
            "-H", f"X-Auth-Token: {token}", "-H", "Content-Type: application/json",
            "--data-binary", "@-", stdin=json.dumps({"image": b64(png())}).encode(),
        )  # fmt: skip
        assert code == 0
        assert json.loads(out)["result"]["words_block_count"] >= 1
    finally:
        if server.returncode is None:
            server.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.wait(), CURL_TIMEOUT) == 0
