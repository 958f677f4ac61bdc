"""A stand-in wslink 2 engine for proxy and launcher tests that need no ParaView.

    python fake_engine.py PORT        (secret from $PVW_SECRET, as the launcher passes it)

Answers ``wslink.hello`` (clientID only for the right secret) and every other call with
``{"method": name}``; ``fake.seen`` returns every method received on any connection, and
``fake.connections`` how many WebSocket connections besides the caller's are open and
were ever accepted.
Prints READY once it listens.
"""

from __future__ import annotations

import asyncio
import os
import sys

import msgpack
from aiohttp import WSMsgType, web
from wslink.chunking import UnChunker, generate_chunks

SEEN: list[str] = []
OPEN: set = set()
ACCEPTED = [0]


def encode(message: dict) -> list[bytes]:
    return list(generate_chunks(msgpack.packb(message, use_bin_type=True), 0))


async def ws(request):
    sock = web.WebSocketResponse(max_msg_size=0)
    await sock.prepare(request)
    OPEN.add(sock)
    ACCEPTED[0] += 1
    unchunker = UnChunker()
    unchunker.set_max_message_size(1 << 24)
    try:
        async for msg in sock:
            if msg.type != WSMsgType.BINARY:
                break
            message = unchunker.process_chunk(msg.data)
            if message is None:
                continue
            method, rpc_id = message.get("method"), message.get("id")
            SEEN.append(method)
            if method == "wslink.hello":
                ok = message.get("args") == [{"secret": os.environ["PVW_SECRET"]}]
                reply = (
                    {"result": {"clientID": "c1"}}
                    if ok
                    else {"error": {"code": -32000, "message": "Authentication failed"}}
                )
            elif method == "fake.seen":
                reply = {"result": list(SEEN)}
            elif method == "fake.connections":
                reply = {"result": {"open": len(OPEN) - 1, "accepted": ACCEPTED[0] - 1}}
            else:
                reply = {"result": {"method": method}}
            for frame in encode({"wslink": "1.0", "id": rpc_id, **reply}):
                await sock.send_bytes(frame)
    finally:
        OPEN.discard(sock)
    return sock


async def main(port: int) -> None:
    app = web.Application()
    app.router.add_get("/ws", ws)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("READY", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
