"""The launcher's REST API under the Jupyter server: /pvw/launcher[/<id>], every verb
authenticated and authorized. Launched sessions join the session table, so the
authenticated proxy and the side panel serve them like any other.

The answers carry a placeholder for ``secret``: the proxy writes the engine's real secret
into the client's ``wslink.hello``, so the browser never needs (nor gets) it."""

from __future__ import annotations

from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web

from ..http_api import parse_json_object
from .handlers import PvwHandler

SECRET_PLACEHOLDER = "supplied-by-the-jupyter-proxy"


def public(answer: dict) -> dict:
    """A launcher answer as the browser may see it: the secret replaced by the placeholder."""
    return {**answer, "secret": SECRET_PLACEHOLDER}


class LauncherBase(PvwHandler):
    def initialize(self, launcher_ref):
        self.launcher_ref = launcher_ref  # a callable: the launcher, or raises LauncherError


class LauncherListHandler(LauncherBase):
    """POST /pvw/launcher: launch an application; GET: the launched sessions and applications."""

    def _session_url(self) -> str:
        scheme = "wss" if self.request.protocol == "https" else "ws"
        path = url_path_join(self.base_url, "pvw", "sessions", "${id}", "ws")
        return f"{scheme}://{self.request.host}{path}"

    @web.authenticated
    @authorized("execute")  # it starts processes, as a kernel does
    async def post(self):
        body = parse_json_object(self.request.body)
        answer = public(await self.launcher_ref().launch(body, session_url=self._session_url()))
        # A token-authenticated client (a page of another origin: no login cookie there) needs
        # the token on the WebSocket too; stock SmartConnect connects to sessionURL as given.
        # Only this answer carries it: the launcher keeps (and GET lists) the URL without it.
        token = self.identity_provider.get_token(self) if self.token_authenticated else ""
        if token:
            answer["sessionURL"] += f"?token={quote(token, safe='')}"
        self.answer(answer)

    @web.authenticated
    @authorized
    def get(self):
        launcher = self.launcher_ref()
        self.answer({"sessions": [public(launcher.get(i)) for i in launcher.sessions],
                     "applications": sorted(launcher.config["apps"])})  # fmt: skip


class LauncherSessionHandler(LauncherBase):
    """GET /pvw/launcher/<id>: one launched session; DELETE: stop its whole process tree."""

    @web.authenticated
    @authorized
    def get(self, session_id):
        self.answer(public(self.launcher_ref().get(session_id)))

    @web.authenticated
    @authorized
    async def delete(self, session_id):
        self.answer(public(await self.launcher_ref().delete(session_id)))
