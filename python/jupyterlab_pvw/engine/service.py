"""The render service: one thread per rank, the only thread that touches ParaView.

Rank 0's service leads: it collects work (the simulation's collective calls, requests from
web clients, camera moves), broadcasts each command, then runs it. The other ranks' services
follow, running the same commands in the same order, so every collective render matches.
The simulation's main threads only post calls and wait for the part that concerns them
(the swap), never for a render.
"""

from __future__ import annotations

import collections
import concurrent.futures
import sys
import threading
import time
import traceback

from .camera import Camera, Interaction, wheel
from .lockstep import ChannelClosed, CommandChannel
from .scene import Scene

WAIT_NOTICE_S = 10.0  # how long a rank waits for its main thread before saying so
_ERROR_TYPES = {"KeyError": KeyError, "ValueError": ValueError, "TypeError": TypeError}


class Call:
    """One main-thread collective call (activate, next_timestep) and its outcome."""

    def __init__(self, seq: int, kind: str, args: dict, pieces: dict):
        self.seq, self.kind, self.args, self.pieces = seq, kind, args, pieces
        self.future: concurrent.futures.Future = concurrent.futures.Future()


def _message(exc: BaseException) -> str:
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)


class RenderService(threading.Thread):
    def __init__(self, simple, comm, shim, registry, options: dict, on_frame=None):
        super().__init__(name="pvw-render-service", daemon=True)
        self.simple, self.shim = simple, shim
        self.registry = registry
        self.channel = CommandChannel(comm)
        self.rank = self.channel.rank
        self.on_frame = on_frame  # rank 0: receives each encoded frame (dict)
        self.scene: Scene | None = None
        self.ready = concurrent.futures.Future()  # resolves once the scene exists
        self.stopped = threading.Event()
        # Main-thread calls, matched by sequence number across ranks.
        self._calls: dict[int, Call] = {}
        self._call_seq = 0
        # Leader state, guarded by _cond.
        self._cond = threading.Condition()
        self._call_queue: collections.deque[Call] = collections.deque()
        self._ops: collections.deque = collections.deque()  # (command, future)
        self._events: collections.deque = collections.deque()  # mouse / wheel events
        self._stop_requested = False
        self._render_wanted: str | None = None  # None, "interactive" or "still"
        self.camera: Camera | None = None
        self.interaction = Interaction()
        self.size = list(options.get("size", (600, 600)))
        self.still_quality = int(options.get("still_quality", 90))
        self.interactive_quality = int(options.get("interactive_quality", 50))
        self.max_fps = float(options.get("max_fps", 60))
        # Set by the standard viewport.image.push.quality RPC: one quality for what follows.
        self.client_quality: int | None = None
        self.observers = 0  # web clients watching frames (set by the server)
        self.stats = {
            "frames": 0,
            "last_render_ms": None,
            "last_encode_ms": None,
            "timestep": 0,
            "time": 0.0,
            "last_frame": None,
        }
        self._last_render_start = 0.0

    # -- called from the simulation's main thread --------------------------------------------
    def post_call(self, kind: str, args: dict, pieces: dict) -> Call:
        self._call_seq += 1
        call = Call(self._call_seq, kind, args, pieces)
        with self._cond:
            self._calls[call.seq] = call
            if self.rank == 0:
                self._call_queue.append(call)
            self._cond.notify_all()
        return call

    def wait_call(self, call: Call):
        """Wait for the service to finish ``call`` on this rank; re-raise its error here."""
        waited = 0.0
        while True:
            try:
                return call.future.result(timeout=WAIT_NOTICE_S)
            except concurrent.futures.TimeoutError:
                if self.stopped.is_set():
                    raise RuntimeError("the engine stopped before this call completed") from None
                waited += WAIT_NOTICE_S
                print(
                    f"[pvw rank {self.rank}] {call.kind}() still waiting after {waited:.0f} s: "
                    "every rank must make the same call",
                    file=sys.stderr,
                    flush=True,
                )

    # -- called from rank 0's web server thread -------------------------------------------
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

    def mouse(self, event: dict) -> None:
        with self._cond:
            self._events.append(("mouse", event))
            self._cond.notify_all()

    def wheel(self, event: dict) -> None:
        with self._cond:
            self._events.append(("wheel", event))
            self._cond.notify_all()

    def request_render(self, still: bool = True) -> None:
        with self._cond:
            self._render_wanted = (
                "still" if still or self._render_wanted == "still" else "interactive"
            )
            self._cond.notify_all()

    def request_stop(self) -> None:
        with self._cond:
            self._stop_requested = True
            self._cond.notify_all()

    # -- the thread ---------------------------------------------------------------------
    def run(self):
        try:
            self.scene = Scene(self.simple, self.channel, self.shim, self.size)
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
        except ChannelClosed:
            pass
        except BaseException:
            print(
                f"[pvw rank {self.rank}] render service failed:\n{traceback.format_exc()}",
                file=sys.stderr,
                flush=True,
            )
        finally:
            self._fail_pending(RuntimeError("the render service stopped"))
            self.stopped.set()

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
            command = self.channel.receive()
            if command["op"] == "stop":
                self._close()
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
                self._apply_events()
                if self._stop_requested:
                    return {"op": "stop"}, None
                if self._call_queue:
                    call = self._call_queue.popleft()
                    return {"op": "call", "seq": call.seq, "kind": call.kind}, None
                if self._ops:
                    return self._ops.popleft()
                if self._render_wanted and self.camera is not None:
                    still = self._render_wanted == "still" and not self.interaction.active
                    if not still:  # cap the interactive frame rate
                        wait = self._last_render_start + 1.0 / self.max_fps - time.monotonic()
                        if wait > 0:
                            self._cond.wait(wait)
                            continue
                    self._render_wanted = None
                    quality = self.still_quality if still else self.interactive_quality
                    if self.client_quality is not None:
                        quality = self.client_quality
                    return {
                        "op": "render",
                        "camera": self.camera.to_dict(),
                        "size": list(self.size),
                        "quality": quality,
                        "still": still,
                    }, None
                self._cond.wait(0.5)

    def _apply_events(self):
        """Turn queued mouse and wheel events into one camera (newest state wins)."""
        changed = False
        while self._events and self.camera is not None:
            kind, event = self._events.popleft()
            try:
                if kind == "mouse":
                    was_active = self.interaction.active
                    changed |= self.interaction.handle(
                        self.camera, event, self.size[0] / max(self.size[1], 1)
                    )
                    if was_active and not self.interaction.active:
                        self._render_wanted = "still"  # full quality when the drag ends
                elif kind == "wheel":
                    changed |= wheel(self.camera, event)
                    if event.get("type") == "EndMouseWheel":
                        self._render_wanted = "still"
            except (TypeError, ValueError) as exc:
                print(f"[pvw] ignored a bad {kind} event: {exc}", file=sys.stderr)
        if changed and self._render_wanted is None:
            self._render_wanted = "interactive"

    # -- commands, on every rank ----------------------------------------------------------
    def _run(self, command: dict):
        op = command["op"]
        if op == "call":
            return self._run_call(command)
        if op == "render":
            return self._render(command)
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            raise ValueError(f"unknown engine command {op!r}")
        return self._agreed(handler, command)

    def _agreed(self, fn, *args):
        """Run ``fn`` on every rank; if it fails anywhere, every rank raises the same error."""
        local = None
        result = None
        try:
            result = fn(*args)
        except Exception as exc:
            local = (type(exc).__name__, _message(exc))
        errors = self.channel.allgather(local)
        unanimous = all(e == errors[0] for e in errors)
        for rank, error in enumerate(errors):
            if error is not None:
                kind, message = error
                if not unanimous:  # name the rank only where ranks disagree
                    message = f"rank {rank}: {message}"
                raise _ERROR_TYPES.get(kind, RuntimeError)(message)
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
            result = self._agreed(getattr(self, f"_call_{call.kind}"), call)
        except Exception as exc:
            call.future.set_exception(exc)
            return None
        call.future.set_result(result)
        if self.rank == 0:
            self._after_scene_change()
        return result

    def _after_scene_change(self):
        if self.scene.active is not None:
            with self._cond:
                self.camera = self.camera or self.scene.camera()
                if self.observers > 0:
                    self._render_wanted = "still"

    # Each _call_* and _op_* runs on every rank, in lockstep.
    def _call_activate(self, call: Call):
        name = call.args["name"]
        piece = call.pieces.get(name)
        return self._activate(name, piece, call.pieces)

    def _activate(self, name, piece, pieces):
        known = self.channel.allgather(sorted(pieces))
        missing = [r for r, names in enumerate(known) if name not in names]
        if missing:
            everywhere = sorted(set.intersection(*[set(n) for n in known]))
            raise KeyError(
                f"no dataset named {name!r} on rank(s) {missing}; registered on every "
                f"rank: {everywhere or 'none'}"
            )
        types = self.channel.allgather(piece.GetClassName())
        if len(set(types)) > 1:
            raise TypeError(f"dataset {name!r} has different types across ranks: {types}")
        self.scene.set_piece(name, piece)
        self.scene.show(name, piece)
        if self.rank == 0:
            with self._cond:
                self.camera = self.scene.camera()
        return {"active": name}

    def _call_next_timestep(self, call: Call):
        value = call.args.get("time")
        pieces = call.pieces
        # Agree first on what every rank swaps in, so the collectives below stay matched.
        local = sorted((n, pieces[n].GetClassName()) for n in self.scene.producers if n in pieces)
        everyone = self.channel.allgather(local)
        if any(other != everyone[0] for other in everyone):
            raise ValueError(
                f"ranks registered different datasets for this step: {everyone}; "
                "every rank must register each shown dataset with the same type"
            )
        for name, _ in local:
            self.scene.set_piece(name, pieces[name])
            self.scene.grow_range(name, pieces[name])
        self.stats["timestep"] += 1
        value = float(self.stats["timestep"] if value is None else value)
        self.scene.set_time(value)
        self.stats["time"] = value
        return {"timestep": self.stats["timestep"], "time": value}

    def _op_color_by(self, command):
        name = command.get("name") or self.scene.active
        if name not in self.scene.producers:
            raise KeyError(
                f"no active dataset named {name!r}; shown: {sorted(self.scene.producers)}"
            )
        piece = self.scene.producers[name][0].GetClientSideObject().GetOutputDataObject(0)
        association = (command.get("association") or "POINTS").upper()
        if association not in ("POINTS", "CELLS"):
            raise ValueError(f"association must be 'POINTS' or 'CELLS', got {association!r}")
        self.scene.color_by(name, piece, association, command.get("array"), command.get("range"))
        self._after_scene_change()
        return {"name": name, "coloring": self.scene.coloring.get(name)}

    def _op_representation(self, command):
        name = command.get("name") or self.scene.active
        if name not in self.scene.producers:
            raise KeyError(
                f"no active dataset named {name!r}; shown: {sorted(self.scene.producers)}"
            )
        self.scene.set_representation(name, command["representation"])
        self._after_scene_change()
        return {"name": name, "representation": command["representation"]}

    def _op_reset_camera(self, command):
        self.scene.reset_camera()
        if self.rank == 0:
            with self._cond:
                self.camera = self.scene.camera()
                self._render_wanted = "still"
        return self.camera.to_dict() if self.rank == 0 and self.camera else None

    def _op_status(self, command):
        local = {
            "rank": self.rank,
            "datasets": self.registry.names(),
            "native_render": self.shim is not None,
        }
        return self.channel.gather(local)

    def _op_activate(self, command):
        """Activation asked for from the web: every rank uses its currently registered pieces."""
        pieces = self.registry.snapshot()
        result = self._activate(command["name"], pieces.get(command["name"]), pieces)
        self._after_scene_change()
        return result

    # == Pipeline (engine/pipeline.py) ===== thin delegates, kept together for the split ==
    on_pipeline = None  # rank 0: receives the new pipeline description after each change

    def _call_pipeline(self, call: Call):
        """A pipeline call from the simulation's main threads (engine.add_filter, ...)."""
        args = {k: v for k, v in call.args["args"].items() if k != "fn"}
        asked = self.channel.allgather(repr((call.args["action"], sorted(args.items()))))
        if any(a != asked[0] for a in asked):
            raise ValueError(
                f"ranks made different pipeline calls: {asked}; every rank must pass the same"
            )
        return self._pipeline(call.args["action"], call.args["args"], call.pieces)

    def _op_pipeline(self, command):
        """A pipeline request from a web client: every rank uses its registered pieces."""
        return self._pipeline(
            command["action"], command.get("args") or {}, self.registry.snapshot()
        )

    def _pipeline(self, action: str, args: dict, pieces: dict):
        result, changed = self.scene.pipeline_request(action, args, pieces)
        if changed:
            description = self.scene.pipeline.describe()  # collective
            if self.rank == 0:
                with self._cond:
                    self.camera = self.camera or self.scene.camera()
                    if self.observers > 0:
                        self._render_wanted = "still"
                if self.on_pipeline is not None:
                    self.on_pipeline(description)
        return result

    # == end of the pipeline block ===========================================================

    def _render(self, command: dict):
        self._last_render_start = time.monotonic()
        camera = Camera.from_dict(command["camera"])
        jpeg, width, height, ms, encode_ms = self.scene.render(
            camera, command["size"], command["quality"], self.rank == 0
        )
        if self.rank != 0:
            return None
        self.stats["frames"] += 1
        self.stats["last_render_ms"] = round(ms - encode_ms, 2)
        self.stats["last_encode_ms"] = round(encode_ms, 2)
        frame = {
            "image": jpeg,
            "format": "jpeg",
            "id": "1",
            "size": [width, height],
            "mtime": self.stats["frames"],
            "stale": False,
            "memsize": len(jpeg),
            "workTime": round(ms, 2),
            "still": command["still"],
            "quality": command["quality"],
            "timestep": self.stats["timestep"],
            "time": self.stats["time"],
            "coloring": self.scene.pipeline.frame_coloring(),
            "pipelineMs": round(self.scene.pipeline.last_update_ms, 2),
        }
        self.stats["last_frame"] = frame
        if self.on_frame is not None:
            self.on_frame(frame)
        return {"mtime": frame["mtime"]}

    def _close(self):
        if self.scene is not None and self.scene.view is not None:
            self.scene.close()
