"""Raw ParaView in symmetric batch mode, no engine: each rank feeds its own piece through a
PVTrivialProducer and rank 0 gets the composited image. Run by the foundation tests under
plain mpiexec (as a script) and on ipyparallel MPI engines (``composite_frames()``)."""

from __future__ import annotations


def composite_frames(size=(300, 300)):
    """Two frames (before/after changing the pieces) as RGB arrays on rank 0, None elsewhere."""
    import numpy as np
    from mpi4py import MPI

    from jupyterlab_pvw.engine.paraview_init import initialize

    simple = initialize()
    from vtkmodules.util import numpy_support
    from vtkmodules.vtkCommonDataModel import vtkImageData

    comm = MPI.COMM_WORLD
    rank, nranks = comm.Get_rank(), comm.Get_size()
    n = 20
    rows = (n - 1) // nranks
    j0, j1 = rank * rows, n - 1 if rank == nranks - 1 else (rank + 1) * rows

    def piece(value):
        img = vtkImageData()
        img.SetExtent(0, n - 1, j0, j1, 0, 0)
        arr = numpy_support.numpy_to_vtk(np.full(n * (j1 - j0 + 1), float(value)), deep=True)
        arr.SetName("v")
        img.GetPointData().SetScalars(arr)
        return img

    producer = simple.PVTrivialProducer()
    producer.GetClientSideObject().SetOutput(piece(rank))
    producer.WholeExtent = [0, n - 1, 0, n - 1, 0, 0]
    view = simple.CreateRenderView()
    view.ViewSize = list(size)
    view.OrientationAxesVisibility = 0
    display = simple.Show(producer, view)
    display.Representation = "Surface"
    simple.ColorBy(display, ("POINTS", "v"))
    lut = simple.GetColorTransferFunction("v")
    lut.AutomaticRescaleRangeMode = "Never"
    lut.RescaleTransferFunction(0.0, float(max(nranks - 1, 1)))
    simple.ResetCamera(view)

    def capture():
        image = view.CaptureWindow(1)
        try:
            w, h, _ = image.GetDimensions()
            rgb = numpy_support.vtk_to_numpy(image.GetPointData().GetScalars()).reshape(h, w, -1)[
                ::-1, :, :3
            ]
            return rgb.astype(int).copy()
        finally:
            image.UnRegister(None)

    first = capture()
    # Swap the pieces: rank r now shows the value of the opposite rank.
    producer.GetClientSideObject().SetOutput(piece(nranks - 1 - rank))
    producer.MarkModified(producer)
    second = capture()
    simple.Delete(producer)
    simple.Delete(view)
    return (first, second) if rank == 0 else None


if __name__ == "__main__":
    import sys

    import numpy as np

    frames = composite_frames()
    if frames is not None:
        np.savez(sys.argv[1], first=frames[0], second=frames[1])
