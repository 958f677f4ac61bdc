"""jupyterlab-pvw: in-situ ParaViewWeb visualization of MPI simulations in JupyterLab.

The package has three faces, each loaded only where it is used:

* ``jupyterlab_pvw.engine`` runs inside every MPI rank (ParaView, render service, wslink);
* the IPython extension (``%load_ext jupyterlab_pvw``) gives the kernel ``%pvw``;
* the Jupyter server extension serves the session list and the authenticated proxy.
"""

__version__ = "0.1.0"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-pvw"}]


def _jupyter_server_extension_points():
    return [{"module": "jupyterlab_pvw"}]


def _load_jupyter_server_extension(server_app):
    from .server import load_server_extension

    load_server_extension(server_app)


def load_ipython_extension(ipython):
    from .magics import load_ipython_extension as load

    load(ipython)
