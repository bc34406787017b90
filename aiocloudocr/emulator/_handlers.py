"""Request handlers: IAM tokens, one handler per operation, statistics and the catch-all 404.

An API call passes the layers of the real service in order: the gateway (authentication,
project, rate limit), ModelArts (subscription, body size, concurrency, backend faults and
latency), then the backend behaviour (validation and the result).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import attrs
from aiohttp import web

from aiocloudocr._images import MB
from aiocloudocr.emulator._auth import authenticate, check_project
from aiocloudocr.emulator._behaviours import Behaviour
from aiocloudocr.emulator._config import EmulatorConfig
from aiocloudocr.emulator._engines import TextEngine
from aiocloudocr.emulator._errors import (
    ApiError,
    error_response,
    json_response,
    not_subscribed,
)
from aiocloudocr.emulator._faults import Fault
from aiocloudocr.emulator._hostile import fault_response
from aiocloudocr.emulator._iam import (
    IamError,
    check_scope,
    find_user,
    parse_request,
    token_response,
)
from aiocloudocr.emulator._load import LoadControl
from aiocloudocr.emulator._pipeline import process
from aiocloudocr.emulator._state import DROPPED, IAM, EmulatorState
from aiocloudocr.operations import AnyOperation

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Answer = tuple[web.StreamResponse, int, "str | None"]
"""A response with the status and error code to record for it."""

MAX_BODY_BYTES = 10 * MB
SCRIPTED = "scripted"
"""The kind under which injected faults are counted in ``EmulatorStats.faults``."""


@attrs.frozen(kw_only=True)
class Context:
    """What every handler needs, stored on the application."""

    config: EmulatorConfig
    state: EmulatorState
    accepted_projects: frozenset[str]
    load: LoadControl
    engine: TextEngine


CONTEXT = web.AppKey("aiocloudocr.emulator.context", Context)


def api_name(operation: AnyOperation) -> str:
    """The API's name for ModelArts.4204, e.g. ``ocr-web-image`` or ``vision-defog``."""
    segments = [s for s in operation.path.split("/")[2:] if s and s != "{project_id}"]
    return "-".join(segments)


async def apply_fault(request: web.Request, fault: Fault) -> Answer | None:
    """Stall, then drop or give the fault's own answer; ``None`` to go on normally."""
    if fault.stall > 0:
        await asyncio.sleep(fault.stall)
    if fault.drop:
        if request.transport is not None:
            request.transport.close()
        # Nothing reaches the client: aiohttp finds the transport closed and gives up.
        return web.Response(status=500), DROPPED, None
    if fault.status is None:
        return None
    return await fault_response(request, fault), fault.status, fault.code


async def handle_tokens(request: web.Request) -> web.StreamResponse:
    """``POST /v3/auth/tokens``: issue a project-scoped token for a password identity."""
    state = request.app[CONTEXT].state
    state.count(IAM)
    response, status, code = await _iam_answer(request)
    state.record(IAM, status, code)
    return response


async def _iam_answer(request: web.Request) -> Answer:
    context = request.app[CONTEXT]
    fault = context.state.pop_fault(IAM)
    if fault is not None:
        context.state.stats.faults[SCRIPTED] += 1
        faulted = await apply_fault(request, fault)
        if faulted is not None:
            return faulted
    try:
        name, password, domain, wanted = parse_request(await request.read())
        user = find_user(context.config, name, password, domain)
        check_scope(user, wanted)
    except IamError as exc:
        return exc.response(), exc.status, None
    token, record = context.state.issue_token(user)
    return token_response(token, record), 201, None


def operation_handler(operation: AnyOperation, behaviour: Behaviour) -> Handler:
    """The handler serving ``operation``: the gateway and ModelArts layers, then the behaviour."""

    async def handle(request: web.Request) -> web.StreamResponse:
        """Serve one call to the operation, holding an in-flight slot throughout."""
        state = request.app[CONTEXT].state
        with state.in_flight(operation.name):
            response, status, code = await _answer(request, operation, behaviour)
        state.record(operation.name, status, code)
        return response

    return handle


async def _answer(request: web.Request, operation: AnyOperation, behaviour: Behaviour) -> Answer:
    context = request.app[CONTEXT]
    config, state, load = context.config, context.state, context.load
    try:
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(400, "ModelArts.4104") from None
        principal = authenticate(
            method=request.method,
            raw_path=request.raw_path,
            headers=request.headers,
            body=raw,
            config=config,
            state=state,
        )
        project_id = check_project(
            request.match_info.get("project_id"),
            principal,
            context.accepted_projects,
            request.headers,
        )
        try:
            load.admit(principal.key, state.now())
        except ApiError:
            state.stats.throttled += 1
            raise
        if not config.is_subscribed(operation.name, project_id):
            raise not_subscribed(api_name(operation))
        if len(raw) > MAX_BODY_BYTES:
            raise ApiError(400, "ModelArts.4104")
        if not load.has_slot(principal.key):
            state.stats.concurrency_rejected += 1
            raise ApiError(429, "ModelArts.4401")
        with load.slot(principal.key):
            return await _backend(request, context, operation, behaviour, raw)
    except ApiError as exc:
        return exc.response(), exc.status, exc.code


def _pick_fault(context: Context, operation: str) -> tuple[str, Fault] | None:
    # Injected faults come first; the dice are thrown only for calls without one.
    scripted = context.state.pop_fault(operation)
    return (SCRIPTED, scripted) if scripted is not None else context.load.roll_fault()


async def _backend(
    request: web.Request,
    context: Context,
    operation: AnyOperation,
    behaviour: Behaviour,
    raw: bytes,
) -> Answer:
    delay = context.load.latency()
    if delay > 0:
        await asyncio.sleep(delay)
    picked = _pick_fault(context, operation.name)
    if picked is not None:
        kind, fault = picked
        context.state.stats.faults[kind] += 1
        faulted = await apply_fault(request, fault)
        if faulted is not None:
            return faulted
    content_type = request.headers.get("Content-Type", "")
    allow_hosts = context.config.url_allow_hosts
    response = await process(behaviour, raw, content_type, allow_hosts, context.engine)
    return response, response.status, None


async def handle_stats(request: web.Request) -> web.StreamResponse:
    """``GET /_emulator/stats``: the counters as JSON (no authentication)."""
    return json_response(request.app[CONTEXT].state.stats.as_dict())


async def handle_reset(request: web.Request) -> web.StreamResponse:
    """``POST /_emulator/stats/reset``: zero the counters and answer them (no authentication)."""
    stats = request.app[CONTEXT].state.stats
    stats.reset()
    return json_response(stats.as_dict())


async def handle_not_found(request: web.Request) -> web.StreamResponse:
    """Any other path or method: the gateway's APIG.0101."""
    return error_response(404, "APIG.0101")
