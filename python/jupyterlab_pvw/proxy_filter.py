"""What a proxy in front of an engine does to the client's wslink messages, transport-free.

Both proxies (the Jupyter server's and the standalone launcher's forwarding) feed every
client frame to :class:`ClientFilter`. It joins chunks into messages (``wslink.chunking``),
puts the engine's secret into ``wslink.hello`` when it knows it, and refuses the calls that
would stop the engine (``application.exit``, ``application.exit.later``): only the engine's
owner may stop it, and npm wslink's ``WebsocketConnection.destroy()`` sends the latter by
itself. Given the client's ``identity`` (the Jupyter proxy's user), it follows the hello with
the proxy's own ``pvw.identify`` and drops any the client sends, so a browser cannot speak for
someone else; :meth:`ClientFilter.is_own_reply` spots the engine's answer, which is not the
client's. Every other message goes through byte for byte.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import msgpack
from wslink.chunking import HEADER_LENGTH, UnChunker, generate_chunks

from .wire import IDENTIFY_METHOD

REFUSED_METHODS = frozenset({"application.exit", "application.exit.later"})
METHOD_NOT_FOUND = -32601  # JSON-RPC's code, as wslink answers an unknown method
REFUSAL = "refused by the proxy: only the engine's owner can stop it"
IDENTIFY_REFUSAL = "refused by the proxy: it tells the engine who you are (your Jupyter user)"
IDENTITY_FIELDS = ("username", "name", "display_name", "initials", "color")
MAX_CLIENT_MESSAGE = 16 * 1024 * 1024  # clients send RPCs, not images


def _encode(message: dict) -> list[bytes]:
    return list(generate_chunks(msgpack.packb(message, use_bin_type=True), 0))


@dataclass
class Filtered:
    """Frames to send on: ``to_engine`` upstream, ``to_client`` back (refusals)."""

    to_engine: list[bytes] = field(default_factory=list)
    to_client: list[bytes] = field(default_factory=list)


class ClientFilter:
    """One client connection's filter; ``secret`` (if given) replaces the hello's.

    ``identity`` (if given, a Jupyter identity model) is sent as ``pvw.identify`` right
    after the hello, before any other message of the client.
    """

    def __init__(self, secret: str | None = None, identity: dict | None = None):
        self.secret = secret
        self.identity = None if identity is None else {k: identity.get(k) for k in IDENTITY_FIELDS}
        self.identify_id = f"rpc:pvw-proxy:{secrets.token_hex(8)}"
        self._unchunker = UnChunker()
        self._unchunker.set_max_message_size(MAX_CLIENT_MESSAGE)
        self._frames: dict[bytes, list[bytes]] = {}  # chunks of each message id so far

    def feed(self, frame: bytes) -> Filtered:
        """Take one client frame; raises ValueError for a frame that is no wslink chunk."""
        out = Filtered()
        if len(frame) < HEADER_LENGTH:
            raise ValueError(
                f"a wslink frame has a {HEADER_LENGTH}-byte header; got {len(frame)} bytes"
            )
        key = frame[:4]
        self._frames.setdefault(key, []).append(frame)
        try:
            message = self._unchunker.process_chunk(frame)
        except (ValueError, TypeError, msgpack.UnpackException) as exc:
            self._frames.pop(key, None)
            raise ValueError(f"not a wslink message: {exc}") from None
        if message is None:
            return out  # more chunks to come
        frames = self._frames.pop(key)
        method = message.get("method") if isinstance(message, dict) else None
        if method in REFUSED_METHODS:
            error = {"code": METHOD_NOT_FOUND, "message": REFUSAL, "data": {"method": method}}
            out.to_client = _encode({"wslink": "1.0", "id": message.get("id"), "error": error})
        elif method == "wslink.hello" and self.secret is not None:
            out.to_engine = _encode({**message, "args": [{"secret": self.secret}]})
            out.to_engine += self._identify()
        elif method == IDENTIFY_METHOD and self.identity is not None:
            error = {"code": METHOD_NOT_FOUND, "message": IDENTIFY_REFUSAL}
            out.to_client = _encode({"wslink": "1.0", "id": message.get("id"), "error": error})
        else:
            out.to_engine = frames
            if method == "wslink.hello":
                out.to_engine += self._identify()
        return out

    def _identify(self) -> list[bytes]:
        if self.identity is None:
            return []
        request = {"wslink": "1.0", "id": self.identify_id, "method": IDENTIFY_METHOD}
        return _encode({**request, "args": [self.identity]})

    def is_own_reply(self, frame: bytes) -> bool:
        """Whether an engine frame answers the proxy's ``pvw.identify`` (not for the client)."""
        if self.identity is None or self.identify_id.encode() not in frame[:256]:
            return False
        try:
            message = msgpack.unpackb(frame[HEADER_LENGTH:], raw=False)
        except (ValueError, msgpack.UnpackException):
            return False
        return isinstance(message, dict) and message.get("id") == self.identify_id
