"""What a fault answers: its error JSON, or raw bytes, streamed filler, a gzip bomb, an echo."""

from __future__ import annotations

import asyncio
import functools
import gzip
import itertools
import json
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator

from aiohttp import hdrs, web

from aiocloudocr._images import MB
from aiocloudocr.emulator._errors import default_message, retry_after_text
from aiocloudocr.emulator._faults import Fault

JSON_TYPE = "application/json"
ERROR_JSON_TYPE = "application/json; charset=utf-8"
"""The Content-Type of the emulator's own error answers (what ``web.json_response`` sends)."""
TEXT_TYPE = "text/plain; charset=utf-8"
GZIP_WBITS = 16 + zlib.MAX_WBITS
"""zlib's window bits for a gzip wrapper rather than a zlib one."""

# An unterminated OCR result: JSON to a client that sniffs the start, never a whole document.
FILLER_HEAD = b'{"result":{"words_block_list":['
FILLER_ITEM = b'{"words":"filler","confidence":0.99,"location":[[0,0],[1,0],[1,1],[0,1]]},'
_CHUNK_ITEMS = MB // len(FILLER_ITEM)

CREDENTIAL_HEADERS = ("x-auth-token", "authorization", "x-security-token")
"""Echoed first, in this order, so that the first secret sits right after the lead-in."""


@functools.cache
def _filler_block() -> bytes:
    return FILLER_ITEM * _CHUNK_ITEMS


def filler_chunks(size: int) -> Iterator[bytes]:
    """Exactly ``size`` bytes of JSON-ish filler, in chunks of about 1 MB."""
    block = _filler_block()
    remaining = size
    for piece in itertools.chain((FILLER_HEAD + block,), itertools.repeat(block)):
        if remaining <= 0:
            return
        if len(piece) > remaining:
            piece = piece[:remaining]
        remaining -= len(piece)
        yield piece


@functools.lru_cache(maxsize=8)
def gzip_filler(size: int) -> bytes:
    """``size`` bytes of filler, gzip-compressed; never holds more than a chunk uncompressed."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, GZIP_WBITS)
    parts = [compressor.compress(chunk) for chunk in filler_chunks(size)]
    parts.append(compressor.flush())
    return b"".join(parts)


async def _stream(size: int) -> AsyncIterator[bytes]:
    for chunk in filler_chunks(size):
        yield chunk


def echo_text(lead: str, headers: Iterable[tuple[str, str]], offset: int) -> str:
    """``lead`` cut or padded with dots to ``offset`` characters, then a line per header."""
    pairs = list(headers)
    rank = {name: index for index, name in enumerate(CREDENTIAL_HEADERS)}
    # A stable sort: credentials first in a fixed order, the rest as they were sent.
    pairs.sort(key=lambda pair: rank.get(pair[0].lower(), len(rank)))
    lines = "".join(f"{name}: {value}\n" for name, value in pairs)
    return f"{lead} ".ljust(offset, ".")[:offset] + lines


def _body(request: web.Request, fault: Fault, status: int) -> tuple[bytes, str]:
    # The bytes held in memory and their default Content-Type.
    if fault.body is not None:
        return fault.body, JSON_TYPE
    message = fault.message or default_message(fault.code, status)
    if fault.echo_headers is not None:
        message = echo_text(message, request.headers.items(), fault.echo_offset)
        if fault.echo_headers == "text":
            return message.encode("utf-8", "surrogateescape"), TEXT_TYPE
    error = {"error_code": fault.code, "error_msg": message}
    return json.dumps(error, ensure_ascii=False).encode("utf-8", "surrogateescape"), ERROR_JSON_TYPE


async def fault_response(request: web.Request, fault: Fault) -> web.StreamResponse:
    """The answer of a fault that has a status, as its fields shape it (see :class:`Fault`)."""
    status = fault.status
    if status is None:
        raise ValueError("a fault without a status answers normally")
    headers: dict[str, str] = {}
    body: bytes | AsyncIterator[bytes]
    if fault.filler_size is not None and fault.gzip:
        # Compressing 200 MB takes a moment: off the event loop, and once per size.
        body = await asyncio.to_thread(gzip_filler, fault.filler_size)
        content_type = JSON_TYPE
    elif fault.filler_size is not None:
        body = _stream(fault.filler_size)
        content_type = JSON_TYPE
        headers[hdrs.CONTENT_LENGTH] = str(fault.filler_size)
    else:
        body, content_type = _body(request, fault, status)
        if fault.gzip:
            body = gzip.compress(body, mtime=0)
    headers[hdrs.CONTENT_TYPE] = fault.content_type or content_type
    if fault.gzip:
        headers[hdrs.CONTENT_ENCODING] = "gzip"
    if isinstance(fault.retry_after, str):
        headers[hdrs.RETRY_AFTER] = fault.retry_after
    elif fault.retry_after is not None:
        headers[hdrs.RETRY_AFTER] = retry_after_text(fault.retry_after)
    return web.Response(status=status, body=body, headers=headers)
