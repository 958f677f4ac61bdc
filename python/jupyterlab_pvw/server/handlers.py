"""HTTP handlers of the server extension: one class per endpoint (a list, or one item), each
verb authenticated and authorized by Jupyter (``auth_resource`` "pvw"), errors answered as
JSON by one mapper (:meth:`PvwHandler.write_error`)."""

from __future__ import annotations

import fnmatch
import json
import re

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from .. import __version__
from ..http_api import RequestError, parse_json_object
from ..session_table import announce, withdraw
from .engine_check import check_engine

AUTH_RESOURCE = "pvw"
_HOST = re.compile(r"^[A-Za-z0-9.:_-]{1,253}$")


class PvwHandler(APIHandler):
    """Base of every pvw HTTP handler: raise RequestError, and the client gets its JSON."""

    auth_resource = AUTH_RESOURCE

    def answer(self, payload, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, RequestError):
            return self.answer(exc.payload(), exc.status)
        return super().write_error(status_code, **kwargs)

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, RequestError):  # an answer, not a server fault: no traceback
            self.log.info(
                "%s %s: %s %s", self.request.method, self.request.path, value.status, value.message
            )
            return
        super().log_exception(typ, value, tb)


def host_allowed(host: str, allowed: list[str]) -> bool:
    """Whether ``host`` matches one of the allowlist's names or shell patterns."""
    return any(fnmatch.fnmatchcase(host.lower(), pattern.lower()) for pattern in allowed)


class SessionListHandler(PvwHandler):
    """GET /pvw/sessions: the live engine sessions (never their secrets). POST: announce an
    engine started outside Jupyter, on a host of ``c.PvwSessions.allowed_hosts``; it is
    listed only once it answered ``wslink.hello`` with the announced secret."""

    def initialize(self, table, allowed_hosts):
        self.table, self.allowed_hosts = table, allowed_hosts

    @web.authenticated
    @authorized
    def get(self):
        self.answer({"version": __version__, "sessions": [s.public() for s in self.table.list()]})

    @web.authenticated
    @authorized
    async def post(self):
        body = parse_json_object(self.request.body)
        host, port, secret = body.get("host"), body.get("port"), body.get("secret")
        if not isinstance(host, str) or not _HOST.match(host):
            raise RequestError(400, "'host' must be a host name or address")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise RequestError(400, "'port' must be an integer in 1..65535")
        if not isinstance(secret, str) or not secret:
            raise RequestError(400, "'secret' must be a non-empty string")
        if not host_allowed(host, self.allowed_hosts):
            raise RequestError(403, f"host {host!r} is not in this server's allowlist {self.allowed_hosts}; "
                                    "its administrator can add it: c.PvwSessions.allowed_hosts")  # fmt: skip
        await check_engine(host, port, secret)
        ranks = body.get("ranks", 1)
        ranks = ranks if isinstance(ranks, int) and not isinstance(ranks, bool) and ranks > 0 else 1
        # pid 0: the process may live on another host; it withdraws with DELETE, and the
        # server drops it at start-up if it no longer answers.
        session = announce(host, port, secret, name=str(body.get("name", ""))[:128], ranks=ranks, pid=0,
                           runtime_dir=self.table.directory.parent)  # fmt: skip
        self.answer(session.public(), 201)


class SessionHandler(PvwHandler):
    """GET /pvw/sessions/<id>: one session (no secret); DELETE: withdraw it."""

    def initialize(self, table):
        self.table = table

    def _session(self, session_id):
        session = self.table.get(session_id)
        if session is None:
            raise RequestError(
                404, f"no session {session_id!r}", live=[s.id for s in self.table.list()]
            )
        return session

    @web.authenticated
    @authorized
    def get(self, session_id):
        self.answer(self._session(session_id).public())

    @web.authenticated
    @authorized
    def delete(self, session_id):
        self._session(session_id)
        withdraw(session_id, runtime_dir=self.table.directory.parent)
        self.answer({"id": session_id})
