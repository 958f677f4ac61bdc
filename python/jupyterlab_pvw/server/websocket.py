"""The authenticated WebSocket proxy from the browser to an engine's rank 0.

The browser connects to ``<base_url>/pvw/sessions/<id>/ws`` with Jupyter's own
authentication (token or cookie, origin checked as for kernels). The target comes only from
the session table, never from the request, so this is no open proxy. The engine's secret
never reaches the browser: the proxy puts it into the client's ``wslink.hello`` on the way
through, so any secret (or none) the browser sends is replaced.
"""

from __future__ import annotations

import json
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
        try:
            self.write_message(message, binary=True)
        except WebSocketClosedError:
            pass

    def on_message(self, message):
        if self.upstream is None:
            return
        if isinstance(message, str):
            message = message.encode()
        message = with_secret(message, self.session.secret) or message
        self.upstream.write_message(message, binary=True)

    def on_close(self):
        if self.launcher() is not None and self.session is not None:
            self.launcher().client_closed(self.session.id)
        if self.upstream is not None:
            self.upstream.close()
            self.upstream = None
