"""The authenticated WebSocket proxy from the browser to an engine's rank 0.

The browser connects to ``<base_url>/pvw/sessions/<id>/ws`` with Jupyter's own
authentication (token or cookie, origin checked as for kernels) and authorization
("execute" on "pvw"). The target comes only from the session table, never from the
request, so this is no open proxy. Every check comes before the connection to the engine,
and every failure closes it. Client messages pass :class:`~jupyterlab_pvw.proxy_filter.ClientFilter`:
the engine's secret goes into ``wslink.hello`` on the way through (the browser never has
it), the Jupyter user follows as the proxy's own ``pvw.identify`` (a browser's own is
refused), and calls that would stop the engine are answered with an error instead.
"""

from __future__ import annotations

import json

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClosedError, WebSocketHandler, websocket_connect

from ..proxy_filter import ClientFilter
from .handlers import AUTH_RESOURCE

MAX_MESSAGE = 64 * 1024 * 1024
CONNECT_TIMEOUT = 30.0
WS_VERSIONS = ("7", "8", "13")  # what tornado accepts


class EngineProxyHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    auth_resource = AUTH_RESOURCE

    def initialize(self, table, launcher=lambda: None):
        self.table = table
        self.launcher = launcher  # counts clients of launched sessions, for idle reaping
        self.upstream = None
        self.session = None
        self.filter = None
        self.counted = False

    def set_default_headers(self):
        """No JupyterHandler default headers: they make no sense on a WebSocket."""

    def _refuse(self, status: int, message: str):
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message}))

    def _handshake_problem(self) -> tuple[int, str] | None:
        """What tornado's handshake would refuse, checked before anything reaches the engine."""
        headers = self.request.headers
        if headers.get("Upgrade", "").lower() != "websocket":
            return 400, 'Can "Upgrade" only to "WebSocket".'
        if "upgrade" not in (s.strip().lower() for s in headers.get("Connection", "").split(",")):
            return 400, '"Connection" must be "Upgrade".'
        origin = headers.get("Origin", headers.get("Sec-Websocket-Origin"))
        if origin is not None and not self.check_origin(origin):
            return 403, f"cross-origin WebSocket from {origin} refused"
        if headers.get("Sec-WebSocket-Version") not in WS_VERSIONS or not headers.get(
            "Sec-WebSocket-Key"
        ):
            return (
                426,
                "a WebSocket handshake needs Sec-WebSocket-Version 13 and a Sec-WebSocket-Key",
            )
        return None

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
        problem = self._handshake_problem()
        if problem is not None:
            return self._refuse(*problem)
        url = f"ws://{self.session.host}:{self.session.port}/ws"
        try:
            self.upstream = await websocket_connect(
                HTTPRequest(url, connect_timeout=CONNECT_TIMEOUT),
                on_message_callback=self._from_engine,
                max_message_size=MAX_MESSAGE,
            )
        except Exception as exc:  # OSError, or tornado's HTTPClientError for a non-WebSocket
            return self._refuse(
                502, f"the engine of session {session_id} ({url}) is not reachable: {exc}"
            )
        user = self.identity_provider.identity_model(self.current_user)
        self.filter = ClientFilter(self.session.secret, identity=user)
        try:
            await super().get(session_id)  # returns when the client's connection is over
        finally:
            self._close_upstream()

    def open(self, session_id):
        super().open()
        if self.launcher() is not None:
            self.launcher().client_opened(session_id)
            self.counted = True

    def _from_engine(self, message):
        if message is None:  # the engine closed
            self.close(1011, "the ParaViewWeb engine closed the connection")
            return
        if self.filter.is_own_reply(message):
            return
        self._to_client(message)

    def _to_client(self, message: bytes):
        try:
            self.write_message(message, binary=True)
        except WebSocketClosedError:
            pass

    def on_message(self, message):
        if self.upstream is None:
            return
        try:
            filtered = self.filter.feed(message.encode() if isinstance(message, str) else message)
        except ValueError as exc:
            self.close(1007, str(exc)[:120])
            return
        for frame in filtered.to_client:
            self._to_client(frame)
        for frame in filtered.to_engine:
            self.upstream.write_message(frame, binary=True)

    def on_close(self):
        if self.counted and self.session is not None:
            self.launcher().client_closed(self.session.id)
            self.counted = False
        self._close_upstream()

    def _close_upstream(self):
        if self.upstream is not None:
            self.upstream.close()
            self.upstream = None
