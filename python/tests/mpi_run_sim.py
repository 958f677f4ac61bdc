"""A real MPI simulation with a loop of its own: every iteration is one next_timestep().

    mpiexec -n 2 python mpi_run_sim.py OPTIONS_JSON COUNTER_DIR [inplace]

Each rank writes its own step counter to COUNTER_DIR/rank<R> after every step, so a test
sees every rank's progress while the main threads may be held in next_timestep(). Each
step's values are stripes shifted by the step (so every step looks different) with the
same global range (so the colours of a step do not depend on when it is painted). With
``inplace`` the simulation overwrites one array instead of allocating a new one.

Rank 0 reads commands from stdin in a thread (the main thread may be held):
``call EXPR`` evaluates an engine call there and prints the result; ``stop`` ends the run.
"""

import json
import sys
import threading
import time
from pathlib import Path

import numpy as np
from mpi4py import MPI

from jupyterlab_pvw import engine

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
options = json.loads(sys.argv[1])
counters = Path(sys.argv[2])
inplace = len(sys.argv) > 3 and sys.argv[3] == "inplace"
N = 16
rows = N // size
j0, j1 = rank * rows, (rank + 1) * rows if rank < size - 1 else N - 1
extent = (0, N - 1, j0, j1, 0, N - 1)
x = np.tile(np.arange(N), (j1 - j0 + 1) * N)  # the x index of every point (x runs fastest)
buffer = np.zeros(x.size)


def values(step):
    stripes = ((x + step) % N) / (N - 1) + rank  # global range [0, size]
    if inplace:
        buffer[:] = stripes
        return buffer
    return stripes


def piece(step):
    return engine.image(extent, point_data={"value": values(step)})


def say(tag, payload):
    print(f"PVW_{tag} {json.dumps(payload, default=str)}", flush=True)


stopping = threading.Event()


def commands():
    """Rank 0: commands from the test, served while the main thread computes or is held."""
    for line in sys.stdin:
        verb, _, arg = line.strip().partition(" ")
        if verb == "stop":
            try:  # a paused run must reach its next step boundary to stop
                engine.resume()
            except Exception:
                pass
            break
        try:
            result = eval(arg, {"engine": engine})  # test driver only
            say("RESULT", result)
        except Exception as exc:
            say("ERROR", f"{type(exc).__name__}: {exc}")
    stopping.set()


info = engine.start(**options)
engine.register("grid", piece(0))
engine.activate("grid")
if rank == 0:
    say("INFO", info)
    threading.Thread(target=commands, daemon=True).start()

step = 0
while not comm.bcast(stopping.is_set(), root=0):  # the simulation's own collective
    step += 1
    engine.register("grid", piece(step))
    engine.next_timestep(time=step * 0.5)
    (counters / f"rank{rank}").write_text(str(step))
    time.sleep(0.05)
engine.stop()
if rank == 0:
    say("STOPPED", step)
