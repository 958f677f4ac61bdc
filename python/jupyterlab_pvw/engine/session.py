"""One engine session per process: start/stop, the collective calls, and status."""

from __future__ import annotations

import concurrent.futures
import secrets
import sys
import threading

from .history import check_depth, check_memory_mb, nbytes, too_big
from .registry import DatasetRegistry, check_name
from .runcontrol import RunControl
from .service import DEFAULTS


class NotStarted(RuntimeError):
    pass


class EngineSession:
    def __init__(self, registry: DatasetRegistry):
        self.registry = registry
        self.service = None
        self.server = None
        self.info: dict | None = None
        self.native_error: str | None = None
        self._comm = None  # the command channel's communicator: one Dup per process, reused
        self._lock = threading.Lock()

    # -- life cycle -----------------------------------------------------------------------
    def start(self, host="127.0.0.1", port=0, secret=None, **options) -> dict:
        from mpi4py import MPI

        from .native import load as load_shim
        from .paraview_init import initialize
        from .service import RenderService

        if self.service is not None and not self.service.stopped.is_set():
            raise RuntimeError("the engine is already running; call stop() first")
        if not isinstance(host, str) or not host:
            raise TypeError(f"host must be a non-empty string, got {host!r}")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(
                f"port must be an integer in 0..65535 (0 picks a free port), got {port!r}"
            )
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise TypeError("secret must be a non-empty string (or None for a random one)")
        unknown = set(options) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown option(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}")
        opts = {**DEFAULTS, **options}
        check_depth(opts["history"])
        check_memory_mb(opts["history_memory_mb"])
        RunControl(opts["pause_timeout"])  # checks it

        simple = initialize()
        if self._comm is None:
            self._comm = MPI.COMM_WORLD.Dup()
        comm = self._comm
        if opts["history"]:  # refuse now when the pieces registered already tell it is too big
            local = sum(nbytes(p) for p in self.registry.snapshot().values())
            refusal = too_big(
                opts["history"], max(comm.allgather(local)), opts["history_memory_mb"]
            )
            if refusal:
                raise ValueError(refusal)
        rank = comm.Get_rank()
        try:
            shim, self.native_error = load_shim(), None
        except (RuntimeError, OSError) as exc:
            shim, self.native_error = None, str(exc)
            if rank == 0:
                print(f"[pvw] rendering holds the GIL: {exc}", file=sys.stderr)

        secret = comm.bcast(secret or secrets.token_urlsafe(24), root=0)
        self.service = RenderService(simple, comm, shim, self.registry, opts, self._deliver)
        outcome = None
        if rank == 0:
            from .server import WebServer

            self.server = WebServer(
                self.service, host, port, secret, self._status_future, opts["driver_idle_s"]
            )
            try:
                port = self.server.start()
            except (OSError, RuntimeError) as exc:
                self.server = None
                outcome = exc
        # Every rank learns whether rank 0's server came up (and its port), so all raise or
        # none do. This is the last main-thread use of `comm` before the services own it.
        if rank == 0:
            outcome = ("ok", port) if outcome is None else (type(outcome).__name__, str(outcome))
        kind, detail = comm.bcast(outcome, root=0)
        if kind != "ok":
            self.service = None
            if rank == 0:
                raise (OSError if kind == "OSError" else RuntimeError)(detail)
            raise (OSError if kind == "OSError" else RuntimeError)(f"rank 0: {detail}")
        port = detail
        if rank == 0:
            self.service.on_pipeline = self.server.publish_pipeline
        self.service.start()
        self.service.ready.result()  # the scene exists on this rank
        self.info = {
            "host": host,
            "port": port,
            "secret": secret,
            "url": f"ws://{host}:{port}/ws",
            "ranks": comm.Get_size(),
        }
        if rank == 0:
            print(
                f"\npvw: ParaViewWeb engine on {self.info['url']} ({self.info['ranks']} ranks)",
                flush=True,
            )
        return dict(self.info)

    def stop(self) -> None:
        service = self.service  # also after the service died: stop() still cleans up
        if service is None:
            raise NotStarted("the engine is not running: call start() first")
        if service.rank == 0:
            service.request_stop()
        service.stopped.wait()
        service.join(timeout=30)
        if self.server is not None:
            self.server.stop()
            self.server = None
        self.service = None
        self.info = None

    def _deliver(self, frame) -> None:
        """Rank 0's render service hands each frame to the web server."""
        if self.server is not None:
            self.server.publish_frame(frame)

    def _require(self):
        if self.service is None:
            raise NotStarted("the engine is not running: call start() first")
        if self.service.stopped.is_set():
            why = self.service.failure or "its error is on stderr"
            raise RuntimeError(
                f"the engine's render service has stopped ({why}): call stop(), then start() again"
            )
        return self.service

    # -- collective calls from the simulation's main thread ---------------------------------
    def activate(self, name: str) -> dict:
        check_name(name)
        service = self._require()
        call = service.post_call("activate", {"name": name}, self.registry.snapshot())
        return service.wait_call(call)

    def next_timestep(self, time=None) -> dict:
        if time is not None:
            if isinstance(time, bool) or not isinstance(time, (int, float)):
                raise TypeError(f"time must be a number, got {type(time).__name__}")
            time = float(time)
        service = self._require()
        call = service.post_call("next_timestep", {"time": time}, self.registry.snapshot())
        return service.wait_call(call)

    def checkpoint(self) -> dict:
        """Collective: a step boundary without a swap (a pause holds it like next_timestep)."""
        service = self._require()
        call = service.post_call("checkpoint", {}, {})
        return service.wait_call(call)

    # -- pause / step / resume / history (decided on rank 0; elsewhere they do nothing) ----
    def control_run(self, action: str) -> dict | None:
        service = self._require()
        return service.control_run(action) if service.rank == 0 else None

    def run_state(self) -> dict | None:
        service = self._require()
        return service.run_state() if service.rank == 0 else None

    def history_goto(self, step) -> dict | None:
        service = self._require()
        if service.rank != 0:
            return None
        service.submit({"op": "history_goto", "step": step}).result()
        return service.run_state()

    def pipeline(self, action: str, **args):
        """Collective: one pipeline action (engine/pipeline.py) on every rank's service."""
        service = self._require()
        call = service.post_call(
            "pipeline", {"action": action, "args": args}, self.registry.snapshot()
        )
        return service.wait_call(call)

    def budget(self, budget=None, lod=None) -> dict:
        """Set (or read, with no arguments) the render budget and reduced drag frames."""
        if lod is not None and not isinstance(lod, bool):
            raise TypeError(f"lod must be True or False, got {lod!r}")
        return self._require().set_budget(budget=budget, interactive_lod=lod)

    # -- status ----------------------------------------------------------------------------
    def _status_future(self):
        """Rank 0: gather every rank's registry through the service (not collective for callers)."""
        service = self.service
        gathered = service.submit({"op": "status"})
        result: concurrent.futures.Future = concurrent.futures.Future()

        def done(f):
            try:
                ranks = f.result()
                result.set_result(self._status(ranks))
            except Exception as exc:
                result.set_exception(exc)

        gathered.add_done_callback(done)
        return result

    def _status(self, ranks=None) -> dict:
        service = self.service
        stats = service.stats() if service else {}
        return {
            "running": service is not None and not service.stopped.is_set(),
            "url": self.info["url"] if self.info else None,
            "datasets": {str(r["rank"]): r["datasets"] for r in ranks}
            if ranks
            else {str(service.rank if service else 0): self.registry.names()},
            "active": stats.get("active"),
            "clients": self.server.clients if self.server else 0,
            "frames_pushed": self.server.frames_sent if self.server else 0,
            "native_render": self.native_error is None if service else None,
            "run": service.run_state() if service and service.rank == 0 else None,
            "history": {str(r["rank"]): r.get("history") for r in ranks} if ranks else None,
            **{
                k: stats.get(k)
                for k in ("frames", "last_render_ms", "last_encode_ms", "timestep", "time")
            },
        }

    def status(self) -> dict:
        if self.service is None:
            return {"running": False, "datasets": {"local": self.registry.names()}}
        if self.service.rank == 0 and not self.service.stopped.is_set():
            return self._status_future().result(timeout=60)
        return self._status()

    def last_frame(self):
        """Rank 0: the newest frame (its wire message, with JPEG bytes), or None before one."""
        from .server import frame_message

        frame = self.service.last_frame() if self.service else None
        return frame_message(frame) if frame is not None else None
