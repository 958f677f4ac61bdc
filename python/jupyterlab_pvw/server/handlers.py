"""HTTP handlers of the server extension; every verb requires Jupyter's authentication."""

from __future__ import annotations

import json

from jupyter_server.base.handlers import APIHandler
from tornado import web

from .. import __version__


class SessionsHandler(APIHandler):
    """GET /pvw/sessions: the live engine sessions (never their secrets)."""

    def initialize(self, table):
        self.table = table

    @web.authenticated
    def get(self):
        sessions = [s.public() for s in self.table.list()]
        self.finish(json.dumps({"version": __version__, "sessions": sessions}))
