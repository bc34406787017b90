"""The emulator application and :func:`run_emulator`, which serves it on a loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import uuid
from collections.abc import AsyncIterator

import attrs
from aiohttp import web
from aiohttp.typedefs import Handler

from aiocloudocr._images import MB
from aiocloudocr.emulator._behaviours import BEHAVIOURS
from aiocloudocr.emulator._config import DEFAULT_USER, EmulatorConfig, User
from aiocloudocr.emulator._engines import TextEngine, load_engine
from aiocloudocr.emulator._errors import error_response
from aiocloudocr.emulator._faults import Fault
from aiocloudocr.emulator._handlers import (
    CONTEXT,
    Context,
    handle_not_found,
    handle_reset,
    handle_stats,
    handle_tokens,
    operation_handler,
)
from aiocloudocr.emulator._iam import TOKENS_PATH
from aiocloudocr.emulator._load import LoadControl
from aiocloudocr.emulator._projects import PROJECTS_PATH, handle_projects
from aiocloudocr.emulator._state import IAM, EmulatorState, EmulatorStats
from aiocloudocr.operations import OPERATIONS

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
STATS_PATH = "/_emulator/stats"
RESET_PATH = "/_emulator/stats/reset"
# Above the service's 10 MB so that the emulator, not aiohttp, answers ModelArts.4104.
CLIENT_MAX_SIZE = 16 * MB
# Stalled handlers must not hold up the end of a test for long.
SHUTDOWN_TIMEOUT = 0.5


@web.middleware
async def _request_id(request: web.Request, handler: Handler) -> web.StreamResponse:
    # Every answer, errors and 404s included, carries a request id like the gateway's.
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status in (404, 405):
            response = error_response(404, "APIG.0101")
        elif exc.status == 413:
            response = error_response(400, "ModelArts.4104")
        else:
            response = error_response(exc.status, None, exc.reason)
    except Exception:
        logger.exception("emulator handler failed on %s %s", request.method, request.path)
        response = error_response(500, "ModelArts.4505")
    response.headers[REQUEST_ID_HEADER] = uuid.uuid4().hex
    return response


def build_app(context: Context) -> web.Application:
    """The aiohttp application: IAM, one route per emulated operation, stats, catch-all."""
    app = web.Application(middlewares=[_request_id], client_max_size=CLIENT_MAX_SIZE)
    app[CONTEXT] = context
    app.router.add_post(TOKENS_PATH, handle_tokens)
    app.router.add_get(PROJECTS_PATH, handle_projects)
    app.router.add_get(STATS_PATH, handle_stats)
    app.router.add_post(RESET_PATH, handle_reset)
    for name, operation in OPERATIONS.items():
        behaviour = BEHAVIOURS.get(name)
        # An operation the emulator does not implement yet stays unpublished (APIG.0101).
        if behaviour is not None:
            app.router.add_route(
                operation.method, operation.path, operation_handler(operation, behaviour)
            )
    app.router.add_route("*", "/{tail:.*}", handle_not_found)
    return app


@attrs.define(repr=False)
class Emulator:
    """The emulated cloud service (IAM, OCR and Image Recognition) as an aiohttp app.

    Building it loads the configured text engine unless this process already has
    (EngineUnavailableError if its extra is missing).
    """

    _config: EmulatorConfig = attrs.field(factory=EmulatorConfig)
    _state: EmulatorState = attrs.field(init=False)
    _app: web.Application = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._state = EmulatorState(clock=self._config.clock, token_ttl=self._config.token_ttl)
        context = Context(
            config=self._config,
            state=self._state,
            accepted_projects=self._config.accepted_project_ids,
            load=LoadControl(self._config),
            engine=load_engine(self._config.engine),
        )
        self._app = build_app(context)

    @property
    def config(self) -> EmulatorConfig:
        """The configuration the emulator was built from."""
        return self._config

    @property
    def engine(self) -> TextEngine:
        """Where Web Image's text comes from (the engine ``config.engine`` resolved to)."""
        return self._app[CONTEXT].engine

    @property
    def app(self) -> web.Application:
        """The aiohttp application to serve."""
        return self._app

    @property
    def stats(self) -> EmulatorStats:
        """Live request counters of this emulator."""
        return self._state.stats

    def inject(self, operation_name: str, fault: Fault, times: int = 1) -> None:
        """Queue ``fault`` for the next ``times`` requests to an operation (or ``"iam"``)."""
        if operation_name != IAM and operation_name not in OPERATIONS:
            known = ", ".join(sorted([IAM, *OPERATIONS]))
            raise ValueError(f"unknown operation {operation_name!r}; known: {known}")
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times!r}")
        self._state.inject(operation_name, fault, times)

    def expire_tokens(self) -> None:
        """Make every token issued so far expired."""
        self._state.expire_tokens()

    def revoke_tokens(self) -> None:
        """Revoke every token issued so far (ModelArts.0203 from then on)."""
        self._state.revoke_tokens()

    def issue_token(self, user: User = DEFAULT_USER) -> str:
        """Issue a token for ``user``'s project without an IAM request."""
        token, _ = self._state.issue_token(user)
        return token

    def reset_stats(self) -> None:
        """Zero the request counters."""
        self._state.stats.reset()

    def __repr__(self) -> str:
        return f"<Emulator {self._state!r}>"


@attrs.frozen(kw_only=True)
class RunningEmulator:
    """An emulator serving on a loopback port; ``url`` is its base URL."""

    url: str
    emulator: Emulator

    @property
    def stats(self) -> EmulatorStats:
        """Live request counters of the emulator."""
        return self.emulator.stats

    def inject(self, operation_name: str, fault: Fault, times: int = 1) -> None:
        """Queue ``fault`` for the next ``times`` requests to an operation (or ``"iam"``)."""
        self.emulator.inject(operation_name, fault, times)

    def expire_tokens(self) -> None:
        """Make every token issued so far expired."""
        self.emulator.expire_tokens()

    def revoke_tokens(self) -> None:
        """Revoke every token issued so far (ModelArts.0203 from then on)."""
        self.emulator.revoke_tokens()

    def issue_token(self, user: User = DEFAULT_USER) -> str:
        """Issue a token for ``user``'s project without an IAM request."""
        return self.emulator.issue_token(user)

    def reset_stats(self) -> None:
        """Zero the request counters."""
        self.emulator.reset_stats()


def _base_url(host: str, port: int) -> str:
    literal = f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    return f"http://{literal}:{port}"


@contextlib.asynccontextmanager
async def run_emulator(config: EmulatorConfig | None = None) -> AsyncIterator[RunningEmulator]:
    """Serve a new emulator on ``config.host:config.port`` (0: a free port) until exit."""
    config = config or EmulatorConfig()
    # Loading a real engine takes a second or so: not on the event loop.
    await asyncio.to_thread(load_engine, config.engine)
    emulator = Emulator(config)
    runner = web.AppRunner(
        emulator.app,
        access_log=None,
        # A client that gives up on a stalled request frees the handler, as a gateway would.
        handler_cancellation=True,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, emulator.config.host, emulator.config.port)
        await site.start()
        port = runner.addresses[0][1]
        yield RunningEmulator(url=_base_url(emulator.config.host, port), emulator=emulator)
    finally:
        await runner.cleanup()
