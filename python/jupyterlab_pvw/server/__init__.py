"""The Jupyter server extension: the session list and the authenticated engine proxy."""

from __future__ import annotations

from jupyter_server.utils import url_path_join

from .handlers import SessionsHandler
from .sessions import SessionTable
from .websocket import EngineProxyHandler


def load_server_extension(server_app) -> None:
    web_app = server_app.web_app
    base_url = web_app.settings["base_url"]
    table = SessionTable(server_app.runtime_dir)
    web_app.settings["pvw_sessions"] = table
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base_url, "pvw", "sessions"), SessionsHandler, {"table": table}),
            (
                url_path_join(base_url, "pvw", "sessions", r"([A-Za-z0-9_-]+)", "ws"),
                EngineProxyHandler,
                {"table": table},
            ),
        ],
    )
    server_app.log.info("jupyterlab-pvw: serving %s", url_path_join(base_url, "pvw", "sessions"))
