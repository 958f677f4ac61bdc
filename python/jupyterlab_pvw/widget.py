"""The notebook's live viewport: an ipywidget whose view (src/widget.ts) streams a session.

The kernel only names the session; frames travel from the engine through the Jupyter
server's authenticated proxy straight to the browser, never through the kernel.
"""

from __future__ import annotations

from ipywidgets import DOMWidget
from traitlets import Bool, Int, TraitError, Unicode, validate

from . import __version__

MODULE = "jupyterlab-pvw"
MODULE_VERSION = f"^{__version__}"


MIN_HEIGHT = 100
MAX_HEIGHT = 4096


class Viewport(DOMWidget):
    """A live ParaViewWeb viewport on one session, in a notebook output.

    The model and view names stay those the frontend registers (``PvwViewportModel``).
    """

    _model_name = Unicode("PvwViewportModel").tag(sync=True)
    _view_name = Unicode("PvwViewportView").tag(sync=True)
    _model_module = Unicode(MODULE).tag(sync=True)
    _view_module = Unicode(MODULE).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)

    session_id = Unicode("", help="the session (as listed by GET /pvw/sessions)").tag(sync=True)
    height = Int(400, help="viewport height in pixels").tag(sync=True)
    # Written by the frontend: 'connecting', 'live' or 'error: <message>'.
    status = Unicode("", help="the view's connection state").tag(sync=True)
    open_panel = Bool(False, help="also open this session in the side panel").tag(sync=True)

    @validate("height")
    def _check_height(self, proposal):
        value = proposal["value"]
        if not MIN_HEIGHT <= value <= MAX_HEIGHT:
            raise TraitError(
                f"height must be between {MIN_HEIGHT} and {MAX_HEIGHT} pixels, got {value}"
            )
        return value

    def __repr__(self):
        return f"<ParaViewWeb viewport on session {self.session_id or '?'}>"

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        # Where no widget manager runs (nbconvert, GitHub) this text stands in until the
        # frontend saves a picture of the last frame beside it.
        bundle["text/plain"] = (
            f"ParaViewWeb viewport on session {self.session_id}: the live view needs "
            "JupyterLab with jupyterlab-pvw"
        )
        return bundle
