"""The authenticated WebSocket proxy from the browser to an engine's rank 0.

The browser connects to ``<base_url>/pvw/sessions/<id>/ws`` with Jupyter's own
authentication (token or cookie, origin checked as for kernels). The target comes only from
the session table, never from the request, so this is no open proxy. The engine's secret
never reaches the browser: the proxy puts it into the client's ``wslink.hello`` on the way
through, so any secret (or none) the browser sends is replaced.
"""

from __future__ import annotations

import json
import secrets
import struct

import msgpack
from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler, websocket_connect

from ..wire import HELLO_LIMIT

AUTH_RESOURCE = "pvw"
MAX_MESSAGE = 64 * 1024 * 1024
HEADER = struct.Struct("<III")  # wslink's chunk header: message id, offset, total size


def with_secret(data: bytes, secret: str) -> bytes | None:
    """If ``data`` is a whole-message ``wslink.hello``, the same message with ``secret``."""
    if len(data) < HEADER.size or len(data) > HELLO_LIMIT:
        return None
    message_id, offset, total = HEADER.unpack_from(data)
    if offset != 0 or total != len(data) - HEADER.size:
        return None
    try:
        message = msgpack.unpackb(data[HEADER.size :], raw=False)
    except (ValueError, msgpack.UnpackException):
        return None
    if not isinstance(message, dict) or message.get("method") != "wslink.hello":
        return None
    message["args"] = [{"secret": secret}]
    body = msgpack.packb(message, use_bin_type=True)
    return HEADER.pack(message_id, 0, len(body)) + body


class EngineProxyHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    auth_resource = AUTH_RESOURCE

    def initialize(self, table, launcher=lambda: None):
        self.table = table
        self.launcher = launcher  # counts clients of launched sessions, for idle reaping
        self.upstream = None
        self.session = None
        self.identity_tag = ViewerTag()

    def set_default_headers(self):
        """No JupyterHandler default headers: they make no sense on a WebSocket."""

    def _refuse(self, status: int, message: str):
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message}))

    @ws_authenticated
    async def get(self, session_id):
        authorized = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "execute", AUTH_RESOURCE)
        )
        if not authorized:
            raise web.HTTPError(403)
        self.session = self.table.get(session_id)
        if self.session is None:
            known = [s.id for s in self.table.list()]
            return self._refuse(
                404, f"no ParaViewWeb session {session_id!r}; live sessions: {known}"
            )
        url = f"ws://{self.session.host}:{self.session.port}/ws"
        try:
            self.upstream = await websocket_connect(
                url, on_message_callback=self._from_engine, max_message_size=MAX_MESSAGE
            )
        except OSError as exc:
            return self._refuse(
                502, f"the engine of session {session_id} ({url}) is not reachable: {exc}"
            )
        await super().get(session_id)

    def open(self, session_id):
        super().open()
        if self.launcher() is not None:
            self.launcher().client_opened(session_id)

    def _from_engine(self, message):
        if message is None:  # the engine closed
            self.close(1011, "the ParaViewWeb engine closed the connection")
            return
        if self.identity_tag.is_own_reply(message):
            return
        try:
            self.write_message(message, binary=True)
        except WebSocketClosedError:
            pass

    def on_message(self, message):
        if self.upstream is None:
            return
        if isinstance(message, str):
            message = message.encode()
        hello = with_secret(message, self.session.secret)
        if hello is None and is_identify(message):
            return  # only the proxy says who a browser is
        self.upstream.write_message(hello or message, binary=True)
        if hello is not None:
            user = self.identity_provider.identity_model(self.current_user)
            self.upstream.write_message(self.identity_tag.message(user), binary=True)

    def on_close(self):
        if self.launcher() is not None and self.session is not None:
            self.launcher().client_closed(self.session.id)
        if self.upstream is not None:
            self.upstream.close()
            self.upstream = None


# -- who the browser is: presence and the driver rule in the engine ---------------------------
IDENTIFY = "pvw.identify"


def _whole_message(data: bytes, limit: int = 64 * 1024) -> dict | None:
    """A small single-chunk wslink message, decoded; None for anything else."""
    if not isinstance(data, bytes) or len(data) < HEADER.size or len(data) > limit:
        return None
    _, offset, total = HEADER.unpack_from(data)
    if offset != 0 or total != len(data) - HEADER.size:
        return None
    try:
        message = msgpack.unpackb(data[HEADER.size :], raw=False)
    except (ValueError, msgpack.UnpackException):
        return None
    return message if isinstance(message, dict) else None


def is_identify(data: bytes) -> bool:
    """A browser's own ``pvw.identify`` (dropped; the engine also accepts only the first)."""
    message = _whole_message(data)
    return message is not None and message.get("method") == IDENTIFY


class ViewerTag:
    """Tags a browser's engine connection with its Jupyter user, right after the hello.

    The engine identifies a connection once, and the proxy's identify follows the hello
    before any other message of the browser, so a browser cannot speak for someone else.
    """

    def __init__(self):
        self.rpc_id = f"rpc:pvw-proxy:{secrets.token_hex(8)}"

    def message(self, user: dict) -> bytes:
        identity = {
            k: user.get(k) for k in ("username", "name", "display_name", "initials", "color")
        }
        body = msgpack.packb(
            {"wslink": "1.0", "id": self.rpc_id, "method": IDENTIFY, "args": [identity]},
            use_bin_type=True,
        )
        return HEADER.pack(secrets.randbits(32), 0, len(body)) + body

    def is_own_reply(self, data) -> bool:
        """The engine's answer to the proxy's identify: not for the browser."""
        if not isinstance(data, bytes) or self.rpc_id.encode() not in data[:256]:
            return False
        message = _whole_message(data)
        return message is not None and message.get("id") == self.rpc_id
