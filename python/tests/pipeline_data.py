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
    """An unstructured grid per rank (the field's voxels), with cell array 'owner' = rank."""
    from vtkmodules.util import numpy_support
    from vtkmodules.vtkFiltersCore import vtkAppendFilter

    append = vtkAppendFilter()
    append.AddInputData(field())
    append.Update()
    grid = append.GetOutput()
    owner = numpy_support.numpy_to_vtk(
        np.full(grid.GetNumberOfCells(), float(MPI.COMM_WORLD.Get_rank())), deep=True
    )
    owner.SetName("owner")
    grid.GetCellData().AddArray(owner)
    return grid


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
