"""The kernel's ParaViewWeb session: engines, engine calls, and its announcement.

``%pvw`` and the Python API (``jupyterlab_pvw.start(...)``) both drive one
``NotebookSession`` per kernel.
"""

from __future__ import annotations

import os
import re
import socket

from .cluster import EngineCluster, EngineError, EnginesLost

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _kernel_id() -> str | None:
    try:
        from ipykernel import get_connection_file

        match = re.search(r"kernel-(.+)\.json$", os.path.basename(get_connection_file()))
        return match.group(1) if match else None
    except Exception:
        return None


def _this_server() -> dict:
    """The running Jupyter server this kernel most likely belongs to (its root holds our cwd)."""
    from jupyter_server.serverapp import list_running_servers

    servers = list(list_running_servers())
    if not servers:
        raise EngineError("no running Jupyter server found to launch through")
    cwd = os.path.realpath(os.getcwd())
    for server in servers:
        root = os.path.realpath(server.get("root_dir") or server.get("notebook_dir") or "/")
        if cwd == root or cwd.startswith(root + os.sep):
            return server
    return servers[0]


class InputError(ValueError):
    """The user's input or the order of calls is wrong; the message says what to do."""


class NotebookSession:
    """The kernel's one ParaViewWeb session and the engines it runs on."""

    def __init__(self):
        self.cluster: EngineCluster | None = None
        self.info: dict | None = None
        self.announced = None

    @property
    def running(self) -> bool:
        return self.info is not None

    def _require(self) -> EngineCluster:
        if self.cluster is None or self.info is None:
            raise InputError("no ParaViewWeb session in this kernel: run %pvw start first")
        return self.cluster

    def start(
        self,
        n: int | None = None,
        profile=None,
        cluster_id=None,
        host: str = "127.0.0.1",
        namespace=None,
        progress=print,
        **options,
    ) -> dict:
        """Start (or find) the engines and ParaView on them; ``n`` engines (default 2) when
        the kernel has none. Returns rank 0's info with the ``session_id``."""
        from .engine import start as engine_start
        from .session_table import announce

        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise InputError(f"the number of engines must be a positive integer, got {n!r}")
        if self.running:
            if n is not None and n != self.info["ranks"]:
                raise InputError(
                    f"ParaView already runs on {self.info['ranks']} ranks (session "
                    f"{self.info['session_id']}); to use {n}: %pvw stop, then %pvw start -n {n}"
                )
            return self.info
        if self.cluster is None:
            self.cluster = EngineCluster.connect(
                n=n or 2,
                profile=profile,
                cluster_id=cluster_id,
                namespace=namespace,
                progress=progress,
            )
        progress(f"starting ParaView on {self.cluster.size} ranks")
        infos = self.cluster.run(engine_start, host=host, **options)
        info = dict(infos[0])
        # A server elsewhere reaches rank 0 by its host name when it listens on all interfaces.
        reach = self.cluster.run(socket.gethostname)[0] if host in ("0.0.0.0", "::") else host
        self.announced = announce(
            reach,
            info["port"],
            info["secret"],
            name="notebook",
            kernel_id=_kernel_id(),
            ranks=info["ranks"],
        )
        info["session_id"] = self.announced.id
        self.info = info
        progress(f"ParaView ready on {info['ranks']} ranks (session {self.announced.id})")
        return info

    def viewport(self, height: int = 400, open_panel: bool = False, session_id: str | None = None):
        """A live viewport widget on a session: this kernel's, or any listed one by id."""
        from .session_table import SessionTable
        from .widget import Viewport

        if session_id is None:
            self._require()
            session_id = self.info["session_id"]
        elif SessionTable().get(session_id) is None:
            known = [s.id for s in SessionTable().list()]
            raise InputError(
                f"no ParaViewWeb session {session_id!r}; live sessions: {known or 'none'}"
            )
        return Viewport(session_id=session_id, height=height, open_panel=open_panel)

    # -- other sessions: attach (reverse), connect (forward), launch (forward with start-up) --
    @staticmethod
    def sessions() -> list[dict]:
        """Every session the Jupyter server can proxy to (started here, announced, launched)."""
        from .session_table import SessionTable

        return [s.public() for s in SessionTable().list()]

    @staticmethod
    def connect(url: str, secret: str, name: str = "") -> str:
        """Forward, no start-up: list an already running engine (ws://host:port/ws)."""
        from urllib.parse import urlparse

        from .session_table import announce

        parsed = urlparse(url)
        if parsed.scheme not in ("ws", "wss") or not parsed.hostname or not parsed.port:
            raise InputError(f"expected an engine URL like ws://host:port/ws, got {url!r}")
        if not secret:
            raise InputError("connecting needs the engine's secret (--secret)")
        # pid 0: the engine is not ours; the entry stays until withdrawn or the server restarts.
        session = announce(
            parsed.hostname, parsed.port, secret, name=name or url, pid=0, kernel_id=_kernel_id()
        )
        return session.id

    @staticmethod
    def launch(application: str, fields: dict) -> dict:
        """Forward with start-up: ask the Jupyter server's launcher to start ``application``."""
        from .announce import _request

        server = _this_server()
        url = server["url"].rstrip("/") + "/pvw/launcher"
        return _request(
            "POST", url, server.get("token", ""), {"application": application, **fields}
        )

    def stop(self, keep_engines: bool = False) -> str:
        """Stop ParaView, and the engines this kernel started unless ``keep_engines``.

        Returns what was stopped; lost engines do not keep the rest from being cleaned up.
        """
        from .engine import stop as engine_stop
        from .session_table import withdraw

        cluster = self._require()
        note = "stopped"
        try:
            cluster.run(engine_stop)
        except EnginesLost as exc:
            note = f"stopped; {str(exc).split(';')[0]}"
            keep_engines = False  # a broken MPI job cannot be reused
        finally:
            if self.announced is not None:
                withdraw(self.announced.id)
            self.info = self.announced = None
            if not keep_engines:
                self.cluster = None
                cluster.stop()
        return note

    def status(self) -> dict:
        from .engine import status as engine_status

        if not self.running:
            return {"running": False}
        status = self.cluster.run(engine_status)[0]
        status["session_id"] = self.info.get("session_id")
        return status

    def register(self, name: str, variable: str) -> None:
        import ipyparallel as ipp

        from .engine import register as engine_register
        from .engine.registry import check_name

        _check_name(check_name, name)
        if not isinstance(variable, str) or not _IDENTIFIER.match(variable):
            raise InputError(f"{variable!r} is not a variable name on the engines")
        cluster = self._require()
        missing = cluster.missing_variable(variable)
        if missing:
            raise InputError(
                f"no variable {variable!r} on the engines of MPI rank(s) {missing}: define it "
                "there first (e.g. in a %%px cell), then register it"
            )
        cluster.run(engine_register, name, ipp.Reference(variable))

    def activate(self, name: str) -> dict:
        from .engine import activate as engine_activate
        from .engine.registry import check_name

        _check_name(check_name, name)
        return self._require().run(engine_activate, name)[0]

    def next_timestep(self, time=None) -> dict:
        from .engine import next_timestep as engine_next

        if time is not None and (isinstance(time, bool) or not isinstance(time, (int, float))):
            raise InputError(f"time must be a number, got {time!r}")
        return self._require().run(engine_next, time)[0]


def _check_name(check_name, name) -> None:
    """The engine's dataset-name rule, as an input error."""
    try:
        check_name(name)
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc)) from None


session = NotebookSession()
