"""Before a remotely announced engine is listed, the server checks that it really is one: it
opens a WebSocket to it, says ``wslink.hello`` with the announced secret, and wants a
client id back. So an announce can name only a wslink engine that knows its own secret."""

from __future__ import annotations

import asyncio

import msgpack
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect
from wslink.chunking import UnChunker, generate_chunks

from ..http_api import RequestError

CHECK_TIMEOUT = 15.0  # seconds for connect + hello; a loaded engine may answer slowly


async def check_engine(host: str, port: int, secret: str, timeout: float = CHECK_TIMEOUT) -> None:
    """Return once ``ws://host:port/ws`` accepted ``secret``; raise RequestError (400/403) if not."""
    url = f"ws://{host}:{port}/ws"
    try:
        conn = await asyncio.wait_for(
            websocket_connect(HTTPRequest(url, connect_timeout=timeout, request_timeout=timeout)),
            timeout,
        )
    except (OSError, asyncio.TimeoutError) as exc:
        raise RequestError(400, f"no wslink engine answers at {url} ({exc or 'timed out'}); "
                                "announce the host and port the engine serves on") from None  # fmt: skip
    except Exception as exc:  # tornado's HTTPClientError: something that is not a WebSocket server
        raise RequestError(
            400, f"{url} is not a wslink engine (WebSocket handshake failed: {exc})"
        ) from None
    try:
        hello = {
            "wslink": "1.0",
            "id": "system:c0:0",
            "method": "wslink.hello",
            "args": [{"secret": secret}],
            "kwargs": {},
        }
        for chunk in generate_chunks(msgpack.packb(hello, use_bin_type=True), 0):
            await conn.write_message(chunk, binary=True)
        unchunker = UnChunker()
        unchunker.set_max_message_size(1024 * 1024)
        reply = None
        while reply is None:
            frame = await asyncio.wait_for(conn.read_message(), timeout)
            if frame is None:
                raise RequestError(
                    400, f"{url} closed the connection on wslink.hello: not a wslink engine"
                )
            if isinstance(frame, bytes):
                try:
                    message = unchunker.process_chunk(frame)
                except (ValueError, TypeError, msgpack.UnpackException):
                    raise RequestError(
                        400, f"{url} does not speak wslink 2 (binary msgpack frames)"
                    ) from None
                if isinstance(message, dict) and message.get("id") == hello["id"]:
                    reply = message
    except asyncio.TimeoutError:
        raise RequestError(400, f"{url} did not answer wslink.hello within {timeout:g} s") from None
    finally:
        conn.close()
    if (
        "error" in reply
        or not isinstance(reply.get("result"), dict)
        or "clientID" not in reply["result"]
    ):
        raise RequestError(403, f"the engine at {url} refused the announced secret")
