"""Request handlers: IAM tokens, one handler per operation, statistics and the catch-all 404."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from aiohttp import web

from aiocloudocr.emulator._auth import authenticate, check_project
from aiocloudocr.emulator._behaviours import Behaviour
from aiocloudocr.emulator._config import EmulatorConfig
from aiocloudocr.emulator._errors import ApiError, error_response, json_response
from aiocloudocr.emulator._faults import Fault
from aiocloudocr.emulator._iam import (
    IamError,
    check_scope,
    find_user,
    parse_request,
    token_response,
)
from aiocloudocr.emulator._images import (
    SERVICE_CODES,
    ServiceCodes,
    check_url,
    decode_base64,
    fetch_url,
    image_source,
    inspect_image,
)
from aiocloudocr.emulator._state import DROPPED, IAM, EmulatorState
from aiocloudocr.images import MB
from aiocloudocr.operations import AnyOperation

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Answer = tuple[web.StreamResponse, int, "str | None"]
"""A response with the status and error code to record for it."""

MAX_BODY_BYTES = 10 * MB


@attrs.frozen(kw_only=True)
class Context:
    """What every handler needs, stored on the application."""

    config: EmulatorConfig
    state: EmulatorState
    accepted_projects: frozenset[str]


CONTEXT = web.AppKey("aiocloudocr.emulator.context", Context)


def _seconds(value: float) -> str:
    # Whole seconds as HTTP writes them; fractions are kept so tests need not wait long.
    return f"{value:g}"


async def apply_fault(request: web.Request, fault: Fault) -> Answer | None:
    """Stall, then drop or answer the scripted error; ``None`` to go on normally."""
    if fault.stall > 0:
        await asyncio.sleep(fault.stall)
    if fault.drop:
        if request.transport is not None:
            request.transport.close()
        # Nothing reaches the client: aiohttp finds the transport closed and gives up.
        return web.Response(status=500), DROPPED, None
    if fault.status is None:
        return None
    response = error_response(fault.status, fault.code, fault.message)
    if fault.retry_after is not None:
        response.headers["Retry-After"] = _seconds(fault.retry_after)
    return response, fault.status, fault.code


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
    """The handler serving ``operation``: auth, project, faults, then the behaviour."""
    codes = SERVICE_CODES[operation.service]

    async def handle(request: web.Request) -> web.StreamResponse:
        """Serve one call to the operation, holding an in-flight slot throughout."""
        state = request.app[CONTEXT].state
        with state.in_flight(operation.name):
            response, status, code = await _answer(request, operation, behaviour, codes)
        state.record(operation.name, status, code)
        return response

    return handle


async def _answer(
    request: web.Request, operation: AnyOperation, behaviour: Behaviour, codes: ServiceCodes
) -> Answer:
    context = request.app[CONTEXT]
    if context.config.latency > 0:
        await asyncio.sleep(context.config.latency)
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
            config=context.config,
            state=context.state,
        )
        check_project(request.match_info.get("project_id"), principal, context.accepted_projects)
        fault = context.state.pop_fault(operation.name)
        if fault is not None:
            faulted = await apply_fault(request, fault)
            if faulted is not None:
                return faulted
        payload = await _process(raw, context, operation, behaviour, codes)
    except ApiError as exc:
        return exc.response(), exc.status, exc.code
    return json_response(payload), 200, None


async def _process(
    raw: bytes,
    context: Context,
    operation: AnyOperation,
    behaviour: Behaviour,
    codes: ServiceCodes,
) -> dict[str, Any]:
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(400, "ModelArts.4104")
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "ModelArts.4105") from None
    if not isinstance(body, dict):
        raise ApiError(400, "ModelArts.4105")
    source = image_source(body, codes)
    # Cheap field checks first: a bad option must not cost a download.
    behaviour.check(body, codes)
    limits = operation.limits
    if source.url is not None:
        url = check_url(source.url, context.config.url_allow_hosts)
        data = await fetch_url(url) if limits is None else await fetch_url(url, limits.max_bytes)
    else:
        assert source.image is not None
        data = decode_base64(source.image, codes)
    return behaviour.answer(body, inspect_image(data, limits, codes))


async def handle_stats(request: web.Request) -> web.StreamResponse:
    """``GET /_emulator/stats``: the counters as JSON (no authentication)."""
    return json_response(request.app[CONTEXT].state.stats.as_dict())


async def handle_not_found(request: web.Request) -> web.StreamResponse:
    """Any other path or method: the gateway's APIG.0101."""
    return error_response(404, "APIG.0101")
