"""The Jupyter server extension: the session list, the authenticated engine proxy, and the
launcher's REST API (configured with ``c.PvwLauncher.config_file``)."""

from __future__ import annotations

import atexit

from jupyter_server.utils import url_path_join
from traitlets import Unicode
from traitlets.config import Configurable

from .handlers import SessionsHandler
from .launcher_handlers import LauncherHandler
from .sessions import SessionTable, announce, withdraw
from .websocket import EngineProxyHandler


class PvwLauncher(Configurable):
    config_file = Unicode(
        "", config=True, help="Launcher configuration (the seeds' JSON format); empty: no launcher"
    )


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
    launcher = _launcher_ref(server_app, server_app.runtime_dir)
    web_app.settings["pvw_sessions"] = table
    sessions_url = url_path_join(base_url, "pvw", "sessions")
    launcher_url = url_path_join(base_url, "pvw", "launcher")
    web_app.add_handlers(
        ".*$",
        [
            (sessions_url, SessionsHandler, {"table": table}),
            (url_path_join(sessions_url, r"([A-Za-z0-9_-]+)"), SessionsHandler, {"table": table}),
            (url_path_join(sessions_url, r"([A-Za-z0-9_-]+)", "ws"), EngineProxyHandler,
             {"table": table, "launcher": launcher.current}),
            (launcher_url, LauncherHandler, {"launcher_ref": launcher}),
            (url_path_join(launcher_url, r"([A-Za-z0-9_-]+)"), LauncherHandler, {"launcher_ref": launcher}),
        ],
    )  # fmt: skip
    server_app.log.info(
        "jupyterlab-pvw: sessions and proxy at %s, launcher at %s", sessions_url, launcher_url
    )
