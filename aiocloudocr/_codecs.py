"""Base64 and CRC-32 for the hot path: the SIMD libraries where installed, else the stdlib.

Encoding the image is the largest CPU cost of a request (the standard library's base64 runs
at ~0.8 GB/s, ~130 us for a 100 KB image; pybase64 at over 50 GB/s), and checking a PNG's
chunk CRCs the next (zlib's crc32 ~16 us per 100 KB; zlib-ng's ~2.5 us). Both are core
dependencies on the platforms they ship wheels for; the results are byte for byte the
standard library's, so the fallback changes speed only.
"""

from __future__ import annotations

try:
    import pybase64 as _base64
except ImportError:  # pragma: no cover - a platform without pybase64 wheels
    import base64 as _base64  # type: ignore[no-redef]

b64encode = _base64.b64encode
b64decode = _base64.b64decode

try:
    from zlib_ng.zlib_ng import crc32
except ImportError:  # pragma: no cover - a platform without zlib-ng wheels
    from zlib import crc32

__all__ = ["b64decode", "b64encode", "crc32"]
