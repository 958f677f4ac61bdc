"""The Jupyter server extension: the session list, the authenticated engine proxy, and the
launcher's REST API (configured with ``c.PvwLauncher.config_file``; remote announces are
limited to ``c.PvwSessions.allowed_hosts``)."""

from __future__ import annotations

import atexit
import socket
from concurrent.futures import ThreadPoolExecutor

from jupyter_server.utils import url_path_join
from traitlets import List, Unicode
from traitlets.config import Configurable

from ..session_table import SessionTable, announce, withdraw
from .handlers import SessionHandler, SessionListHandler
from .launcher_handlers import LauncherListHandler, LauncherSessionHandler
from .websocket import EngineProxyHandler

PROBE_TIMEOUT = 3.0  # seconds for a start-up reachability probe of a pid-0 session
SESSION_ID = r"([A-Za-z0-9_-]+)"


class PvwLauncher(Configurable):
    config_file = Unicode(
        "", config=True, help="Launcher configuration (the seeds' JSON format); empty: no launcher"
    )


class PvwSessions(Configurable):
    allowed_hosts = List(
        Unicode(),
        default_value=["localhost", "127.0.0.1", "::1"],
        config=True,
        help="Hosts (names or shell patterns such as 'node*.cluster') whose engines may be "
        "announced with POST /pvw/sessions, so the proxy can reach them. Default: loopback only.",
    )


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
            return True
    except OSError:
        return False


def drop_unreachable(table: SessionTable) -> list[str]:
    """Withdraw sessions without a process to watch (pid 0) whose engine no longer answers;
    returns their ids. Run at start-up, so a restart ends announcements that outlived their run."""
    remote = [s for s in table.list() if not s.pid]
    if not remote:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(remote))) as pool:
        alive = list(pool.map(lambda s: _reachable(s.host, s.port), remote))
    dead = [s.id for s, ok in zip(remote, alive) if not ok]
    for session_id in dead:
        withdraw(session_id, runtime_dir=table.directory.parent)
    return dead


def _launcher_ref(server_app, runtime_dir):
    """A callable giving the launcher, built on first use from the configured file."""
    from ..launcher import ConfigError, Launcher, LauncherError, load

    holder = {}
    path = PvwLauncher(parent=server_app).config_file

    def on_change(event, session):
        if event == "started":
            announce(session.host, session.port, session.secret, name=session.application,
                     pid=session.process.pid, runtime_dir=runtime_dir, session_id=session.id)  # fmt: skip
        else:
            withdraw(session.id, runtime_dir=runtime_dir)

    def get():
        if "launcher" not in holder:
            if not path:
                raise LauncherError(404, "no launcher configured: set c.PvwLauncher.config_file "
                                         "(or --PvwLauncher.config_file=FILE)")  # fmt: skip
            try:
                holder["launcher"] = Launcher(load(path), on_change=on_change)
            except ConfigError as exc:
                raise LauncherError(500, str(exc)) from None
            atexit.register(holder["launcher"].kill_all)
        return holder["launcher"]

    get.current = lambda: holder.get("launcher")
    return get


def load_server_extension(server_app) -> None:
    web_app = server_app.web_app
    base_url = web_app.settings["base_url"]
    table = SessionTable(server_app.runtime_dir)
    dropped = drop_unreachable(table)
    if dropped:
        server_app.log.info(
            "jupyterlab-pvw: dropped announced sessions that no longer answer: %s", dropped
        )
    allowed_hosts = list(PvwSessions(parent=server_app).allowed_hosts)
    launcher = _launcher_ref(server_app, server_app.runtime_dir)
    web_app.settings["pvw_sessions"] = table
    web_app.settings["pvw_launcher"] = launcher
    sessions_url = url_path_join(base_url, "pvw", "sessions")
    launcher_url = url_path_join(base_url, "pvw", "launcher")
    web_app.add_handlers(
        ".*$",
        [
            (sessions_url, SessionListHandler, {"table": table, "allowed_hosts": allowed_hosts}),
            (url_path_join(sessions_url, SESSION_ID), SessionHandler, {"table": table}),
            (url_path_join(sessions_url, SESSION_ID, "ws"), EngineProxyHandler,
             {"table": table, "launcher": launcher.current}),
            (launcher_url, LauncherListHandler, {"launcher_ref": launcher}),
            (url_path_join(launcher_url, SESSION_ID), LauncherSessionHandler, {"launcher_ref": launcher}),
        ],
    )  # fmt: skip
    server_app.log.info(
        "jupyterlab-pvw: sessions and proxy at %s, launcher at %s", sessions_url, launcher_url
    )
