"""HTTP handlers of the server extension; every verb requires Jupyter's authentication."""

from __future__ import annotations

import json
import re

from jupyter_server.base.handlers import APIHandler
from tornado import web

from .. import __version__
from .sessions import announce, withdraw


class SessionsHandler(APIHandler):
    """GET /pvw/sessions: the live engine sessions (never their secrets).
    POST: announce a session from another host (a simulation started outside Jupyter, given a
    token by its user); DELETE /pvw/sessions/<id>: withdraw one."""

    def initialize(self, table):
        self.table = table

    def _answer(self, payload, status=200):
        self.set_status(status)
        self.finish(json.dumps(payload))

    @web.authenticated
    def get(self, session_id=None):
        if session_id:
            session = self.table.get(session_id)
            if session is None:
                return self._answer({"error": f"no session {session_id!r}"}, 404)
            return self._answer(session.public())
        sessions = [s.public() for s in self.table.list()]
        self._answer({"version": __version__, "sessions": sessions})

    @web.authenticated
    def post(self, session_id=None):
        try:
            body = json.loads(self.request.body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return self._answer({"error": f"malformed JSON: {exc}"}, 400)
        if not isinstance(body, dict):
            return self._answer({"error": "the body must be a JSON object"}, 400)
        host, port, secret = body.get("host"), body.get("port"), body.get("secret")
        if not isinstance(host, str) or not re.match(r"^[A-Za-z0-9.:_-]{1,253}$", host):
            return self._answer({"error": "'host' must be a host name or address"}, 400)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            return self._answer({"error": "'port' must be an integer in 1..65535"}, 400)
        if not isinstance(secret, str) or not secret:
            return self._answer({"error": "'secret' must be a non-empty string"}, 400)
        name = str(body.get("name", ""))[:128]
        ranks = body.get("ranks", 1) if isinstance(body.get("ranks", 1), int) else 1
        # No pid: the announcing process may live on another host; it withdraws with DELETE.
        session = announce(
            host,
            port,
            secret,
            name=name,
            ranks=ranks,
            pid=0,
            runtime_dir=self.table.directory.parent,
        )
        self._answer(session.public(), 201)

    @web.authenticated
    def delete(self, session_id=None):
        if not session_id or self.table.get(session_id) is None:
            return self._answer({"error": f"no session {session_id!r}"}, 404)
        withdraw(session_id, runtime_dir=self.table.directory.parent)
        self._answer({"id": session_id})
