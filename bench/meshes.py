"""The benchmark datasets, built the same way for our engine (one piece per rank) and for
the stock ParaViewWeb server (one process, every piece).

- ``torus_piece``: a bumpy torus surface of ``2 * nu * nv`` triangles (1e6 by default;
  ``SMALL_TORUS``: 1e4), split along the major angle into ``size`` pieces. What the
  interaction benchmarks render.
- ``block_piece``: a point field on an image-data block of about ``cells`` cells, split
  into slabs along z like ``examples/heat.py``. What the in-situ benchmark steps.
"""

from __future__ import annotations

import math

import numpy as np

TORUS_NU, TORUS_NV = 1000, 500  # 2 * 1000 * 500 = 1e6 triangles
SMALL_TORUS = (100, 50)  # 2 * 100 * 50 = 1e4 triangles: the "small scene" of the drag goal


def parse_resolution(text: str) -> tuple[int, int]:
    """``"NUxNV"`` (e.g. ``"100x50"``) as (nu, nv); a clear error otherwise."""
    try:
        nu, nv = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"torus resolution must be NUxNV (e.g. 100x50), got {text!r}") from None
    if nu < 3 or nv < 3:
        raise ValueError(f"torus resolution needs NU, NV >= 3, got {text!r}")
    return nu, nv


def torus_arrays(rank: int = 0, size: int = 1, nu: int = TORUS_NU, nv: int = TORUS_NV):
    """(points (n, 3) float32, triangles (m, 3) int64, scalar (n,) float32) of one piece."""
    i0 = rank * nu // size
    i1 = (rank + 1) * nu // size  # inclusive: neighbouring pieces share a ring of points
    iu = np.arange(i0, i1 + 1)
    jv = np.arange(nv)
    u = (2 * math.pi * iu / nu)[:, None]
    v = (2 * math.pi * jv / nv)[None, :]
    minor = 0.35 * (1.0 + 0.08 * np.sin(9 * u) * np.sin(7 * v))
    ring = 1.0 + minor * np.cos(v)
    x = ring * np.cos(u)
    y = ring * np.sin(u)
    z = minor * np.sin(v) * np.ones_like(u)
    points = np.stack([x, y, z], axis=-1).reshape(-1, 3).astype(np.float32)
    scalar = (np.sin(5 * u) * np.cos(3 * v) + 0.3 * np.sin(17 * v)).reshape(-1).astype(np.float32)
    nu_local = i1 - i0
    a = (np.arange(nu_local)[:, None] * nv + np.arange(nv)[None, :]).reshape(-1)
    b = a + nv  # same v, next u
    c_ = (np.arange(nu_local)[:, None] * nv + (np.arange(nv)[None, :] + 1) % nv).reshape(-1)
    d = c_ + nv
    triangles = np.concatenate(
        [np.stack([a, b, d], axis=1), np.stack([a, d, c_], axis=1)], axis=0
    ).astype(np.int64)
    return points, triangles, scalar


def torus_piece(rank: int = 0, size: int = 1, parts=None, nu: int = TORUS_NU, nv: int = TORUS_NV):
    """A vtkPolyData piece of the ``nu`` x ``nv`` torus (``parts``: build several ranks'
    pieces into one, for stock)."""
    from vtkmodules.util import numpy_support as ns
    from vtkmodules.vtkCommonCore import vtkPoints
    from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData

    ranks = parts if parts is not None else [rank]
    pts, tris, vals, base = [], [], [], 0
    for r in ranks:
        p, t, s = torus_arrays(r, size, nu, nv)
        pts.append(p)
        tris.append(t + base)
        vals.append(s)
        base += len(p)
    points = np.concatenate(pts)
    triangles = np.concatenate(tris)
    scalar = np.concatenate(vals)
    vtk_points = vtkPoints()
    vtk_points.SetData(ns.numpy_to_vtk(points, deep=True))
    offsets = np.arange(0, 3 * len(triangles) + 1, 3, dtype=np.int64)
    cells = vtkCellArray()
    cells.SetData(
        ns.numpy_to_vtkIdTypeArray(offsets, deep=True),
        ns.numpy_to_vtkIdTypeArray(triangles.reshape(-1).copy(), deep=True),
    )
    poly = vtkPolyData()
    poly.SetPoints(vtk_points)
    poly.SetPolys(cells)
    arr = ns.numpy_to_vtk(scalar, deep=True)
    arr.SetName("wave")
    poly.GetPointData().AddArray(arr)
    return poly


def block_points_per_axis(cells: float) -> int:
    """Points per axis of a cube with about ``cells`` cells."""
    return int(round(cells ** (1.0 / 3.0))) + 1


def block_extent(n: int, rank: int, size: int):
    """This rank's slab along z of an n^3-point grid, sharing its top plane with the next."""
    cells_z = n - 1
    z0 = rank * cells_z // size
    z1 = (rank + 1) * cells_z // size
    return (0, n - 1, 0, n - 1, z0, z1)


def block_base(n: int, extent) -> np.ndarray:
    """A smooth field on this rank's slab, shape (nz, ny, nx), float64."""
    z0, z1 = extent[4], extent[5]
    h = 1.0 / (n - 1)
    z = (np.arange(z0, z1 + 1) * h)[:, None, None]
    y = (np.arange(n) * h)[None, :, None]
    x = (np.arange(n) * h)[None, None, :]
    return np.exp(-((x - 0.5) ** 2 + (y - 0.5) ** 2 + (z - 0.5) ** 2) / 0.05) + 0.2 * np.sin(
        6 * x
    ) * np.cos(5 * y)
