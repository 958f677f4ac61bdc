"""Datasets and helpers for the pipeline tests, evaluated on every rank of mpi_sim.py."""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

from jupyterlab_pvw import engine

N = 24  # points per axis of the global field; rank r owns slab r along y


def _slab():
    """This rank's slab of the global N^3 index space: (j0, j1)."""
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    rows = (N - 1) // size
    return rank * rows, N - 1 if rank == size - 1 else (rank + 1) * rows


def field(shift: float = 0.0):
    """A smooth field on a 2-rank image block: T = distance from the centre + shift, a
    velocity vector field, and a cell array."""
    rank = MPI.COMM_WORLD.Get_rank()
    j0, j1 = _slab()
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
    """The field's voxels as hexahedra from engine.unstructured(), per rank: point array 'T'
    (distance from the centre) and cell array 'owner' = rank. The index arrays are
    temporaries here, as in a simulation that rebuilds them each step."""
    j0, j1 = _slab()
    nx, ny = N, j1 - j0 + 1
    z, y, x = np.meshgrid(np.arange(N), np.arange(j0, j1 + 1), np.arange(N), indexing="ij")
    points = np.stack([x, y, z], axis=-1).reshape(-1, 3).astype(np.float64)
    c = (N - 1) / 2
    t = np.sqrt(((points - c) ** 2).sum(axis=1))
    k, j, i = (
        a.ravel() for a in np.meshgrid(*(np.arange(n - 1) for n in (N, ny, nx)), indexing="ij")
    )
    p0 = i + nx * (j + ny * k)
    dy, dz = nx, nx * ny
    corners = (0, 1, 1 + dy, dy, dz, 1 + dz, 1 + dy + dz, dy + dz)  # VTK_HEXAHEDRON order
    connectivity = (p0[:, None] + np.array(corners)).ravel().astype(np.int64)
    ncells = p0.size
    return engine.unstructured(
        points,
        connectivity,
        np.arange(0, 8 * ncells + 1, 8, dtype=np.int64),
        np.full(ncells, 12, dtype=np.uint8),  # VTK_HEXAHEDRON
        point_data={"T": t},
        cell_data={"owner": np.full(ncells, float(MPI.COMM_WORLD.Get_rank()))},
    )


def ugrid_cells() -> int:
    """Cells of this rank's ugrid()."""
    j0, j1 = _slab()
    return (N - 1) * (j1 - j0) * (N - 1)


def churn():
    """The simulation's next allocations, filled with garbage: they reuse memory numpy freed."""
    junk = [np.full(n, -(2**40), dtype=np.int64) for n in (1000, 10_000, 50_000) for _ in range(30)]
    return sum(a.size for a in junk)


def local_cells(name: str) -> list[int]:
    """Every rank's cell count of pipeline item ``name``'s output (collective)."""

    def count(simple, sources):
        return sources[name].GetClientSideObject().GetOutputDataObject(0).GetNumberOfCells()

    return MPI.COMM_WORLD.allgather(engine.run_pipeline(count))


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
