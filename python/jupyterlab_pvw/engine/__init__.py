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
    "budget",
    "status",
    "last_frame",
    "image",
    "rectilinear",
    "structured",
    "unstructured",
    "NotStarted",
]


def start(host: str = "127.0.0.1", port: int = 0, secret: str | None = None, **options) -> dict:
    """Collective: start ParaView's render service on every rank and, on rank 0, the web server.

    Options: ``size`` (w, h), ``still_quality`` and ``interactive_quality`` (JPEG 1-100),
    ``max_fps``. Returns ``{host, port, secret, url, ranks}`` on every rank.
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
