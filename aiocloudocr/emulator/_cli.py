"""``aiocloudocr emulator``: serve the emulator from a shell until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from aiocloudocr.emulator._app import run_emulator
from aiocloudocr.emulator._config import (
    DEFAULT_KEY_PAIR,
    DEFAULT_PROJECT_ID,
    DEFAULT_USER,
    EmulatorConfig,
    KeyPair,
    Latency,
    User,
    project_id_for,
)
from aiocloudocr.emulator._engines import ENGINE_CHOICES, EngineUnavailableError, resolve_engine
from aiocloudocr.emulator._faults import FAULT_KINDS

DEFAULT_PORT = 8800
PROG = "aiocloudocr emulator"


def parse_user(text: str) -> User:
    """``NAME:PASSWORD:DOMAIN:PROJECT[:PROJECT_ID]`` as a user."""
    parts = text.split(":")
    if len(parts) not in (4, 5) or not all(parts):
        raise argparse.ArgumentTypeError(
            f"expected NAME:PASSWORD:DOMAIN:PROJECT[:PROJECT_ID], got {text!r}"
        )
    name, password, domain, project = parts[:4]
    project_id = parts[4] if len(parts) == 5 else project_id_for(project)
    return User(name=name, password=password, domain=domain, project_name=project,
                project_id=project_id)  # fmt: skip


def parse_latency(text: str) -> Latency:
    """``SECONDS`` or ``LOW:HIGH`` (uniformly distributed)."""
    try:
        if ":" in text:
            low, high = text.split(":")
            return (float(low), float(high))
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SECONDS or LOW:HIGH, got {text!r}") from None


def parse_fault(text: str) -> tuple[str, float]:
    """``KIND=PROBABILITY``."""
    kind, sep, rate = text.partition("=")
    try:
        if sep and kind in FAULT_KINDS:
            return kind, float(rate)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(
        f"expected KIND=PROBABILITY with KIND one of {', '.join(FAULT_KINDS)}; got {text!r}"
    )


def build_parser() -> argparse.ArgumentParser:
    """The emulator's command line."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Serve a local emulator of the OCR, Image Recognition and IAM APIs on a "
        "loopback address, until Ctrl-C or SIGTERM. It prints how to point a client at it.",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="loopback IP address to listen on (127.0.0.1)")
    add("--port", type=int, default=DEFAULT_PORT, help=f"port; 0 picks a free one ({DEFAULT_PORT})")
    add("--ak", action="append", default=[], help="access key of a key pair (repeatable)")
    add("--sk", action="append", default=[], help="secret key, paired with the --ak in order")
    add(
        "--project",
        action="append",
        default=[],
        metavar="ID",
        help=f"project id accepted in paths (repeatable; default {DEFAULT_PROJECT_ID})",
    )
    add(
        "--user",
        action="append",
        default=[],
        type=parse_user,
        metavar="NAME:PASSWORD:DOMAIN:PROJECT[:PROJECT_ID]",
        help="IAM user (repeatable). PROJECT is the project name; its id is PROJECT_ID if "
        f"given, {DEFAULT_PROJECT_ID} for {DEFAULT_USER.project_name}, else the first 32 hex "
        "digits of sha256(PROJECT). Default: the demo user.",
    )
    add("--token-ttl", type=float, default=86400.0, metavar="SECONDS", help="token lifetime")
    add(
        "--max-clock-skew",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="how far X-Sdk-Date may be from the clock (900)",
    )
    add("--rate-limit", type=int, metavar="N", help="calls per window per user (APIG.0308)")
    add("--rate-window", type=float, default=60.0, metavar="SECONDS", help="window length (60)")
    add(
        "--max-concurrency", type=int, metavar="N", help="calls in flight per user (ModelArts.4401)"
    )
    add(
        "--latency",
        type=parse_latency,
        default=0.0,
        metavar="SECONDS|LOW:HIGH",
        help="delay per call, fixed or uniform in a range",
    )
    add(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="P",
        help="probability of a 5xx/ModelArts.4402/4403/4502 answer, spread evenly",
    )
    add(
        "--fault",
        action="append",
        default=[],
        type=parse_fault,
        metavar="KIND=P",
        help=f"probability of one fault kind (repeatable): {', '.join(FAULT_KINDS)}",
    )
    add(
        "--stall",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="how long a 'stall' fault holds a call (120)",
    )
    add("--seed", type=int, default=0, help="seed of the fault and latency dice (0)")
    add(
        "--unsubscribed",
        action="append",
        default=[],
        metavar="[PROJECT_ID:]OP",
        help="operation answered with ModelArts.4204 (repeatable)",
    )
    add(
        "--allow-url-host",
        action="append",
        default=[],
        metavar="HOST",
        help="host image/video URLs may be fetched from (repeatable; default none)",
    )
    add(
        "--engine",
        choices=ENGINE_CHOICES,
        default="synthetic",
        help="where Web Image's text comes from: synthetic phrases picked from a hash of the "
        "image (default), rapidocr: read by a local OCR model (pip install "
        "'aiocloudocr[ocr]'), auto: rapidocr if installed",
    )
    add("--quiet", action="store_true", help="print only the listening line")
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """The configuration the parsed arguments describe; ValueError if it is inconsistent."""
    if len(args.ak) != len(args.sk):
        raise ValueError("give each --ak its --sk, in the same order")
    pairs = tuple(KeyPair(ak=ak, sk=sk) for ak, sk in zip(args.ak, args.sk, strict=True))
    return EmulatorConfig(
        users=tuple(args.user) or (DEFAULT_USER,),
        key_pairs=pairs or (DEFAULT_KEY_PAIR,),
        project_ids=tuple(args.project) or (DEFAULT_PROJECT_ID,),
        unsubscribed=tuple(args.unsubscribed),
        url_allow_hosts=tuple(args.allow_url_host),
        token_ttl=args.token_ttl,
        max_clock_skew=args.max_clock_skew,
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        max_concurrency=args.max_concurrency,
        latency=args.latency,
        fault_rate=args.fault_rate,
        fault_rates=args.fault,
        stall=args.stall,
        seed=args.seed,
        engine=args.engine,
        host=args.host,
        port=args.port,
    )


def _iam_body(user: User) -> dict[str, Any]:
    identity = {"name": user.name, "password": user.password, "domain": {"name": user.domain}}
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": identity}},
                     "scope": {"project": {"name": user.project_name}}}}  # fmt: skip


def how_to(url: str, config: EmulatorConfig) -> str:
    """How to point a client (environment, Python, curl) at the emulator serving ``url``."""
    pair, user = config.key_pairs[0], config.users[0]
    project = config.project_ids[0] if config.project_ids else user.project_id
    iam = json.dumps(_iam_body(user), separators=(",", ":"))
    users = "\n".join(
        f"  {u.name} (domain {u.domain}, project {u.project_name} = {u.project_id})"
        for u in config.users
    )
    if resolve_engine(config.engine) == "rapidocr":
        text = "read from each image by a local OCR model (rapidocr)"
    else:
        text = "synthetic phrases picked from a hash of each image (--engine rapidocr reads it)"
    return f"""
Point a client at it:
  export AIOCLOUDOCR_ENDPOINT={url}
  export HUAWEICLOUD_SDK_AK={pair.ak}
  export HUAWEICLOUD_SDK_SK={pair.sk}
  export HUAWEICLOUD_SDK_PROJECT_ID={project}

In Python:
  from aiocloudocr import AkSkCredentials, Client
  client = Client(AkSkCredentials(access_key="{pair.ak}", secret_key="{pair.sk}"),
                  endpoint="{url}", project_id="{project}")

With curl (a token for {user.name}, then Web Image OCR of picture.png):
  TOKEN=$(curl -si {url}/v3/auth/tokens -H 'Content-Type: application/json' \\
    -d '{iam}' | awk 'tolower($1)=="x-subject-token:" {{print $2}}' | tr -d '\\r')
  IMAGE=$(base64 < picture.png | tr -d '\\n')
  curl -s {url}/v2/{user.project_id}/ocr/web-image -H "X-Auth-Token: $TOKEN" \\
    -H 'Content-Type: application/json' -d "{{\\"image\\": \\"$IMAGE\\"}}"
  curl -s {url}/_emulator/stats

Users:
{users}

Web Image text: {text}
"""


async def serve(config: EmulatorConfig, *, quiet: bool = False, out: TextIO = sys.stdout) -> None:
    """Serve ``config`` and print how to use it, until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        # Not available on every platform (Windows): Ctrl-C then ends asyncio.run instead.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(number, stop.set)
    async with run_emulator(config) as running:
        # The first line is the contract for scripts: the URL is its last word.
        print(f"aiocloudocr emulator listening on {running.url}", file=out, flush=True)
        if not quiet:
            print(how_to(running.url, config), file=out, flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    try:
        asyncio.run(serve(config, quiet=args.quiet))
    except KeyboardInterrupt:
        pass
    except EngineUnavailableError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"{PROG}: cannot listen on {args.host}:{args.port}: {error.strerror or error}",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0
