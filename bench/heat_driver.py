"""``examples/heat.py``'s simulation, timed over a fixed wall-clock window.

    mpiexec -n 2 python bench/heat_driver.py MODE SIZE SECONDS [EVERY [WARMUP]]

MODE is ``none`` (no engine: heat.py --no-engine), ``idle`` (engine started, dataset shown,
no viewer) or ``viewer`` (the same; the runner connects a viewer and drags before ``go``).
The step loop is heat.py's own (``HeatSlab.step``, then every EVERY steps ``register`` +
``next_timestep``); the only addition is that rank 0 decides every EVERY steps, by a
broadcast made in every mode alike, whether SECONDS have passed. After ``go`` every mode
runs the same loop for WARMUP seconds (default 1) untimed, then the timed window. Rank 0
prints ``BENCH_INFO`` (after start-up) and ``BENCH_HEAT {steps, seconds, steps_per_s, ...}``
(with the minor page faults per step: see bench/README.md, section 4); it waits for ``go``
on stdin first, with every rank's main thread idle (not spinning).
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import select
import sys
import time

from mpi4py import MPI

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "heat", os.path.join(HERE, "..", "examples", "heat.py")
)
heat = importlib.util.module_from_spec(spec)
spec.loader.exec_module(heat)

comm = MPI.COMM_WORLD
rank = comm.Get_rank()


def say(tag, payload):
    if rank == 0:
        print(f"BENCH_{tag} {json.dumps(payload)}", flush=True)


def wait_go():
    line = None
    if rank == 0:
        while True:
            if select.select([sys.stdin], [], [], 0.05)[0]:
                line = sys.stdin.readline().strip()
                break
    request = comm.Ibarrier()
    while not request.Test():
        time.sleep(0.005)
    return comm.bcast(line, root=0)


def main(argv):
    mode, size, seconds = argv[0], int(argv[1]), float(argv[2])
    every = int(argv[3]) if len(argv) > 3 else 10
    warmup = float(argv[4]) if len(argv) > 4 else 1.0
    slab = heat.HeatSlab(size, comm)
    # Time the halo exchange apart from the compute: waiting here means the other rank was
    # slower (its own step, or the engine's work on it).
    exchange_time = [0.0, 0.0]  # wall, and this thread's CPU (MPI waits spin)
    exchange = slab.exchange

    def timed_exchange(u):
        t, c = time.perf_counter(), time.thread_time()
        exchange(u)
        exchange_time[0] += time.perf_counter() - t
        exchange_time[1] += time.thread_time() - c

    slab.exchange = timed_exchange
    engine = None
    info = {}
    parts = {}
    if mode != "none":
        # Where next_timestep's time goes on this rank (cheap timers around engine methods).
        from jupyterlab_pvw.engine import commands as _commands
        from jupyterlab_pvw.engine import lockstep as _lockstep
        from jupyterlab_pvw.engine import scene as _scene
        from jupyterlab_pvw.engine import service as _svc

        def timer(owner, attr, label):
            original = getattr(owner, attr)

            def timed(*args, **kwargs):
                t = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    n, total = parts.get(label, (0, 0.0))
                    parts[label] = (n + 1, total + time.perf_counter() - t)

            setattr(owner, attr, timed)

        timer(_commands.Commands, "do_next_timestep", "service: next_timestep")
        timer(_scene.Scene, "set_piece", "  set_piece (SetOutput, MarkModified)")
        timer(_scene.Scene, "set_time", "  set_time")
        timer(_lockstep.CommandChannel, "allgather", "service: allgather (all)")
        timer(_svc.RenderService, "_render", "service: render")
    profiler = None
    if mode != "none" and os.environ.get("BENCH_PROFILE_CALLS") and rank == 0:
        # Diagnosis only: cProfile the render service's handling of each collective call.
        import cProfile

        from jupyterlab_pvw.engine import service as _service

        profiler = cProfile.Profile()
        run_call = _service.RenderService._run_call

        def profiled(self, command):
            profiler.enable()
            try:
                return run_call(self, command)
            finally:
                profiler.disable()

        _service.RenderService._run_call = profiled
    if mode != "none":
        from jupyterlab_pvw import engine

        # Extra engine.start() options for an A/B run (e.g. '{"budget": 0.1}'), as engine_driver.
        options = json.loads(os.environ.get("BENCH_ENGINE_OPTIONS", "{}"))
        info = engine.start(size=(600, 600), **options)
        engine.register("temperature", slab.piece(engine))
        engine.activate("temperature")
    say("INFO", {**info, "mode": mode, "size": size, "ranks": comm.Get_size()})
    if wait_go() != "go":
        return

    def window(seconds: float) -> dict:
        """heat.py's loop for ``seconds``: the same in warm-up and measurement, every mode."""
        steps = 0
        in_step = in_engine = 0.0  # where the time went: the simulation's step, the engine calls
        exchange_time[:] = [0.0, 0.0]
        compute_cpu = 0.0  # the step's own CPU time, halo exchange excluded: load-robust
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        started = time.perf_counter()
        while True:
            t0, c0 = time.perf_counter(), time.thread_time()
            slab.step()
            t1 = time.perf_counter()
            compute_cpu += time.thread_time() - c0
            in_step += t1 - t0
            steps += 1
            if steps % every == 0:
                if engine is not None:
                    engine.register("temperature", slab.piece(engine))
                    engine.next_timestep(time=slab.steps * heat.ALPHA)
                    in_engine += time.perf_counter() - t1
                done = time.perf_counter() - started >= seconds if rank == 0 else None
                if comm.bcast(done, root=0):
                    break
        elapsed = time.perf_counter() - started
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        return {
            "steps": steps,
            "seconds": elapsed,
            "steps_per_s": steps / elapsed,
            "step_ms": 1e3 * in_step / steps,
            "exchange_ms": 1e3 * exchange_time[0] / steps,
            "engine_call_ms": 1e3 * in_engine / max(steps // every, 1),
            "engine_share": in_engine / elapsed,
            "rank0_minor_faults_per_step": faults / steps,
            "rank0_compute_cpu_ms": 1e3 * (compute_cpu - exchange_time[1]) / steps,
        }

    window(warmup)
    parts.clear()
    comm.Barrier()
    result = window(seconds)
    say(
        "HEAT",
        {
            **result,
            "rank0_engine_parts_ms": {
                k: [n, round(1e3 * t / max(n, 1), 2)] for k, (n, t) in parts.items()
            },
        },
    )
    if profiler is not None:
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    if engine is not None:
        status = engine.status() if rank == 0 else None
        say("STATUS", status)
        engine.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
