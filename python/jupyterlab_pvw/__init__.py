"""jupyterlab-pvw: in-situ ParaViewWeb visualization of MPI simulations in JupyterLab.

The package has three faces, each loaded only where it is used:

* ``jupyterlab_pvw.engine`` runs inside every MPI rank (ParaView, render service, wslink);
* the IPython extension (``%load_ext jupyterlab_pvw``) gives the kernel ``%pvw``;
* the Jupyter server extension serves the session list and the authenticated proxy.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    # The installed metadata carries package.json's version (hatch-nodejs-version).
    __version__ = version("jupyterlab-pvw")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-pvw"}]


def _jupyter_server_extension_points():
    return [{"module": "jupyterlab_pvw"}]


def _load_jupyter_server_extension(server_app):
    from .server import load_server_extension

    load_server_extension(server_app)


# The notebook's Python API (what %pvw calls), imported lazily: the server extension and the
# engine import this package too and need none of it.
def start(n=None, **kwargs):
    """Start (or find) the kernel's MPI engines (``n``, default 2) and ParaView; returns a
    viewport widget."""
    from .notebook import session

    height, open_panel = kwargs.pop("height", 400), kwargs.pop("panel", False)
    session.start(n=n, **kwargs)
    return session.viewport(height=height, open_panel=open_panel)


def stop(keep_engines: bool = False) -> str:
    from .notebook import session

    return session.stop(keep_engines=keep_engines)


def status() -> dict:
    from .notebook import session

    return session.status()


def view(height: int = 400):
    """Another viewport widget on the running session."""
    from .notebook import session

    return session.viewport(height=height)


def register(name: str, variable: str):
    """On every engine, register that engine's variable ``variable`` as dataset ``name``."""
    from .notebook import session

    session.register(name, variable)


def activate(name: str) -> dict:
    from .notebook import session

    return session.activate(name)


def next_timestep(time=None) -> dict:
    from .notebook import session

    return session.next_timestep(time)


def pause() -> dict:
    """Hold the run at its next step (works while the engines run the loop)."""
    from .notebook import session

    return session.run_rpc("pvw.pause")


def step() -> dict:
    """While paused, let exactly one step through."""
    from .notebook import session

    return session.run_rpc("pvw.step")


def resume() -> dict:
    from .notebook import session

    return session.run_rpc("pvw.resume")


def goto(step) -> dict:
    """Show kept step ``step`` (started with ``history=K``) or ``"live"``."""
    from .notebook import session

    return session.run_rpc("pvw.history.goto", step)


# -- the pipeline, on every engine (see jupyterlab_pvw.engine for the same calls in MPI code)
def add_filter(kind: str, input: str, name: str | None = None, **properties) -> str:
    """Add ParaView filter ``kind`` on ``input``; properties by ParaView's names."""
    from .notebook import session

    return session.pipeline("add", kind=kind, input=input, name=name, properties=properties)["name"]


def set_properties(name: str, **properties) -> None:
    from .notebook import session

    session.pipeline("set", name=name, properties=properties)


def remove(name: str, recursive: bool = False) -> list:
    from .notebook import session

    return session.pipeline("remove", name=name, recursive=recursive)


def show(name: str) -> None:
    from .notebook import session

    session.pipeline("show", name=name)


def hide(name: str) -> None:
    from .notebook import session

    session.pipeline("hide", name=name)


def color_by(name: str, array: str | None = None, **options):
    """Colour an item: association, preset, range, log, mode, component, solid."""
    from .notebook import session

    return session.pipeline("color_by", name=name, array=array, **options)


def scalar_bar(name: str, visible: bool = True) -> None:
    from .notebook import session

    session.pipeline("scalar_bar", name=name, visible=visible)


def representation(name: str, kind: str | None = None, opacity: float | None = None) -> None:
    from .notebook import session

    session.pipeline("representation", name=name, representation=kind, opacity=opacity)


def pipeline() -> list:
    """Every pipeline item: name, kind, input, properties, visible, colouring, arrays."""
    from .notebook import session

    return session.pipeline("list")


def pipeline_code() -> str:
    """The pipeline as a paraview.simple script."""
    from .notebook import session

    return session.pipeline("code")


def run_pipeline(code: str):
    """Run paraview.simple code on every engine against the live sources (``sources``)."""
    from .notebook import session

    return session.pipeline("run_code", code=code)


def load_ipython_extension(ipython):
    from .magics import load_ipython_extension as load

    load(ipython)
