"""The ParaViewWeb engine that runs inside every MPI rank of a simulation.

Knows nothing of Jupyter: the same calls work in ipyparallel engines and under a plain
``mpiexec -n 4 python sim.py``::

    from jupyterlab_pvw import engine
    info = engine.start()                       # collective; rank 0 serves wslink
    engine.register("T", engine.image(extent, point_data={"T": u}))   # local, zero copy
    engine.activate("T")                        # collective
    for step in ...:
        ...; engine.register("T", ...)
        engine.next_timestep(t)                 # collective; swaps every rank's piece
    engine.stop()                               # collective
"""

from __future__ import annotations

# Loaded first so that the function ``pipeline()`` below, not this module, is the
# package's attribute (a submodule imported later would replace it).
from . import pipeline as _pipeline_module  # noqa: F401
from .datasets import image, rectilinear, structured, unstructured
from .registry import DatasetRegistry
from .session import EngineSession, NotStarted

_registry = DatasetRegistry()
_session = EngineSession(_registry)

__all__ = [
    "start",
    "stop",
    "register",
    "unregister",
    "activate",
    "next_timestep",
    "checkpoint",
    "pause",
    "step",
    "resume",
    "run_state",
    "history_goto",
    "budget",
    "status",
    "last_frame",
    "image",
    "rectilinear",
    "structured",
    "unstructured",
    "NotStarted",
    "add_filter",
    "set_properties",
    "remove",
    "show",
    "hide",
    "color_by",
    "scalar_bar",
    "representation",
    "pipeline",
    "pipeline_code",
    "load_pipeline",
    "run_pipeline",
    "run_pipeline_code",
    "filter_kinds",
    "presets",
]


def start(host: str = "127.0.0.1", port: int = 0, secret: str | None = None, **options) -> dict:
    """Collective: start ParaView's render service on every rank and, on rank 0, the web server.

    Options: ``size`` (w, h), ``still_quality`` and ``interactive_quality`` (JPEG 1-100),
    ``max_fps``; ``history`` (keep the last K steps to look back at, default 0),
    ``history_memory_mb`` (refuse a history bigger than this per rank, default 1024),
    ``pause_timeout`` (seconds a pause lasts without any viewer, default 300).
    Returns ``{host, port, secret, url, ranks}`` on every rank.
    """
    return _session.start(host=host, port=port, secret=secret, **options)


def stop() -> None:
    """Collective: close clients, stop the server and the service threads, free the port."""
    _session.stop()


def register(name: str, piece, copy: bool = False) -> None:
    """Local and cheap: keep a reference to this rank's ``piece`` for ``name`` (no copy).

    ParaView reads the piece's memory when it renders, so do not overwrite it in place
    before the next ``next_timestep()``; pass ``copy=True`` if you must.
    """
    _registry.register(name, piece, copy=copy)


def unregister(name: str) -> None:
    """Local: forget this rank's piece for ``name``."""
    _registry.unregister(name)


def activate(name: str) -> dict:
    """Collective: show ``name`` (every rank's registered piece), coloured by its first array."""
    return _session.activate(name)


def next_timestep(time: float | None = None) -> dict:
    """Collective: swap every rank's latest pieces in at once and push a new frame.

    Returns once this rank's swap is done; the render happens in the background.
    """
    return _session.next_timestep(time)


def budget(budget: float | None = None, lod: bool | None = None) -> dict:
    """The render budget: the fraction of time rendering may take while the simulation
    steps (rank 0 decides; call it on rank 0 or on every rank), and whether drags get
    reduced frames (``lod``). No arguments: read them."""
    return _session.budget(budget, lod)


def status() -> dict:
    """Datasets per rank, the active one, clients, frames pushed, last render/encode ms.

    On rank 0 this covers every rank; elsewhere only the calling rank.
    """
    return _session.status()


def last_frame():
    """Rank 0: the newest frame pushed (``{"image": jpeg bytes, "size": [w, h], ...}``)."""
    return _session.last_frame()


def checkpoint() -> dict:
    """Collective: mark a step boundary without a new step; a pause holds the run here.

    For loops that do not call ``next_timestep()`` every iteration.
    """
    return _session.checkpoint()


# Pause, step, resume and the history are decided on rank 0; on the other ranks these do
# nothing and return None, so the same code may run on every rank. Not collective: call them
# from anywhere (another thread, a notebook), never needed inside the simulation's loop.
def pause() -> dict | None:
    """Hold the run at its next step boundary (``next_timestep()`` or ``checkpoint()``)."""
    return _session.control_run("pause")


def step() -> dict | None:
    """While paused: let exactly one step boundary through, then hold again."""
    return _session.control_run("step")


def resume() -> dict | None:
    """End the pause: the run goes on."""
    return _session.control_run("resume")


def run_state() -> dict | None:
    """``{paused, step (shown), live_step, kept: [oldest, newest], ...}`` on rank 0."""
    return _session.run_state()


def history_goto(step) -> dict | None:
    """Show kept step ``step`` (a step number) or ``"live"``; the run goes on meanwhile."""
    return _session.history_goto(step)


# -- the pipeline (engine/pipeline.py): every call is collective ---------------------------


def add_filter(kind: str, input: str, name: str | None = None, **properties) -> str:
    """Collective: add ParaView filter ``kind`` (e.g. "Slice", "Contour") on ``input`` (a
    registered dataset or another item); returns its name. Properties use ParaView's names,
    sub-properties with a dot: ``add_filter("Slice", "T", **{"SliceType.Normal": [0, 0, 1]})``,
    ``add_filter("Contour", "T", ContourBy=["POINTS", "T"], Isosurfaces=[0.5])``.
    Each rank filters its own piece; it re-executes on the new pieces after next_timestep().
    """
    return _session.pipeline("add", kind=kind, input=input, name=name, properties=properties)[
        "name"
    ]


def set_properties(name: str, **properties) -> None:
    """Collective: change a filter's properties (all or nothing; ParaView's names)."""
    _session.pipeline("set", name=name, properties=properties)


def remove(name: str, recursive: bool = False) -> list:
    """Collective: delete a filter; ``recursive`` also deletes the items fed by it."""
    return _session.pipeline("remove", name=name, recursive=recursive)


def show(name: str) -> None:
    """Collective: show an item."""
    _session.pipeline("show", name=name)


def hide(name: str) -> None:
    """Collective: hide an item."""
    _session.pipeline("hide", name=name)


def color_by(
    name: str,
    array: str | None = None,
    association: str | None = None,
    preset: str | None = None,
    range=None,
    log: bool | None = None,
    mode: str | None = None,
    component=None,
    solid=None,
) -> dict | None:
    """Collective: colour an item by a point or cell array (vectors by magnitude, or
    ``component`` "X"/"Y"/"Z"/index), with a ParaView preset (e.g. "Viridis (matplotlib)"),
    a log scale, and a range ``mode``: "grow" over the run (default), "step" (each step's
    global range) or "fixed" (``range=[lo, hi]``). ``solid=[r, g, b]`` for one colour.
    ``array=None`` keeps the current array (to change only the preset, range, ...)."""
    return _session.pipeline(
        "color_by",
        name=name,
        array=array,
        association=association,
        preset=preset,
        range=range,
        log=log,
        mode=mode,
        component=component,
        solid=solid,
    )


def scalar_bar(name: str, visible: bool = True) -> None:
    """Collective: show or hide the item's colour legend (on by default when coloured)."""
    _session.pipeline("scalar_bar", name=name, visible=visible)


def representation(name: str, kind: str | None = None, opacity: float | None = None) -> None:
    """Collective: the item's representation ("Surface", "Wireframe", ...) and opacity."""
    _session.pipeline("representation", name=name, representation=kind, opacity=opacity)


def pipeline() -> list:
    """Collective: every item (name, kind, input, properties, visible, colouring, arrays)."""
    return _session.pipeline("list")


def pipeline_code() -> str:
    """Collective: the pipeline as a ``paraview.simple`` script (to rerun in pvbatch)."""
    return _session.pipeline("code")


def load_pipeline(description: list, replace: bool = False) -> dict:
    """Collective: rebuild a pipeline from ``pipeline()``'s description (e.g. saved JSON)."""
    return _session.pipeline("load", description=description, replace=replace)


def run_pipeline(fn):
    """Collective: ``fn(simple, sources)`` on every rank's render service, in lockstep, with
    ``sources`` the live items by name. Anything ParaView has; the proxies it makes join
    the pipeline. If it fails on any rank, every rank raises and its proxies are deleted."""
    if not callable(fn):
        raise TypeError("run_pipeline takes a function fn(simple, sources)")
    return _session.pipeline("run", fn=fn)


def run_pipeline_code(code: str):
    """Collective: like ``run_pipeline``, for source text (what ``%%pvw pipeline`` sends)."""
    return _session.pipeline("run_code", code=code)


def filter_kinds() -> list:
    """Collective: every filter kind add_filter() accepts."""
    return _session.pipeline("kinds")


def presets() -> list:
    """Collective: ParaView's colour-map preset names."""
    return _session.pipeline("presets")
