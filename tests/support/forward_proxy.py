"""A small HTTP forward proxy for the proxy tests, run as its own process.

``python -m tests.support.forward_proxy [USER:PASSWORD]`` listens on a free loopback port,
prints ``PORT <n>``, then one ``PROXIED <method> <url> auth=<ok|missing|wrong>`` line per
request it forwards. With credentials it refuses requests without them (407). Only
absolute-form ``http://`` requests to loopback are forwarded.
"""

from __future__ import annotations

import asyncio
import base64
import sys
from urllib.parse import urlsplit

_HOP_BY_HOP = ("proxy-authorization", "proxy-connection", "connection")


async def read_head(reader: asyncio.StreamReader) -> list[str] | None:
    """The request line and header lines, or None at the end of the connection."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    return raw.decode("latin-1").split("\r\n")[:-2]


async def handle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, credentials: str | None
) -> None:
    """Forward each request of one client connection, one upstream connection per request."""
    expected = (
        None if credentials is None else "Basic " + base64.b64encode(credentials.encode()).decode()
    )
    try:
        while (head := await read_head(reader)) is not None:
            method, target, _ = head[0].split(" ", 2)
            headers = [line.split(":", 1) for line in head[1:]]
            fields = {name.strip().lower(): value.strip() for name, value in headers}
            body = await reader.readexactly(int(fields.get("content-length", "0")))
            given = fields.get("proxy-authorization")
            auth = "missing" if given is None else ("ok" if given == expected else "wrong")
            print(f"PROXIED {method} {target} auth={auth}", flush=True)
            url = urlsplit(target)
            if expected is not None and auth != "ok":
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                             b"Proxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n")  # fmt: skip
                await writer.drain()
                continue
            if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost"):
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                continue
            up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port or 80)
            path = url.path + (f"?{url.query}" if url.query else "")
            lines = [f"{method} {path} HTTP/1.1"]
            lines += [
                f"{name.strip()}:{value}"
                for name, value in headers
                if name.strip().lower() not in _HOP_BY_HOP
            ]
            lines.append("Connection: close")
            up_writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await up_writer.drain()
            answer = await up_reader.read()  # until the upstream closes
            up_writer.close()
            writer.write(answer)
            await writer.drain()
    finally:
        writer.close()


async def main() -> None:
    """Serve until killed."""
    credentials = sys.argv[1] if len(sys.argv) > 1 else None
    server = await asyncio.start_server(lambda r, w: handle(r, w, credentials), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
