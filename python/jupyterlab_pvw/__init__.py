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


def load_ipython_extension(ipython):
    from .magics import load_ipython_extension as load

    load(ipython)
