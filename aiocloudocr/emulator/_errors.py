"""Error answers in the service's shapes, with the messages of the documented error tables."""

from __future__ import annotations

import json
from functools import partial
from http import HTTPStatus
from typing import Any

from aiohttp import web

# error_msg texts from the OCR table (seed 002) and the Image table (seed 003). Where both
# tables define a code, the OCR wording is kept, because it is what the gateway sends.
MESSAGES: dict[str, str] = {
    "AIS.0002": "The authentication token is abnormal.",
    "AIS.0003": "Failed to complete the request because of an internal service error.",
    "AIS.0004": "The request is unauthorized.",
    "AIS.0011": "The request parameter is missing or left empty.",
    "AIS.0012": "The request parameter is not supported.",
    "AIS.0014": "The JSON format of the input data is incorrect.",
    "AIS.0015": "Base64 decoding of the input data is incorrect.",
    "AIS.0020": "The size of the request body exceeds the upper limit.",
    "AIS.0021": "The requested file type is not supported.",
    "AIS.0023": "The file stored on OBS is oversized.",
    "AIS.0101": "The input parameter is invalid.",
    "AIS.0102": "The image format is not supported.",
    "AIS.0103": "The image size does not meet the requirements.",
    "AIS.0104": "The image is not supported or the image quality is poor.",
    "AIS.0105": "Recognition failed.",
    "AIS.0201": "An exception occurred during the process of obtaining the input image.",
    "AIS.0202": "The image format is not supported.",
    "AIS.0203": "The input parameter does not meet the requirements.",
    "AIS.0204": "The color depth is not supported.",
    "AIS.0205": "The resolution of the image exceeds the upper limit.",
    "AIS.0206": "Algorithm calculation failed.",
    "AIS.0501": "The input parameter is invalid.",
    "AIS.0502": "The image format is not supported.",
    "AIS.0503": "The image is damaged.",
    "AIS.0504": "The image size does not meet requirements.",
    "AIS.0505": "Failed to run the algorithm.",
    "AIS.0506": "An internal error occurred.",
    "APIG.0101": "The API does not exist or has not been published in the environment.",
    "APIG.0201": "Backend timeout.",
    "APIG.0301": "Incorrect IAM authentication information.",
    "APIG.0308": (
        "The throttling threshold has been reached: policy user over ratelimit,limit:XX,"
        "time:1 minute."
    ),
    "ModelArts.0203": "Invalid token.",
    "ModelArts.4101": "Token header cannot be empty.",
    "ModelArts.4102": "Parse Token error.",
    "ModelArts.4103": "Invalid Token header.",
    "ModelArts.4104": "Invalid Request Content Length.",
    "ModelArts.4105": "The JSON format of the input data is incorrect.",
    "ModelArts.4106": "Invalid authorization request.",
    "ModelArts.4107": "Get user temp ak sk error.",
    "ModelArts.4201": "Request url need service id.",
    "ModelArts.4202": "Request url format invalid.",
    "ModelArts.4203": "Access denied! You do not have permission.",
    "ModelArts.4204": "Request api error! The API XXX is not subscribed.",
    "ModelArts.4301": "Have error when get ai-service admin token.",
    "ModelArts.4302": "Gateway forwarding error.",
    "ModelArts.4401": "Max concurrency error.",
    "ModelArts.4402": "Backend service timeout error.",
    "ModelArts.4403": "Backend service unavailable error.",
    "ModelArts.4502": "Backend service response error.",
    "ModelArts.4503": "Backend service found error.",
    "ModelArts.4504": "Backend service api not found.",
    "ModelArts.4505": "Backend service internal error.",
    "ModelArts.4506": "SubService service found error.",
    "ModelArts.4508": "Service not start.",
    "ModelArts.4601": "The URL is not allowed.",
    "ModelArts.4603": "Obtaining the file from the URL failed.",
    "ModelArts.4702": "Query Obs agency failed.",
    "ModelArts.4703": "The Obs URL is invalid.",
    "ModelArts.4704": "Obtaining the file from the OBS failed.",
    "ModelArts.4705": "The file stored on the OBS is oversized.",
    "ModelArts.4706": "The Obs file is not exist.",
}

IAM_PREFIX = "Incorrect IAM authentication information: "

# The service answers JSON in UTF-8 with Chinese text unescaped.
_dumps = partial(json.dumps, ensure_ascii=False)


def default_message(code: str | None, status: int) -> str:
    """The documented error_msg of ``code``, else the HTTP reason phrase of ``status``."""
    if code is not None and code in MESSAGES:
        return MESSAGES[code]
    try:
        return HTTPStatus(status).phrase + "."
    except ValueError:
        return "Emulated fault."


def json_response(payload: Any, *, status: int = 200) -> web.Response:
    """A JSON response encoded like the service's."""
    return web.json_response(payload, status=status, dumps=_dumps)


def error_response(status: int, code: str | None, message: str | None = None) -> web.Response:
    """A gateway-style error: ``{"error_code": ..., "error_msg": ...}``."""
    body = {"error_code": code, "error_msg": message or default_message(code, status)}
    return json_response(body, status=status)


def retry_after_text(seconds: float) -> str:
    """A Retry-After value; fractions are kept so tests need not wait whole seconds."""
    return f"{seconds:g}"


class ApiError(Exception):
    """Raised inside a handler to answer with a service error; becomes the response."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message or default_message(code, status)
        self.retry_after = retry_after
        super().__init__(f"{status} {code}: {self.message}")

    def response(self) -> web.Response:
        """The error as a JSON response (with Retry-After when there is one)."""
        response = error_response(self.status, self.code, self.message)
        if self.retry_after is not None:
            response.headers["Retry-After"] = retry_after_text(self.retry_after)
        return response


def not_subscribed(api: str) -> ApiError:
    """ModelArts.4204 naming the API, as the documented message template has it."""
    return ApiError(400, "ModelArts.4204", f"Request api error! The API {api} is not subscribed.")
