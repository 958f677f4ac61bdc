"""The ParaView objects of one session on one rank: view, producers, colouring, frames.

Only the render service thread touches these (VTK is not thread-safe, and the native render
shim must not overlap any other VTK call). Methods marked collective must run on every
rank in the same order; the render service guarantees that.
"""

from __future__ import annotations

import inspect
import os
import time
import traceback

from .camera import Camera
from .datasets import prime_ranges
from .pipeline import Pipeline


class Scene:
    def __init__(self, simple, channel, shim, size=(600, 600)):
        self.simple = simple
        self.channel = channel
        self.shim = shim  # None: render through the wrapped calls (holds the GIL)
        self.view = simple.CreateRenderView()
        self.view.ViewSize = list(size)
        self.view.OrientationAxesVisibility = 1
        # ParaView's FXAA pass (on by default) is a full-frame pass: in software rendering
        # it costs as much as drawing the LOD geometry, so only full-size stills get it.
        self.antialias = bool(self.view.UseFXAA)
        self._lod_settings: tuple | None = None  # ParaView's own defaults until set_lod
        self.producers: dict = {}  # name -> (producer, display)
        # Pieces swapped in since the last render, whose range caches are not filled yet:
        # done at the render, off the simulation's next_timestep() and only if someone looks.
        self._unprimed: dict = {}
        # name -> [its producer's VTK algorithm, the whole extent last set]: asking the proxy
        # for either on every step costs a tenth of a millisecond of the simulation's call.
        self._feeds: dict = {}
        self.pipeline = Pipeline(simple, channel, self.view)  # displays, colours, filters
        self.active: str | None = None
        self.time = 0.0
        self._view_time = 0.0  # the view's ViewTime, set from self.time at the render

    @property
    def coloring(self) -> dict:
        """name -> [association, array name, lo, hi] of every item coloured by an array."""
        return {
            name: [c["association"], c["array"], *(c["range"] or [0.0, 1.0])]
            for name, item in self.pipeline.items.items()
            if (c := item.coloring) is not None
        }

    # -- data -----------------------------------------------------------------------------
    @staticmethod
    def local_extent(piece) -> list | None:
        """This rank's extent of an image-like piece; None for other kinds of data."""
        structured = any(
            piece.IsA(t) for t in ("vtkImageData", "vtkRectilinearGrid", "vtkStructuredGrid")
        )
        return list(piece.GetExtent()) if structured else None

    @staticmethod
    def whole_extent(extents: list) -> list | None:
        """The global extent from every rank's ``local_extent`` (None unless all are image-like)."""
        if any(e is None for e in extents):
            return None
        return [
            min(e[i] for e in extents) if i % 2 == 0 else max(e[i] for e in extents)
            for i in range(6)
        ]

    def set_piece(self, name: str, piece, extents: list | None = None) -> None:
        """Create or update ``name``'s producer with this rank's piece (collective).

        ``extents``: every rank's ``local_extent`` of it, when the caller gathered them
        already (a step gathers them with its other checks, one collective fewer)."""
        if extents is None:
            extents = self.channel.allgather(self.local_extent(piece))
        whole = self.whole_extent(extents)
        if name not in self.producers:
            producer = self.simple.PVTrivialProducer(registrationName=name)
            self.producers[name] = (producer, None)
            self.pipeline.add_source(name, producer)
            self._feeds[name] = [producer.GetClientSideObject(), None]
        producer = self.producers[name][0]
        feed = self._feeds[name]
        self._unprimed[name] = piece
        feed[0].SetOutput(piece)
        if whole is not None and whole != feed[1]:
            producer.WholeExtent = whole
            feed[1] = whole
        producer.MarkModified(producer)  # without it the view keeps the old data

    def ensure_source(self, name: str, pieces: dict) -> None:
        """A registered dataset as a pipeline input, even if never shown (collective)."""
        if name in self.producers:
            return
        have = self.channel.allgather(name in pieces)
        if not all(have):
            missing = [r for r, ok in enumerate(have) if not ok]
            raise KeyError(
                f"no pipeline item or dataset named {name!r} (not registered on rank(s) "
                f"{missing}); items: {list(self.pipeline.items) or 'none'}"
            )
        self.set_piece(name, pieces[name])

    def show(self, name: str, piece) -> None:
        """Make ``name`` the visible dataset, coloured by its default array (collective)."""
        for other in self.producers:
            if other != name:
                self.pipeline.set_visible(other, False)
        item = self.pipeline.items[name]
        self.pipeline.set_visible(name, True)
        self.producers[name] = (item.proxy, item.display)
        self.active = name
        if item.coloring is None and item.solid is None:
            self.pipeline.default_coloring(item)
        self.reset_camera()

    def color_by(
        self, name: str, piece, association: str | None, array: str | None, value_range=None
    ):
        """Colour ``name`` by an array with a global range, or solid if no array (collective)."""
        if array is None:
            self.pipeline.color_by(name, solid=self.pipeline.items[name].solid or [1, 1, 1])
            return
        self.pipeline.color_by(name, array, association, range=value_range)

    def set_representation(self, name: str, representation: str) -> None:
        if self.pipeline.items[name].display is None:
            raise KeyError(f"dataset {name!r} has not been shown yet")
        self.pipeline.set_representation(name, representation)

    def set_time(self, value: float) -> None:
        """The step's last call: new time; the view's time and the pipeline's colour ranges
        follow at the next render (setting a view property costs ~0.5 ms of the step)."""
        self.time = float(value)
        self.pipeline.new_step(self.time)

    # -- the pipeline's requests (collective) ------------------------------------------------
    def pipeline_request(self, action: str, args: dict, pieces: dict):
        """Run one pipeline action; returns (result, whether the pipeline changed)."""
        p = self.pipeline
        handlers = {
            "list": (lambda: p.describe(), False),
            "properties": (lambda name: p.properties(name), False),
            "presets": (lambda: p.presets(), False),
            "kinds": (lambda: p.kinds(), False),
            "code": (lambda: p.code(), False),
            "add": (lambda **a: self._add(pieces, **a), True),
            "set": (lambda name, properties: p.set_properties(name, properties), True),
            "remove": (lambda name, recursive=False: p.remove(name, recursive), True),
            "show": (lambda name: p.set_visible(name, True), True),
            "hide": (lambda name: p.set_visible(name, False), True),
            "color_by": (lambda name, **a: p.color_by(name, **a), True),
            "scalar_bar": (lambda name, visible=True: p.set_scalar_bar(name, visible), True),
            "representation": (
                lambda name, representation=None, opacity=None: p.set_representation(
                    name, representation, opacity
                ),
                True,
            ),
            "run": (lambda fn: p.run(fn), True),
            "run_code": (lambda code: p.run(_code_runner(code)), True),
            "load": (
                lambda description, replace=False: self._load(pieces, description, replace),
                True,
            ),
        }
        if action not in handlers:
            raise ValueError(f"unknown pipeline action {action!r}; known: {sorted(handlers)}")
        handler, changes = handlers[action]
        try:
            bound = inspect.signature(handler).bind(**args)
        except TypeError as exc:
            raise TypeError(f"pipeline {action}: {exc}") from None
        try:
            return handler(*bound.args, **bound.kwargs), changes
        except Exception:
            if os.environ.get("PVW_DEBUG"):
                traceback.print_exc()
            raise

    def _add(self, pieces, kind, input, name=None, properties=None):
        if isinstance(input, str) and input not in self.pipeline.items:
            self.ensure_source(input, pieces)
        return {"name": self.pipeline.add_filter(kind, input, name, properties or {})}

    def _load(self, pieces, description, replace=False):
        """Rebuild a saved pipeline (``describe()`` output); all or nothing for new filters."""
        p = self.pipeline
        if not isinstance(description, list) or not all(isinstance(d, dict) for d in description):
            raise TypeError("a pipeline description is a list of items (what pipeline() returns)")
        filters = [d for d in description if not d.get("source") and not d.get("custom")]
        clash = [d.get("name") for d in filters if d.get("name") in p.items]
        if clash and not replace:
            raise ValueError(f"items {clash} exist already: remove them, or load with replace=True")
        if replace:
            for name in [n for n, i in p.items.items() if not i.source and n in p.items]:
                if name in p.items:
                    p.remove(name, recursive=True)
        added = []
        try:
            for d in description:
                if d.get("custom"):
                    continue
                if d.get("source"):
                    self.ensure_source(d["name"], pieces)
                else:
                    self._add(pieces, d["kind"], d["input"], d["name"], d.get("properties"))
                    added.append(d["name"])
                name = d["name"]
                p.set_visible(name, bool(d.get("visible", True)))
                p.set_representation(name, d.get("representation"), d.get("opacity"))
                c = d.get("coloring")
                if c:
                    fixed = c.get("mode") == "fixed"
                    p.color_by(
                        name,
                        c["array"],
                        c.get("association"),
                        preset=c.get("preset"),
                        range=c.get("range") if fixed else None,
                        log=c.get("log"),
                        mode=c.get("mode"),
                        component=c.get("component"),
                    )
                    p.set_scalar_bar(name, bool(d.get("scalar_bar", True)))
                elif d.get("solid"):
                    p.color_by(name, solid=d["solid"])
        except Exception:
            for name in reversed(added):
                if name in p.items:
                    p.remove(name, recursive=True)
            raise
        return {"loaded": [d["name"] for d in description if not d.get("custom")]}

    # -- camera and frames ----------------------------------------------------------------
    def reset_camera(self) -> None:
        """Back to the initial view: looking down -z with +y up, fitted to the data."""
        Camera().apply_to(self.view.GetActiveCamera())
        self.simple.ResetCamera(self.view)  # collective: uses the global bounds

    def camera(self) -> Camera:
        return Camera.from_vtk(self.view.GetActiveCamera())

    def set_lod(self, threshold_mb: float, resolution: float) -> None:
        """Geometry above ``threshold_mb`` is drawn decimated in interactive renders, on a
        grid as fine as ``resolution`` (ParaView's LODResolution, 0..1) (collective)."""
        if self._lod_settings == (threshold_mb, resolution):
            return  # a new resolution makes ParaView decimate again: only when it changes
        self.view.LODThreshold = float(threshold_mb)
        self.view.LODResolution = float(resolution)
        self._lod_settings = (threshold_mb, resolution)

    def visible_bounds(self) -> list[float]:
        """Bounds of the visible data over all ranks (collective); stock's default if none."""
        local = list(self.view.GetRenderer().ComputeVisiblePropBounds())
        valid = [b for b in self.channel.allgather(local) if b[0] <= b[1]]
        if not valid:
            return [-1.0, 1.0, -1.0, 1.0, -1.0, 1.0]
        return [
            min(b[i] for b in valid) if i % 2 == 0 else max(b[i] for b in valid) for i in range(6)
        ]

    def render(
        self,
        camera: Camera | None,
        size,
        quality: int,
        encode: bool,
        lod: bool = False,
        still: bool = True,
    ):
        """Collective render + capture; returns (jpeg or None, w, h, total ms, encode ms,
        LOD used). ``lod``: an interactive render (ParaView's LOD above its threshold);
        ``still``: a full-quality frame (anti-aliased if ParaView's FXAA is on)."""
        if camera is not None:
            camera.apply_to(self.view.GetActiveCamera())
        if list(self.view.ViewSize) != list(size):
            self.view.ViewSize = list(size)
        fxaa = int(self.antialias and still)
        if self.view.UseFXAA != fxaa:
            self.view.UseFXAA = fxaa
        start = time.perf_counter()
        if self._view_time != self.time:
            self.view.ViewTime = self._view_time = self.time
        while self._unprimed:
            prime_ranges(self._unprimed.popitem()[1])
        self.pipeline.prepare_render()  # under the GIL: the shim's render runs no Python
        if self.shim is not None:
            jpeg, width, height, encode_ms, used_lod = self.shim.capture_jpeg(
                self.view.SMProxy, quality, encode, lod
            )
        else:
            jpeg, width, height, encode_ms, used_lod = self._render_wrapped(quality, encode, lod)
        ms = (time.perf_counter() - start) * 1000.0
        return jpeg, width, height, ms, encode_ms, used_lod

    def _render_wrapped(self, quality, encode, lod):
        from vtkmodules.vtkIOImage import vtkJPEGWriter

        # vtkSMRenderViewProxy's capture renders interactively (LOD) when this is on.
        self.view.UseInteractiveRenderingForScreenshots = int(bool(lod))
        image = self.view.CaptureWindow(1)
        used_lod = bool(self.view.GetClientSideObject().GetUsedLODForLastRender())
        try:
            width, height, _ = image.GetDimensions()
            if not encode:
                return None, width, height, 0.0, used_lod
            start = time.perf_counter()
            writer = vtkJPEGWriter()
            writer.SetInputData(image)
            writer.SetQuality(int(quality))
            writer.WriteToMemoryOn()
            writer.Write()
            jpeg = bytes(memoryview(writer.GetResult()))
            return jpeg, width, height, (time.perf_counter() - start) * 1000.0, used_lod
        finally:
            image.UnRegister(None)  # or ~1 MB leaks per frame

    def close(self) -> None:
        """Delete this session's proxies; frees the view's GL context (collective)."""
        self.pipeline.close()
        for producer, display in self.producers.values():
            if display is not None:
                self.simple.Hide(producer, self.view)
            self.simple.Delete(producer)
        self.producers.clear()
        self._feeds.clear()
        self.simple.Delete(self.view)
        self.view = None


def _code_runner(code: str):
    """``run_pipeline`` for source text: the cell runs with paraview.simple's names,
    ``simple`` and ``sources`` (the live items by name) in scope."""
    if not isinstance(code, str):
        raise TypeError("pipeline code is text")
    compiled = compile(code, "<pvw pipeline>", "exec")  # a syntax error fails on every rank

    def run(simple, sources):
        namespace = {**vars(simple), "simple": simple, "sources": sources}
        exec(compiled, namespace)

    return run
