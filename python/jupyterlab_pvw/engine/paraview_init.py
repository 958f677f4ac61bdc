"""ParaView, initialised once per process for symmetric batch mode inside an MPI rank.

Two traps are handled here (both were found by running ParaView inside MPI ranks):
* ParaView's MPI controller sits on COMM_WORLD itself, so a render while the simulation's
  main thread is in a COMM_WORLD collective deadlocks. ParaView gets a duplicate.
* This ParaView build needs an X display; without one it aborts the whole process, so we
  refuse early with a message instead.
"""

from __future__ import annotations

import os
import threading

_lock = threading.Lock()
_state: dict = {}


class ParaViewUnavailable(RuntimeError):
    """ParaView (or what it needs here) is missing; the message says how to get it."""


def initialize():
    """Import and set up ParaView once; returns ``paraview.simple``. Collective on first call."""
    with _lock:
        if "simple" in _state:
            return _state["simple"]
        if not os.environ.get("DISPLAY"):
            raise ParaViewUnavailable(
                "ParaView needs an X display here (this build has no EGL/OSMesa) and DISPLAY "
                "is not set: start Xvfb (Xvfb :99 -screen 0 1280x1024x24 -noreset &; "
                "export DISPLAY=:99) or run under scripts/with-display.sh"
            )
        # numpy and mpi4py first: importing ParaView puts Debian's dist-packages first on
        # sys.path, and MPI must be initialised by mpi4py (or exit fails in MPI_Comm_free).
        import numpy  # noqa: F401
        from mpi4py import MPI

        try:
            import paraview
        except ImportError as exc:
            raise ParaViewUnavailable(
                "ParaView's Python modules are not importable ("
                f"{exc}). On Debian/Ubuntu: apt-get install paraview python3-paraview, and use "
                "a venv made with --system-site-packages; elsewhere: conda install -c "
                "conda-forge paraview"
            ) from exc
        paraview.options.batch = True
        paraview.options.symmetric = True
        import paraview.servermanager  # noqa: F401  (creates the process module + controller)
        from paraview.modules.vtkRemotingCore import vtkProcessModule
        from vtkmodules.vtkParallelMPI import vtkMPIController  # noqa: F401  (wraps the real class)
        from vtkmodules.vtkParallelMPI4Py import vtkMPI4PyCommunicator

        controller = vtkProcessModule.GetProcessModule().GetGlobalController()
        if not controller.IsA("vtkMPIController"):
            raise ParaViewUnavailable(
                f"ParaView's controller is a {controller.GetClassName()}, not vtkMPIController: "
                "this ParaView was built without MPI, or mpi4py was not imported first"
            )
        render_comm = MPI.COMM_WORLD.Dup()  # ParaView's own: compositing never meets the sim's
        controller.SetCommunicator(vtkMPI4PyCommunicator.ConvertToVTK(render_comm))
        from paraview import simple

        _state.update(simple=simple, render_comm=render_comm, controller=controller)
        return simple


def paraview_version() -> str | None:
    try:
        from paraview import servermanager

        return f"{servermanager.vtkSMProxyManager.GetVersionMajor()}.{servermanager.vtkSMProxyManager.GetVersionMinor()}"
    except Exception:
        return None
