"""Region -> endpoint tables for the ``ocr``, ``image`` and ``iam`` services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from aiocloudocr.errors import ConfigurationError

ServiceName = Literal["ocr", "image", "iam"]
SERVICES: tuple[ServiceName, ...] = ("ocr", "image", "iam")

_G42_REGIONS = frozenset({"ae-ad-1"})

OCR_REGIONS: tuple[str, ...] = (
    "cn-north-4",
    "cn-south-1",
    "cn-east-3",
    "cn-north-1",
    "ap-southeast-2",
    "cn-southwest-2",
    "ap-southeast-1",
    "ap-southeast-3",
    "la-south-2",
    "af-south-1",
    "la-north-2",
    "ae-ad-1",
)
IMAGE_REGIONS: tuple[str, ...] = (
    "cn-north-4",
    "cn-north-1",
    "ap-southeast-1",
    "ap-southeast-3",
    "cn-east-3",
)
# IAM is present in every region that hosts either service.
IAM_REGIONS: tuple[str, ...] = tuple(dict.fromkeys(OCR_REGIONS + IMAGE_REGIONS))

_REGIONS: Mapping[ServiceName, tuple[str, ...]] = {
    "ocr": OCR_REGIONS,
    "image": IMAGE_REGIONS,
    "iam": IAM_REGIONS,
}


def endpoint_for(service: ServiceName, region: str) -> str:
    """Return the HTTPS endpoint of ``service`` in ``region``."""
    known = _REGIONS.get(service)
    if known is None:
        raise ConfigurationError(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
    if region not in known:
        raise ConfigurationError(
            f"the {service} service has no endpoint in region {region!r}; known regions: "
            f"{', '.join(known)}. For another region or a local emulator pass "
            f"endpoint= (or endpoints={{{service!r}: url}})"
        )
    domain = "g42cloud.com" if region in _G42_REGIONS else "myhuaweicloud.com"
    return f"https://{service}.{region}.{domain}"
