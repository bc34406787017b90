"""The official SDK (huaweicloudsdkocr v1) configured against the emulator as a user would.

Imported lazily: the SDK is only in the ``bench`` extra. Its modules carry no type hints, so
they are reached through ``importlib`` as ``Any``.
"""

from __future__ import annotations

import base64
import importlib
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from typing import Any

from aiocloudocr.emulator import DEFAULT_KEY_PAIR, DEFAULT_PROJECT_ID
from benchmarks.runners import WARMUP, Meter, RunResult

ASYNC_WINDOW = 64
"""Async-client calls kept submitted at once: above its 8 worker threads, so it never waits
on us, yet 1,000 queued 133 KB bodies are not all held at the same time."""

RETRIES = 10
"""``with_retry``'s ``max_retries`` in the retrying variant: the most the SDK allows."""

CONFIGURATION = """\
huaweicloudsdkcore/huaweicloudsdkocr {version}; HttpConfig.get_default_config() with
pool_maxsize = threads (64 / 256: one pooled connection per caller thread; 10 for the async
client), ignore_ssl_verification = True (plain http on loopback), timeout (60, 120) and
retry_times 0 as they come; BasicCredentials(ak, sk, project_id); with_endpoints([emulator
URL]); session.trust_env = False (no *_PROXY may reroute loopback). Logging off, as it comes:
no with_stream_log/with_file_log, so its logger has no handler and does not propagate (its
default HttpHandler still formats an INFO access line per response, which is then dropped).
The sync OcrClient is shared by a ThreadPoolExecutor(threads) (pool.map); every call also
hands its signing to the client's internal ThreadPoolExecutor(8). No with_retry (a throttled
POST is not retried; the retrying variant in (c) uses with_retry(429 or 5xx, 10,
EQUAL_JITTER)). The async OcrAsyncClient runs on that same internal pool of 8 threads, so at
most 8 requests are in flight."""


def configuration() -> str:
    """How the SDK is configured here, as one paragraph for the report."""
    try:
        version = metadata.version("huaweicloudsdkocr")
    except metadata.PackageNotFoundError:
        version = "(not installed)"
    return " ".join(CONFIGURATION.format(version=version).split())


def available() -> bool:
    """Whether the official SDK is installed."""
    try:
        importlib.import_module("huaweicloudsdkocr.v1")
    except ImportError:
        return False
    return True


def _modules() -> tuple[Any, Any, Any]:
    core_auth = importlib.import_module("huaweicloudsdkcore.auth.credentials")
    http_config = importlib.import_module("huaweicloudsdkcore.http.http_config")
    ocr = importlib.import_module("huaweicloudsdkocr.v1")
    return core_auth, http_config, ocr


def build_client(url: str, *, asynchronous: bool, pool_size: int = 10) -> Any:
    """An OcrClient / OcrAsyncClient with AK/SK, the project id and ``url`` as its endpoint.

    ``pool_size`` is the urllib3 connection pool (``HttpConfig.pool_maxsize``): sized to the
    thread count, or threads beyond the default 10 would open and drop a connection per call.
    """
    core_auth, http_config, ocr = _modules()
    config = http_config.HttpConfig.get_default_config()
    config.ignore_ssl_verification = True  # plain http to loopback; no certificate to verify
    config.pool_maxsize = pool_size
    credentials = core_auth.BasicCredentials(
        DEFAULT_KEY_PAIR.ak, DEFAULT_KEY_PAIR.sk, DEFAULT_PROJECT_ID
    )
    kind = ocr.OcrAsyncClient if asynchronous else ocr.OcrClient
    client = (
        kind.new_builder()
        .with_http_config(config)
        .with_credentials(credentials)
        .with_endpoints([url])
        .build()
    )
    # requests would otherwise honour *_PROXY variables; the emulator is on loopback only.
    client.get_http_client()._session.trust_env = False
    return client


def close_client(client: Any) -> None:
    """Close the SDK client's HTTP session and its internal thread pool."""
    http = client.get_http_client()
    http.close()
    http.executor.shutdown(wait=True)


def _request(image: bytes) -> Any:
    ocr = importlib.import_module("huaweicloudsdkocr.v1")
    body = ocr.WebImageRequestBody(image=base64.b64encode(image).decode())
    return ocr.RecognizeWebImageRequest(body=body)


def _retrying(call: Any) -> Any:
    """``call`` with the SDK's opt-in retry: throttled (429) and 5xx answers, up to RETRIES."""
    core = importlib.import_module("huaweicloudsdkcore.exceptions.exceptions")
    backoff = importlib.import_module("huaweicloudsdkcore.retry.backoff_strategy")

    def retry_when(response: Any, error: Any) -> bool:
        status = getattr(error, "status_code", None)
        return isinstance(error, core.ServiceResponseException) and (
            status == 429 or (status or 0) >= 500
        )

    return call.with_retry(retry_when, RETRIES, backoff.BackoffStrategies.EQUAL_JITTER)


def run_sdk_threads(
    url: str,
    images: Sequence[bytes],
    *,
    threads: int,
    warmup: int = WARMUP,
    retry: bool = False,
) -> RunResult:
    """The synchronous OcrClient, shared by a ThreadPoolExecutor of ``threads`` threads."""
    client = build_client(url, asynchronous=False, pool_size=threads)

    def one(image: bytes) -> bool:
        try:
            if retry:
                _retrying(client.recognize_web_image_invoker(_request(image))).invoke()
            else:
                client.recognize_web_image(_request(image))
        except Exception:  # the SDK raises its own exception tree; a failure is a failure
            return False
        return True

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(one, images[:warmup]))
            meter = Meter()
            meter.start()
            ok = sum(pool.map(one, images))
            meter.stop()
    finally:
        close_client(client)
    name = f"SDK sync, {threads} threads" + (", with_retry" if retry else "")
    return meter.result(name, threads, len(images), ok)


def run_sdk_async(url: str, images: Sequence[bytes], *, warmup: int = WARMUP) -> RunResult:
    """The OcrAsyncClient as it comes (its own ThreadPoolExecutor(8)); futures awaited in order."""
    client = build_client(url, asynchronous=True)

    def drain(futures: deque[Any], keep: int, tally: Callable[[bool], None]) -> None:
        while len(futures) > keep:
            try:
                futures.popleft().result()
            except Exception:
                tally(False)
            else:
                tally(True)

    counts = {True: 0, False: 0}

    def tally(ok: bool) -> None:
        counts[ok] += 1

    try:
        pending: deque[Any] = deque()
        for image in images[:warmup]:
            pending.append(client.recognize_web_image_async(_request(image)))
        drain(pending, 0, lambda ok: None)
        meter = Meter()
        meter.start()
        for image in images:
            pending.append(client.recognize_web_image_async(_request(image)))
            drain(pending, ASYNC_WINDOW, tally)
        drain(pending, 0, tally)
        meter.stop()
    finally:
        close_client(client)
    return meter.result("SDK async (8 workers)", 8, len(images), counts[True])
