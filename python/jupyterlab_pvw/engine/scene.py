"""The ParaView objects of one session on one rank: view, producers, colouring, frames.

Only the render service thread touches these (VTK is not thread-safe, and the native render
shim must not overlap any other VTK call). Methods marked collective must run on every
rank in the same order; the render service guarantees that.
"""

from __future__ import annotations

import time

from .camera import Camera
from .datasets import first_array, local_range


class Scene:
    def __init__(self, simple, channel, shim, size=(600, 600)):
        self.simple = simple
        self.channel = channel
        self.shim = shim  # None: render through the wrapped calls (holds the GIL)
        self.view = simple.CreateRenderView()
        self.view.ViewSize = list(size)
        self.view.OrientationAxesVisibility = 1
        self.producers: dict = {}  # name -> (producer, display)
        self.coloring: dict = {}  # name -> [association, array name, lo, hi]
        self.active: str | None = None
        self.time = 0.0

    # -- data -----------------------------------------------------------------------------
    def _whole_extent(self, piece):
        """Global extent of image-like pieces (collective: every rank passes its piece)."""
        structured = any(
            piece.IsA(t) for t in ("vtkImageData", "vtkRectilinearGrid", "vtkStructuredGrid")
        )
        ext = list(piece.GetExtent()) if structured else None
        extents = self.channel.allgather(ext)
        if any(e is None for e in extents):
            return None
        return [
            min(e[i] for e in extents) if i % 2 == 0 else max(e[i] for e in extents)
            for i in range(6)
        ]

    def set_piece(self, name: str, piece) -> None:
        """Create or update ``name``'s producer with this rank's piece (collective)."""
        whole = self._whole_extent(piece)
        if name not in self.producers:
            producer = self.simple.PVTrivialProducer(registrationName=name)
            self.producers[name] = (producer, None)
        producer = self.producers[name][0]
        producer.GetClientSideObject().SetOutput(piece)
        if whole is not None:
            producer.WholeExtent = whole
        producer.MarkModified(producer)  # without it the view keeps the old data

    def show(self, name: str, piece) -> None:
        """Make ``name`` the visible dataset, coloured by its first array (collective)."""
        producer, display = self.producers[name]
        for other, (_, other_display) in self.producers.items():
            if other != name and other_display is not None:
                self.simple.Hide(self.producers[other][0], self.view)
        if display is None:
            display = self.simple.Show(producer, self.view)
            # Set explicitly: Show picks a default from each rank's own piece, which differs.
            display.Representation = "Surface"
            self.producers[name] = (producer, display)
        else:
            self.simple.Show(producer, self.view)
        self.active = name
        if name not in self.coloring:
            array = first_array(piece)
            # Agree on one array: rank 0's choice wins (ranks may hold different arrays).
            array = self.channel.allgather(array)[0]
            if array is not None:
                self.color_by(name, piece, array[0], array[1])
        self.reset_camera()

    def color_by(
        self, name: str, piece, association: str | None, array: str | None, value_range=None
    ):
        """Colour ``name`` by an array with a global range (collective)."""
        producer, display = self.producers[name]
        if array is None:
            self.simple.ColorBy(display, None)
            self.coloring.pop(name, None)
            return
        lo, hi = value_range if value_range else self._global_range(piece, association, array)
        self.simple.ColorBy(display, (association, array))
        self.coloring[name] = [association, array, lo, hi]
        self._apply_range(name)

    def _global_range(self, piece, association, array):
        local = local_range(piece, association, array) if piece is not None else None
        lo, hi = local if local else (float("inf"), float("-inf"))
        lo, hi = self.channel.allreduce_range(lo, hi)
        if lo > hi:
            where = "point" if association == "POINTS" else "cell"
            raise KeyError(f"no {where} array named {array!r} on any rank")
        return lo, hi

    def _apply_range(self, name: str) -> None:
        association, array, lo, hi = self.coloring[name]
        if hi <= lo:
            hi = lo + 1e-12 if lo == 0 else lo + abs(lo) * 1e-6
        lut = self.simple.GetColorTransferFunction(array)
        # Symmetric mode's automatic rescale looks at local data only; ranks would disagree.
        lut.AutomaticRescaleRangeMode = "Never"
        lut.RescaleTransferFunction(lo, hi)
        self.simple.GetOpacityTransferFunction(array).RescaleTransferFunction(lo, hi)

    def grow_range(self, name: str, piece) -> None:
        """After a new step, widen the colour range to cover the new values (collective)."""
        if name not in self.coloring:
            return
        association, array, lo, hi = self.coloring[name]
        new_lo, new_hi = self._global_range(piece, association, array)
        self.coloring[name] = [association, array, min(lo, new_lo), max(hi, new_hi)]
        self._apply_range(name)

    def set_representation(self, name: str, representation: str) -> None:
        _, display = self.producers[name]
        if display is None:
            raise KeyError(f"dataset {name!r} has not been shown yet")
        allowed = list(display.GetProperty("Representation").Available)
        if representation not in allowed:
            raise ValueError(f"unknown representation {representation!r}; choose one of {allowed}")
        display.Representation = representation

    def set_time(self, value: float) -> None:
        self.time = float(value)
        self.view.ViewTime = self.time

    # -- camera and frames ----------------------------------------------------------------
    def reset_camera(self) -> None:
        """Back to the initial view: looking down -z with +y up, fitted to the data."""
        Camera().apply_to(self.view.GetActiveCamera())
        self.simple.ResetCamera(self.view)  # collective: uses the global bounds

    def camera(self) -> Camera:
        return Camera.from_vtk(self.view.GetActiveCamera())

    def visible_bounds(self) -> list[float]:
        """Bounds of the visible data over all ranks (collective); stock's default if none."""
        local = list(self.view.GetRenderer().ComputeVisiblePropBounds())
        valid = [b for b in self.channel.allgather(local) if b[0] <= b[1]]
        if not valid:
            return [-1.0, 1.0, -1.0, 1.0, -1.0, 1.0]
        return [
            min(b[i] for b in valid) if i % 2 == 0 else max(b[i] for b in valid) for i in range(6)
        ]

    def render(self, camera: Camera | None, size, quality: int, encode: bool):
        """Collective render + capture; returns (jpeg or None, w, h, total ms, encode ms)."""
        if camera is not None:
            camera.apply_to(self.view.GetActiveCamera())
        if list(self.view.ViewSize) != list(size):
            self.view.ViewSize = list(size)
        start = time.perf_counter()
        if self.shim is not None:
            jpeg, width, height, encode_ms = self.shim.capture_jpeg(
                self.view.SMProxy, quality, encode
            )
        else:
            jpeg, width, height, encode_ms = self._render_wrapped(quality, encode)
        return jpeg, width, height, (time.perf_counter() - start) * 1000.0, encode_ms

    def _render_wrapped(self, quality, encode):
        from vtkmodules.vtkIOImage import vtkJPEGWriter

        image = self.view.CaptureWindow(1)
        try:
            width, height, _ = image.GetDimensions()
            if not encode:
                return None, width, height, 0.0
            start = time.perf_counter()
            writer = vtkJPEGWriter()
            writer.SetInputData(image)
            writer.SetQuality(int(quality))
            writer.WriteToMemoryOn()
            writer.Write()
            jpeg = bytes(memoryview(writer.GetResult()))
            return jpeg, width, height, (time.perf_counter() - start) * 1000.0
        finally:
            image.UnRegister(None)  # or ~1 MB leaks per frame

    def close(self) -> None:
        """Delete this session's proxies; frees the view's GL context (collective)."""
        for producer, display in self.producers.values():
            if display is not None:
                self.simple.Hide(producer, self.view)
            self.simple.Delete(producer)
        self.producers.clear()
        self.simple.Delete(self.view)
        self.view = None
