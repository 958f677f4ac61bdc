"""A minimal asyncio wslink 2 client, framing with wslink's own chunking module.

Every WebSocket frame is binary: a 12-byte header (message id, offset, total size; three
little-endian uint32) followed by that slice of a msgpack message; ``wslink.chunking``
writes and reads it. Used by the tests, the benchmarks, and anything in Python that talks
to an engine.
"""

from __future__ import annotations

import asyncio
import itertools

import aiohttp
import msgpack
from wslink.chunking import UnChunker, generate_chunks
from yarl import URL


class WslinkError(Exception):
    def __init__(self, error: dict):
        self.code = error.get("code")
        self.data = error.get("data")
        # A server-side exception carries its repr in data.exception; that is the useful part.
        detail = self.data.get("exception") if isinstance(self.data, dict) else self.data
        super().__init__(f"{error.get('message')} (code {self.code}): {detail}")


def encode(message: dict) -> bytes:
    """A whole message as one frame, as a wslink client sends it."""
    return next(generate_chunks(msgpack.packb(message, use_bin_type=True), 0))


class Reassembler:
    """Joins the chunks of each message back into whole messages (a client trusts its
    server's sizes, so no limit beyond the wire's 32-bit size)."""

    def __init__(self):
        self._unchunker = UnChunker()
        self._unchunker.set_max_message_size(2**32 - 1)

    def feed(self, data: bytes):
        return self._unchunker.process_chunk(data)


class WslinkClient:
    def __init__(self, url: str, secret: str, headers: dict | None = None):
        self.url, self.secret, self.headers = url, secret, headers or {}
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future] = {}
        self._subscribers: dict[str, list] = {}
        self._session = self._ws = self._reader = None
        self.client_id = None

    async def connect(self, authenticate: bool = True):
        self._session = aiohttp.ClientSession()
        # encoded=True: a URL is used as given (a base_url such as /a%40b/ must stay escaped).
        url = URL(self.url, encoded=True)
        self._ws = await self._session.ws_connect(url, headers=self.headers, max_msg_size=0)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        if authenticate:
            hello = await self.call("wslink.hello", [{"secret": self.secret}], system=True)
            self.client_id = hello.get("clientID")
        return self

    async def close(self):
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self):
        return await self.connect()

    async def __aexit__(self, *exc):
        await self.close()

    def subscribe(self, topic: str, callback) -> None:
        self._subscribers.setdefault(topic, []).append(callback)

    async def call(
        self, method: str, args=None, kwargs=None, system: bool = False, timeout: float = 60
    ):
        n = next(self._ids)
        rpc_id = f"system:c0:{n}" if system else f"rpc:{self.client_id or 'c0'}:{n}"
        future = asyncio.get_running_loop().create_future()
        self._pending[rpc_id] = future
        message = {
            "wslink": "1.0",
            "id": rpc_id,
            "method": method,
            "args": args or [],
            "kwargs": kwargs or {},
        }
        await self._ws.send_bytes(encode(message))
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(rpc_id, None)

    async def _read(self):
        reassembler = Reassembler()
        try:
            async for msg in self._ws:
                if msg.type != aiohttp.WSMsgType.BINARY:
                    continue
                message = reassembler.feed(msg.data)
                if message is not None:
                    self._dispatch(message)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("the wslink connection closed"))

    def _dispatch(self, message: dict):
        rpc_id = message.get("id", "")
        if rpc_id.startswith("publish:"):
            topic = rpc_id.split(":")[1]
            for callback in self._subscribers.get(topic, []):
                callback(message.get("result"))
            return
        future = self._pending.get(rpc_id)
        if future is None or future.done():
            return
        if "error" in message:
            future.set_exception(WslinkError(message["error"]))
        else:
            future.set_result(message.get("result"))
