"""A small IAM client: password tokens and project ids, on the client's own transport.

It has its own pipeline (retries and the one answer boundary, no wire-slot bound: an attempt
of the main pipeline may wait on a token while holding a slot), so nothing here calls back
into :class:`aiocloudocr.Client`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import attrs
from yarl import URL

from aiocloudocr._pipeline import Call, Pipeline
from aiocloudocr.auth.credentials import PasswordCredentials
from aiocloudocr.auth.iam import (
    PROJECTS_PATH,
    TOKEN_PATH,
    IssuedToken,
    parse_token_response,
    token_request_body,
)
from aiocloudocr.errors import APIError, AuthenticationError, ConfigurationError

JSON_CONTENT_TYPE = "application/json;charset=utf-8"


@attrs.define
class IamClient:
    """Issues password tokens and looks up project ids; remembers a refused password."""

    _pipeline: Pipeline
    _endpoint: URL | None
    _refused: APIError | None = attrs.field(default=None, init=False)

    def _iam_endpoint(self) -> URL:
        if self._endpoint is None:
            raise ConfigurationError(
                "no IAM endpoint: pass region= or endpoints={'iam': ...} "
                "(environment: HUAWEICLOUD_SDK_REGION or HUAWEICLOUD_SDK_IAM_ENDPOINT)"
            )
        return self._endpoint

    async def issue_token(self, credentials: PasswordCredentials, *, now: float) -> IssuedToken:
        """Log in with the password; after IAM refused it once, raise that refusal again.

        IAM locks a user after repeated failed logins, so a wrong password is tried once per
        client, not once per call.
        """
        if self._refused is not None:
            raise copy.copy(self._refused)
        call = Call(
            operation="iam_token",
            service="iam",
            method="POST",
            endpoint=self._iam_endpoint(),
            path=TOKEN_PATH,
            body=token_request_body(credentials),
            headers={"Content-Type": JSON_CONTENT_TYPE},
            authenticate=False,
        )
        try:
            delivery = await self._pipeline.send(call)
        except APIError as error:
            if isinstance(error, AuthenticationError) or error.status in (400, 401, 403):
                self._refused = error
            raise
        return parse_token_response(
            delivery.response.headers,
            delivery.response.body,
            received_at=now,
            request_id=delivery.request_id,
        )

    async def find_project_id(self, region: str) -> str:
        """The id of the project named after ``region`` (signed ``GET /v3/projects``)."""
        call = Call(
            operation="iam_projects",
            service="iam",
            method="GET",
            endpoint=self._iam_endpoint(),
            path=PROJECTS_PATH,
            query=(("name", region),),
        )
        delivery = await self._pipeline.send(call)
        try:
            payload: Any = json.loads(delivery.response.body)
            return str(payload["projects"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError, RecursionError):
            raise ConfigurationError(
                f"IAM lists no project named {region!r} for this access key: pass "
                "project_id= or set HUAWEICLOUD_SDK_PROJECT_ID"
            ) from None
