"""The operation table: every entry is complete and consistent with the reference."""

from __future__ import annotations

import attrs
import pytest

import aiocloudocr.operations as operations
from aiocloudocr.models._base import Result
from aiocloudocr.operations import OPERATIONS, AnyOperation

OPS = list(OPERATIONS.values())


def _id(op: AnyOperation) -> str:
    return op.name


def test_table_order() -> None:
    """Operations are registered in the reference's order."""
    assert list(OPERATIONS) == [
        "web_image",
        "image_tagging",
        "thailand_id_card",
        "myanmar_id_card",
        "passport",
        "emirates_id_card",
        "bank_card",
        "image_tagging_v1",
        "dark_enhance",
        "defog",
        "super_resolution",
        "bgm_recognition",
    ]


def test_every_operation_has_a_public_constant() -> None:
    """Each operation is exported under its upper-case name."""
    for op in OPS:
        assert getattr(operations, op.name.upper()) is op
        assert op.name.upper() in operations.__all__


@pytest.mark.parametrize("op", OPS, ids=_id)
def test_types_come_from_models(op: AnyOperation) -> None:
    """Request and result types are frozen attrs classes from aiocloudocr.models."""
    for cls in (op.request_type, op.result_type):
        assert cls.__module__.startswith("aiocloudocr.models.")
        assert attrs.has(cls)
        assert cls.__attrs_attrs__ is not None
    assert issubclass(op.result_type, Result)
    assert op.summary


@pytest.mark.parametrize("op", OPS, ids=_id)
def test_path_and_deprecation(op: AnyOperation) -> None:
    """Paths start with /v, and exactly the /v1.0 APIs are deprecated."""
    assert op.path.startswith("/v")
    assert op.deprecated == op.path.startswith("/v1.0/")
    assert op.needs_project_id == op.path.startswith("/v2/")


@pytest.mark.parametrize("op", OPS, ids=_id)
def test_image_operations_have_limits(op: AnyOperation) -> None:
    """Operations that take an image have limits; the video-only one has none."""
    takes_image = "image" in attrs.fields_dict(op.request_type)
    assert (op.limits is not None) == takes_image
    if op.limits is None:
        return
    assert op.limits.max_bytes == 10 * 1024 * 1024
    assert op.limits.formats <= {"JPEG", "PNG", "BMP", "TIFF", "TGA", "WEBP", "ICO", "PCX", "GIF"}
    assert 1 <= op.limits.min_side < op.limits.max_side
    if op.service == "ocr":
        assert (op.limits.format_code, op.limits.size_code) == ("AIS.0102", "AIS.0103")
    else:
        # The Image service's own table: 05xx for tagging, 02xx for image processing.
        assert op.limits.format_code in ("AIS.0502", "AIS.0202")
        assert op.limits.size_code in ("AIS.0504", "AIS.0205")


def test_frozen_requests() -> None:
    """Request objects cannot be changed after validation."""
    request = OPERATIONS["passport"].request_type(url="https://example.com/p.jpg")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        request.url = "https://example.com/other.jpg"
