"""The scene commands: what every rank runs, in lockstep, when the render service says so.

Each method runs on every rank in the same order (the render service guarantees it) and
may use collectives through the channel. Errors are agreed by the service, so every rank
raises the same one. Main-thread calls (from the simulation) bring the pieces the rank had
registered when it made the call; commands from the web use the pieces registered now.
"""

from __future__ import annotations

from .history import History
from .lockstep import CommandChannel
from .registry import DatasetRegistry
from .scene import Scene


class Commands:
    # Commands after which rank 0 takes the camera from the scene again.
    CAMERA_RESETS = frozenset({"activate", "reset_camera"})
    # Commands after which ParaView's LOD geometry must be built again.
    GEOMETRY_CHANGES = frozenset({"activate", "next_timestep", "history_goto"})
    # Commands outside do_pipeline that change what the pipeline's description shows.
    PIPELINE_EDITS = frozenset({"activate", "color_by", "representation"})

    def __init__(
        self,
        scene: Scene,
        registry: DatasetRegistry,
        channel: CommandChannel,
        history: History | None = None,
    ):
        self.scene, self.registry, self.channel = scene, registry, channel
        self.timestep = 0
        self.time = 0.0
        # History: the kept steps, and which one is shown (None: the live one).
        self.history = history or History(0, 1, channel)
        self.live_pieces: dict = {}  # the newest step's pieces, to return to live
        self.looking_back: tuple[int, float] | None = None  # (step, time) shown instead
        self._pipeline_change: list | None = None  # the description after a pipeline change

    @property
    def shown_step(self) -> int:
        return self.looking_back[0] if self.looking_back else self.timestep

    @property
    def shown_time(self) -> float:
        return self.looking_back[1] if self.looking_back else self.time

    def run(self, op: str, args: dict, pieces: dict | None = None):
        handler = getattr(self, f"do_{op}", None)
        if handler is None:
            raise ValueError(f"unknown engine command {op!r}")
        if pieces is None:
            pieces = self.registry.snapshot()
        return handler(pieces, **args)

    def _shown(self, name: str | None) -> str:
        name = name or self.scene.active
        if name not in self.scene.producers:
            raise KeyError(
                f"no shown dataset named {name!r}; shown: {sorted(self.scene.producers)}"
            )
        return name

    def do_activate(self, pieces: dict, name: str):
        known = self.channel.allgather(sorted(pieces))
        missing = [r for r, names in enumerate(known) if name not in names]
        if missing:
            everywhere = sorted(set.intersection(*[set(n) for n in known]))
            raise KeyError(
                f"no dataset named {name!r} on rank(s) {missing}; registered on every "
                f"rank: {everywhere or 'none'}"
            )
        piece = pieces[name]
        types = self.channel.allgather(piece.GetClassName())
        self._go_live()
        if len(set(types)) > 1:
            raise TypeError(f"dataset {name!r} has different types across ranks: {types}")
        self.scene.set_piece(name, piece)
        self.live_pieces[name] = piece
        self.scene.show(name, piece)
        return {"active": name}

    def do_next_timestep(self, pieces: dict, time: float | None = None):
        # Agree first on what every rank swaps in, so the collectives below stay matched;
        # the image pieces' extents travel in the same gather (set_piece needs them all).
        names = sorted(n for n in self.scene.producers if n in pieces)
        local = [(n, pieces[n].GetClassName(), self.scene.local_extent(pieces[n])) for n in names]
        everyone = self.channel.allgather(local)
        kinds = [[(n, kind) for n, kind, _ in rank] for rank in everyone]
        if any(other != kinds[0] for other in kinds):
            raise ValueError(
                f"ranks registered different datasets for this step: {kinds}; "
                "every rank must register each shown dataset with the same type"
            )
        live = {name: pieces[name] for name in names}
        if self.looking_back is None:  # looking back: keep the new step, do not show it
            for i, name in enumerate(names):
                self.scene.set_piece(name, pieces[name], [rank[i][2] for rank in everyone])
        self.live_pieces.update(live)
        self.timestep += 1
        self.time = float(self.timestep if time is None else time)
        if self.looking_back is None:
            self.scene.set_time(self.time)
        self.history.keep(self.timestep, self.time, live)
        return {"timestep": self.timestep, "time": self.time}

    def do_checkpoint(self, pieces):
        """A step boundary the simulation marks itself: nothing to swap, a pause holds it."""
        return {"timestep": self.timestep, "time": self.time}

    def do_history_goto(self, pieces, step):
        """Show kept step ``step`` (its pieces swapped into the producers), or ``"live"``."""
        if step == "live" or step == self.timestep:
            self._go_live()
            return {"step": self.timestep}
        if isinstance(step, bool) or not isinstance(step, int):
            raise TypeError(f"a step is a whole number or 'live', got {step!r}")
        kept = self.history.get(step)
        for name, piece in kept.pieces.items():
            if name in self.scene.producers:
                self.scene.set_piece(name, piece)
        self.looking_back = (step, kept.time)
        self.scene.set_time(kept.time)
        return {"step": step}

    def _go_live(self) -> None:
        if self.looking_back is None:
            return
        for name, piece in self.live_pieces.items():
            if name in self.scene.producers:
                self.scene.set_piece(name, piece)
        self.looking_back = None
        self.scene.set_time(self.time)

    def do_color_by(self, pieces, name=None, array=None, association=None, range=None):
        name = self._shown(name)
        piece = self.scene.producers[name][0].GetClientSideObject().GetOutputDataObject(0)
        association = (association or "POINTS").upper()
        if association not in ("POINTS", "CELLS"):
            raise ValueError(f"association must be 'POINTS' or 'CELLS', got {association!r}")
        self.scene.color_by(name, piece, association, array, range)
        return {"name": name, "coloring": self.scene.coloring.get(name)}

    def do_representation(self, pieces, representation: str, name=None):
        name = self._shown(name)
        self.scene.set_representation(name, representation)
        return {"name": name, "representation": representation}

    def do_reset_camera(self, pieces):
        self.scene.reset_camera()
        return None

    def do_visible_bounds(self, pieces):
        """The bounds of what every rank shows (stock viewport.camera.get's ``bounds``)."""
        return self.scene.visible_bounds()

    def do_status(self, pieces):
        """Every rank's registered datasets, gathered on rank 0."""
        local = {
            "rank": self.channel.rank,
            "datasets": sorted(pieces),
            "native_render": self.scene.shim is not None,
            "history": self.history.summary,
        }
        return self.channel.gather(local)

    # -- the live pipeline (engine/pipeline.py, through Scene.pipeline_request) -------------
    def do_pipeline(self, pieces, action: str, args: dict | None = None):
        """One pipeline action (add, set, remove, color_by, run, load, list, ...).

        The pipeline rolls back its own partial changes when a rank fails; the service agrees
        the error. After a change every rank builds the new description (collective) for
        ``take_pipeline_change``.
        """
        self._pipeline_change = None
        args = args or {}
        # A function cannot be compared across ranks; everything else must match.
        asked = self.channel.allgather(
            repr((action, sorted((k, v) for k, v in args.items() if k != "fn")))
        )
        if any(a != asked[0] for a in asked):
            raise ValueError(
                f"ranks made different pipeline calls: {asked}; every rank must pass the same"
            )
        result, changed = self.scene.pipeline_request(action, args, pieces)
        if changed:
            self._pipeline_change = self.scene.pipeline.describe()
        return result

    def take_pipeline_change(self) -> list | None:
        """The description after the last pipeline command, if it changed anything (once)."""
        change, self._pipeline_change = self._pipeline_change, None
        return change
