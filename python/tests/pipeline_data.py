"""Datasets and helpers for the pipeline tests, evaluated on every rank of mpi_sim.py."""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

from jupyterlab_pvw import engine

N = 24  # points per axis of the global field; rank r owns slab r along y


def field(shift: float = 0.0):
    """A smooth field on a 2-rank image block: T = distance from the centre + shift, a
    velocity vector field, and a cell array."""
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    rows = (N - 1) // size
    j0, j1 = rank * rows, N - 1 if rank == size - 1 else (rank + 1) * rows
    z, y, x = np.meshgrid(np.arange(N), np.arange(j0, j1 + 1), np.arange(N), indexing="ij")
    c = (N - 1) / 2
    t = np.sqrt((x - c) ** 2 + (y - c) ** 2 + (z - c) ** 2) + shift
    velocity = np.stack([-(y - c), x - c, np.zeros_like(t)], axis=-1).reshape(-1, 3)
    ncells = (N - 1) * (j1 - j0) * (N - 1)
    return engine.image(
        (0, N - 1, j0, j1, 0, N - 1),
        point_data={"T": t.ravel().copy(), "velocity": velocity.copy()},
        cell_data={"cellrank": np.full(ncells, float(rank))},
    )


def ugrid():
    """An unstructured block of hexahedra per rank (stacked along y), cell array 'owner'."""
    rank = MPI.COMM_WORLD.Get_rank()
    n = 4
    pts = np.array(
        [(i, j + rank * n, k) for k in range(n + 1) for j in range(n + 1) for i in range(n + 1)],
        dtype=np.float64,
    )

    def pid(i, j, k):
        return i + (n + 1) * (j + (n + 1) * k)

    conn = []
    for k in range(n):
        for j in range(n):
            for i in range(n):
                conn += [
                    pid(i, j, k), pid(i + 1, j, k), pid(i + 1, j + 1, k), pid(i, j + 1, k),
                    pid(i, j, k + 1), pid(i + 1, j, k + 1), pid(i + 1, j + 1, k + 1),
                    pid(i, j + 1, k + 1),
                ]
    cells = n**3
    return engine.unstructured(
        pts,
        np.array(conn, dtype=np.int64),
        np.arange(0, 8 * cells + 1, 8, dtype=np.int64),
        np.full(cells, 12, dtype=np.uint8),
        cell_data={"owner": np.full(cells, float(rank))},
    )


def sphere():
    """A sphere source's polydata (it has point Normals) plus a user cell array."""
    from vtkmodules.util import numpy_support
    from vtkmodules.vtkFiltersSources import vtkSphereSource

    src = vtkSphereSource()
    src.SetThetaResolution(24)
    src.SetPhiResolution(24)
    src.Update()
    poly = src.GetOutput()
    values = np.linspace(0, 1, poly.GetNumberOfCells())
    arr = numpy_support.numpy_to_vtk(values, deep=True)
    arr.SetName("pressure")
    poly.GetCellData().AddArray(arr)
    return poly


def only_on_rank(r: int):
    """The field, with an extra point array 'extra' on rank ``r`` only."""
    piece = field()
    if MPI.COMM_WORLD.Get_rank() == r:
        from vtkmodules.util import numpy_support

        arr = numpy_support.numpy_to_vtk(np.ones(piece.GetNumberOfPoints()), deep=True)
        arr.SetName("extra")
        piece.GetPointData().AddArray(arr)
    return piece


def errors_of(fn):
    """Every rank's error (type and message) from a collective call, or None per rank."""
    try:
        fn()
        mine = None
    except Exception as exc:
        mine = f"{type(exc).__name__}: {exc}"
    return MPI.COMM_WORLD.allgather(mine)
