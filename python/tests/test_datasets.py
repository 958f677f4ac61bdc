"""Registering pieces: zero copy for good input, clear TypeError/ValueError for bad input."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from vtkmodules.util.numpy_support import vtk_to_numpy

from jupyterlab_pvw import engine
from jupyterlab_pvw.engine.registry import DatasetRegistry


def test_image_shares_numpy_memory():
    values = np.arange(4 * 3 * 2, dtype=np.float32).reshape(2, 3, 4)
    piece = engine.image((0, 3, 0, 2, 5, 6), point_data={"T": values})
    arr = piece.GetPointData().GetArray("T")
    values[1, 2, 3] = -7.0  # the simulation writes; VTK sees it: no copy was made
    assert arr.GetValue(23) == -7.0
    assert piece.GetExtent() == (0, 3, 0, 2, 5, 6)


def test_vectors_and_cell_data():
    piece = engine.image(
        (0, 2, 0, 2, 0, 0), point_data={"v": np.zeros((9, 3))}, cell_data={"c": np.ones(4)}
    )
    assert piece.GetPointData().GetArray("v").GetNumberOfComponents() == 3
    assert piece.GetCellData().GetArray("c").GetNumberOfTuples() == 4


def test_unstructured_tetra():
    points = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float64)
    piece = engine.unstructured(
        points,
        np.arange(4, dtype=np.int64),
        np.array([0, 4], dtype=np.int64),
        np.array([10], dtype=np.uint8),
        point_data={"p": np.arange(4.0)},
    )
    assert piece.GetNumberOfCells() == 1 and piece.GetCellType(0) == 10


def test_unstructured_keeps_its_numpy_memory_alive():
    """The caller's arrays may go; VTK still shares (not copies) them, so they must live on
    as long as the grid does, or filters read freed memory (Threshold/Clip segfaulted)."""
    refs = []

    def make():
        arrays = (
            np.random.default_rng(0).random((5, 3)),
            np.array([0, 1, 2, 3, 1, 2, 3, 4], dtype=np.int64),
            np.array([0, 4, 8], dtype=np.int64),
            np.array([10, 10], dtype=np.uint8),
        )
        refs.extend(weakref.ref(a) for a in arrays)
        return engine.unstructured(*arrays)

    piece = make()
    gc.collect()
    assert [r() is not None for r in refs] == [True] * 4, "points, connectivity, offsets, types"
    cells = piece.GetCells()
    refs[1]()[4] = 0  # still shared: a write shows through
    assert vtk_to_numpy(cells.GetConnectivityArray())[4] == 0
    assert vtk_to_numpy(cells.GetOffsetsArray()).tolist() == [0, 4, 8]
    assert [piece.GetCellType(i) for i in range(2)] == [10, 10]


def test_rectilinear_and_structured():
    grid = engine.rectilinear(
        np.arange(3.0), np.arange(2.0), np.arange(1.0), point_data={"a": np.zeros(6)}
    )
    assert grid.GetDimensions() == (3, 2, 1)
    pts = np.random.default_rng(0).random((6, 3))
    sgrid = engine.structured(pts, (0, 2, 0, 1, 0, 0))
    assert sgrid.GetNumberOfPoints() == 6


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: engine.image((0, 3, 0, 2, 0, 0), point_data={"T": np.zeros(5)}),
            ValueError,
            "5 values for 12 points",
        ),
        (
            lambda: engine.image((0, 3, 0, 2, 0, 0), point_data={"T": np.zeros(12, dtype=complex)}),
            TypeError,
            "dtype complex128",
        ),
        (
            lambda: engine.image((0, 3, 0, 2, 0, 0), point_data={"T": np.array(["a"] * 12)}),
            TypeError,
            "dtype <U1",
        ),
        (
            lambda: engine.image((0, 3, 0, 2, 0, 0), point_data={"T": np.zeros((12, 2))[:, 0]}),
            ValueError,
            "not C-contiguous",
        ),
        (lambda: engine.image((3, 0, 0, 2, 0, 0)), ValueError, "i0 <= i1"),
        (lambda: engine.image((0, 1, 2)), ValueError, "6 integers"),
        (lambda: engine.image("abc"), TypeError, "6 integers"),
        (lambda: engine.image((0, 1, 0, 1, 0, 0), point_data=[1, 2]), TypeError, "dict of name"),
        (
            lambda: engine.image((0, 1, 0, 1, 0, 0), point_data={"": np.zeros(4)}),
            TypeError,
            "non-empty strings",
        ),
        (
            lambda: engine.rectilinear(
                np.arange(3.0), np.arange(2.0), np.arange(1.0), extent=(0, 1, 0, 1, 0, 0)
            ),
            ValueError,
            "does not match",
        ),
        (
            lambda: engine.structured(np.zeros((5, 3)), (0, 2, 0, 1, 0, 0)),
            ValueError,
            "6 points but 5",
        ),
        (
            lambda: engine.structured(np.zeros((6, 2)), (0, 2, 0, 1, 0, 0)),
            ValueError,
            "shape (n, 3)",
        ),
        (
            lambda: engine.unstructured(
                np.zeros((4, 3)),
                np.arange(4, dtype=np.int32),
                np.array([0, 4]),
                np.array([10], dtype=np.uint8),
            ),
            TypeError,
            "int64",
        ),
        (
            lambda: engine.unstructured(
                np.zeros((4, 3)),
                np.arange(4, dtype=np.int64),
                np.array([0, 4, 4], dtype=np.int64),
                np.array([10], dtype=np.uint8),
            ),
            ValueError,
            "offsets has 3 entries",
        ),
        (
            lambda: engine.unstructured(
                np.zeros((4, 3)),
                np.array([0, 1, 2, 9], dtype=np.int64),
                np.array([0, 4], dtype=np.int64),
                np.array([10], dtype=np.uint8),
            ),
            ValueError,
            "outside 0..3",
        ),
    ],
)
def test_bad_pieces_name_the_problem(call, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_register_rejects_non_datasets_and_bad_names():
    registry = DatasetRegistry()
    with pytest.raises(TypeError, match="register\\(\\) takes a VTK dataset, got ndarray"):
        registry.register("T", np.zeros(3))
    from vtkmodules.vtkCommonCore import vtkPoints

    with pytest.raises(TypeError, match="register\\(\\) takes a VTK dataset, got vtkPoints"):
        registry.register("T", vtkPoints())
    piece = engine.image((0, 1, 0, 1, 0, 0))
    for bad in ("", "a b", "1abc", "x;rm -rf"):
        with pytest.raises(ValueError, match="invalid dataset name"):
            registry.register(bad, piece)
    with pytest.raises(TypeError, match="names are strings"):
        registry.register(3, piece)
    with pytest.raises(KeyError, match="registered: none"):
        registry.unregister("T")


def test_register_copy_detaches_from_numpy():
    registry = DatasetRegistry()
    values = np.zeros(4)
    registry.register("T", engine.image((0, 1, 0, 1, 0, 0), point_data={"T": values}), copy=True)
    values[:] = 9
    assert registry.snapshot()["T"].GetPointData().GetArray("T").GetValue(0) == 0


def test_calls_before_start_say_so():
    for call in (engine.next_timestep, lambda: engine.activate("T"), engine.stop):
        with pytest.raises(engine.NotStarted, match="call start\\(\\) first"):
            call()
    with pytest.raises(TypeError, match="time must be a number"):
        engine.next_timestep("soon")
    assert engine.status()["running"] is False


def test_multiblock_pieces_are_accepted_and_coloured_by_their_first_array():
    from vtkmodules.vtkCommonDataModel import vtkMultiBlockDataSet

    from jupyterlab_pvw.engine.datasets import first_array, local_range

    blocks = vtkMultiBlockDataSet()
    blocks.SetBlock(
        0, engine.image((0, 1, 0, 1, 0, 0), point_data={"p": np.array([1.0, 2.0, 3.0, 4.0])})
    )
    blocks.SetBlock(
        1, engine.image((0, 1, 0, 1, 0, 0), point_data={"p": np.array([-5.0, 0.0, 0.0, 9.0])})
    )
    registry = DatasetRegistry()
    registry.register("blocks", blocks)
    assert first_array(blocks) == ("POINTS", "p")
    assert local_range(blocks, "POINTS", "p") == (-5.0, 9.0)


def test_local_range_ignores_nan_and_uses_the_first_component():
    from jupyterlab_pvw.engine.datasets import local_range

    values = np.array([[1.0, 100.0], [np.nan, -100.0], [-2.0, 0.0], [3.0, 0.0]])
    piece = engine.image((0, 1, 0, 1, 0, 0), point_data={"v": values})
    assert local_range(piece, "POINTS", "v", 0) == (-2.0, 3.0)
    assert local_range(piece, "POINTS", "nosuch", 0) is None


def test_primed_ranges_are_vtks_own_and_vtk_reads_them():
    from jupyterlab_pvw.engine.datasets import prime_ranges

    rng = np.random.default_rng(3)
    scalar = rng.normal(size=27)
    scalar[4], scalar[7] = np.nan, np.inf
    vector = rng.normal(size=(27, 3))
    vector[2, 1] = -np.inf
    ints = np.arange(8, dtype=np.int32)

    def piece():
        data = {"s": scalar.copy(), "v": vector.copy()}
        return engine.image((0, 2, 0, 2, 0, 2), point_data=data, cell_data={"i": ints.copy()})

    primed, reference = piece(), piece()
    prime_ranges(primed)
    for attrs in ("GetPointData", "GetCellData"):
        for k in range(getattr(primed, attrs)().GetNumberOfArrays()):
            a, b = getattr(primed, attrs)().GetArray(k), getattr(reference, attrs)().GetArray(k)
            n = a.GetNumberOfComponents()
            for c in [*range(n), *([-1] if n > 1 else [])]:  # -1: the magnitude
                assert a.GetRange(c) == b.GetRange(c), (a.GetName(), c)
                assert a.GetFiniteRange(c) == b.GetFiniteRange(c), (a.GetName(), c)
    # VTK answers from the primed cache (asked nothing before): a write it was not told of
    # does not show.
    fresh = piece()
    prime_ranges(fresh)
    array = fresh.GetPointData().GetArray("s")
    vtk_to_numpy(array)[0] = -1e9
    assert array.GetRange(0)[0] > -1e9 and array.GetFiniteRange(0)[0] > -1e9
