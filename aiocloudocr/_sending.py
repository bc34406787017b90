"""From an operation and its body to a typed result: the call a client puts through the
pipeline (headers, project id, limiter) and the result it makes of the answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from aiocloudocr._answers import result_for, visible_headers
from aiocloudocr._config import ClientConfig
from aiocloudocr._http import HttpResponse
from aiocloudocr._limiter import Limiter, shared_limiter
from aiocloudocr._pipeline import Call, Pipeline
from aiocloudocr._requests import merge_headers, warn_deprecated
from aiocloudocr._session import Session
from aiocloudocr.auth.credentials import AkSkCredentials
from aiocloudocr.models._base import ResponseMeta
from aiocloudocr.operations import AnyOperation
from aiocloudocr.regions import ServiceName
from aiocloudocr.retry import RetryPolicy

JSON_CONTENT_TYPE = "application/json;charset=utf-8"
LimiterChoice = Limiter | Callable[[ServiceName], Limiter] | None


@attrs.define
class Sender:
    """One client's configuration applied to calls: what it sends and how it reads answers."""

    config: ClientConfig
    session: Session
    given_limiter: LimiterChoice
    limiters: dict[str, Limiter]
    pipeline: Pipeline = attrs.field(init=False)
    preparing: asyncio.Semaphore = attrs.field(init=False)
    base_headers: dict[str, str] = attrs.field(init=False)
    # AK/SK requests carry the project id in a signed X-Project-Id header.
    signs_project_id: bool = attrs.field(init=False)
    _project_headers: dict[str, dict[str, str]] = attrs.field(factory=dict, init=False)

    def __attrs_post_init__(self) -> None:
        session, config = self.session, self.config
        wire, self.preparing = session.slots_for(config.concurrency)
        self.pipeline = session.pipeline(config, session.authenticator(config), wire)
        self.base_headers = {"Content-Type": JSON_CONTENT_TYPE, **config.headers}
        if config.enterprise_project_id:
            self.base_headers["Enterprise-Project-Id"] = config.enterprise_project_id
        self.signs_project_id = isinstance(config.credentials, AkSkCredentials)

    def _headers_for(self, project_id: str) -> dict[str, str]:
        # Shared by every call to the project (the pipeline copies headers before signing).
        if len(self._project_headers) > 16:
            self._project_headers.clear()
        sent = {**self.base_headers, "X-Project-Id": project_id}
        self._project_headers[project_id] = sent
        return sent

    def limiter(self, service: ServiceName) -> Limiter | None:
        """The given limiter, else the adaptive one shared in-process by key; None when off."""
        limiter = self.limiters.get(service)
        if limiter is not None:
            return limiter
        given = self.given_limiter
        if given is not None:
            limiter = given if isinstance(given, Limiter) else given(service)
        elif self.config.adaptive:
            config = self.config
            key = (config.identity(), str(config.endpoint(service)), self.session.project_id)
            adaptive = shared_limiter(
                key,
                config.concurrency,
                sleep=self.session.sleep,
                initial_concurrency=config.initial_concurrency,
            )
            if config.rate_limit is not None:
                adaptive.assume_rate(*config.rate_limit)
            limiter = adaptive
        else:
            return None
        self.limiters[service] = limiter
        return limiter

    async def send(
        self,
        op: AnyOperation,
        body: bytes,
        *,
        timeout: float | None,
        retry: RetryPolicy | None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send ``op``'s body and return its typed result."""
        if op.deprecated:
            warn_deprecated(op)
        session = self.session
        project_id = session.project_id
        if op.needs_project_id and not project_id:
            project_id = await session.resolve_project_id(self.config)
        if headers is not None:
            sent = merge_headers(self.base_headers, headers)
            if project_id and self.signs_project_id:
                sent = {**sent, "X-Project-Id": project_id}
        elif project_id and self.signs_project_id:
            sent = self._project_headers.get(project_id) or self._headers_for(project_id)
        else:
            sent = self.base_headers
        call = Call(
            operation=op.name,
            service=op.service,
            method=op.method,
            endpoint=self.config.endpoint(op.service),
            path=op.render_path(project_id),
            body=body,
            headers=sent,
            limiter=self.limiter(op.service),
        )
        delivery = await self.pipeline.send(call, policy=retry, timeout=timeout)
        meta = ResponseMeta(
            request_id=delivery.request_id,
            status=delivery.response.status,
            attempts=delivery.attempts,
            elapsed=delivery.elapsed,
            headers=visible_headers(delivery.response.headers, self.pipeline.secrets),
        )
        return result_for(
            result_type=op.result_type,
            body=delivery.response.body,
            meta=meta,
            operation=op.name,
            service=op.service,
        )

    async def send_raw(
        self, call: Call, *, timeout: float | None, retry: RetryPolicy | None
    ) -> HttpResponse:
        """Send a raw call and return its 2xx answer, headers as users may see them."""
        delivery = await self.pipeline.send(call, policy=retry, timeout=timeout)
        response = delivery.response
        return HttpResponse(
            status=response.status,
            headers=visible_headers(response.headers, self.pipeline.secrets),
            body=response.body,
            reason=response.reason,
        )
