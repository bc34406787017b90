"""aiocloudocr: an asyncio-native client for the cloud OCR and Image Recognition APIs."""

from aiocloudocr._version import __version__
from aiocloudocr.auth.credentials import (
    AkSkCredentials,
    Credentials,
    PasswordCredentials,
    TokenCredentials,
    credentials_from_env,
)
from aiocloudocr.client import Client
from aiocloudocr.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    CloudOcrError,
    ConfigurationError,
    ConnectError,
    ImageError,
    InvalidResponseError,
    NotFoundError,
    NotSubscribedError,
    PermissionDeniedError,
    RequestTimeout,
    ServerError,
    ThrottledError,
    TransportError,
    URLFetchError,
    ValidationError,
)
from aiocloudocr.models._base import ResponseMeta
from aiocloudocr.operations import OPERATIONS, Operation, get_operation
from aiocloudocr.retry import NO_RETRY, RetryPolicy

__all__ = [
    "NO_RETRY",
    "OPERATIONS",
    "APIError",
    "AkSkCredentials",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "CloudOcrError",
    "ConfigurationError",
    "ConnectError",
    "Credentials",
    "ImageError",
    "InvalidResponseError",
    "NotFoundError",
    "NotSubscribedError",
    "Operation",
    "PasswordCredentials",
    "PermissionDeniedError",
    "RequestTimeout",
    "ResponseMeta",
    "RetryPolicy",
    "ServerError",
    "ThrottledError",
    "TokenCredentials",
    "TransportError",
    "URLFetchError",
    "ValidationError",
    "__version__",
    "credentials_from_env",
    "get_operation",
]
