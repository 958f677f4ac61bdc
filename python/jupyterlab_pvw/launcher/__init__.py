"""The ParaViewWeb launcher (ParaView's RESTful launcher API): a library, served by the Jupyter server
extension under /pvw/launcher, or on its own by ``python -m jupyterlab_pvw.launcher FILE``."""

from .config import ConfigError, load, strip_comments
from .core import Launcher, LauncherError

__all__ = ["ConfigError", "Launcher", "LauncherError", "load", "strip_comments"]
