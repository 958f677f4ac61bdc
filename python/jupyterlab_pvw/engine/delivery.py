"""Fair delivery: one pump per client, each with one pending message per topic.

Why not wslink's own publish (``sendWrappedMessage``/``publish``): it writes every chunk to
every client in turn under one lock shared by all clients (``attachment_atomic``), so one
client that stops reading stalls the frames and RPC replies of everyone once its socket
buffers fill, and each publish call queues its own send, so frames pile up in memory behind
a slow client. RPC answers take the same path (``WebServer.attach``), so a client that stops
reading with an answer in flight cannot hold wslink's lock either. Here each client has its own task writing to its own websocket: a frame
rendered while the previous one is still being sent replaces the pending one (newest wins,
at most one frame waiting per client), a send that does not finish within ``SEND_TIMEOUT_S``
ends that client's connection, and nobody else waits for it.
"""

from __future__ import annotations

import asyncio
import sys

import msgpack
from wslink.chunking import generate_chunks

SEND_TIMEOUT_S = 10.0  # a client that takes longer to take one frame is considered gone
MAX_CHUNK = 4 * 1024 * 1024  # wslink's default MAX_MSG_SIZE: what its clients accept


def pack_publish(topic: str, seq: int, content) -> bytes:
    """A wslink publish message (what ``sendWrappedMessage`` would send), packed once."""
    return msgpack.packb(
        {"wslink": "1.0", "id": f"publish:{topic}:{seq}", "result": content}, use_bin_type=True
    )


def pack_reply(rpc_id: str, result=None, error: dict | None = None) -> bytes:
    """A wslink RPC answer (what ``sendWrappedMessage``/``sendWrappedError`` would send)."""
    body = {"error": error} if error is not None else {"result": result}
    return msgpack.packb({"wslink": "1.0", "id": rpc_id, **body}, use_bin_type=True)


class ClientPump:
    """Sends the newest message of each topic to one websocket, one message at a time."""

    def __init__(self, client_id: str, websocket):
        self.client_id = client_id
        self.websocket = websocket
        self.sent = 0
        self.replaced = 0  # messages that a newer one replaced before they were sent
        self._pending: dict[str, bytes] = {}  # topic -> packed message (newest wins)
        self._wake = asyncio.Event()
        self._cancelled = False
        self._task = asyncio.get_running_loop().create_task(self._run())

    def offer(self, topic: str, packed: bytes) -> None:
        """Queue ``packed`` for sending; replaces a message of the same topic not sent yet.

        RPC answers are offered under their RPC id, so none replaces another."""
        if topic in self._pending:
            self.replaced += 1
        self._pending[topic] = packed
        self._wake.set()

    @property
    def running(self) -> bool:
        return not self._task.done()

    def cancel(self) -> None:
        self._cancelled = True
        self._task.cancel()

    async def _run(self):
        # The flag, not only the cancel: before Python 3.12, wait_for swallows a cancel that
        # comes as the send completes, and the pump would wait again, referenced by nobody
        # once its client left, until the garbage collector destroyed it pending.
        try:
            while not self._cancelled:
                await self._wake.wait()
                self._wake.clear()
                while self._pending and not self._cancelled:
                    topic = next(iter(self._pending))
                    packed = self._pending.pop(topic)
                    await asyncio.wait_for(self._send(packed), SEND_TIMEOUT_S)
                    self.sent += 1
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # timeout or a dead socket: only this client is affected
            reason = "took too long to read" if isinstance(exc, asyncio.TimeoutError) else exc
            print(
                f"[pvw] stopped sending to client {self.client_id[:8]}: {reason}",
                file=sys.stderr,
                flush=True,
            )
            await self._drop()
        finally:
            self._pending.clear()

    async def _send(self, packed: bytes) -> None:
        for chunk in generate_chunks(packed, MAX_CHUNK):
            await self.websocket.send_bytes(chunk)

    async def _drop(self) -> None:
        """Close a client that stopped reading, so its buffered data is freed."""
        try:
            await asyncio.wait_for(self.websocket.close(code=1008, message=b"too slow"), 2)
        except Exception:
            pass
        # The polite close leaves the transport "closing" while it waits to flush to a client
        # that does not read: abort drops that buffer and ends the connection now.
        transport = getattr(getattr(self.websocket, "_writer", None), "transport", None)
        if transport is not None:
            transport.abort()
