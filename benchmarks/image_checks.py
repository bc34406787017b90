"""``python -m benchmarks.image_checks [--rounds N]``: the cost of the client-side image checks.

Prints the median microseconds per call of ``check_image`` on a ~100 KB PNG and a ~100 KB
JPEG, with the structural check (the full ``check_image``) and without it (the header
check alone), and of the structural check alone; the variants run in interleaved rounds so
that drift in the machine's speed falls on all of them alike.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import statistics
import time
from collections.abc import Callable, Sequence

from PIL import Image

from aiocloudocr._images import ImageLimits, check_header, check_image, check_structure
from aiocloudocr.operations import WEB_IMAGE
from benchmarks.inputs import noise_png


def noise_jpeg(target_bytes: int, seed: int) -> bytes:
    """A baseline JPEG (quality 90) of random pixels, about ``target_bytes`` long."""
    # Noise at quality 90 takes about 0.95 bytes per pixel.
    side = max(16, math.isqrt(int(target_bytes / 0.95)))
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def per_call_us(call: Callable[[], object], calls: int) -> float:
    """Microseconds per call of ``call``, over ``calls`` calls."""
    start = time.perf_counter_ns()
    for _ in range(calls):
        call()
    return (time.perf_counter_ns() - start) / calls / 1000


def variants(data: bytes, limits: ImageLimits) -> dict[str, Callable[[], object]]:
    """The measured calls for one image."""
    image_format = check_header(data, limits)
    return {
        "header only": lambda: check_header(data, limits),
        "header + structure": lambda: check_image(data, limits),
        "structure only": lambda: check_structure(data, image_format, limits),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Measure and print one line per image and variant."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.image_checks", description=__doc__)
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    parser.add_argument("--calls", type=int, default=500, help="calls per round (default 500)")
    args = parser.parse_args(argv)
    limits = WEB_IMAGE.limits
    assert limits is not None
    images = {"PNG": noise_png(100_000, 1), "JPEG": noise_jpeg(100_000, 1)}
    calls = {
        (name, variant): call
        for name, data in images.items()
        for variant, call in variants(data, limits).items()
    }
    for call in calls.values():  # warm-up: Pillow's plugin registry, caches
        per_call_us(call, 50)
    samples: dict[tuple[str, str], list[float]] = {key: [] for key in calls}
    for _ in range(args.rounds):
        for key, call in calls.items():
            samples[key].append(per_call_us(call, args.calls))
    print(f"median us per call, {args.rounds} interleaved rounds of {args.calls} calls")
    for (name, variant), values in samples.items():
        size = len(images[name]) / 1000
        median = statistics.median(values)
        print(f"{name:4} {size:6.1f} KB  {variant:19} {median:8.1f} us")


if __name__ == "__main__":
    main()
