"""Region -> endpoint tables and endpoint overrides."""

from __future__ import annotations

import pytest

from aiocloudocr import Client, ConfigurationError, TokenCredentials
from aiocloudocr.regions import IMAGE_REGIONS, OCR_REGIONS, endpoint_for

CREDS = TokenCredentials(token="t" * 32)


@pytest.mark.parametrize("region", OCR_REGIONS)
def test_ocr_endpoints(region: str) -> None:
    """Every OCR region has its documented endpoint (ae-ad-1 on g42cloud.com)."""
    domain = "g42cloud.com" if region == "ae-ad-1" else "myhuaweicloud.com"
    assert endpoint_for("ocr", region) == f"https://ocr.{region}.{domain}"


@pytest.mark.parametrize("region", IMAGE_REGIONS)
def test_image_endpoints(region: str) -> None:
    """Every Image Recognition region has its documented endpoint."""
    assert endpoint_for("image", region) == f"https://image.{region}.myhuaweicloud.com"


def test_iam_endpoint_for_uae() -> None:
    """IAM for ae-ad-1 lives on g42cloud.com."""
    assert endpoint_for("iam", "ae-ad-1") == "https://iam.ae-ad-1.g42cloud.com"


def test_service_missing_in_region_lists_known_regions() -> None:
    """Asking for Image Recognition in an OCR-only region names the regions that have it."""
    with pytest.raises(ConfigurationError) as info:
        endpoint_for("image", "la-south-2")
    assert "cn-north-4" in str(info.value) and "endpoint" in str(info.value)


def test_unknown_region_is_rejected_by_client() -> None:
    """An unknown region fails at construction with the known regions listed."""
    with pytest.raises(ConfigurationError, match=r"unknown region .mars-1.*ap-southeast-1"):
        Client(CREDS, region="mars-1")


async def test_endpoint_override_serves_all_services() -> None:
    """One endpoint override (e.g. the emulator) serves ocr, image and iam."""
    async with Client(CREDS, endpoint="http://127.0.0.1:8080", project_id="p") as client:
        for service in ("ocr", "image", "iam"):
            assert str(client.endpoint(service)) == "http://127.0.0.1:8080/"


async def test_per_service_override_wins_over_region() -> None:
    """endpoints= overrides one service and leaves the others on the region table."""
    async with Client(
        CREDS, region="cn-south-1", endpoints={"ocr": "https://ocr.internal:8443"}
    ) as client:
        assert str(client.endpoint("ocr")) == "https://ocr.internal:8443/"
        assert str(client.endpoint("iam")) == "https://iam.cn-south-1.myhuaweicloud.com/"
        with pytest.raises(ConfigurationError, match="no endpoint in region 'cn-south-1'"):
            client.endpoint("image")


@pytest.mark.parametrize("bad", ["ftp://x", "not a url", "127.0.0.1:8080"])
def test_bad_endpoint_is_rejected(bad: str) -> None:
    """Endpoints must be http(s) URLs."""
    with pytest.raises(ConfigurationError, match="must be an http"):
        Client(CREDS, endpoint=bad)


def test_no_region_no_endpoint() -> None:
    """Without a region or an endpoint there is nowhere to send requests."""
    with pytest.raises(ConfigurationError, match="pass region="):
        Client(CREDS)
