"""Wrap a rank's local piece as a VTK dataset without copying its numpy memory.

ParaView reads these arrays while it renders, so a piece must not be overwritten in place
until the next ``next_timestep()`` has swapped a newer piece in (register a new buffer each
step, or pass ``copy=True`` to ``register``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

# VTK is imported lazily (inside functions) so that this module, and the validation it
# does, can be imported where ParaView is not installed (e.g. in the Jupyter server).

SUPPORTED_TYPES = (
    "vtkImageData",
    "vtkUniformGrid",
    "vtkRectilinearGrid",
    "vtkStructuredGrid",
    "vtkPolyData",
    "vtkUnstructuredGrid",
    "vtkMultiBlockDataSet",
)
_NUMERIC_KINDS = "iuf"


def _vtk_array(name: str, values, count: int, where: str):
    """A VTK array sharing ``values``' memory; ``count`` tuples are expected."""
    from vtkmodules.util import numpy_support

    if not isinstance(name, str) or not name:
        raise TypeError(f"{where} array names must be non-empty strings, got {name!r}")
    arr = np.asarray(values)
    if arr.dtype.kind not in _NUMERIC_KINDS or arr.dtype.itemsize > 8:
        raise TypeError(
            f"{where} array {name!r} has dtype {arr.dtype}; use a real numeric dtype "
            "(float32, float64 or an integer type), e.g. values.astype('float32')"
        )
    if arr.dtype.byteorder not in "=|" and arr.dtype.itemsize > 1:
        raise TypeError(f"{where} array {name!r} is not in native byte order")
    if not arr.flags.c_contiguous:
        raise ValueError(
            f"{where} array {name!r} is not C-contiguous, so it cannot be shared without a "
            "copy: pass np.ascontiguousarray(values) (or a C-ordered array of shape "
            "(nz, ny, nx))"
        )
    if arr.size == 0 or arr.size % count != 0:
        raise ValueError(
            f"{where} array {name!r} has {arr.size} values for {count} "
            f"{'points' if where == 'point' else 'cells'}: expected {count} values "
            f"(or {count} x components)"
        )
    components = arr.size // count
    flat = arr.reshape(count, components) if components > 1 else arr.reshape(count)
    vtk_arr = numpy_support.numpy_to_vtk(flat, deep=False)
    vtk_arr._pvw_owner = arr  # keeps the numpy memory alive as long as VTK uses it
    vtk_arr.SetName(name)
    return vtk_arr


def _attach(dataset, point_data, cell_data, n_points: int, n_cells: int):
    for data, attrs, count, where in (
        (point_data, dataset.GetPointData(), n_points, "point"),
        (cell_data, dataset.GetCellData(), n_cells, "cell"),
    ):
        if data is None:
            continue
        if not isinstance(data, Mapping):
            raise TypeError(
                f"{where}_data must be a dict of name -> array, got {type(data).__name__}"
            )
        for name, values in data.items():
            attrs.AddArray(_vtk_array(name, values, count, where))
    return dataset


def _check_extent(extent) -> list[int]:
    try:
        ext = [int(v) for v in extent]
    except (TypeError, ValueError):
        raise TypeError(
            f"extent must be 6 integers (i0, i1, j0, j1, k0, k1), got {extent!r}"
        ) from None
    if len(ext) != 6 or any(ext[2 * a] > ext[2 * a + 1] for a in range(3)):
        raise ValueError(
            f"extent must be 6 integers (i0, i1, j0, j1, k0, k1) with i0 <= i1 etc., got {extent!r}"
        )
    return ext


def _extent_counts(ext: Sequence[int]) -> tuple[int, int]:
    dims = [ext[2 * a + 1] - ext[2 * a] + 1 for a in range(3)]
    cells = 1
    for d in dims:
        cells *= max(d - 1, 1)
    return dims[0] * dims[1] * dims[2], cells


def image(extent, spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0), point_data=None, cell_data=None):
    """A ``vtkImageData`` piece: ``extent`` is this rank's part of the global index space.

    Point arrays are C-ordered with x fastest, i.e. shape ``(nz, ny, nx)`` or flat.
    Adjacent pieces should share their boundary plane of points so they join seamlessly.
    """
    from vtkmodules.vtkCommonDataModel import vtkImageData

    ext = _check_extent(extent)
    piece = vtkImageData()
    piece.SetExtent(*ext)
    piece.SetSpacing(*[float(s) for s in spacing])
    piece.SetOrigin(*[float(o) for o in origin])
    n_points, n_cells = _extent_counts(ext)
    return _attach(piece, point_data, cell_data, n_points, n_cells)


def rectilinear(x, y, z, extent=None, point_data=None, cell_data=None):
    """A ``vtkRectilinearGrid`` piece from three coordinate vectors (zero copy)."""
    from vtkmodules.vtkCommonDataModel import vtkRectilinearGrid

    coords = [np.asarray(c) for c in (x, y, z)]
    if any(c.ndim != 1 or c.size == 0 for c in coords):
        raise ValueError("x, y and z must be non-empty 1-D coordinate arrays")
    dims = [c.size for c in coords]
    ext = (
        _check_extent(extent)
        if extent is not None
        else [0, dims[0] - 1, 0, dims[1] - 1, 0, dims[2] - 1]
    )
    if [ext[1] - ext[0] + 1, ext[3] - ext[2] + 1, ext[5] - ext[4] + 1] != dims:
        raise ValueError(f"extent {ext} does not match coordinate lengths {dims}")
    piece = vtkRectilinearGrid()
    piece.SetExtent(*ext)
    piece.SetXCoordinates(_vtk_array("x", coords[0], dims[0], "coordinate"))
    piece.SetYCoordinates(_vtk_array("y", coords[1], dims[1], "coordinate"))
    piece.SetZCoordinates(_vtk_array("z", coords[2], dims[2], "coordinate"))
    n_points, n_cells = _extent_counts(ext)
    return _attach(piece, point_data, cell_data, n_points, n_cells)


def _points(points):
    from vtkmodules.vtkCommonCore import vtkPoints

    pts = np.asarray(points)
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise ValueError(f"points must have shape (n, 3), got {pts.shape}")
    vtk_points = vtkPoints()
    vtk_points.SetData(_vtk_array("Points", pts, pts.shape[0], "point"))
    return vtk_points, pts.shape[0]


def structured(points, extent, point_data=None, cell_data=None):
    """A ``vtkStructuredGrid`` piece: ``points`` of shape (n, 3), x fastest, over ``extent``."""
    from vtkmodules.vtkCommonDataModel import vtkStructuredGrid

    ext = _check_extent(extent)
    vtk_points, n = _points(points)
    n_points, n_cells = _extent_counts(ext)
    if n != n_points:
        raise ValueError(f"extent {ext} has {n_points} points but {n} points were given")
    piece = vtkStructuredGrid()
    piece.SetExtent(*ext)
    piece.SetPoints(vtk_points)
    return _attach(piece, point_data, cell_data, n_points, n_cells)


def unstructured(points, connectivity, offsets, cell_types, point_data=None, cell_data=None):
    """A ``vtkUnstructuredGrid`` piece in VTK's offsets + connectivity layout (zero copy).

    ``offsets`` has n_cells + 1 entries (cell i uses ``connectivity[offsets[i]:offsets[i+1]]``);
    ``cell_types`` holds VTK cell type codes (e.g. 10 for tetrahedra, 12 for hexahedra).
    Index arrays must be int64 (VTK's id type here) to be shared without a copy.
    """
    from vtkmodules.util import numpy_support
    from vtkmodules.vtkCommonCore import VTK_TYPE_INT64, VTK_UNSIGNED_CHAR
    from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkUnstructuredGrid

    vtk_points, n_points = _points(points)
    conn, offs = np.asarray(connectivity), np.asarray(offsets)
    types = np.asarray(cell_types)
    for label, arr in (("connectivity", conn), ("offsets", offs)):
        if arr.dtype != np.int64:
            raise TypeError(f"{label} must be int64 to be shared with VTK, got {arr.dtype}")
        if arr.ndim != 1 or not arr.flags.c_contiguous:
            raise ValueError(f"{label} must be a 1-D C-contiguous array")
    if types.dtype != np.uint8 or types.ndim != 1:
        raise TypeError(f"cell_types must be a 1-D uint8 array, got {types.dtype} {types.shape}")
    n_cells = types.size
    if offs.size != n_cells + 1:
        raise ValueError(
            f"offsets has {offs.size} entries for {n_cells} cells: expected {n_cells + 1}"
        )
    if offs[0] != 0 or offs[-1] != conn.size or np.any(np.diff(offs) < 0):
        raise ValueError("offsets must start at 0, never decrease, and end at len(connectivity)")
    if conn.size and (conn.min() < 0 or conn.max() >= n_points):
        raise ValueError(f"connectivity refers to points outside 0..{n_points - 1}")
    # int64 arrays of the class vtkCellArray stores (vtkTypeInt64Array): given vtkIdTypeArrays
    # it keeps shallow copies instead, and owners set on the discarded originals let numpy
    # free the indices while ParaView still read them (Threshold/Clip segfaulted).
    vtk_offs = numpy_support.numpy_to_vtk(offs, deep=False, array_type=VTK_TYPE_INT64)
    vtk_conn = numpy_support.numpy_to_vtk(conn, deep=False, array_type=VTK_TYPE_INT64)
    vtk_types = numpy_support.numpy_to_vtk(types, deep=False, array_type=VTK_UNSIGNED_CHAR)
    cells = vtkCellArray()
    cells.SetData(vtk_offs, vtk_conn)
    piece = vtkUnstructuredGrid()
    piece.SetPoints(vtk_points)
    piece.SetCells(vtk_types, cells)
    # Tie each buffer to the array object VTK actually keeps, whatever VTK did with ours.
    cells = piece.GetCells()
    for kept, owner in (
        (cells.GetOffsetsArray(), offs),
        (cells.GetConnectivityArray(), conn),
        (piece.GetCellTypesArray(), types),
    ):
        kept._pvw_owner = owner
    return _attach(piece, point_data, cell_data, n_points, n_cells)


def check_piece(piece):
    """Return ``piece`` if it is a VTK dataset the engine can show, else raise TypeError."""
    class_name = piece.GetClassName() if hasattr(piece, "GetClassName") else None
    if class_name is None or not hasattr(piece, "IsA") or not piece.IsA("vtkDataObject"):
        raise TypeError(
            f"register() takes a VTK dataset, got {type(piece).__name__}; wrap numpy arrays "
            "with jupyterlab_pvw.engine.image(...), rectilinear(...), structured(...) or "
            "unstructured(...)"
        )
    if not any(piece.IsA(t) for t in SUPPORTED_TYPES):
        raise TypeError(f"{class_name} is not supported; use one of {', '.join(SUPPORTED_TYPES)}")
    return piece


def copy_piece(piece):
    """A deep copy, for simulations that overwrite their buffers in place."""
    clone = piece.NewInstance()
    clone.DeepCopy(piece)
    return clone


def leaf_datasets(data) -> list:
    """The leaf datasets of a data object (itself if it is not composite; none for None)."""
    if data is None:
        return []
    if data.IsA("vtkCompositeDataSet"):
        out, it = [], data.NewIterator()
        it.InitTraversal()
        while not it.IsDoneWithTraversal():
            out.append(it.GetCurrentDataObject())
            it.GoToNextItem()
        return out
    return [data]


def attributes(dataset, association: str):
    """A dataset's point data for "POINTS", its cell data otherwise."""
    return dataset.GetPointData() if association == "POINTS" else dataset.GetCellData()


def first_array(piece):
    """(association, name) of the first point array, else the first cell array, else None."""
    leaves = leaf_datasets(piece)
    if not leaves or leaves[0] is None:
        return None
    dataset = leaves[0]
    for association, attrs in (
        ("POINTS", dataset.GetPointData()),
        ("CELLS", dataset.GetCellData()),
    ):
        for i in range(attrs.GetNumberOfArrays()):
            arr = attrs.GetAbstractArray(i)
            if arr is not None and arr.GetName() and arr.IsA("vtkDataArray"):
                return association, arr.GetName()
    return None


def local_range(data, association: str, name: str, component: int = -1, positive=False):
    """(lo, hi) of an array over this rank's part (magnitude when component is -1), or None.

    NaN is ignored, as VTK's GetRange does; ``positive`` keeps values > 0 (log scales).
    """
    from vtkmodules.util import numpy_support

    lo, hi = np.inf, -np.inf
    for ds in leaf_datasets(data):
        arr = attributes(ds, association).GetArray(name)
        if arr is None or arr.GetNumberOfTuples() == 0:
            continue
        # numpy, not GetRange: ~20x faster here, and this runs once per step per rank.
        values = numpy_support.vtk_to_numpy(arr)
        if values.ndim > 1:
            values = (
                np.linalg.norm(values, axis=1)
                if component < 0
                else values[:, min(component, values.shape[1] - 1)]
            )
        if positive:
            values = values[values > 0]
            if values.size == 0:
                continue
        lo, hi = min(lo, float(np.nanmin(values))), max(hi, float(np.nanmax(values)))
    return (lo, hi) if lo <= hi else None


def _min_max(values) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
    """(range ignoring NaN, range of the finite values), as VTK defines them; None if empty."""
    lo, hi = float(np.min(values)), float(np.max(values))
    if np.isfinite(lo) and np.isfinite(hi):
        return (lo, hi), (lo, hi)  # no NaN (it would propagate) and no infinity
    valid = values[~np.isnan(values)]
    finite = valid[np.isfinite(valid)]
    whole = (float(valid.min()), float(valid.max())) if valid.size else None
    return whole, ((float(finite.min()), float(finite.max())) if finite.size else None)


def prime_ranges(piece) -> None:
    """Fill VTK's range caches of every point and cell array of a new piece, from numpy.

    Every step ParaView gathers its data information for the displays' array lists, which
    computes each array's range and finite range, per component and of the magnitude, with
    VTK's single-threaded loops: on 1e6 values that was a third of a new step's render.
    numpy finds the same extremes several times faster; VTK then reads them from the
    array's information, valid until the array is modified.
    """
    from vtkmodules.util import numpy_support
    from vtkmodules.vtkCommonCore import vtkDataArray, vtkInformationVector

    for dataset in leaf_datasets(piece):
        for attrs in (dataset.GetPointData(), dataset.GetCellData()):
            for i in range(attrs.GetNumberOfArrays()):
                array = attrs.GetArray(i)
                if array is None or array.GetNumberOfTuples() == 0:
                    continue
                info = array.GetInformation()
                if info.Has(vtkDataArray.PER_COMPONENT()) and array.GetMTime() <= info.GetMTime():
                    continue  # primed already (a kept step shown again)
                try:
                    values = numpy_support.vtk_to_numpy(array)
                except (TypeError, ValueError, KeyError):  # a type numpy cannot view
                    continue
                values = values.reshape(len(values), -1).astype(np.float64, copy=False)
                columns = [values[:, c] for c in range(values.shape[1])]
                if values.shape[1] > 1:
                    columns.append(np.sqrt(np.einsum("ij,ij->i", values, values)))
                ranges = [_min_max(column) for column in columns]
                if any(r is None for pair in ranges for r in pair):
                    continue  # all NaN or all infinite somewhere: VTK's own rule applies
                for key, which in (
                    (vtkDataArray.PER_COMPONENT(), 0),
                    (vtkDataArray.PER_FINITE_COMPONENT(), 1),
                ):
                    per_component = vtkInformationVector()
                    per_component.SetNumberOfInformationObjects(values.shape[1])
                    for c in range(values.shape[1]):
                        per_component.GetInformationObject(c).Set(
                            vtkDataArray.COMPONENT_RANGE(), ranges[c][which], 2
                        )
                    info.Set(key, per_component)
                if values.shape[1] > 1:
                    info.Set(vtkDataArray.L2_NORM_RANGE(), ranges[-1][0], 2)
                    info.Set(vtkDataArray.L2_NORM_FINITE_RANGE(), ranges[-1][1], 2)
