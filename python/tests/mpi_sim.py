"""A small real MPI simulation driven from stdin, for the engine tests.

Each step every rank does some numpy work and a COMM_WORLD allreduce (the simulation's own
collective traffic, which must never meet the engine's). Rank 0 reads one command per line
from stdin between steps and broadcasts it; every rank then acts on it:

    next VALUE    register a new piece filled with VALUE + rank, then next_timestep()
    noise SEED    the same with random values (frames that compress badly: big JPEGs)
    activate NAME          activate(NAME) (errors are printed, not fatal)
    steps         print the step counter
    call EXPR     evaluate an engine call on every rank, print the result or the error
    stop          engine.stop() and exit
    restart       engine.stop(); engine.start() again
"""

import json
import select
import sys
import traceback

import numpy as np
from mpi4py import MPI

from jupyterlab_pvw import engine

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
N = 16  # points per axis of the global grid; rank r owns slab r along y


def piece(value, noise_seed=None):
    rows = N // size
    j0, j1 = rank * rows, (rank + 1) * rows if rank < size - 1 else N - 1
    extent = (0, N - 1, j0, j1, 0, N - 1)
    npts = N * (j1 - j0 + 1) * N
    values = np.full(npts, float(value) + rank, dtype=np.float64)
    if noise_seed is not None:
        values = np.random.default_rng(noise_seed + rank).random(npts)
    return engine.image(extent, point_data={"value": values})


def say(*args):
    print(f"[rank {rank}]", *args, flush=True)


def start():
    info = engine.start(**json.loads(sys.argv[1]) if len(sys.argv) > 1 else {})
    if rank == 0:
        print("PVW_INFO " + json.dumps(info), flush=True)


start()
engine.register("grid", piece(0.0))
engine.activate("grid")
if rank == 0:
    print("PVW_READY", flush=True)

steps = 0
work = np.random.default_rng(rank).random(20000)
while True:
    # The simulation's own step: compute, then a COMM_WORLD collective.
    work = np.sqrt(work * work + 1.0) - 0.5
    steps = comm.allreduce(1, op=MPI.SUM) // size + steps
    command = None
    if rank == 0 and select.select([sys.stdin], [], [], 0.001)[0]:
        command = sys.stdin.readline().strip() or "stop"
    command = comm.bcast(command, root=0)
    if command is None:
        continue
    verb, _, arg = command.partition(" ")
    try:
        if verb == "next":
            engine.register("grid", piece(float(arg)))
            result = engine.next_timestep()
            if rank == 0:
                print("PVW_NEXT " + json.dumps(result), flush=True)
        elif verb == "noise":
            engine.register("grid", piece(0.0, int(arg)))
            engine.next_timestep()
        elif verb == "activate":
            engine.activate(arg)
        elif verb == "steps":
            if rank == 0:
                print(f"PVW_STEPS {steps}", flush=True)
        elif verb == "call":
            # test driver only
            result = eval(arg, {"engine": engine, "np": np, "rank": rank, "size": size})
            if rank == 0:
                print("PVW_RESULT " + json.dumps(result, default=str), flush=True)
        elif verb == "restart":
            engine.stop()
            start()
            engine.activate("grid")
        elif verb == "stop":
            engine.stop()
            if rank == 0:
                print("PVW_STOPPED", flush=True)
            break
    except Exception as exc:
        if rank == 0:
            print(f"PVW_ERROR {type(exc).__name__}: {exc}", flush=True)
        else:
            traceback.print_exc()
    if rank == 0:
        print("PVW_DONE " + verb, flush=True)
