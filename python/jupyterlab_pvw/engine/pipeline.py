"""The live pipeline of one session on one rank: filters on the registered datasets, their
representations, colouring and legends. Pure ParaView (``paraview.simple``), symmetric mode:
every rank runs the same filters on its own piece and the render composites the results.

Methods marked collective must run on every rank in the same order (the render service
does that). A change that fails on any rank fails on every rank with the same error and
leaves the pipeline as it was: each change runs in phases, and after each phase the ranks
agree (allgather) before anyone goes on or rolls back.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .datasets import attributes, leaf_datasets, local_range
from .lockstep import agreed_error, error_of
from .registry import check_name

COMMON_KINDS = (
    "Slice",
    "Clip",
    "Contour",
    "Threshold",
    "Calculator",
    "Glyph",
    "ExtractSubset",
    "Outline",
)
RANGE_MODES = ("grow", "step", "fixed")
ASSOCIATIONS = ("POINTS", "CELLS")
_COMPONENTS = {"magnitude": -1, "x": 0, "y": 1, "z": 2}
_SOLID = [1.0, 1.0, 1.0]
_NOT_SCALARS = ("Normals", "TextureCoordinates", "TCoords", "vtkOriginalPointIds")


@dataclass
class Item:
    """One entry of the pipeline: a registered dataset (source) or a filter."""

    name: str
    kind: str
    input: str | None
    proxy: Any
    source: bool = False
    properties: dict = field(default_factory=dict)  # what was set, in the user's terms
    display: Any = None
    visible: bool = False
    representation: str = "Surface"
    opacity: float = 1.0
    coloring: dict | None = None  # association, array, component, preset, log, mode, range
    solid: list | None = None
    scalar_bar: bool = False
    custom: bool = False  # made by run_pipeline code


class _CapturedErrors:
    """Collects the VTK errors printed while the block runs (the output window's text)."""

    def __enter__(self):
        from vtkmodules.vtkCommonCore import vtkOutputWindow, vtkStringOutputWindow

        self._window = vtkStringOutputWindow()
        self._previous = vtkOutputWindow.GetInstance()
        vtkOutputWindow.SetInstance(self._window)
        return self

    def __exit__(self, *exc):
        from vtkmodules.vtkCommonCore import vtkOutputWindow

        vtkOutputWindow.SetInstance(self._previous)
        text = self._window.GetOutput()
        self.errors = []
        for block in text.split("ERROR: In ")[1:]:
            lines = [line for line in block.strip().splitlines() if line.strip()]
            detail = lines[1] if len(lines) > 1 else lines[0] if lines else block
            # "vtkClass (0x...): message" -> "vtkClass: message"
            head, sep, rest = detail.partition("): ")
            self.errors.append(f"{head.split(' (')[0]}: {rest}" if sep else detail)
        return False

    def check(self, what: str) -> None:
        if self.errors:
            unique = list(dict.fromkeys(self.errors))
            raise RuntimeError(f"{what} failed: {' | '.join(unique[:3])}")


def _count(data) -> int:
    """Points and cells of a data object (0: this rank's part is empty)."""
    return sum(d.GetNumberOfPoints() + d.GetNumberOfCells() for d in leaf_datasets(data))


def array_names(data) -> dict:
    """{"POINTS": {name: components}, "CELLS": {...}} of the numeric arrays of ``data``."""
    out: dict = {a: {} for a in ASSOCIATIONS}
    for ds in leaf_datasets(data):
        for association in ASSOCIATIONS:
            attrs = attributes(ds, association)
            for i in range(attrs.GetNumberOfArrays()):
                arr = attrs.GetArray(i)
                if arr is not None and arr.GetName():
                    out[association][arr.GetName()] = arr.GetNumberOfComponents()
    return out


def default_array(data):
    """(association, name) to colour ``data`` by: the active scalars, then the arrays the
    user added (points first), never normals, texture coordinates or ids; None if none."""
    for ds in leaf_datasets(data):
        for association in ASSOCIATIONS:
            scalars = attributes(ds, association).GetScalars()
            if scalars is not None and scalars.GetName():
                return association, scalars.GetName()
    for ds in leaf_datasets(data):
        for association in ASSOCIATIONS:
            attrs = attributes(ds, association)
            skip = {
                a.GetName()
                for a in (attrs.GetNormals(), attrs.GetTCoords(), attrs.GetGlobalIds())
                if a is not None
            }
            for i in range(attrs.GetNumberOfArrays()):
                arr = attrs.GetArray(i)
                if arr is None or not arr.GetName():
                    continue
                name = arr.GetName()
                if name in skip or name in _NOT_SCALARS or name.startswith("vtk"):
                    continue
                return association, name
    return None


def _stop_domain_refresh(*proxies) -> None:
    """Stop ParaView refreshing property domains after each data update of ``proxies``.

    The consumers of a proxy (its display, filters on it) and a display itself observe
    data updates to refresh the array lists of their properties for a GUI's menus; a
    display's refresh gathers the displayed data's information with every array's range:
    about a fifth of a new step's render (perf). Nothing here reads those lists
    (``properties()`` lists the arrays from the data itself), so the observers go; ones
    added later are removed as they come (a new display, a new filter on an input).
    """
    for proxy in proxies:
        proxy.SMProxy.RemoveObservers("UpdateDataEvent")


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _plain(value):
    """A property value as JSON-friendly Python (lists, numbers, strings, proxy names)."""
    if hasattr(value, "SMProperty") or isinstance(value, (list, tuple)):  # before SMProxy:
        return [_plain(v) for v in value]  # a property wrapper forwards to its vtkSMProperty
    if hasattr(value, "SMProxy"):
        return value.GetXMLLabel()
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value


class Pipeline:
    """Filters, representations, colouring and legends of one view on one rank."""

    def __init__(self, simple, channel, view):
        self.simple, self.channel, self.view = simple, channel, view
        self.items: dict[str, Item] = {}
        self.time = 0.0
        self._stale_ranges: set[str] = set()  # recompute before the next render
        self._presets: list[str] | None = None
        self._kinds: list[str] | None = None
        self.last_update_ms = 0.0

    # -- agreement ----------------------------------------------------------------------------
    def _agree(self, fn, rollback=None):
        """Run ``fn`` here; if it failed on any rank, roll back here and raise everywhere."""
        local, result = None, None
        try:
            result = fn()
        except Exception as exc:
            local = error_of(exc)
            if os.environ.get("PVW_DEBUG"):
                traceback.print_exc()
        error = agreed_error(self.channel.allgather(local))
        if error is not None:
            if rollback is not None:
                try:
                    rollback()
                except Exception as exc:  # the agreed error is what the caller must see
                    print(f"[pvw] rollback failed: {exc}", file=sys.stderr, flush=True)
            raise error
        return result

    def _first(self, value):
        """Rank order's first non-None of a per-rank value (collective)."""
        return next((v for v in self.channel.allgather(value) if v is not None), None)

    # -- lookups ------------------------------------------------------------------------------
    def kinds(self) -> list[str]:
        """Every filter ``add_filter`` can make (ParaView's names)."""
        if self._kinds is None:
            from paraview import servermanager

            self._kinds = sorted(
                n
                for n in dir(servermanager.filters)
                if n[:1].isupper() and callable(getattr(self.simple, n, None))
            )
        return self._kinds

    def presets(self) -> list[str]:
        """ParaView's colour-map preset names."""
        if self._presets is None:
            from paraview import servermanager

            presets = servermanager.vtkSMTransferFunctionPresets.GetInstance()
            self._presets = [presets.GetPresetName(i) for i in range(presets.GetNumberOfPresets())]
        return self._presets

    def item(self, name) -> Item:
        if not isinstance(name, str) or name not in self.items:
            raise KeyError(f"no pipeline item named {name!r}; items: {list(self.items) or 'none'}")
        return self.items[name]

    def _filter(self, name) -> Item:
        item = self.item(name)
        if item.source:
            raise ValueError(
                f"{name!r} is a registered dataset: its data come from the simulation; "
                "add a filter on it instead"
            )
        return item

    def dependents(self, name: str) -> list[str]:
        return [i.name for i in self.items.values() if i.input == name]

    def _downstream(self, name: str) -> list[str]:
        out, todo = [], [name]
        while todo:
            current = todo.pop()
            out.append(current)
            todo.extend(self.dependents(current))
        return out

    def output(self, item: Item):
        return item.proxy.GetClientSideObject().GetOutputDataObject(0)

    # -- sources (registered datasets) ----------------------------------------------------------
    def add_source(self, name: str, producer) -> None:
        """A registered dataset joins the pipeline (hidden until shown)."""
        self.items[name] = Item(name, "source", None, producer, source=True)
        self.items = {  # sources first, then filters in creation order
            **{n: i for n, i in self.items.items() if i.source},
            **{n: i for n, i in self.items.items() if not i.source},
        }

    # -- filters --------------------------------------------------------------------------------
    def _check_kind(self, kind) -> str:
        if not isinstance(kind, str) or kind not in self.kinds():
            close = difflib.get_close_matches(str(kind), self.kinds(), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValueError(
                f"unknown filter kind {kind!r}{hint} Common kinds: {', '.join(COMMON_KINDS)}; "
                f"all {len(self.kinds())} kinds: engine.filter_kinds()"
            )
        if kind in ("PythonCalculator", "ProgrammableFilter"):
            raise ValueError(
                f"{kind} runs Python inside the render; use Calculator, or run_pipeline()"
            )
        return kind

    def _new_name(self, kind: str) -> str:
        n = 1
        while f"{kind}{n}" in self.items:
            n += 1
        return f"{kind}{n}"

    def add_filter(self, kind, input, name=None, properties=None) -> str:
        """Collective: a new filter on ``input`` (an item), shown, coloured by default."""
        kind = self._check_kind(kind)
        source = self.item(input)
        if name is None:
            name = self._new_name(kind)
        check_name(name)
        if name in self.items:
            raise ValueError(f"there is already an item named {name!r}; pick another name")
        properties = dict(properties or {})
        for key in properties:
            if not isinstance(key, str):
                raise TypeError(f"property names are strings, got {key!r}")
        made: list = []

        def create():
            source.proxy.UpdatePipeline(self.time)
            made.append(getattr(self.simple, kind)(Input=source.proxy, registrationName=name))

        def delete():
            if made:
                self.simple.Delete(made[0])

        self._agree(create, delete)
        proxy = made[0]
        _stop_domain_refresh(source.proxy)  # the new filter's own observer on its input
        item = Item(name, kind, input, proxy)
        defaults = self._global_defaults(kind, source)  # collective

        def configure():
            for key, value in defaults.items():
                # A user's choice of sub-proxy ("SliceType") overrides the defaults inside it.
                if key not in properties and key.split(".")[0] not in properties:
                    self._set(proxy, key, value, source)
            for key, value in properties.items():
                self._set(proxy, key, value, source)
            self._update(item)

        self._agree(configure, delete)
        item.properties = {
            **{k: v for k, v in defaults.items() if k.split(".")[0] not in properties},
            **properties,
        }
        self.items[name] = item
        self._show(item)
        self.default_coloring(item, source)  # collective
        return name

    def _global_defaults(self, kind: str, source: Item) -> dict:
        """Properties whose ParaView default depends on the data, from the global data
        (ParaView would pick them from each rank's own piece, so ranks would disagree)."""
        data = self.output(source)
        bounds = [np.inf, -np.inf] * 3
        for ds in leaf_datasets(data):
            if ds.GetNumberOfPoints():
                b = ds.GetBounds()
                bounds = [
                    min(bounds[i], b[i]) if i % 2 == 0 else max(bounds[i], b[i]) for i in range(6)
                ]
        gathered = self.channel.allgather(bounds)
        bounds = [
            min(g[i] for g in gathered) if i % 2 == 0 else max(g[i] for g in gathered)
            for i in range(6)
        ]
        center = [(bounds[2 * i] + bounds[2 * i + 1]) / 2 for i in range(3)]
        if not all(np.isfinite(center)):
            center = [0.0, 0.0, 0.0]
        diagonal = (
            float(
                np.linalg.norm(
                    [bounds[1] - bounds[0], bounds[3] - bounds[2], bounds[5] - bounds[4]]
                )
            )
            if np.all(np.isfinite(bounds))
            else 1.0
        )
        array = self._first(default_array(data))
        point_array = self._first(
            next(iter(array_names(data)["POINTS"]), None) if data is not None else None
        )
        vectors = self._first(
            next(
                (
                    n
                    for n, c in array_names(data)["POINTS"].items()
                    if c == 3 and n not in _NOT_SCALARS
                ),
                None,
            )
        )
        count = sum(self.channel.allgather(sum(d.GetNumberOfPoints() for d in leaf_datasets(data))))

        def mid(association, name):
            lo, hi = self._reduce(local_range(data, association, name, 0) if data else None)
            return (lo + hi) / 2 if lo <= hi else 0.0, (lo, hi)

        out: dict = {}
        if kind == "Slice":
            out = {
                "SliceType": "Plane",
                "SliceType.Origin": center,
                "SliceType.Normal": [1.0, 0.0, 0.0],
            }
        elif kind == "Clip":
            out = {
                "ClipType": "Plane",
                "ClipType.Origin": center,
                "ClipType.Normal": [1.0, 0.0, 0.0],
            }
            if array:
                out["Scalars"] = list(array)
                out["Value"] = mid(*array)[0]
        elif kind == "Contour" and point_array:
            out = {
                "ContourBy": ["POINTS", point_array],
                "Isosurfaces": [mid("POINTS", point_array)[0]],
            }
        elif kind == "Threshold" and array:
            lo, hi = mid(*array)[1]
            out = {"Scalars": list(array), "LowerThreshold": lo, "UpperThreshold": hi}
        elif kind == "Glyph":
            out = {
                "GlyphMode": "Every Nth Point",
                "Stride": max(1, count // 2000),
                "ScaleFactor": diagonal / 20 if diagonal > 0 else 1.0,
            }
            if vectors:
                out["OrientationArray"] = ["POINTS", vectors]
        elif kind == "ExtractSubset":
            extents = self.channel.allgather(
                list(data.GetExtent()) if data is not None and data.IsA("vtkImageData") else None
            )
            if all(e is not None for e in extents):
                out = {
                    "VOI": [
                        min(e[i] for e in extents) if i % 2 == 0 else max(e[i] for e in extents)
                        for i in range(6)
                    ]
                }
        return out

    def _reduce(self, local):
        lo, hi = local if local else (float("inf"), float("-inf"))
        return self.channel.allreduce_range(lo, hi)

    # -- properties -------------------------------------------------------------------------------
    def _property(self, proxy, key: str):
        """(owner proxy, property name, ParaView property) for ``key`` ("A" or "A.B")."""
        owner, parts = proxy, key.split(".")
        for depth, part in enumerate(parts):
            names = [n for n in owner.ListProperties() if n != "Input"]
            if part not in names:
                where = ".".join(parts[:depth]) or owner.GetXMLLabel()
                raise KeyError(
                    f"{where} has no property {part!r}; its properties: {', '.join(names)}"
                )
            if depth < len(parts) - 1:
                owner = owner.GetPropertyValue(part)
                if not hasattr(owner, "ListProperties"):
                    raise KeyError(f"{'.'.join(parts[: depth + 1])} has no sub-properties")
        return owner, parts[-1], owner.GetProperty(parts[-1])

    def _set(self, proxy, key: str, value, source: Item | None) -> None:
        """Check ``value`` against the property's type, length and domain, then set it."""
        owner, name, prop = self._property(proxy, key)
        sm = prop.SMProperty
        cls = sm.GetClassName()
        if cls in ("vtkSMProxyProperty", "vtkSMInputProperty"):
            domain = sm.FindDomain("vtkSMProxyListDomain")
            choices = (
                [domain.GetProxyName(i) for i in range(domain.GetNumberOfProxies())]
                if domain
                else []
            )
            if not isinstance(value, str) or value not in choices:
                raise ValueError(f"{key} is one of {choices}, got {value!r}")
            setattr(owner, name, value)
            return
        if sm.FindDomain("vtkSMArrayListDomain") is not None and cls == "vtkSMStringVectorProperty":
            value = self._check_array_value(key, value, source)
            setattr(owner, name, value)
            return
        values = list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value]
        enum = sm.FindDomain("vtkSMEnumerationDomain")
        if cls == "vtkSMStringVectorProperty":
            if not all(isinstance(v, str) for v in values):
                raise TypeError(f"{key} takes text, got {value!r}")
        elif enum is not None:
            entries = [enum.GetEntryText(i) for i in range(enum.GetNumberOfEntries())]
            if not all(v in entries or _is_number(v) for v in values):
                raise ValueError(f"{key} is one of {entries}, got {value!r}")
        else:
            is_bool = sm.FindDomain("vtkSMBooleanDomain") is not None
            ok = all(_is_number(v) or (is_bool and isinstance(v, bool)) for v in values)
            if not ok or not all(np.isfinite(float(v)) for v in values):
                kind = "true/false" if is_bool else "numbers"
                raise TypeError(f"{key} takes {kind}, got {value!r}")
            if (
                cls == "vtkSMIntVectorProperty"
                and not is_bool
                and any(float(v) != int(v) for v in values)
            ):
                raise TypeError(f"{key} takes whole numbers, got {value!r}")
        expected = sm.GetNumberOfElements()
        if not sm.GetRepeatCommand() and expected and len(values) != expected:
            raise ValueError(f"{key} takes {expected} value(s), got {len(values)}: {value!r}")
        setattr(owner, name, values if len(values) != 1 or sm.GetRepeatCommand() else values[0])

    def _check_array_value(self, key, value, source: Item | None):
        """An array selection: [association, name] or a name; the array must exist here."""
        if isinstance(value, str):
            value = ["POINTS", value]
        if (
            not isinstance(value, (list, tuple))
            or len(value) != 2
            or not all(isinstance(v, str) for v in value)
        ):
            raise TypeError(
                f"{key} takes [association, array name], e.g. ['POINTS', 'T'], got {value!r}"
            )
        association, array = value[0].upper(), value[1]
        if association not in ASSOCIATIONS:
            raise ValueError(f"{key}: association is 'POINTS' or 'CELLS', got {value[0]!r}")
        if source is not None:
            data = self.output(source)
            if _count(data):
                present = array_names(data)[association]
                if array not in present:
                    where = "point" if association == "POINTS" else "cell"
                    raise KeyError(
                        f"{key}: no {where} array named {array!r} in {source.name!r} "
                        f"(its {where} arrays: {sorted(present) or 'none'})"
                    )
        return [association, array]

    def _get(self, proxy, key: str):
        owner, name, _ = self._property(proxy, key)
        value = owner.GetPropertyValue(name)
        if hasattr(value, "SMProxy") and not hasattr(value, "SMProperty"):
            return value  # a selected sub-proxy: restoring the proxy restores its settings
        return _plain(value)

    def _update(self, item: Item) -> None:
        with _CapturedErrors() as errors:
            item.proxy.UpdatePipeline(self.time)
        errors.check(f"{item.kind} {item.name!r}")

    def set_properties(self, name, properties: dict) -> None:
        """Collective: change a filter's properties; all or nothing."""
        item = self._filter(name)
        source = self.items.get(item.input)
        if not properties:
            raise ValueError("set_properties needs at least one property=value")
        old: dict = {}

        def apply():
            for key in properties:
                old[key] = self._get(item.proxy, key)
            for key, value in properties.items():
                self._set(item.proxy, key, value, source)
            self._update(item)

        def restore():
            for key, value in reversed(list(old.items())):
                owner, prop, _ = self._property(item.proxy, key)
                setattr(owner, prop, value)
            item.proxy.UpdatePipeline(self.time)

        self._agree(apply, restore)
        for key, value in properties.items():
            if "." not in key:  # a new sub-proxy choice replaces its sub-properties
                item.properties = {
                    k: v for k, v in item.properties.items() if not k.startswith(key + ".")
                }
            item.properties[key] = _plain(value)
        self._stale_ranges.update(self._downstream(name))

    def remove(self, name, recursive: bool = False) -> list[str]:
        """Collective: delete a filter (and, if ``recursive``, everything fed by it)."""
        item = self._filter(name)
        deps = self.dependents(name)
        if deps and not recursive:
            raise ValueError(
                f"{deps} take {name!r} as input: remove them first, or "
                f"remove({name!r}, recursive=True) to remove them too"
            )
        gone = self._downstream(item.name)
        for victim in reversed(gone):  # the leaves first
            self._delete(self.items.pop(victim))
        return gone

    def _delete(self, item: Item) -> None:
        if item.display is not None:
            if item.coloring is not None:
                item.display.SetScalarBarVisibility(self.view, False)
            self.simple.Hide(item.proxy, self.view)
        self.simple.Delete(item.proxy)

    # -- display ------------------------------------------------------------------------------------
    def _show(self, item: Item) -> None:
        if item.display is None:
            item.display = self.simple.Show(item.proxy, self.view)
            # Set explicitly: Show picks a default from each rank's own piece, which differs.
            item.display.Representation = item.representation
            item.display.Opacity = item.opacity
            _stop_domain_refresh(item.proxy, item.display)
        else:
            self.simple.Show(item.proxy, self.view)
        item.visible = True
        self._apply_scalar_bar(item)

    def set_visible(self, name, visible: bool) -> None:
        item = self.item(name)
        if visible:
            self._show(item)
            self._stale_ranges.add(name)
        elif item.display is not None:
            item.display.SetScalarBarVisibility(self.view, False) if item.coloring else None
            self.simple.Hide(item.proxy, self.view)
            item.visible = False

    def set_representation(self, name, representation=None, opacity=None) -> None:
        item = self.item(name)
        if item.display is None:
            self._show(item)
        if representation is not None:
            allowed = list(item.display.GetProperty("Representation").Available)
            if representation not in allowed:
                raise ValueError(
                    f"unknown representation {representation!r}; choose one of {allowed}"
                )
        if opacity is not None and (not _is_number(opacity) or not 0 <= opacity <= 1):
            raise ValueError(f"opacity is a number from 0 to 1, got {opacity!r}")
        if representation is not None:
            item.display.Representation = item.representation = representation
        if opacity is not None:
            item.display.Opacity = item.opacity = float(opacity)

    # -- colour ---------------------------------------------------------------------------------------
    def default_coloring(self, item: Item, source: Item | None = None) -> None:
        """Collective: colour a new item like its input if it can, else by its default array."""
        data = self.output(item)
        names = array_names(data) if data is not None else {a: {} for a in ASSOCIATIONS}
        choice = None
        if source is not None and source.coloring is not None:
            a, n = source.coloring["association"], source.coloring["array"]
            choice = (a, n) if n in names[a] else None
        choice = self._first(choice or default_array(data) if data is not None else choice)
        if choice is None:
            self._solid(item, item.solid or _SOLID)
        else:
            preset = source.coloring.get("preset") if source and source.coloring else None
            self.color_by(item.name, choice[1], choice[0], preset=preset)

    def _solid(self, item: Item, color) -> None:
        if item.display is None:
            self._show(item)
        if item.coloring is not None:
            item.display.SetScalarBarVisibility(self.view, False)
            self.simple.ColorBy(item.display, None)
        item.display.AmbientColor = item.display.DiffuseColor = list(color)
        item.coloring, item.solid, item.scalar_bar = None, list(color), False

    def color_by(
        self,
        name,
        array=None,
        association=None,
        preset=None,
        range=None,
        log=None,
        mode=None,
        component=None,
        solid=None,
    ) -> dict | None:
        """Collective: colour an item by an array (or a solid colour); returns the colouring."""
        item = self.item(name)
        if solid is not None:
            if (
                not isinstance(solid, (list, tuple))
                or len(solid) != 3
                or not all(_is_number(c) and 0 <= c <= 1 for c in solid)
            ):
                raise ValueError(f"a solid colour is [r, g, b] with each in 0..1, got {solid!r}")
            self._solid(item, [float(c) for c in solid])
            return None
        old = dict(item.coloring or {})
        if array is None:
            if not old:
                raise ValueError(
                    f"{name!r} is not coloured by an array yet: name one, e.g. "
                    f"color_by({name!r}, 'T')"
                )
            array = old["array"]
            association = association or old["association"]
        if not isinstance(array, str) or not array:
            raise TypeError(f"the array is a name (string), got {array!r}")
        if association is not None:
            association = str(association).upper()
            if association not in ASSOCIATIONS:
                raise ValueError(f"association must be 'POINTS' or 'CELLS', got {association!r}")
        if preset is not None and preset not in self.presets():
            close = difflib.get_close_matches(str(preset), self.presets(), n=3)
            hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
            raise ValueError(
                f"unknown colour-map preset {preset!r}{hint}; available: {', '.join(self.presets())}"
            )
        if mode is not None and mode not in RANGE_MODES:
            raise ValueError(f"range mode is one of {list(RANGE_MODES)}, got {mode!r}")
        if range is not None:
            if (
                not isinstance(range, (list, tuple))
                or len(range) != 2
                or not all(_is_number(v) and np.isfinite(v) for v in range)
                or range[0] > range[1]
            ):
                raise ValueError(f"a range is [min, max] with min <= max, got {range!r}")
            mode = mode or "fixed"
        comp = self._component(component if component is not None else old.get("component"))
        log = bool(old.get("log", False) if log is None else log)
        if log and range is not None and range[0] <= 0:
            raise ValueError(f"a log scale needs a positive range, got {list(range)}")
        # Where is the array? Each rank looks at its own part; empty parts have no say.
        data = self.output(item)
        found = None
        if data is not None and _count(data):
            names = array_names(data)
            for a in [association] if association else ASSOCIATIONS:
                if array in names[a]:
                    found = a
                    break
        placed = self.channel.allgather((found, bool(data is not None and _count(data))))
        where = next((f for f, _ in placed if f is not None), None)
        if where is None:
            kind = {"POINTS": "point", "CELLS": "cell"}.get(association, "point or cell")
            known = (
                sorted(set().union(*(array_names(data)[a] for a in ASSOCIATIONS))) if data else []
            )
            raise KeyError(
                f"no {kind} array named {array!r} on any rank in {name!r} (arrays here: {known or 'none'})"
            )
        missing = [r for r, (f, nonempty) in enumerate(placed) if nonempty and f != where]
        if missing:
            raise KeyError(f"{name!r}: array {array!r} is missing on rank(s) {missing}")
        coloring = {
            "association": where,
            "array": array,
            "component": comp,
            "preset": preset or old.get("preset"),
            "log": log,
            "mode": mode or (old.get("mode") if old.get("array") == array else None) or "grow",
            "range": list(map(float, range)) if range is not None else None,
        }
        if coloring["mode"] == "fixed" and coloring["range"] is None:
            coloring["range"] = old.get("range") if old.get("array") == array else None
        first = not old
        if item.display is None:
            self._show(item)
        elif old.get("array") not in (None, array):
            item.display.SetScalarBarVisibility(self.view, False)  # the old array's legend
        self.simple.ColorBy(item.display, (where, array), True)
        item.coloring, item.solid = coloring, None
        if first:
            item.scalar_bar = True  # a legend by default once coloured by an array
        lut = self._lut(item)
        lut.AutomaticRescaleRangeMode = "Never"  # ranks would rescale to local data
        if coloring["preset"]:
            lut.ApplyPreset(coloring["preset"], True)
        lut.VectorMode = "Magnitude" if comp < 0 else "Component"
        lut.VectorComponent = max(comp, 0)
        lut.UseLogScale = int(log)
        if coloring["range"] is None or coloring["mode"] != "fixed":
            coloring["range"] = None
            self._refresh_range(item, fresh=True)
        self._apply_range(item)
        self._apply_scalar_bar(item)
        return dict(coloring)

    @staticmethod
    def _component(component) -> int:
        if component is None:
            return -1
        if isinstance(component, str) and component.lower() in _COMPONENTS:
            return _COMPONENTS[component.lower()]
        if isinstance(component, int) and not isinstance(component, bool) and component >= -1:
            return component
        raise ValueError(f"component is 'Magnitude', 'X', 'Y', 'Z' or an index, got {component!r}")

    def _lut(self, item: Item):
        return self.simple.GetColorTransferFunction(
            item.coloring["array"], item.display, separate=True
        )

    def _refresh_range(self, item: Item, fresh: bool = False) -> None:
        """Collective: the global range of the item's colouring array, by its range mode."""
        c = item.coloring
        data = self.output(item)
        local = (
            local_range(data, c["association"], c["array"], c["component"], positive=c["log"])
            if data is not None
            else None
        )
        lo, hi = self._reduce(local)
        if lo > hi:
            c["range"] = c["range"] or [0.0, 1.0]
            return
        if c["mode"] == "grow" and c["range"] and not fresh:
            lo, hi = min(lo, c["range"][0]), max(hi, c["range"][1])
        c["range"] = [lo, hi]

    def _apply_range(self, item: Item) -> None:
        c = item.coloring
        lo, hi = c["range"]
        if hi <= lo:
            hi = lo + 1e-12 if lo == 0 else lo + abs(lo) * 1e-6
        lut = self._lut(item)
        lut.RescaleTransferFunction(lo, hi)
        self.simple.GetOpacityTransferFunction(
            c["array"], item.display, separate=True
        ).RescaleTransferFunction(lo, hi)

    def set_scalar_bar(self, name, visible: bool) -> None:
        item = self.item(name)
        if visible and item.coloring is None:
            raise ValueError(f"{name!r} has a solid colour: colour it by an array for a legend")
        item.scalar_bar = bool(visible)
        self._apply_scalar_bar(item)

    def _apply_scalar_bar(self, item: Item) -> None:
        if item.display is None or item.coloring is None:
            return
        shown = item.scalar_bar and item.visible
        item.display.SetScalarBarVisibility(self.view, shown)
        if shown:
            bar = self.simple.GetScalarBar(self._lut(item), self.view)
            bar.Title = item.coloring["array"]
            comp = item.coloring["component"]
            bar.ComponentTitle = (
                ""
                if not self._is_vector(item)
                else "Magnitude"
                if comp < 0
                else "XYZ"[comp]
                if comp < 3
                else str(comp)
            )

    def _is_vector(self, item: Item) -> bool:
        data = self.output(item)
        c = item.coloring
        return bool(data is not None and array_names(data)[c["association"]].get(c["array"], 1) > 1)

    # -- time and frames ----------------------------------------------------------------------------
    def new_step(self, time: float) -> None:
        """The simulation swapped in new pieces: ranges follow at the next render."""
        self.time = float(time)
        self._stale_ranges.update(n for n, i in self.items.items() if i.coloring)

    def prepare_render(self) -> None:
        """Collective, under the GIL: what must be up to date before the render.

        Coloured filters whose range follows the data execute here (their output gives the
        range). Everything else updates inside the render, which the native shim runs
        without the GIL, except when run_pipeline made items (possibly Python filters: one
        executing inside the GIL-less render would crash), then the whole view updates here.
        """
        import time

        start = time.perf_counter()
        if any(i.custom and i.visible for i in self.items.values()):
            self.view.Update()
        stale = [
            n
            for n, i in self.items.items()
            if n in self._stale_ranges and i.visible and i.coloring is not None
        ]
        for name in stale:  # hidden items stay stale until shown
            self._stale_ranges.discard(name)
            item = self.items[name]
            if item.coloring["mode"] == "fixed":
                continue
            if not item.source:
                item.proxy.UpdatePipeline(self.time)
            self._refresh_range(item, fresh=item.coloring["mode"] == "step")
            self._apply_range(item)
        self.last_update_ms = (time.perf_counter() - start) * 1000.0

    def frame_coloring(self) -> list[dict]:
        """What the frame shows coloured, for its metadata (visible items only)."""
        return [
            {
                "item": i.name,
                "array": i.coloring["array"],
                "association": i.coloring["association"],
                "component": i.coloring["component"],
                "range": list(i.coloring["range"] or []),
                "log": i.coloring["log"],
                "preset": i.coloring["preset"],
            }
            for i in self.items.values()
            if i.visible and i.coloring is not None
        ]

    # -- description --------------------------------------------------------------------------------
    def describe(self) -> list[dict]:
        """Collective: every item, with the arrays of its output on any rank."""
        local = {
            name: array_names(self.output(item)) if item.proxy else {}
            for name, item in self.items.items()
        }
        merged: dict = {}
        for per_rank in self.channel.allgather(local):
            for name, assoc in per_rank.items():
                target = merged.setdefault(name, {a: {} for a in ASSOCIATIONS})
                for a, names in assoc.items():
                    target[a].update(names)
        out = []
        for item in self.items.values():
            arrays = merged.get(item.name, {a: {} for a in ASSOCIATIONS})
            out.append(
                {
                    "name": item.name,
                    "kind": item.kind,
                    "input": item.input,
                    "source": item.source,
                    "custom": item.custom,
                    "properties": dict(item.properties),
                    "visible": item.visible,
                    "representation": item.representation,
                    "opacity": item.opacity,
                    "coloring": dict(item.coloring) if item.coloring else None,
                    "solid": item.solid,
                    "scalar_bar": item.scalar_bar,
                    "arrays": [
                        {"association": a, "name": n, "components": c}
                        for a in ASSOCIATIONS
                        for n, c in sorted(arrays[a].items())
                    ],
                }
            )
        return out

    def properties(self, name) -> list[dict]:
        """Collective: the editable ParaView properties of a filter, with their domains."""
        item = self._filter(name)
        source = self.items.get(item.input)
        arrays = self.channel.allgather(array_names(self.output(source)) if source else None)
        merged = {a: set() for a in ASSOCIATIONS}
        for per_rank in arrays:
            for a in ASSOCIATIONS:
                merged[a].update((per_rank or {}).get(a, {}))
        return self._describe_properties(item.proxy, "", merged)

    def _describe_properties(self, proxy, prefix: str, arrays: dict) -> list[dict]:
        out = []
        for name in proxy.ListProperties():
            sm = proxy.GetProperty(name).SMProperty
            hidden = sm.GetPanelVisibility() == "never" or sm.GetInformationOnly()
            if name == "Input" or hidden or "HyperTreeGrid" in name:
                continue
            cls = sm.GetClassName()
            entry = {
                "name": prefix + name,
                "label": sm.GetXMLLabel() or name,
                "advanced": sm.GetPanelVisibility() == "advanced",
                "length": sm.GetNumberOfElements() if hasattr(sm, "GetNumberOfElements") else 1,
                "repeatable": bool(getattr(sm, "GetRepeatCommand", lambda: 0)()),
            }
            value = proxy.GetPropertyValue(name)
            if cls in ("vtkSMProxyProperty", "vtkSMInputProperty"):
                domain = sm.FindDomain("vtkSMProxyListDomain")
                if domain is None:
                    continue
                entry.update(
                    type="proxy",
                    value=_plain(value),
                    choices=[domain.GetProxyName(i) for i in range(domain.GetNumberOfProxies())],
                )
                out.append(entry)
                if hasattr(value, "ListProperties"):
                    out.extend(self._describe_properties(value, f"{prefix}{name}.", arrays))
                continue
            entry["value"] = _plain(value)
            if cls == "vtkSMStringVectorProperty" and sm.FindDomain("vtkSMArrayListDomain"):
                entry.update(
                    type="array",
                    arrays=[
                        {"association": a, "name": n}
                        for a in ASSOCIATIONS
                        for n in sorted(arrays[a])
                    ],
                )
            elif sm.FindDomain("vtkSMEnumerationDomain") is not None:
                enum = sm.FindDomain("vtkSMEnumerationDomain")
                entry.update(
                    type="enum",
                    choices=[enum.GetEntryText(i) for i in range(enum.GetNumberOfEntries())],
                )
            elif sm.FindDomain("vtkSMBooleanDomain") is not None:
                entry.update(type="bool", value=bool(value))
            elif cls == "vtkSMStringVectorProperty":
                entry.update(type="string")
            elif cls == "vtkSMIntVectorProperty":
                entry.update(type="int")
            elif cls == "vtkSMDoubleVectorProperty":
                entry.update(type="double")
            else:
                continue
            out.append(entry)
        return out

    def code(self) -> str:
        """The equivalent ``paraview.simple`` script (datasets become placeholders to fill)."""
        var = {
            name: "".join(c if c.isalnum() else "_" for c in name).lower() for name in self.items
        }
        lines = [
            "# The pipeline of a jupyterlab-pvw session, as a paraview.simple script (pvbatch).",
            "from paraview.simple import *",
            "",
            "view = GetActiveViewOrCreate('RenderView')",
        ]
        for item in self.items.values():
            v = var[item.name]
            if item.source:
                lines.append(
                    f"{v} = OpenDataFile('{item.name}.vtk')  # the simulation's dataset {item.name!r}"
                )
            elif item.custom:
                lines.append(f"# {item.name!r} ({item.kind}) was made by run_pipeline() code")
                continue
            else:
                lines.append(
                    f"{v} = {item.kind}(registrationName={item.name!r}, Input={var[item.input]})"
                )
                for key, value in item.properties.items():
                    lines.append(f"{v}.{key} = {value!r}")
            d = f"{v}_display"
            if item.display is None:
                continue
            lines.append(f"{d} = Show({v}, view)")
            lines.append(f"{d}.Representation = {item.representation!r}")
            if item.opacity != 1.0:
                lines.append(f"{d}.Opacity = {item.opacity!r}")
            c = item.coloring
            if c is not None:
                lines.append(f"ColorBy({d}, ({c['association']!r}, {c['array']!r}), True)")
                lut = f"{v}_lut"
                lines.append(
                    f"{lut} = GetColorTransferFunction({c['array']!r}, {d}, separate=True)"
                )
                if c["preset"]:
                    lines.append(f"{lut}.ApplyPreset({c['preset']!r}, True)")
                if c["component"] >= 0:
                    lines.append(f"{lut}.VectorMode = 'Component'")
                    lines.append(f"{lut}.VectorComponent = {c['component']}")
                if c["log"]:
                    lines.append(f"{lut}.UseLogScale = 1")
                lo, hi = c["range"] or [0.0, 1.0]
                lines.append(f"{lut}.RescaleTransferFunction({lo!r}, {hi!r})")
                lines.append(f"{d}.SetScalarBarVisibility(view, {item.scalar_bar})")
            elif item.solid is not None:
                lines.append(f"ColorBy({d}, None)")
                lines.append(f"{d}.DiffuseColor = {item.solid!r}")
            if not item.visible:
                lines.append(f"Hide({v}, view)")
        lines += ["", "ResetCamera(view)", "Render(view)", ""]
        return "\n".join(lines)

    # -- user code ------------------------------------------------------------------------------------
    def run(self, fn) -> Any:
        """Collective: ``fn(simple, sources)`` against the live items; new proxies join.

        If it fails on any rank, the proxies it made are deleted on every rank.
        """
        before = {_gid(p) for p in self.simple.GetSources().values()}
        known = {_gid(i.proxy) for i in self.items.values()}

        def made():
            return [
                (key[0], p)
                for key, p in self.simple.GetSources().items()
                if _gid(p) not in before and _gid(p) not in known
            ]

        def undo():
            for _, proxy in reversed(made()):
                self.simple.Delete(proxy)

        sources = {name: item.proxy for name, item in self.items.items()}

        def call():
            result = fn(self.simple, sources)
            for item in self.items.values():
                self._update(item)  # errors of the user's filters show here
            for _, proxy in made():
                with _CapturedErrors() as errors:
                    proxy.UpdatePipeline(self.time)
                errors.check(proxy.GetXMLLabel())
            return result

        result = self._agree(call, undo)
        by_id = {_gid(i.proxy): n for n, i in self.items.items()}
        for name, proxy in made():
            inp = getattr(proxy, "Input", None) if "Input" in proxy.ListProperties() else None
            inp = inp[0] if isinstance(inp, list) and inp else inp
            parent = by_id.get(_gid(inp)) if inp is not None else None
            item = Item(name, proxy.GetXMLLabel(), parent, proxy, custom=True)
            for rep in self.view.Representations:
                if "Input" not in rep.ListProperties():  # scalar bars, annotations
                    continue
                if rep.Input is not None and _gid(rep.Input) == _gid(proxy):
                    item.display = rep
                    item.visible = bool(rep.Visibility)
            if item.display is not None:
                rep_kind = self._first(str(item.display.GetPropertyValue("Representation")))
                item.display.Representation = item.representation = rep_kind
            self.items[name] = item
            by_id[_gid(proxy)] = name
        self._stale_ranges.update(n for n, i in self.items.items() if i.coloring)
        return result if _jsonable(result) else repr(result)

    def close(self) -> None:
        for item in reversed(list(self.items.values())):
            if not item.source:
                try:
                    self._delete(item)
                except Exception:
                    pass
        self.items = {n: i for n, i in self.items.items() if i.source}


def _gid(proxy) -> str:
    return proxy.SMProxy.GetGlobalIDAsString()


def _jsonable(value) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False
