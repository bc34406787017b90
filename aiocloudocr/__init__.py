"""aiocloudocr: an asyncio-native client for the cloud OCR and Image Recognition APIs."""

from aiocloudocr._batch import BatchRun, MapStats, Outcome
from aiocloudocr._client import Client
from aiocloudocr._config import ClientConfig
from aiocloudocr._hooks import RequestInfo, ResponseInfo
from aiocloudocr._http import HttpRequest, HttpResponse, Transport
from aiocloudocr._images import ImageLimits, ImageSource
from aiocloudocr._limiter import AdaptiveLimiter, Limiter, LimiterState
from aiocloudocr._transport import AiohttpTransport
from aiocloudocr._version import __version__
from aiocloudocr.auth.credentials import (
    AkSkCredentials,
    Credentials,
    PasswordCredentials,
    TokenCredentials,
    credentials_from_env,
)
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
    RunAbortedError,
    ServerError,
    ThrottledError,
    TransportError,
    URLFetchError,
    ValidationError,
)
from aiocloudocr.models._base import ResponseMeta, Result
from aiocloudocr.models.bank_card import BankCardRequest, BankCardResult
from aiocloudocr.models.bgm_recognition import BgmRecognitionRequest, BgmRecognitionResult
from aiocloudocr.models.emirates_id_card import EmiratesIdCardRequest, EmiratesIdCardResult
from aiocloudocr.models.image_tagging import ImageTaggingRequest, ImageTaggingResult
from aiocloudocr.models.image_tagging_v1 import ImageTaggingV1Request, ImageTaggingV1Result
from aiocloudocr.models.myanmar_id_card import MyanmarIdCardRequest, MyanmarIdCardResult
from aiocloudocr.models.passport import PassportRequest, PassportResult
from aiocloudocr.models.thailand_id_card import ThailandIdCardRequest, ThailandIdCardResult
from aiocloudocr.models.vision_v1 import (
    DarkEnhanceRequest,
    DefogRequest,
    EnhancedImageResult,
    SuperResolutionRequest,
)
from aiocloudocr.models.web_image import WebImageRequest, WebImageResult
from aiocloudocr.operations import OPERATIONS, Operation, get_operation
from aiocloudocr.retry import NO_RETRY, RetryPolicy

__all__ = [
    "NO_RETRY",
    "OPERATIONS",
    "APIError",
    "AdaptiveLimiter",
    "AiohttpTransport",
    "AkSkCredentials",
    "AuthenticationError",
    "BadRequestError",
    "BankCardRequest",
    "BankCardResult",
    "BatchRun",
    "BgmRecognitionRequest",
    "BgmRecognitionResult",
    "Client",
    "ClientConfig",
    "CloudOcrError",
    "ConfigurationError",
    "ConnectError",
    "Credentials",
    "DarkEnhanceRequest",
    "DefogRequest",
    "EmiratesIdCardRequest",
    "EmiratesIdCardResult",
    "EnhancedImageResult",
    "HttpRequest",
    "HttpResponse",
    "ImageError",
    "ImageLimits",
    "ImageSource",
    "ImageTaggingRequest",
    "ImageTaggingResult",
    "ImageTaggingV1Request",
    "ImageTaggingV1Result",
    "InvalidResponseError",
    "Limiter",
    "LimiterState",
    "MapStats",
    "MyanmarIdCardRequest",
    "MyanmarIdCardResult",
    "NotFoundError",
    "NotSubscribedError",
    "Operation",
    "Outcome",
    "PassportRequest",
    "PassportResult",
    "PasswordCredentials",
    "PermissionDeniedError",
    "RequestInfo",
    "RequestTimeout",
    "ResponseInfo",
    "ResponseMeta",
    "Result",
    "RetryPolicy",
    "RunAbortedError",
    "ServerError",
    "SuperResolutionRequest",
    "ThailandIdCardRequest",
    "ThailandIdCardResult",
    "ThrottledError",
    "TokenCredentials",
    "Transport",
    "TransportError",
    "URLFetchError",
    "ValidationError",
    "WebImageRequest",
    "WebImageResult",
    "__version__",
    "credentials_from_env",
    "get_operation",
]
