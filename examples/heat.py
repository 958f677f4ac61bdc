"""3-D heat diffusion on MPI ranks, followed live in ParaViewWeb.

The box is split into slabs along z, one per rank; each step exchanges one halo plane with
each neighbour (mpi4py on COMM_WORLD) and updates with an explicit finite-difference scheme.
A hot plate heats the bottom face, a torch circles on the insulated lid, and a hot blob starts
in the middle. Every ``--every`` steps
each rank registers its own slab (zero copy) and the engine swaps the new pieces in.

    mpiexec -n 4 python examples/heat.py --size 64 --steps 2000 --every 10

Each step allocates its new field, so a registered array is never written again: ParaView
can read it while the simulation computes on.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

import numpy as np
from mpi4py import MPI

ALPHA = 0.15  # diffusion number (stable below 1/6)
TORCH_PERIOD = 400  # steps for the torch on the lid to go round once


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--size", type=int, default=48, help="grid points per axis (default 48)")
    p.add_argument("--steps", type=int, default=1000, help="time steps (default 1000)")
    p.add_argument("--every", type=int, default=10, help="steps between frames (default 10)")
    p.add_argument("--host", default="127.0.0.1", help="where rank 0 serves (default loopback)")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p.add_argument(
        "--secret",
        default=os.environ.get("PVW_SECRET"),
        help="wslink secret (default: $PVW_SECRET, as the launcher sets it, else random); "
        "prefer the environment: a command line is visible to every local user",
    )
    p.add_argument("--no-engine", action="store_true", help="run without visualization (baseline)")
    p.add_argument(
        "--wait", action="store_true", help="keep serving after the last step until Ctrl-C"
    )
    p.add_argument(
        "--announce", action="store_true", help="announce to the Jupyter server on this machine"
    )
    p.add_argument(
        "--announce-url", help="announce to the Jupyter server at this URL (needs --token)"
    )
    p.add_argument("--token", help="a Jupyter token for --announce-url")
    args = p.parse_args(argv)
    if args.size < 4 or args.steps < 0 or args.every < 1:
        p.error("--size must be >= 4, --steps >= 0 and --every >= 1")
    if args.announce_url and not args.token:
        p.error("--announce-url needs --token")
    return args


class HeatSlab:
    """This rank's slab of the global grid, with one ghost plane below and above."""

    def __init__(self, n: int, comm):
        self.n, self.comm = n, comm
        rank, size = comm.Get_rank(), comm.Get_size()
        if n < size:
            raise SystemExit(f"--size {n} is smaller than the number of ranks ({size})")
        counts = [n // size + (1 if r < n % size else 0) for r in range(size)]
        self.z0 = sum(counts[:rank])
        self.nz = counts[rank]
        self.below = rank - 1 if rank > 0 else MPI.PROC_NULL
        self.above = rank + 1 if rank < size - 1 else MPI.PROC_NULL
        self.steps = 0
        grid = np.arange(n) / (n - 1)
        self.xy = (grid[None, :], grid[:, None])  # x varies along the last axis, y along rows
        z = (np.arange(self.z0 - 1, self.z0 + self.nz + 1) / (n - 1))[:, None, None]
        y = (np.arange(n) / (n - 1))[None, :, None]
        x = (np.arange(n) / (n - 1))[None, None, :]
        self.u = np.exp(-((x - 0.5) ** 2 + (y - 0.5) ** 2 + (z - 0.5) ** 2) / 0.02)
        self._boundaries(self.u)
        self.exchange(self.u)

    def _boundaries(self, u):
        # Insulated side walls and lid (no flux: copy the neighbouring plane), a hot plate
        # below, and a torch circling on the lid, so the default view (the lid) keeps changing.
        u[:, 0, :], u[:, -1, :] = u[:, 1, :], u[:, -2, :]
        u[:, :, 0], u[:, :, -1] = u[:, :, 1], u[:, :, -2]
        if self.below == MPI.PROC_NULL:
            u[1] = 1.0  # the hot plate: global plane z = 0
        if self.above == MPI.PROC_NULL:
            u[self.nz] = u[self.nz - 1] if self.nz > 1 else u[self.nz]
            angle = 2.0 * np.pi * self.steps / TORCH_PERIOD
            cx, cy = 0.5 + 0.3 * np.cos(angle), 0.5 + 0.3 * np.sin(angle)
            u[self.nz][(self.xy[0] - cx) ** 2 + (self.xy[1] - cy) ** 2 < 0.12**2] = 1.0

    def exchange(self, u):
        """Halo exchange: my top plane to the rank above, my bottom plane to the one below."""
        self.comm.Sendrecv(u[self.nz], dest=self.above, recvbuf=u[0], source=self.below)
        self.comm.Sendrecv(u[1], dest=self.below, recvbuf=u[self.nz + 1], source=self.above)

    def step(self):
        u = self.u
        new = u.copy()  # a fresh array each step: registered ones stay untouched
        c = u[1:-1, 1:-1, 1:-1]
        lap = (
            u[2:, 1:-1, 1:-1]
            + u[:-2, 1:-1, 1:-1]
            + u[1:-1, 2:, 1:-1]
            + u[1:-1, :-2, 1:-1]
            + u[1:-1, 1:-1, 2:]
            + u[1:-1, 1:-1, :-2]
            - 6.0 * c
        )
        new[1:-1, 1:-1, 1:-1] = c + ALPHA * lap
        self.steps += 1
        self._boundaries(new)
        self.exchange(new)
        self.u = new

    def piece(self, engine):
        """This slab plus the plane above it, so neighbouring pieces join without a seam."""
        top = self.nz + 1 if self.above != MPI.PROC_NULL else self.nz
        extent = (0, self.n - 1, 0, self.n - 1, self.z0, self.z0 + top - 1)
        spacing = 1.0 / (self.n - 1)
        return engine.image(
            extent,
            spacing=(spacing,) * 3,
            point_data={"temperature": self.u[1 : top + 1]},
        )


def announce(args, info):
    """Let a Jupyter server list this run, so notebooks can attach (rank 0 only)."""
    from jupyterlab_pvw.announce import Announcement

    if args.announce_url:
        found = Announcement.remote(args.announce_url, args.token, info, name="heat.py")
    elif args.announce:
        found = Announcement.local(info, name="heat.py")
    else:
        return None
    print(f"heat: announced as session {found.id}", flush=True)
    return found


def main(argv=None):
    args = parse_args(argv)
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    slab = HeatSlab(args.size, comm)
    engine = announcement = None
    if not args.no_engine:
        from jupyterlab_pvw import engine

        info = engine.start(host=args.host, port=args.port, secret=args.secret)
        engine.register("temperature", slab.piece(engine))
        engine.activate("temperature")
        if rank == 0:
            if args.secret is None:  # generated here: the person who started the run needs it
                print(f"heat: watch at {info['url']} with secret {info['secret']}", flush=True)
            else:  # the caller (e.g. the launcher) knows it; keep it out of logs
                print(f"heat: watch at {info['url']}", flush=True)
            announcement = announce(args, info)
    # mpiexec turns Ctrl-C into SIGTERM for the ranks. Each rank only notes it; the ranks agree
    # at the next output step, so all stop together and none is left in a collective.
    stop = {"asked": False}
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.update(asked=True))
    started = time.perf_counter()
    step = 0
    for step in range(1, args.steps + 1):
        slab.step()
        if step % args.every == 0 and comm.allreduce(stop["asked"], op=MPI.LOR):
            break
        if engine is not None and step % args.every == 0:
            engine.register("temperature", slab.piece(engine))
            engine.next_timestep(time=step * ALPHA)
    elapsed = time.perf_counter() - started
    total = comm.allreduce(float(slab.u[1 : slab.nz + 1].sum()), op=MPI.SUM)
    if rank == 0:
        print(
            f"heat: {step} steps in {elapsed:.2f} s ({step / max(elapsed, 1e-9):.1f} steps/s), "
            f"total heat {total:.4f}",
            flush=True,
        )
    if engine is not None:
        if args.wait:
            if rank == 0:
                print("heat: serving until Ctrl-C", flush=True)
            while not comm.allreduce(stop["asked"], op=MPI.LOR):
                time.sleep(0.2)
        if rank == 0 and announcement is not None:
            announcement.withdraw()
        engine.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
