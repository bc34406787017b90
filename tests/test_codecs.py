"""The hot path's base64 and CRC-32: SIMD libraries when installed, the stdlib otherwise,
with the same bytes either way."""

from __future__ import annotations

import base64
import binascii
import importlib
import sys
import zlib

import pytest

import aiocloudocr._codecs as codecs

# A few shapes that exercise padding and the SIMD libraries' block boundaries.
SAMPLES = [b"", b"f", b"fo", b"foo", bytes(range(256)) * 41, b"\xff" * 100_003]


@pytest.mark.parametrize("data", SAMPLES, ids=lambda d: f"{len(d)}B")
def test_same_bytes_as_the_standard_library(data: bytes) -> None:
    """Encoding, decoding and CRC-32 agree with base64 and zlib (RFC 4648, ISO-HDLC CRC)."""
    encoded = codecs.b64encode(data)
    assert encoded == base64.b64encode(data)
    assert codecs.b64decode(encoded, validate=True) == data
    assert codecs.crc32(data) == zlib.crc32(data)


def test_invalid_base64_raises_what_the_standard_library_raises() -> None:
    """The callers catch binascii.Error: the fast decoder raises it for bad text too."""
    with pytest.raises(binascii.Error):
        codecs.b64decode("not base64!", validate=True)
    with pytest.raises(binascii.Error):
        codecs.b64decode("abc", validate=True)  # bad padding


def test_without_the_fast_libraries_the_standard_library_serves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A platform without pybase64 or zlib-ng wheels still works, on the stdlib."""
    monkeypatch.setitem(sys.modules, "pybase64", None)
    monkeypatch.setitem(sys.modules, "zlib_ng", None)
    monkeypatch.setitem(sys.modules, "zlib_ng.zlib_ng", None)
    try:
        fallback = importlib.reload(codecs)
        assert fallback.b64encode is base64.b64encode
        assert fallback.crc32 is zlib.crc32
        assert fallback.b64encode(b"foo") == b"Zm9v"
    finally:
        monkeypatch.undo()
        importlib.reload(codecs)
