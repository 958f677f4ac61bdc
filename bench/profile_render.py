"""Where a frame's time goes: the engine's render path, taken apart, on the bench torus.

    mpiexec -n N python bench/profile_render.py [frames]

Sets ParaView up exactly as the engine does (``paraview_init.initialize``, the native shim)
but drives it from the main thread, rotating the camera 2 degrees per frame, and times:
``StillRender`` alone, ``CaptureWindow`` (what the engine calls: render + composite +
readback), ``InteractiveRender`` (ParaView's LOD path, which the stock server's drags use
when the geometry exceeds the LOD threshold), the JPEG encode, and the same at 1 rank with
the whole torus. Rank 0 prints one ``BENCH_PROFILE <json>`` line.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import meshes  # noqa: E402
from mpi4py import MPI  # noqa: E402

from jupyterlab_pvw.engine.native import load  # noqa: E402
from jupyterlab_pvw.engine.paraview_init import initialize  # noqa: E402

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()


def timed(fn, frames, camera):
    out = []
    for _ in range(frames):
        camera.Azimuth(2.0)
        comm.Barrier()
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000.0)
    return out


def block(frames: int, cells: float):
    """The in-situ path: swap a new image piece in (as next_timestep does), then render."""
    import numpy as np

    from jupyterlab_pvw.engine import image
    from jupyterlab_pvw.engine.datasets import local_range

    simple = initialize()
    shim = load()
    view = simple.CreateRenderView()
    view.ViewSize = [600, 600]
    n = meshes.block_points_per_axis(cells)
    extent = meshes.block_extent(n, rank, size)
    base = meshes.block_base(n, extent)
    spacing = (1.0 / (n - 1),) * 3
    producer = simple.PVTrivialProducer()
    producer.GetClientSideObject().SetOutput(image(extent, spacing=spacing, point_data={"f": base}))
    producer.WholeExtent = [0, n - 1, 0, n - 1, 0, n - 1]
    display = simple.Show(producer, view)
    display.Representation = "Surface"
    simple.ColorBy(display, ("POINTS", "f"))
    simple.ResetCamera(view)
    shim.capture_jpeg(view.SMProxy, 90, rank == 0)
    parts = {
        "new_array": [],
        "swap": [],
        "range": [],
        "update_pipeline": [],
        "render_after_update": [],
        "capture_new_data": [],
        "capture_same_data": [],
    }
    for k in range(frames):
        t = time.perf_counter()
        values = base * (1.0 + 0.05 * np.sin(0.7 * k)) + 0.01 * k
        piece = image(extent, spacing=spacing, point_data={"f": values})
        t1 = time.perf_counter()
        producer.GetClientSideObject().SetOutput(piece)
        producer.MarkModified(producer)
        t2 = time.perf_counter()
        local_range(piece, "POINTS", "f", 0)
        t3 = time.perf_counter()
        comm.Barrier()
        t4 = time.perf_counter()
        shim.capture_jpeg(view.SMProxy, 90, rank == 0)
        t5 = time.perf_counter()
        comm.Barrier()
        t6 = time.perf_counter()
        shim.capture_jpeg(view.SMProxy, 90, rank == 0)
        t7 = time.perf_counter()
        parts["new_array"].append((t1 - t) * 1e3)
        parts["swap"].append((t2 - t1) * 1e3)
        parts["range"].append((t3 - t2) * 1e3)
        parts["capture_new_data"].append((t5 - t4) * 1e3)
        parts["capture_same_data"].append((t7 - t6) * 1e3)
    # The pipeline update alone (geometry extraction + colour mapping), without a render.
    for k in range(frames):
        values = base + 0.02 * k
        producer.GetClientSideObject().SetOutput(
            image(extent, spacing=spacing, point_data={"f": values})
        )
        producer.MarkModified(producer)
        comm.Barrier()
        t = time.perf_counter()
        display.UpdatePipeline(0.0) if hasattr(
            display, "UpdatePipeline"
        ) else producer.UpdatePipeline()
        t1 = time.perf_counter()
        comm.Barrier()
        t2 = time.perf_counter()
        shim.capture_jpeg(view.SMProxy, 90, rank == 0)
        t3 = time.perf_counter()
        parts["update_pipeline"].append((t1 - t) * 1e3)
        parts["render_after_update"].append((t3 - t2) * 1e3)
    if rank == 0:
        summary = {
            "ranks": size,
            "cells": (n - 1) ** 3,
            **{k: round(statistics.median(v), 1) for k, v in parts.items() if v},
        }
        print("BENCH_PROFILE " + json.dumps(summary), flush=True)
    simple.Delete(view)


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "block":
        return block(int(sys.argv[3]) if len(sys.argv) > 3 else 6, float(sys.argv[2]))
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    simple = initialize()
    shim = load()
    view = simple.CreateRenderView()
    side = int(os.environ.get("BENCH_VIEW_SIZE", "600"))
    view.ViewSize = [side, side]
    view.OrientationAxesVisibility = 1
    producer = simple.PVTrivialProducer()
    producer.GetClientSideObject().SetOutput(meshes.torus_piece(rank, size))
    display = simple.Show(producer, view)
    display.Representation = "Surface"
    simple.ColorBy(display, ("POINTS", "wave"))
    lut = simple.GetColorTransferFunction("wave")
    lut.AutomaticRescaleRangeMode = "Never"
    lut.RescaleTransferFunction(-1.3, 1.3)
    camera = view.GetActiveCamera()
    camera.SetPosition(0, 0, 1)
    camera.SetFocalPoint(0, 0, 0)
    camera.SetViewUp(0, 1, 0)
    simple.ResetCamera(view)
    camera.Elevation(30)
    view.StillRender()  # first render uploads the geometry

    results = {}
    results["still_render_ms"] = timed(lambda: shim.still_render(view.SMProxy), frames, camera)
    results["capture_ms"] = timed(
        lambda: shim.capture_jpeg(view.SMProxy, 60, False), frames, camera
    )
    encode = []

    def capture_encode():
        _, _, _, ms, _ = shim.capture_jpeg(view.SMProxy, 60, rank == 0)
        encode.append(ms)

    results["capture_encode_ms"] = timed(capture_encode, frames, camera)
    results["encode_ms"] = encode
    results["interactive_render_ms"] = timed(view.SMProxy.InteractiveRender, frames, camera)
    cells = comm.reduce(producer.GetDataInformation().GetNumberOfCells(), root=0)
    if rank == 0:
        summary = {
            "ranks": size,
            "cells": cells,
            "view_size": side,
            **{k: round(statistics.median(v), 1) for k, v in results.items() if v},
            "lod_threshold_mb": view.LODThreshold,
        }
        print("BENCH_PROFILE " + json.dumps(summary), flush=True)
    simple.Delete(view)


if __name__ == "__main__":
    main()
