"""Runs our engine under ``mpiexec`` for the interaction and in-situ benchmarks.

    mpiexec -n 2 python bench/engine_driver.py torus [NUxNV]
    mpiexec -n 2 python bench/engine_driver.py insitu 1e5,1e6,1e6@1,1e7

In ``insitu``/``pipeline`` a size may carry a render budget (``1e6@1``: that size's steps
run with ``engine.budget(1)``, the budget before it is restored afterwards), for an A/B of
the budget within one run.

Rank 0 prints ``BENCH_<TAG> <json>`` lines and reads one command per line from stdin
(``go`` runs the benchmark, ``stop`` ends). While waiting, every rank's main thread sleeps
(rank 0 in ``select``, the others polling a non-blocking barrier), as an idle notebook
engine would: a blocking MPI wait would spin and steal the render threads' cores.

Measurement only, no behaviour change: on rank 0 each frame gets two extra keys,
``bench_seq`` (the ``seq`` of the newest mouse event applied before its render; the bench
page numbers its events) and ``bench_t_render`` (wall-clock ms when its render started).
"""

from __future__ import annotations

import json
import os
import select
import sys
import time

import numpy as np
from mpi4py import MPI

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import meshes  # noqa: E402

from jupyterlab_pvw import engine  # noqa: E402
from jupyterlab_pvw.engine import camera as _camera  # noqa: E402
from jupyterlab_pvw.engine import server as _server  # noqa: E402
from jupyterlab_pvw.engine import service as _service  # noqa: E402

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()

# -- instrumentation (rank 0's frames carry the newest applied event and the render start) --
_applied = {"seq": None}
_handle = _camera.Interaction.handle


def _handle_with_seq(self, camera, event, aspect=1.0):
    if isinstance(event, dict) and event.get("seq") is not None:
        _applied["seq"] = event["seq"]
    return _handle(self, camera, event, aspect)


_camera.Interaction.handle = _handle_with_seq
_render = _service.RenderService._render


def _render_timed(self, command):
    self._bench = (_applied["seq"], time.time() * 1000.0)
    return _render(self, command)


_service.RenderService._render = _render_timed


def instrument_frames():
    """Tag each frame with the input it answers: the tag rides on the Frame from the render
    service and is added to the wire message the web server builds."""
    service = engine._session.service
    deliver = service.on_frame

    def on_frame(frame):
        seq, t_render = getattr(service, "_bench", (None, None))
        stats = service.stats()
        frame.bench = {
            "bench_seq": seq,
            "bench_t_render": t_render,
            "bench_render_ms": stats["last_render_ms"],
            "bench_encode_ms": stats["last_encode_ms"],
        }
        deliver(frame)

    message = _server.frame_message
    _server.frame_message = lambda frame: {**message(frame), **getattr(frame, "bench", {})}
    service.on_frame = on_frame


# -- idle waiting and commands ------------------------------------------------------------
def say(tag: str, payload) -> None:
    if rank == 0:
        print(f"BENCH_{tag} {json.dumps(payload)}", flush=True)


def wait_command() -> str:
    line = None
    if rank == 0:
        while True:
            ready, _, _ = select.select([sys.stdin], [], [], 0.05)
            if ready:
                line = sys.stdin.readline().strip() or "stop"
                break
    request = comm.Ibarrier()
    while not request.Test():
        time.sleep(0.005)
    return comm.bcast(line, root=0)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


# Extra engine.start() options for an A/B run (e.g. '{"budget": 1.0}'); none by default.
ENGINE_OPTIONS = json.loads(os.environ.get("BENCH_ENGINE_OPTIONS", "{}"))


# -- the benchmarks --------------------------------------------------------------------
def torus(resolution=(meshes.TORUS_NU, meshes.TORUS_NV)):
    piece = meshes.torus_piece(rank, size, nu=resolution[0], nv=resolution[1])
    cells = comm.allreduce(piece.GetNumberOfCells(), op=MPI.SUM)
    points = comm.allreduce(piece.GetNumberOfPoints(), op=MPI.SUM)
    info = engine.start(size=(600, 600), **ENGINE_OPTIONS)
    if rank == 0:
        instrument_frames()
    engine.register("torus", piece)
    engine.activate("torus")
    say("INFO", {**info, "cells": cells, "points": points, "ranks": size})
    while True:
        command = wait_command()
        if command == "status":
            status = engine.status() if rank == 0 else None
            say("STATUS", status)
        elif command == "stop":
            break
    engine.stop()


def add_pipeline(name: str) -> None:
    """The pipeline section: outline + slice + contour on the block instead of its surface."""
    engine.hide(name)
    engine.add_filter("Outline", name, f"{name}_outline")
    engine.add_filter("Slice", name, f"{name}_slice", **{"SliceType.Normal": [0.0, 0.0, 1.0]})
    engine.add_filter("Contour", name, f"{name}_contour")  # f at its global mid-range


def parse_sizes(text: str) -> list[tuple[float, float | None]]:
    """``"1e5,1e6@1"`` as [(1e5, None), (1e6, 1.0)]: cells, and a render budget or None."""
    out = []
    for item in text.split(","):
        cells, _, budget = item.partition("@")
        out.append((float(cells), float(budget) if budget else None))
    return out


def insitu(
    passes: list[tuple[float, float | None]], steps: int, warmup: int, pipeline: bool = False
):
    info = engine.start(size=(600, 600), **ENGINE_OPTIONS)
    if rank == 0:
        instrument_frames()
    say("INFO", {**info, "ranks": size})
    sizes = [cells for cells, _ in passes]
    pieces = {}
    for cells in dict.fromkeys(sizes):  # a size run twice (a budget A/B) is built once
        n = meshes.block_points_per_axis(cells)
        extent = meshes.block_extent(n, rank, size)
        pieces[cells] = (n, extent, meshes.block_base(n, extent))
    # A first dataset so the viewer has something to show before "go".
    first = sizes[0]
    n, extent, base = pieces[first]
    engine.register(
        "block", engine.image(extent, spacing=(1.0 / (n - 1),) * 3, point_data={"f": base})
    )
    engine.activate("block")
    say("READY", {})
    while True:
        command = wait_command()
        if command == "stop":
            break
        if command != "go":
            continue
        for index, (cells, pass_budget) in enumerate(passes):
            n, extent, base = pieces[cells]
            spacing = (1.0 / (n - 1),) * 3
            name = f"block{index}"
            before = engine.budget()["budget"]
            if pass_budget is not None:
                engine.budget(pass_budget)
            budget = engine.budget()["budget"]
            engine.register(name, engine.image(extent, spacing=spacing, point_data={"f": base}))
            engine.activate(name)
            if pipeline:
                add_pipeline(name)
            total_cells = (n - 1) ** 3
            surface = 2 * 3 * (n - 1) ** 2  # quads on the outside of the block: what Surface draws
            time.sleep(1.0)  # let the activation frame go out
            pace = 0.5
            for k in range(warmup + steps):
                # The simulation's step: a new array (registered arrays are never overwritten).
                values = base * (1.0 + 0.05 * np.sin(0.7 * k)) + 0.01 * k
                engine.register(
                    name, engine.image(extent, spacing=spacing, point_data={"f": values})
                )
                comm.Barrier()
                t_call = time.time() * 1000.0
                result = engine.next_timestep(time=float(k))
                t_return = time.time() * 1000.0
                say(
                    "STEP",
                    {
                        "pass": index,
                        "budget": budget,
                        "cells": total_cells,
                        "requested_cells": cells,
                        "surface_cells": surface,
                        "ranks": size,
                        "k": k,
                        "warmup": k < warmup,
                        "timestep": result["timestep"],
                        "t_call": t_call,
                        "t_return": t_return,
                        "rss_mb": rss_mb(),
                    },
                )
                if k < warmup:
                    # Warm-up steps at a generous pace; the last one sets the steady pace:
                    # 2.5 x its render + encode (so frames never queue), within 0.3..3 s.
                    time.sleep(0.8 if cells < 5e6 else 2.5)
                    if k == warmup - 1:
                        status = engine.status() if rank == 0 else None
                        render_ms = (
                            (status["last_render_ms"] or 0) + (status["last_encode_ms"] or 0)
                            if status
                            else 0
                        )
                        pace = comm.bcast(min(3.0, max(0.3, 2.5 * render_ms / 1000.0)), root=0)
                        say(
                            "PACE",
                            {
                                "pass": index,
                                "cells": total_cells,
                                "pace_s": pace,
                                "render_ms": render_ms,
                            },
                        )
                else:
                    time.sleep(pace)
            engine.budget(before)
        say("DONE", {})
    engine.stop()


def main(argv):
    mode = argv[0]
    if mode == "torus":
        torus(meshes.parse_resolution(argv[1])) if len(argv) > 1 else torus()
    elif mode in ("insitu", "pipeline"):
        steps = int(argv[2]) if len(argv) > 2 else 10
        warmup = int(argv[3]) if len(argv) > 3 else 2
        insitu(parse_sizes(argv[1]), steps, warmup, pipeline=mode == "pipeline")
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    say("STOPPED", {})


if __name__ == "__main__":
    main(sys.argv[1:])
