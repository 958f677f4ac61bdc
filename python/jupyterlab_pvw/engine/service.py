"""The render service: one thread per rank, the only thread that touches ParaView.

Rank 0's service leads: it collects work (the simulation's collective calls, requests from
web clients, camera moves), broadcasts each command, then runs it. The other ranks' services
follow, running the same commands in the same order, so every collective render matches.
The simulation's main threads only post calls and wait for the part that concerns them
(the swap), never for a render.

This module is the scheduling only: what the commands do is ``commands.py``, how input
becomes a camera is ``interaction.py``, and the frame message is the web server's.
Other threads talk to the service only through its methods, which take its lock.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import os
import sys
import threading
import time
import traceback

from .. import wire
from .budget import RenderBudget, check_budget, check_lod_resolution
from .camera import Camera
from .commands import Commands
from .history import DEFAULT_MEMORY_MB, History
from .interaction import CameraInput
from .lockstep import CommandChannel
from .runcontrol import DEFAULT_PAUSE_TIMEOUT_S, STEP_BOUNDARIES, RunControl
from .scene import Scene

WAIT_NOTICE_S = 10.0  # how long a rank waits for its main thread before saying so
DEFAULTS = {
    "size": wire.DEFAULT_SIZE,
    "still_quality": wire.STILL_QUALITY,
    "interactive_quality": wire.INTERACTIVE_QUALITY,
    "max_fps": wire.MAX_FPS,
    # Pause, step and history (runcontrol.py, history.py).
    "history": 0,
    "history_memory_mb": DEFAULT_MEMORY_MB,
    "pause_timeout": DEFAULT_PAUSE_TIMEOUT_S,
    # Speed while interacting (budget.py): ParaView's LOD during drags, the render budget
    # while the simulation steps, the frame rate that interactive resolution aims for.
    "interactive_lod": wire.INTERACTIVE_LOD,
    "lod_threshold": wire.LOD_THRESHOLD_MB,
    "lod_resolution": wire.LOD_RESOLUTION,
    "budget": wire.RENDER_BUDGET,
    "target_fps": wire.TARGET_FPS,
    "driver_idle_s": wire.DRIVER_IDLE_S,  # the web server's; see presence.py
}


@dataclasses.dataclass
class Frame:
    """One rendered frame on rank 0, before the web server turns it into a message."""

    jpeg: bytes
    size: tuple[int, int]
    seq: int
    render_ms: float
    encode_ms: float
    still: bool
    quality: int
    timestep: int
    time: float
    coloring: list = dataclasses.field(default_factory=list)  # pipeline.frame_coloring()
    pipeline_ms: float = 0.0  # the pipeline's update time in this render
    lod: bool = False  # ParaView's decimated geometry (a drag)
    scale: float = 1.0  # fraction of the view size rendered; the browser scales it up
    budget: float = 1.0  # the render budget in force (1: the whole machine)

    view_size: tuple[int, int] | None = None  # the size asked for (what clients match on)


def _unbind_render_thread() -> None:
    """Let this thread (and the llvmpipe threads it starts) run on every core.

    OpenMPI binds each rank to one core, so the render thread would share it with the
    simulation's main thread while the other core idles (a drag measured 4 fps bound, 13
    unbound). The render budget, not the binding, limits what rendering takes from the run.
    Linux only (pid 0 is the calling thread); elsewhere nothing changes.
    """
    try:
        os.sched_setaffinity(0, range(os.cpu_count() or 1))
    except (AttributeError, OSError):
        pass


class Call:
    """One main-thread collective call (activate, next_timestep) and its outcome."""

    def __init__(self, seq: int, kind: str, args: dict, pieces: dict):
        self.seq, self.kind, self.args, self.pieces = seq, kind, args, pieces
        self.future: concurrent.futures.Future = concurrent.futures.Future()


class RenderService(threading.Thread):
    def __init__(self, simple, comm, shim, registry, options: dict, on_frame=None):
        super().__init__(name="pvw-render-service", daemon=True)
        self.simple, self.shim = simple, shim
        self.registry = registry
        self.channel = CommandChannel(comm)
        self.rank = self.channel.rank
        self.on_frame = on_frame  # rank 0: receives each Frame
        self.scene: Scene | None = None
        self.commands: Commands | None = None
        self.ready = concurrent.futures.Future()  # resolves once the scene exists
        self.stopped = threading.Event()
        self.failure: str | None = None  # why the service stopped, if it failed
        # Main-thread calls, matched by sequence number across ranks.
        self._calls: dict[int, Call] = {}
        self._call_seq = 0
        # Followers: set by a main-thread call so the service polls for rank 0's command fast.
        self._call_posted = threading.Event()
        # Everything below is guarded by _cond (leader state and settings).
        self._cond = threading.Condition()
        self._call_queue: collections.deque[Call] = collections.deque()
        self._ops: collections.deque = collections.deque()  # (command, future)
        self._input = CameraInput()
        self._stop_requested = False
        # None or the kind of frame wanted (budget.KINDS): "still" ends a change and outranks
        # the others; "step" is a new step's first frame, "refresh" the full still after it.
        self._render_wanted: str | None = None
        # Rank 0: the data changed since ParaView last built its LOD geometry (warm_lod).
        self._lod_stale = False
        opts = {**DEFAULTS, **options}
        self._size = list(opts["size"])  # for viewers that asked for no size of their own
        # Per-viewport sizes: (client, viewport tag) -> [w, h] or None (the default size).
        self._view_sizes: dict[tuple, list[int] | None] = {}
        self._still_quality = int(opts["still_quality"])
        self._interactive_quality = int(opts["interactive_quality"])
        self._max_fps = float(opts["max_fps"])
        # Set by the standard viewport.image.push.quality RPC: one quality for what follows.
        self._client_quality: int | None = None
        self._observers = 0  # web clients watching frames
        self._frames = 0
        self._last_render_ms: float | None = None
        self._last_encode_ms: float | None = None
        self._last_frame: Frame | None = None
        self._history_options = (int(opts["history"]), float(opts["history_memory_mb"]))
        self.run_control = RunControl(opts["pause_timeout"])  # rank 0 decides; guarded by _cond
        self._release_upto = 0
        # Rank 0: when to render and how small (budget.py); LOD settings for every rank
        # travel in the render commands.
        self._lod = bool(opts["interactive_lod"])
        # ParaView's LOD settings (threshold MB, resolution), sent with each LOD render.
        self._lod_settings = [
            float(opts["lod_threshold"]),
            check_lod_resolution(opts["lod_resolution"]),
        ]
        self._budget = RenderBudget(
            budget=check_budget(opts["budget"]), target_fps=float(opts["target_fps"])
        )

    # -- called from the simulation's main thread --------------------------------------------
    def post_call(self, kind: str, args: dict, pieces: dict) -> Call:
        self._call_seq += 1
        call = Call(self._call_seq, kind, args, pieces)
        with self._cond:
            self._calls[call.seq] = call
            if self.rank == 0:
                self._call_queue.append(call)
            self._cond.notify_all()
        if self.rank != 0:
            self._call_posted.set()
        return call

    def wait_call(self, call: Call):
        """Wait for the service to finish ``call`` on this rank; re-raise its error here."""
        waited = 0.0
        while True:
            try:
                return call.future.result(timeout=WAIT_NOTICE_S)
            except concurrent.futures.TimeoutError:
                if self.stopped.is_set():
                    raise RuntimeError(
                        f"the engine stopped before this call completed: {self.failure}"
                        if self.failure
                        else "the engine stopped before this call completed"
                    ) from None
                waited += WAIT_NOTICE_S
                print(
                    f"[pvw rank {self.rank}] {call.kind}() still waiting after {waited:.0f} s: "
                    + self._wait_reason(),
                    file=sys.stderr,
                    flush=True,
                )

    def _wait_reason(self) -> str:
        """Why a main-thread call may be held, as far as this rank can tell."""
        if self.rank == 0 and self.paused:
            return (
                "the run is paused by a viewer; resume it from the viewport, "
                "with %pvw resume or engine.resume()"
            )
        if self.rank == 0:
            return "every rank must make the same call"
        return "rank 0 holds it (the run may be paused) or not every rank made the same call"

    # -- called from rank 0's web server thread (each takes the lock) ----------------------
    def submit(self, command: dict) -> concurrent.futures.Future:
        """Queue a scene command (rank 0); the future resolves with its result."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._cond:
            if self._stop_requested or self.stopped.is_set():
                future.set_exception(RuntimeError("the engine is stopping"))
                return future
            self._ops.append((command, future))
            self._cond.notify_all()
        return future

    def mouse(self, event: dict, client=None) -> None:
        with self._cond:
            self._input.push("mouse", event, client)
            self._cond.notify_all()

    def wheel(self, event: dict, client=None) -> None:
        with self._cond:
            self._input.push("wheel", event, client)
            self._cond.notify_all()

    def client_left(self, client) -> None:
        """A client went away: a drag it left unfinished ends, with a still frame."""
        with self._cond:
            for key in [k for k in self._view_sizes if k[0] == client]:
                del self._view_sizes[key]
            if self._input.end_drag(client):
                self._render_wanted = "still"
                self._cond.notify_all()

    def request_render(self, still: bool = True) -> None:
        with self._cond:
            if still:
                self._render_wanted = "still"
            elif self._render_wanted is None:
                self._render_wanted = "interactive"
            self._cond.notify_all()

    def set_size(self, width: int, height: int) -> None:
        with self._cond:
            self._size = [int(width), int(height)]

    # -- per-viewport sizes and the shared camera (collaboration) ------------------------
    def set_view_size(self, client, tag, size=None) -> None:
        """Viewport ``tag`` of ``client`` wants frames of ``size`` (None: the default size)."""
        with self._cond:
            self._view_sizes[(client, tag)] = list(size) if size is not None else None
            self._render_wanted = "still"
            self._cond.notify_all()

    def drop_view_size(self, client, tag) -> None:
        """Viewport ``tag`` of ``client`` closed: its size is no longer rendered."""
        with self._cond:
            self._view_sizes.pop((client, tag), None)

    def sizes_for(self, client) -> set[tuple[int, int]]:
        """The frame sizes ``client``'s viewports want."""
        with self._cond:
            return {
                tuple(size or self._size)
                for key, size in self._view_sizes.items()
                if key[0] == client
            }

    @property
    def default_size(self) -> list[int]:
        with self._cond:
            return list(self._size)

    def _render_sizes(self) -> list[list[int]]:
        """Every distinct size some viewport wants (one render each per change)."""
        sizes = sorted({tuple(size or self._size) for size in self._view_sizes.values()})
        return [list(size) for size in sizes] or [list(self._size)]

    def _aspect(self, client) -> float:
        sizes = [size or self._size for key, size in self._view_sizes.items() if key[0] == client]
        width, height = sizes[0] if sizes else self._size
        return width / max(height, 1)

    def camera(self) -> dict | None:
        """The shared camera (rank 0), as Camera.to_dict()."""
        with self._cond:
            return self._input.camera.to_dict() if self._input.camera is not None else None

    def set_camera(self, camera: Camera) -> None:
        """Replace the shared camera (a stock viewport.camera.update); every viewer follows."""
        if not camera.is_finite():
            raise ValueError("the camera must have finite values and a non-zero distance")
        with self._cond:
            self._input.reset(camera)
            self._render_wanted = "still"
            self._cond.notify_all()

    def end_drag(self, client) -> None:
        """``client`` lost control: a drag it had in progress ends."""
        with self._cond:
            if self._input.end_drag(client):
                self._render_wanted = "still"
                self._cond.notify_all()

    def set_quality(self, still=None, interactive=None, max_fps=None) -> dict:
        """A viewer's settings; the engine picks still or interactive quality again."""
        with self._cond:
            self._client_quality = None
            if still is not None:
                self._still_quality = int(still)
            if interactive is not None:
                self._interactive_quality = int(interactive)
            if max_fps is not None:
                self._max_fps = float(max_fps)
            return {
                "still": self._still_quality,
                "interactive": self._interactive_quality,
                "max_fps": self._max_fps,
            }

    def set_budget(self, budget=None, interactive_lod=None) -> dict:
        """The render budget (fraction of time while stepping) and LOD while interacting."""
        with self._cond:
            if budget is not None:
                self._budget.budget = check_budget(budget)
            if interactive_lod is not None:
                self._lod = bool(interactive_lod)
            return {
                "budget": self._budget.budget,
                "interactive_lod": self._lod,
                "in_force": self._budget.limit(),
                "stepping": self._budget.stepping(),
                # ParaView's LOD geometry is built for the data shown (warm_lod, or a drag).
                "lod_ready": self._lod and not self._lod_stale,
            }

    def set_client_quality(self, quality: int) -> None:
        with self._cond:
            self._client_quality = int(quality)

    def set_observers(self, count: int) -> None:
        with self._cond:
            self._observers = count
            self.run_control.set_viewers(count, time.monotonic())

    # -- pause / step / resume and the history (rank 0; runcontrol.py, history.py) ----------
    def control_run(self, action: str) -> dict:
        """``pause``, ``step`` or ``resume`` the run; a RunControlError leaves it unchanged."""
        with self._cond:
            if action == "pause":
                self.run_control.pause(time.monotonic())
            elif action in ("step", "resume"):
                getattr(self.run_control, action)()
            else:
                raise ValueError(f"unknown run action {action!r}: pause, step or resume")
            self._cond.notify_all()
        return self.run_state()

    @property
    def paused(self) -> bool:
        """Whether the run is paused (a render budget does not apply then)."""
        with self._cond:
            return self.run_control.paused

    def run_state(self) -> dict:
        """``{paused, step, live_step, kept, ...}``: what viewers show about the run."""
        with self._cond:
            state = self.run_control.state(time.monotonic())
            commands = self.commands
        history = commands.history.summary if commands else {"kept": None}
        return {
            **state,
            "step": commands.shown_step if commands else 0,
            "live_step": commands.timestep if commands else 0,
            "time": commands.shown_time if commands else 0.0,
            "kept": history["kept"],
            "history": history,
        }

    def request_stop(self) -> None:
        with self._cond:
            self._stop_requested = True
            self.run_control.release("the engine stopped")
            # Step boundaries already waiting run before the stop (not ones posted later).
            self._release_upto = self._call_queue[-1].seq if self._call_queue else 0
            self._cond.notify_all()

    def stats(self) -> dict:
        """Frame and step counters, safe to read from any thread."""
        with self._cond:
            commands = self.commands
            return {
                "frames": self._frames,
                "last_render_ms": self._last_render_ms,
                "last_encode_ms": self._last_encode_ms,
                "timestep": commands.timestep if commands else 0,
                "time": commands.time if commands else 0.0,
                "active": self.scene.active if self.scene else None,
                "budget": self._budget.budget,
                "budget_in_force": self._budget.limit(),
                "interactive_lod": self._lod,
            }

    def last_frame(self) -> Frame | None:
        with self._cond:
            return self._last_frame

    # -- the thread ---------------------------------------------------------------------
    def run(self):
        _unbind_render_thread()
        try:
            self.scene = Scene(self.simple, self.channel, self.shim, self._size)
            history = History(*self._history_options, self.channel)
            self.commands = Commands(self.scene, self.registry, self.channel, history)
            self.ready.set_result(True)
        except BaseException as exc:
            self.ready.set_exception(exc)
            self.stopped.set()
            return
        try:
            if self.rank == 0:
                self._lead()
            else:
                self._follow()
        except BaseException:
            self._die(traceback.format_exc())
        finally:
            self._fail_pending(RuntimeError(self.failure or "the render service stopped"))
            self.stopped.set()

    def _die(self, trace: str) -> None:
        """An unexpected failure: every rank must learn of it, or the job must end.

        A silent death would leave the other ranks' main threads waiting forever in their
        next collective call. Rank 0 tells the followers; a follower cannot tell rank 0
        (which may be inside a collective with it), so it aborts the job as MPI does when
        a rank dies.
        """
        self.failure = f"the render service on rank {self.rank} failed: {trace.splitlines()[-1]}"
        print(
            f"[pvw rank {self.rank}] render service failed:\n{trace}", file=sys.stderr, flush=True
        )
        try:
            if self.rank == 0:
                self.channel.send({"op": "fail", "message": self.failure})
                return
        except BaseException:
            pass
        from mpi4py import MPI

        MPI.COMM_WORLD.Abort(1)

    def _fail_pending(self, exc):
        with self._cond:
            for call in self._calls.values():
                if not call.future.done():
                    call.future.set_exception(exc)
            for _, future in self._ops:
                if not future.done():
                    future.set_exception(exc)
            self._ops.clear()

    def _follow(self):
        while True:
            command = self.channel.receive(wake=self._call_posted)
            if command["op"] == "stop":
                self._close()
                return
            if command["op"] == "fail":
                self.failure = command["message"]
                return
            try:
                self._run(command)
            except Exception:
                pass  # every rank raised the same agreed error; rank 0 reports it

    def _lead(self):
        while True:
            command, future = self._next_command()
            self.channel.send(command)
            if command["op"] == "stop":
                self._close()
                return
            try:
                result = self._run(command)
                if future is not None and not future.done():
                    future.set_result(result)
            except Exception as exc:
                if future is not None and not future.done():
                    future.set_exception(exc)
                else:
                    print(f"[pvw] {command['op']} failed: {exc}", file=sys.stderr, flush=True)

    def _next_command(self):
        """Rank 0: the next command to broadcast, waiting (without spinning) for work."""
        with self._cond:
            while True:
                changed, ended = self._input.fold(self._aspect)
                if ended:
                    self._render_wanted = "still"
                elif changed and self._render_wanted is None:
                    self._render_wanted = "interactive"
                # A step boundary waiting when the engine stops still runs: stopping releases
                # a paused run instead of failing its next_timestep().
                head = self._call_queue[0] if self._call_queue else None
                releasing = (
                    head is not None
                    and head.kind in STEP_BOUNDARIES
                    and head.seq <= self._release_upto
                )
                if self._stop_requested and not releasing:
                    return {"op": "stop"}, None
                if self._call_queue and self.run_control.lets_through(
                    self._call_queue[0].kind, time.monotonic()
                ):
                    call = self._call_queue.popleft()
                    return {"op": "call", "seq": call.seq, "kind": call.kind}, None
                if self._ops:
                    command, future = self._ops.popleft()
                    if command["op"] == "render" and self._input.camera is not None:
                        command = {**command, "camera": self._input.camera.to_dict()}
                    return command, future
                if self._render_wanted and self._input.camera is not None:
                    kind = "interactive" if self._input.dragging else self._render_wanted
                    plan = self._budget.plan(kind, self._max_fps)
                    if plan.skip and kind == "step":
                        # Over budget: no first frame for this step; its full still follows
                        # when the budget allows, unless the next step comes first.
                        self._render_wanted = "refresh"
                        continue
                    if plan.skip or plan.wait > 0:
                        # Not now: the budget's pause, or a refresh that would be stale when
                        # done (it stays wanted; the next step's frame may replace it).
                        self._cond.wait(min(max(plan.wait, 0.01), 0.5))
                        continue
                    self._render_wanted = None
                    still = kind in ("still", "refresh")
                    quality = self._still_quality if still else self._interactive_quality
                    if self._client_quality is not None:
                        quality = self._client_quality
                    if not self._lod:
                        plan.scale = 1.0  # full detail while interacting: fewer frames only
                    return {
                        "op": "render",
                        "camera": self._input.camera.to_dict(),
                        "sizes": self._render_sizes(),
                        "quality": quality,
                        "still": still,
                        "kind": kind,
                        "scale": plan.scale,
                        "budget": plan.budget,
                        "lod": kind == "interactive" and self._lod,
                        "lod_settings": self._lod_settings,
                    }, None
                if self._should_warm_lod():
                    self._lod_stale = False
                    return {"op": "warm_lod", "lod_settings": self._lod_settings}, None
                self._cond.wait(0.5)

    def _should_warm_lod(self) -> bool:
        """Idle, someone watching, LOD on and new data: build the LOD geometry now.

        ParaView decimates at the first interactive render after a change (about a second
        for 1e6 triangles), which would be the first frame of the next drag. Not while the
        simulation steps: the LOD would be rebuilt every step, taking the run's cores.
        """
        return (
            self._lod_stale
            and self._lod
            and self._observers > 0
            and self._input.camera is not None
            and not self._budget.stepping()
        )

    # -- commands, on every rank ----------------------------------------------------------
    def _run(self, command: dict):
        op = command["op"]
        if op == "call":
            return self._run_call(command)
        if op == "render":
            return self._render(command)
        if op == "warm_lod":
            return self._warm_lod(command)
        args = {k: v for k, v in command.items() if k != "op"}
        result = self.channel.agreed(self.commands.run, op, args)
        self._after_scene_change(op)
        return result

    def _take_call(self, seq: int) -> Call:
        """The local main thread's call number ``seq`` (followers wait for it)."""
        waited = 0.0
        with self._cond:
            while seq not in self._calls:
                if not self._cond.wait(WAIT_NOTICE_S):
                    waited += WAIT_NOTICE_S
                    print(
                        f"[pvw rank {self.rank}] rank 0 made collective call #{seq}; this rank's "
                        f"main thread has not yet ({waited:.0f} s)",
                        file=sys.stderr,
                        flush=True,
                    )
            return self._calls.pop(seq)

    def _run_call(self, command: dict):
        call = self._take_call(command["seq"])
        try:
            if call.kind != command["kind"]:
                raise RuntimeError(
                    f"rank {self.rank} called {call.kind}() where rank 0 called "
                    f"{command['kind']}(): every rank must make the same calls"
                )
            result = self.channel.agreed(self.commands.run, call.kind, call.args, call.pieces)
        except Exception as exc:
            call.future.set_exception(exc)
            return None
        call.future.set_result(result)
        self._after_scene_change(call.kind)
        return result

    def _after_scene_change(self, op: str) -> None:
        """Rank 0: take the camera from the scene if the command reset it; ask for a frame."""
        if op == "pipeline":
            return self._after_pipeline_change()
        if op in Commands.PIPELINE_EDITS:
            # Collective (every rank gets here after an agreed success): the pipeline panel
            # shows the dataset's colouring and representation, whichever RPC changed them.
            self._publish_pipeline(self.scene.pipeline.describe())
        if self.rank != 0 or op == "status" or self.scene.active is None:
            return
        with self._cond:
            if op in Commands.GEOMETRY_CHANGES:
                self._lod_stale = True
            if op in Commands.CAMERA_RESETS or self._input.camera is None:
                self._input.reset(self.scene.camera())
            if op == "next_timestep":
                self._budget.step()
                if self._observers > 0 and self._render_wanted != "still":
                    # A reduced frame of the new step first; the full still follows. A still
                    # already wanted (a change ended) shows the new step at full size.
                    self._render_wanted = "step"
            elif self._observers > 0 or op == "reset_camera":
                self._render_wanted = "still"

    # == Pipeline (engine/pipeline.py) ===== the commands are Commands.do_pipeline ==========
    on_pipeline = None  # rank 0: receives the new pipeline description after each change

    def _after_pipeline_change(self) -> None:
        """Rank 0: publish the description do_pipeline agreed on; a frame for the viewers.

        Unlike other scene changes this needs no active dataset: a filter on a dataset never
        shown still makes the scene something to look at."""
        description = self.commands.take_pipeline_change()
        if self.rank != 0 or description is None:
            return
        with self._cond:
            self._lod_stale = True
            if self._input.camera is None:
                self._input.reset(self.scene.camera())
            if self._observers > 0:
                self._render_wanted = "still"
        self._publish_pipeline(description)

    def _publish_pipeline(self, description: list) -> None:
        if self.rank == 0 and self.on_pipeline is not None:
            self.on_pipeline(description)

    # == end of the pipeline block ===========================================================

    def _render(self, command: dict):
        """One render per size asked for, all with the same camera; frames go to on_frame.

        Each size is rendered at the budget's scale (a reduced frame while interacting);
        frames carry the size asked for, which clients match on, and the size rendered."""
        clock = self._budget.clock
        start = clock()
        lod = command.get("lod", False)
        if lod:
            self.scene.set_lod(*command["lod_settings"])
        camera = Camera.from_dict(command["camera"]) if command.get("camera") else None
        frames = [self._render_size(command, camera, size, lod) for size in command["sizes"]]
        if self.rank != 0:
            return None
        if lod:
            with self._cond:
                self._lod_stale = False  # this render built it
        kind = command.get("kind", "still")
        with self._cond:
            self._budget.record(kind, start, clock(), command.get("scale", 1.0))
            if kind == "step" and self._render_wanted is None:
                self._render_wanted = "refresh"  # the full still of the new step follows
        return {"mtime": frames[-1].seq, "frames": frames}

    def _warm_lod(self, command: dict) -> None:
        """An interactive render nobody sees, so ParaView builds its LOD geometry now."""
        self.scene.set_lod(*command["lod_settings"])
        self.scene.render(None, list(self.scene.view.ViewSize), 1, False, lod=True, still=False)

    def _render_size(self, command: dict, camera, size, lod: bool) -> Frame | None:
        scale = command.get("scale", 1.0)
        rendered = [max(wire.MIN_SIZE, round(n * scale)) for n in size]
        jpeg, width, height, ms, encode_ms, used_lod = self.scene.render(
            camera, rendered, command["quality"], self.rank == 0, lod, command.get("still", True)
        )
        if self.rank != 0:
            return None
        with self._cond:
            self._frames += 1
            self._last_render_ms = round(ms - encode_ms, 2)
            self._last_encode_ms = round(encode_ms, 2)
            frame = Frame(
                jpeg=jpeg,
                size=(width, height),
                seq=self._frames,
                render_ms=round(ms, 2),
                encode_ms=round(encode_ms, 2),
                still=command["still"],
                quality=command["quality"],
                timestep=self.commands.shown_step,
                time=self.commands.shown_time,
                coloring=self.scene.pipeline.frame_coloring(),
                pipeline_ms=round(self.scene.pipeline.last_update_ms, 2),
                lod=used_lod,
                scale=command.get("scale", 1.0),
                budget=command.get("budget", 1.0),
                view_size=tuple(size),
            )
            self._last_frame = frame
        if self.on_frame is not None and command.get("publish", True):
            self.on_frame(frame)
        return frame

    def _close(self):
        if self.scene is not None and self.scene.view is not None:
            self.scene.close()
