"""The scene commands: what every rank runs, in lockstep, when the render service says so.

Each method runs on every rank in the same order (the render service guarantees it) and
may use collectives through the channel. Errors are agreed by the service, so every rank
raises the same one. Main-thread calls (from the simulation) bring the pieces the rank had
registered when it made the call; commands from the web use the pieces registered now.
"""

from __future__ import annotations

from .lockstep import CommandChannel
from .registry import DatasetRegistry
from .scene import Scene


class Commands:
    # Commands after which rank 0 takes the camera from the scene again.
    CAMERA_RESETS = frozenset({"activate", "reset_camera"})

    def __init__(self, scene: Scene, registry: DatasetRegistry, channel: CommandChannel):
        self.scene, self.registry, self.channel = scene, registry, channel
        self.timestep = 0
        self.time = 0.0

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
        if len(set(types)) > 1:
            raise TypeError(f"dataset {name!r} has different types across ranks: {types}")
        self.scene.set_piece(name, piece)
        self.scene.show(name, piece)
        return {"active": name}

    def do_next_timestep(self, pieces: dict, time: float | None = None):
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
        self.timestep += 1
        self.time = float(self.timestep if time is None else time)
        self.scene.set_time(self.time)
        return {"timestep": self.timestep, "time": self.time}

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
        }
        return self.channel.gather(local)
