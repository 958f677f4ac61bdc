"""The launcher's REST API under the Jupyter server: /pvw/launcher[/<id>], every verb
authenticated. Launched sessions join the session table, so the authenticated proxy and
the side panel serve them like any other."""

from __future__ import annotations

import json

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from ..launcher import LauncherError


class LauncherHandler(APIHandler):
    def initialize(self, launcher_ref):
        self.launcher_ref = launcher_ref  # a callable: the launcher, or raises LauncherError

    def _answer(self, payload, status=200):
        self.set_status(status)
        self.finish(json.dumps(payload))

    def _session_url(self) -> str:
        scheme = "wss" if self.request.protocol == "https" else "ws"
        path = url_path_join(self.base_url, "pvw", "sessions", "${id}", "ws")
        return f"{scheme}://{self.request.host}{path}"

    @web.authenticated
    async def post(self, session_id=None):
        if session_id:
            return self._answer({"error": "POST goes to /pvw/launcher, without a session id"}, 405)
        try:
            body = json.loads(self.request.body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return self._answer({"error": f"malformed JSON: {exc}"}, 400)
        try:
            answer = await self.launcher_ref().launch(body, session_url=self._session_url())
        except LauncherError as exc:
            return self._answer(exc.payload(), exc.status)
        self._answer(answer)

    @web.authenticated
    async def get(self, session_id=None):
        try:
            launcher = self.launcher_ref()
            if not session_id:
                return self._answer({"sessions": [launcher.get(i) for i in launcher.sessions],
                                     "applications": sorted(launcher.config["apps"])})  # fmt: skip
            self._answer(launcher.get(session_id))
        except LauncherError as exc:
            self._answer(exc.payload(), exc.status)

    @web.authenticated
    async def delete(self, session_id=None):
        try:
            self._answer(await self.launcher_ref().delete(session_id or ""))
        except LauncherError as exc:
            self._answer(exc.payload(), exc.status)
