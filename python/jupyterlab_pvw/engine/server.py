"""Rank 0's ParaViewWeb server: wslink 2 (msgpack) in a thread with its own event loop.

It speaks the standard ParaViewWeb viewport RPCs (what @kitware/vtk.js RemoteView calls) and
the project's own ``pvw.*`` RPCs, and pushes frames on the standard image topic. It never
touches ParaView: everything goes to the render service through its (locked) methods.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sys
import threading

from wslink import register as exportRpc
from wslink.chunking import UnChunker
from wslink.websocket import LinkProtocol, ServerProtocol

from ..wire import (
    DRIVER_IDLE_S,
    IMAGE_TOPIC,
    MAX_FPS_RANGE,
    MAX_SIZE,
    MIN_SIZE,
    PIPELINE_TOPIC,
    PRESENCE_TOPIC,
    QUALITY_RANGE,
    VIEW_ID,
)
from .delivery import ClientPump, pack_publish, pack_reply
from .pipeline_rpc import PipelineProtocol
from .presence import Presence
from .run_rpc import RunProtocol, RunStatePublisher

# The engine only receives small RPCs: bound what one client can make rank 0 allocate
# (wslink itself allows 4 GB per message once a client is authenticated).
MAX_INCOMING_MESSAGE = 1024 * 1024
MAX_PENDING_MESSAGES = 16  # partly received messages per client
# Refusals of a caller's bad input (their reprs' starts); any other RPC failure is a bug.
EXPECTED_REFUSALS = (
    "ValueError(", "TypeError(", "KeyError(", "PermissionError(", "NotDriver(",
    "RunControlError(", "RuntimeError('the engine is stopping",
)  # fmt: skip


class BoundedUnChunker(UnChunker):
    """wslink's un-chunker with a ceiling on message size and on partial messages."""

    def set_max_message_size(self, size):
        super().set_max_message_size(min(size, MAX_INCOMING_MESSAGE))

    def process_chunk(self, chunk: bytes):
        if len(self.pending_messages) >= MAX_PENDING_MESSAGES:
            # An error here closes this client's connection (and only it).
            raise ValueError(f"more than {MAX_PENDING_MESSAGES} partial messages from a client")
        return super().process_chunk(chunk)


def frame_message(frame) -> dict:
    """The standard image-push payload (what vtk.js RemoteView reads) for a rendered frame."""
    return {
        "image": frame.jpeg,
        "format": "jpeg",
        "id": VIEW_ID,
        "size": list(frame.size),
        # The viewport size this frame answers (a reduced frame is smaller than it).
        "viewSize": list(frame.view_size or frame.size),
        "mtime": frame.seq,
        "stale": False,
        "memsize": len(frame.jpeg),
        "workTime": frame.render_ms,
        "still": frame.still,
        "quality": frame.quality,
        "timestep": frame.timestep,
        "time": frame.time,
        # The live pipeline (pipeline.py): what the legend shows, and its cost this frame.
        "coloring": frame.coloring,
        "pipelineMs": frame.pipeline_ms,
        # Reduced frames (a drag, a new step's first frame): the viewer scales them up and
        # says so; budget is the render budget in force (1: the whole machine).
        "lod": frame.lod,
        "scale": frame.scale,
        "budget": frame.budget,
    }


def _size(width, height) -> list[int]:
    try:
        w, h = int(width), int(height)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"view size must be two integers, got {width!r} x {height!r}") from None
    if not (MIN_SIZE <= w <= MAX_SIZE and MIN_SIZE <= h <= MAX_SIZE):
        raise ValueError(f"view size {w}x{h} is outside {MIN_SIZE}..{MAX_SIZE} pixels")
    return [w, h]


def _number(value, name, lo, hi) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or not lo <= v <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, got {value!r}")
    return v


class ViewportProtocol(LinkProtocol):
    """The standard ParaViewWeb viewport RPCs, with their standard payloads."""

    def __init__(self, server: WebServer):
        super().__init__()
        self.server = server
        self.service = server.service

    @exportRpc("viewport.image.push.observer.add")
    def add_observer(self, view_id=VIEW_ID):
        self.server.observe(watching=True)
        self.service.request_render(still=True)
        return {"success": True, "viewId": VIEW_ID}

    @exportRpc("viewport.image.push.observer.remove")
    def remove_observer(self, view_id=VIEW_ID):
        self.server.observe(watching=False)
        return {"success": True, "viewId": VIEW_ID}

    @exportRpc("viewport.image.push")
    def push(self, options=None):
        options = options or {}
        if "size" in options and options["size"] is None and "viewport" in options:
            self.service.drop_view_size(self.server.active_client(), str(options["viewport"]))
        elif "size" in options:
            # Each viewport (``viewport``: a tag of the client's choosing) gets its own size.
            tag = options.get("viewport")
            self.service.set_view_size(
                self.server.active_client(),
                str(tag) if tag is not None else None,
                _size(*options["size"]),
            )
        self.service.request_render(still=True)
        return {"success": True, "viewId": VIEW_ID}

    @exportRpc("viewport.image.push.original.size")
    def original_size(self, view_id, width, height):
        self.service.set_view_size(self.server.active_client(), None, _size(width, height))
        return {"success": True}

    @exportRpc("viewport.image.push.quality")
    def quality(self, view_id, quality, ratio=1):
        # RemoteView sends its interactive quality as a drag starts and its still one after:
        # the quality for the frames that follow, whatever the engine would pick itself.
        self.service.set_client_quality(int(_number(quality, "quality", *QUALITY_RANGE)))
        return {"success": True}

    @exportRpc("viewport.image.push.invalidate.cache")
    def invalidate(self, view_id=VIEW_ID):
        self.service.request_render(still=True)
        return {"success": True}

    @exportRpc("viewport.image.animation.fps.max")
    def max_fps(self, fps):
        self.service.set_quality(max_fps=_number(fps, "fps", *MAX_FPS_RANGE))
        return {"success": True}

    @exportRpc("viewport.image.animation.start")
    def animation_start(self, view_id=VIEW_ID):
        # Frames are pushed whenever something changes; there is no free-running loop.
        return {"success": True}

    @exportRpc("viewport.image.animation.stop")
    def animation_stop(self, view_id=VIEW_ID):
        return {"success": True}

    @exportRpc("viewport.camera.reset")
    async def reset_camera(self, view_id=VIEW_ID):
        self.server.require_driver("resetting the camera")
        await asyncio.wrap_future(self.service.submit({"op": "reset_camera"}))
        return {"success": True}

    @exportRpc("viewport.mouse.interaction")
    def mouse(self, event):
        if not isinstance(event, dict) or event.get("action") not in ("down", "move", "up"):
            raise ValueError("a mouse event is {action: 'down'|'move'|'up', x, y, button...}")
        self.server.require_driver("moving the camera")
        self.service.mouse(event, self.server.active_client())
        return {"success": True}

    @exportRpc("viewport.mouse.zoom.wheel")
    def zoom_wheel(self, event):
        if not isinstance(event, dict):
            raise ValueError("a wheel event is {type, spinY, ...}")
        self.server.require_driver("zooming")
        self.service.wheel(event, self.server.active_client())
        return {"success": True}


class PvwProtocol(LinkProtocol):
    """The project's own RPCs: datasets, activation, colouring, status."""

    def __init__(self, server: WebServer):
        super().__init__()
        self.server = server
        self.service = server.service

    async def _submit(self, command):
        return await asyncio.wrap_future(self.service.submit(command))

    @exportRpc("pvw.status")
    async def status(self):
        return await asyncio.wrap_future(self.server.status())

    @exportRpc("pvw.datasets")
    async def datasets(self):
        ranks = await self._submit({"op": "status"})
        return {
            "ranks": {str(r["rank"]): r["datasets"] for r in ranks},
            "active": self.service.stats()["active"],
        }

    @exportRpc("pvw.activate")
    async def activate(self, name):
        if not isinstance(name, str):
            raise TypeError("pvw.activate takes a dataset name")
        self.server.require_driver("changing the pipeline")
        return await self._submit({"op": "activate", "name": name})

    @exportRpc("pvw.color_by")
    async def color_by(self, array=None, association="POINTS", name=None, range=None):
        self.server.require_driver("changing the pipeline")
        if range is not None:
            range = [
                _number(range[0], "range min", -1e300, 1e300),
                _number(range[1], "range max", -1e300, 1e300),
            ]
        return await self._submit(
            {
                "op": "color_by",
                "array": array,
                "association": association,
                "name": name,
                "range": range,
            }
        )

    @exportRpc("pvw.representation")
    async def representation(self, representation, name=None):
        self.server.require_driver("changing the pipeline")
        return await self._submit(
            {"op": "representation", "representation": representation, "name": name}
        )

    @exportRpc("pvw.quality")
    def quality(self, still, interactive, max_fps=None):
        """A viewer's settings: JPEG quality of still and interactive frames, frame-rate cap."""
        return self.service.set_quality(
            still=int(_number(still, "still quality", *QUALITY_RANGE)),
            interactive=int(_number(interactive, "interactive quality", *QUALITY_RANGE)),
            max_fps=None if max_fps is None else _number(max_fps, "max fps", *MAX_FPS_RANGE),
        )

    @exportRpc("pvw.budget")
    def budget(self, budget=None, lod=None):
        """The render budget (fraction of time while the simulation steps) and LOD on drags."""
        if lod is not None and not isinstance(lod, bool):
            raise TypeError(f"lod must be true or false, got {lod!r}")
        return self.service.set_budget(budget=budget, interactive_lod=lod)

    @exportRpc("pvw.timestep")
    def timestep(self):
        """The current step; advancing it is the simulation's call (next_timestep)."""
        stats = self.service.stats()
        return {"timestep": stats["timestep"], "time": stats["time"]}


class EngineServerProtocol(ServerProtocol):
    def __init__(self, server: WebServer):
        self._server = server
        self._handler = None
        super().__init__()

    def initialize(self):
        self.registerLinkProtocol(ViewportProtocol(self._server))
        self.registerLinkProtocol(PvwProtocol(self._server))
        from .collab_protocol import CollaborationProtocol
        from .stock_protocol import StockViewportProtocol

        self.registerLinkProtocol(PipelineProtocol(self._server))
        self.registerLinkProtocol(RunProtocol(self._server))  # pause/step/history
        self.registerLinkProtocol(CollaborationProtocol(self._server))
        self.registerLinkProtocol(StockViewportProtocol(self._server))
        self.updateSecret(self._server.secret)

    def init(self, publish, addAttachment, stopServer):
        super().init(publish, addAttachment, stopServer)
        # wslink hands every protocol its connection handler's bound methods; the handler is
        # what sends to one client and keeps the per-client un-chunkers.
        self._handler = publish.__self__
        self._server.attach(self._handler)

    # A shared engine outlives its viewers: wslink's built-in exit RPCs (which npm wslink's
    # WebsocketConnection.destroy() calls by itself) would stop it for everyone.
    @exportRpc("application.exit")
    def exit(self):
        raise PermissionError("viewers cannot stop a shared engine; its owner stops it (stop())")

    @exportRpc("application.exit.later")
    def exitLater(self, secondsLater=60):
        raise PermissionError("viewers cannot stop a shared engine; its owner stops it (stop())")

    def onConnect(self, request, client_id):
        if self._handler is not None:
            self._handler.unchunkers[client_id] = BoundedUnChunker()
        self._server.client_changed(client_id, +1)

    def onClose(self, client_id):
        self._server.client_changed(client_id, -1)


class WebServer:
    """Runs the wslink server in a thread; frames are delivered newest-first."""

    def __init__(
        self, service, host: str, port: int, secret: str, status_fn, driver_idle_s=DRIVER_IDLE_S
    ):
        self.service, self.host, self.port, self.secret = service, host, port, secret
        self._status_fn = status_fn
        self.loop: asyncio.AbstractEventLoop | None = None
        self._app = None
        self._thread: threading.Thread | None = None
        self._bound = threading.Event()
        self._error: BaseException | None = None
        # Sets of wslink client ids: wslink calls onConnect/onClose more than once per client
        # (its handler lists the server protocol among the link protocols), so count ids.
        self._clients: set = set()
        self._observers: set = set()
        self._handler = None
        self.frames_sent = 0
        self._topic_messages = 0  # pipeline and run-state messages sent
        self.run_publisher = None  # set on the server's loop (run_rpc.py)
        # Collaboration: who watches and drives, one delivery pump per client (delivery.py).
        self.presence = Presence(idle_s=driver_idle_s)
        self._pumps: dict[str, ClientPump] = {}

    # -- life cycle (called from the main thread) -----------------------------------------
    def start(self, timeout: float = 120.0) -> int:
        self._thread = threading.Thread(target=self._run, name="pvw-web-server", daemon=True)
        self._thread.start()
        if not self._bound.wait(timeout):
            raise RuntimeError(f"the web server did not start within {timeout:.0f} s")
        if self._error is not None:
            err = self._error
            if isinstance(err, OSError) and err.errno in (98, 48):  # EADDRINUSE (Linux, macOS)
                raise OSError(
                    err.errno,
                    f"port {self.port} on {self.host} is already in use: "
                    "pick another port, or port=0 for a free one",
                ) from err
            raise RuntimeError(
                f"the web server could not start on {self.host}:{self.port}: {err}"
            ) from err
        return self.port

    def stop(self, timeout: float = 10.0) -> None:
        if self.loop is None or self._app is None or self._thread is None:
            return
        if self.loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._app.stop(), self.loop)
            try:
                future.result(timeout)
            except Exception:
                pass
        self._thread.join(timeout)

    def _run(self):
        from wslink import server as wslink_server

        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        protocol = EngineServerProtocol(self)
        config = {
            "host": self.host,
            "port": self.port,
            "timeout": 0,
            "handle_signals": False,
            "ws": {"/ws": protocol},
            "ws_compress": False,
            "logging_level": logging.ERROR,
        }
        try:
            self._app = wslink_server.create_webserver(config)
            # Its only errors are RPC failures, with a traceback each: `attach`'s refuse
            # reports the unexpected ones and keeps a hostile client from flooding stderr.
            logging.getLogger("wslink.protocol").setLevel(logging.CRITICAL)
            self.run_publisher = RunStatePublisher(self)
            self.loop.create_task(self.run_publisher.run())
            self.loop.create_task(self._presence_ticker())
            self.loop.run_until_complete(self._app.start(self._on_bound))
        except BaseException as exc:  # bind errors end up here
            self._error = exc
        finally:
            self._bound.set()
            # Cancel what still runs (the publisher, the ticker, client pumps) and let it
            # finish, or closing the loop prints "Task was destroyed but it is pending". In
            # rounds: ending a task can start another, and before Python 3.12 wait_for can
            # swallow a cancel that comes as what it waits for completes.
            for _ in range(5):
                pending = [task for task in asyncio.all_tasks(self.loop) if not task.done()]
                if not pending:
                    break
                for task in pending:
                    task.cancel()
                self.loop.run_until_complete(asyncio.wait(pending, timeout=2))
            self.loop.close()

    def attach(self, handler) -> None:
        """wslink's connection handler, once it exists.

        Its answers go through the client's own pump (``delivery.py``), not wslink's send
        path, whose lock one client that stops reading would hold for everyone; error answers
        carry the message, not the engine's traceback.
        """
        self._handler = handler
        send_result, send_error = handler.sendWrappedMessage, handler.sendWrappedError

        async def answer(rpcid, content, method="", client_id=None, **kwargs):
            pump = self._pump_for(client_id) if client_id else None
            if pump is None:
                if client_id in self._pumps:
                    return  # dropped for not reading: nothing more goes to it
                return await send_result(rpcid, content, method, client_id=client_id, **kwargs)
            try:
                packed = pack_reply(rpcid, result=content)
            except Exception:  # not serialisable: wslink answers with its own error
                return await send_result(rpcid, content, method, client_id=client_id, **kwargs)
            pump.offer(rpcid, packed)

        async def refuse(rpcid, code, message, data=None, client_id=None):
            # wslink puts the server's full traceback into every error reply; a viewer needs
            # the message (data.exception), not the engine's internals. A refusal of bad input
            # is the caller's business; anything else is a bug worth rank 0's stderr.
            if isinstance(data, dict):
                trace = data.get("trace")
                if trace and not str(data.get("exception", "")).startswith(EXPECTED_REFUSALS):
                    print(f"[pvw] RPC {data.get('method')} failed:\n{trace}", file=sys.stderr)
                data = {k: v for k, v in data.items() if k != "trace"}
            pump = self._pump_for(client_id) if client_id else None
            if pump is None:
                if client_id in self._pumps:
                    return
                return await send_error(rpcid, code, message, data, client_id=client_id)
            error = {"code": code, "message": message, **({"data": data} if data else {})}
            pump.offer(rpcid, pack_reply(rpcid, error=error))

        handler.sendWrappedMessage, handler.sendWrappedError = answer, refuse

    def active_client(self):
        """The client whose RPC is being served (wslink records it before each call)."""
        return self._app.last_active_client_id if self._app is not None else None

    def _on_bound(self, port):
        self.port = port
        self._bound.set()

    # -- frames and clients -------------------------------------------------------------
    def publish_frame(self, frame) -> None:
        """From the render service: hand the frame to the pumps of the clients of its size."""
        if self.loop is None or self.loop.is_closed():
            return
        try:
            self.loop.call_soon_threadsafe(self._deliver_frame, frame)
        except RuntimeError:  # loop closed while stopping
            pass

    def publish_pipeline(self, description: list) -> None:
        """From the render service: tell every client the pipeline changed."""
        if self.loop is None or self.loop.is_closed():
            return
        try:
            self.loop.call_soon_threadsafe(self.publish_to_all, PIPELINE_TOPIC, description)
        except RuntimeError:  # loop closed while stopping
            pass

    def publish_to_all(self, topic: str, message) -> None:
        """On the server's loop: ``message`` on ``topic`` to every client, through its pump
        (the newest message of a topic replaces one not yet sent)."""
        self._topic_messages += 1
        packed = pack_publish(topic, self._topic_messages, message)
        for client_id in list(self._clients):
            pump = self._pump_for(client_id)
            if pump is not None:
                pump.offer(topic, packed)

    def _deliver_frame(self, frame) -> None:
        self.frames_sent += 1
        packed = pack_publish(IMAGE_TOPIC, frame.seq, frame_message(frame))  # once per frame
        for client_id in list(self._observers):
            if frame.view_size is None or frame.view_size in self.service.sizes_for(client_id):
                pump = self._pump_for(client_id)
                if pump is not None:
                    pump.offer(IMAGE_TOPIC, packed)

    # -- collaboration: per-client pumps, presence, the driver rule -----------------------
    def _pump_for(self, client_id) -> ClientPump | None:
        """The client's pump; None for one not (yet) connected or dropped for not reading."""
        pump = self._pumps.get(client_id)
        if pump is None:
            websocket = self._handler.connections.get(client_id) if self._handler else None
            if websocket is None or not self._handler.isClientAuthenticated(client_id):
                return None
            pump = self._pumps[client_id] = ClientPump(client_id, websocket)
        # A pump that ended stays until the client leaves, so a dropped client gets no more.
        return pump if pump.running else None

    def publish_presence(self) -> None:
        """Send who watches and who drives to every client (each learns which one it is)."""
        snapshot = self.presence.snapshot()
        for client_id in list(self._clients):
            pump = self._pump_for(client_id)
            if pump is not None:
                message = {**snapshot, "you": client_id}
                pump.offer(
                    PRESENCE_TOPIC, pack_publish(PRESENCE_TOPIC, self.presence.version, message)
                )

    def presence_changed(self, old_driver) -> None:
        """After a presence change: a driver who lost control stops dragging; tell everyone."""
        if old_driver is not None and old_driver != self.presence.driver:
            self.service.end_drag(old_driver)
        self.publish_presence()

    def require_driver(self, action: str) -> None:
        """Refuse ``action`` unless the calling client drives (or is the owner)."""
        old, version = self.presence.driver, self.presence.version
        self.presence.check(self.active_client(), action)
        if self.presence.version != version:
            self.presence_changed(old)

    async def _presence_ticker(self):
        """Pass control from an idle driver to whoever asked for it."""
        while True:
            idle = self.presence.idle_s
            await asyncio.sleep(min(1.0, idle / 4) if idle else 1.0)
            old = self.presence.driver
            if self.presence.tick():
                self.presence_changed(old)

    @property
    def clients(self) -> int:
        return len(self._clients)

    def client_changed(self, client_id, delta: int) -> None:
        if delta > 0:
            self._clients.add(client_id)
        else:
            self._clients.discard(client_id)
            self._observers.discard(client_id)
            self.service.client_left(client_id)
            pump = self._pumps.pop(client_id, None)
            if pump is not None:
                pump.cancel()
            if client_id in self.presence.viewers:
                old = self.presence.driver
                self.presence.leave(client_id)
                self.presence_changed(old)
        self.service.set_observers(len(self._observers))

    def observe(self, watching: bool) -> None:
        """The client of the RPC being served starts or stops watching frames."""
        client_id = self.active_client()
        if watching:
            self._observers.add(client_id)
            if not self.service.sizes_for(client_id):
                self.service.set_view_size(client_id, None, None)  # the default size
            if client_id not in self.presence.viewers:
                self.presence.join(client_id)  # the owner, unless identified already
                self.publish_presence()
        else:
            self._observers.discard(client_id)
        self.service.set_observers(len(self._observers))

    def status(self):
        """A concurrent future with the engine's status (gathered from every rank)."""
        return self._status_fn()
