"""The native render shim: ParaView renders that do not hold the Python GIL.

This ParaView build keeps the GIL for the whole of a wrapped call, so a render from the
engine's service thread would starve the simulation's Python main thread. ``ctypes``
releases the GIL around a foreign call; ``_native/pvw_render.cpp`` wraps the three calls
the render service needs. It is compiled once against ``paraview-dev`` (setup does it;
``python -m jupyterlab_pvw.engine.native --build`` does it by hand). When it cannot be
built the engine falls back to the wrapped Python calls and says so in ``status()``.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).with_name("_native") / "pvw_render.cpp"
PARAVIEW_VERSION = "5.11"
LIBS = [
    "vtkRemotingViews",
    "vtkRemotingServerManager",
    "vtkIOImage",
    "vtkCommonExecutionModel",
    "vtkCommonDataModel",
    "vtkCommonCore",
    "vtksys",
]


def library_path() -> Path:
    """Where the compiled shim lives: beside its source, or in the user cache if read-only."""
    beside = SOURCE.with_name("libpvw_render.so")
    if os.access(beside.parent, os.W_OK) or beside.exists():
        return beside
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "jupyterlab-pvw"
    return cache / "libpvw_render.so"


def build(include_dir: str | None = None, force: bool = False) -> Path:
    """Compile the shim with g++ against ParaView's headers; returns the library path."""
    target = library_path()
    if target.exists() and target.stat().st_mtime >= SOURCE.stat().st_mtime and not force:
        return target
    include_dir = include_dir or f"/usr/include/paraview-{PARAVIEW_VERSION}"
    if not Path(include_dir, "vtkSMViewProxy.h").exists():
        raise RuntimeError(
            f"ParaView headers not found in {include_dir}: install paraview-dev "
            "(apt-get install paraview-dev) to build the no-GIL render shim"
        )
    if shutil.which("g++") is None:
        raise RuntimeError(
            "no C++ compiler (g++) found: install g++ (apt-get install g++) to build the "
            "no-GIL render shim"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Built under a private name and renamed: every rank of a first run builds at once, and
    # none may load a half-written library.
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    cmd = [
        "g++",
        "-O2",
        "-shared",
        "-fPIC",
        "-std=c++17",
        f"-I{include_dir}",
        str(SOURCE),
        "-o",
        str(partial),
    ] + [f"-l{lib}-pv{PARAVIEW_VERSION}" for lib in LIBS]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"building the render shim failed:\n{result.stderr[-2000:]}")
    os.replace(partial, target)
    return target


class RenderShim:
    """ctypes bindings to the compiled shim; every call releases the GIL."""

    def __init__(self, path: Path):
        lib = ctypes.CDLL(str(path))
        lib.pvw_still_render.argtypes = [ctypes.c_void_p]
        lib.pvw_still_render.restype = ctypes.c_int
        lib.pvw_capture_jpeg.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte)),
            ctypes.POINTER(ctypes.c_long),
            ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_double),
        ]
        lib.pvw_capture_jpeg.restype = ctypes.c_int
        lib.pvw_free.argtypes = [ctypes.c_void_p]
        self._lib = lib

    @staticmethod
    def pointer(proxy) -> int:
        """The C++ address of a wrapped VTK object, from its ``__this__`` string."""
        match = re.match(r"_([0-9a-fA-F]+)_p_", proxy.__this__)
        if not match:
            raise ValueError(f"cannot read a pointer from {proxy.__this__!r}")
        return int(match.group(1), 16)

    def still_render(self, view_proxy) -> None:
        status = self._lib.pvw_still_render(self.pointer(view_proxy))
        if status != 0:
            raise RuntimeError(f"native render failed ({status})")

    def capture_jpeg(self, view_proxy, quality: int, encode: bool):
        """Collective render + capture; returns (jpeg or None, width, height, encode ms)."""
        buf = ctypes.POINTER(ctypes.c_ubyte)()
        size, width, height = ctypes.c_long(0), ctypes.c_int(0), ctypes.c_int(0)
        encode_ms = ctypes.c_double(0.0)
        status = self._lib.pvw_capture_jpeg(
            self.pointer(view_proxy),
            int(quality),
            int(bool(encode)),
            ctypes.byref(buf),
            ctypes.byref(size),
            ctypes.byref(width),
            ctypes.byref(height),
            ctypes.byref(encode_ms),
        )
        try:
            if status != 0:
                raise RuntimeError(f"native capture failed ({status})")
            data = ctypes.string_at(buf, size.value) if encode else None
        finally:
            if buf:
                self._lib.pvw_free(buf)
        return data, width.value, height.value, encode_ms.value


def load() -> RenderShim:
    """The shim, built first if needed. Raises RuntimeError when it cannot be had."""
    return RenderShim(build())


if __name__ == "__main__":
    if "--build" in sys.argv:
        try:
            print(f"render shim: {build(force='--force' in sys.argv)}")
        except RuntimeError as exc:
            print(f"render shim not built ({exc}); the engine will render holding the GIL")
