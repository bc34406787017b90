"""Request validation: bad values fail before sending, naming the field, with AIS.0101."""

from __future__ import annotations

from typing import Any

import pytest

from aiocloudocr import ValidationError
from aiocloudocr.models.bank_card import BankCardRequest
from aiocloudocr.models.bgm_recognition import BgmRecognitionRequest
from aiocloudocr.models.converter import request_body
from aiocloudocr.models.emirates_id_card import EmiratesIdCardRequest
from aiocloudocr.models.image_tagging_v1 import ImageTaggingV1Request
from aiocloudocr.models.myanmar_id_card import MyanmarIdCardRequest
from aiocloudocr.models.passport import PassportRequest
from aiocloudocr.models.thailand_id_card import ThailandIdCardRequest
from aiocloudocr.models.vision_v1 import DarkEnhanceRequest, DefogRequest, SuperResolutionRequest

URL = "https://bucket.obs.example.com/object.jpg"
IMAGE = "/9j/4AAQSkZJRg=="

# Requests that take exactly one of image and url.
DUAL_SOURCE: list[type[Any]] = [
    ThailandIdCardRequest,
    MyanmarIdCardRequest,
    PassportRequest,
    EmiratesIdCardRequest,
    BankCardRequest,
    ImageTaggingV1Request,
]
IMAGE_ONLY: list[type[Any]] = [DarkEnhanceRequest, DefogRequest, SuperResolutionRequest]

BOOL_BAD = ("true", 1, 0, "yes")
# (request type, field, values that must be refused, values that must be accepted)
CONSTRAINED: list[tuple[type[Any], str, tuple[Any, ...], tuple[Any, ...]]] = [
    # Seed 001: an empty side means "recognise the side automatically".
    (ThailandIdCardRequest, "side", ("FRONT", "left", 1), ("front", "back", "")),
    (ThailandIdCardRequest, "return_portrait_image", BOOL_BAD, (True, False)),
    (ThailandIdCardRequest, "return_portrait_location", BOOL_BAD, (True, False)),
    (ThailandIdCardRequest, "return_idcard_type", BOOL_BAD, (True, False)),
    (ThailandIdCardRequest, "return_text_location", BOOL_BAD, (True, False)),
    (MyanmarIdCardRequest, "convert_unicode", BOOL_BAD, (True, False)),
    (MyanmarIdCardRequest, "return_confidence", BOOL_BAD, (True, False)),
    (MyanmarIdCardRequest, "return_portrait_image", BOOL_BAD, (True, False)),
    (MyanmarIdCardRequest, "return_portrait_location", BOOL_BAD, (True, False)),
    (MyanmarIdCardRequest, "return_idcard_type", BOOL_BAD, (True, False)),
    (MyanmarIdCardRequest, "return_translation", BOOL_BAD, (True, False)),
    (PassportRequest, "country_code", ("CN", "general", "USA", ""), ("GENERAL", "CHN")),
    # Seed 002, Table 3-9: an empty side means "recognise the side automatically".
    (EmiratesIdCardRequest, "side", ("Front", "both", 1), ("front", "back", "")),
    (BankCardRequest, "return_text_location", BOOL_BAD, (True, False)),
    (ImageTaggingV1Request, "language", ("fr", "ZH", ""), ("zh", "en")),
    # Seed 003, 7.1.1: a threshold beyond 0-100 makes the service use its default, so any
    # finite number goes; a non-number is no Float and NaN/infinity have no JSON form.
    (
        ImageTaggingV1Request,
        "threshold",
        ("60", True, float("nan"), float("inf"), -float("inf")),
        (0, 60.0, 100, -0.1, 100.5, 250, -1),
    ),
    (ImageTaggingV1Request, "limit", (0, -1, 5.0, "5", True), (1, 30, 500)),
    (DarkEnhanceRequest, "brightness", (-0.01, 1.01, "0.9", False), (0, 0.9, 1)),
    (DefogRequest, "gamma", (0.05, 10.5, 0, "1.5"), (0.1, 1.5, 10)),
    (DefogRequest, "natural_look", BOOL_BAD, (True, False)),
    (SuperResolutionRequest, "scale", (2, 5, 3.0, "3", True), (3, 4)),
    (SuperResolutionRequest, "model", ("espcn", "FSRCNN", ""), ("ESPCN", "SRCNN")),
]


def source_for(request_type: type[Any]) -> dict[str, str]:
    return {"image": IMAGE} if request_type in IMAGE_ONLY else {"url": URL}


def refused_cases() -> list[Any]:
    return [
        pytest.param(cls, field, value, id=f"{cls.__name__}.{field}={value!r}")
        for cls, field, refused, _ in CONSTRAINED
        for value in refused
    ]


def accepted_cases() -> list[Any]:
    return [
        pytest.param(cls, field, value, id=f"{cls.__name__}.{field}={value!r}")
        for cls, field, _, accepted in CONSTRAINED
        for value in accepted
    ]


@pytest.mark.parametrize(("request_type", "field", "value"), refused_cases())
def test_bad_values_are_refused(request_type: type[Any], field: str, value: Any) -> None:
    """A value outside the documented ones raises ValidationError for that field."""
    with pytest.raises(ValidationError) as caught:
        request_type(**source_for(request_type), **{field: value})
    assert caught.value.field == field
    assert caught.value.code == "AIS.0101"


@pytest.mark.parametrize(("request_type", "field", "value"), accepted_cases())
def test_documented_values_are_sent(request_type: type[Any], field: str, value: Any) -> None:
    """A documented value is accepted and sent as given."""
    body = request_body(request_type(**source_for(request_type), **{field: value}))
    assert body[field] == value
    assert type(body[field]) is type(value)


@pytest.mark.parametrize("request_type", DUAL_SOURCE)
@pytest.mark.parametrize(
    "sources",
    [{}, {"image": IMAGE, "url": URL}, {"image": "", "url": ""}, {"image": None, "url": ""}],
    ids=["neither", "both", "both empty", "empty url only"],
)
def test_exactly_one_source(request_type: type[Any], sources: dict[str, Any]) -> None:
    """Neither or both of image and url is refused, naming image."""
    with pytest.raises(ValidationError) as caught:
        request_type(**sources)
    assert (caught.value.field, caught.value.code) == ("image", "AIS.0101")


@pytest.mark.parametrize("request_type", DUAL_SOURCE)
def test_empty_url_beside_an_image_is_sent(request_type: type[Any]) -> None:
    """An explicit empty url is not a source, yet it is sent as the docs' examples do."""
    assert request_body(request_type(image=IMAGE, url="")) == {"image": IMAGE, "url": ""}
    assert request_body(request_type(image="", url=URL)) == {"image": "", "url": URL}


@pytest.mark.parametrize("request_type", DUAL_SOURCE)
def test_unset_fields_are_not_sent(request_type: type[Any]) -> None:
    """Fields left at None are left out of the body."""
    assert request_body(request_type(url=URL)) == {"url": URL}
    assert request_body(request_type(image=IMAGE)) == {"image": IMAGE}


@pytest.mark.parametrize("request_type", IMAGE_ONLY)
def test_image_only_requests_need_an_image(request_type: type[Any]) -> None:
    """The v1 vision requests refuse an empty image and have no url field."""
    assert request_body(request_type(image=IMAGE)) == {"image": IMAGE}
    with pytest.raises(ValidationError) as caught:
        request_type(image="")
    assert (caught.value.field, caught.value.code) == ("image", "AIS.0101")
    with pytest.raises(TypeError):
        request_type(image=IMAGE, url=URL)


def test_bgm_needs_a_url() -> None:
    """BGM recognition takes a non-empty video url and nothing else."""
    assert request_body(BgmRecognitionRequest(url=URL)) == {"url": URL}
    with pytest.raises(ValidationError) as caught:
        BgmRecognitionRequest(url="")
    assert (caught.value.field, caught.value.code) == ("url", "AIS.0101")
    with pytest.raises(TypeError):
        BgmRecognitionRequest(url=URL, image=IMAGE)  # type: ignore[call-arg]


def test_image_is_not_in_repr() -> None:
    """Base64 image text is kept out of reprs; the url stays visible."""
    request = PassportRequest(image=IMAGE, url="")
    assert IMAGE not in repr(request)
    assert IMAGE not in repr(DefogRequest(image=IMAGE, gamma=2))


@pytest.mark.parametrize("request_type", DUAL_SOURCE)
def test_empty_image_says_so(request_type: type[Any]) -> None:
    """An empty image with no url is reported as an empty image, not as a missing source."""
    with pytest.raises(ValidationError, match=r"image is empty \(0 bytes\)") as caught:
        request_type(image="")
    assert (caught.value.field, caught.value.code) == ("image", "AIS.0101")


@pytest.mark.parametrize("request_type", IMAGE_ONLY)
def test_empty_image_says_so_for_image_only_requests(request_type: type[Any]) -> None:
    """The v1 vision requests also report an empty image as empty."""
    with pytest.raises(ValidationError, match=r"image is empty \(0 bytes\)"):
        request_type(image="")
