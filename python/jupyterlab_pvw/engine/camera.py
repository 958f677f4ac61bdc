"""Camera state and the mapping from browser mouse events to camera moves.

Browser events reach rank 0 only. Rank 0 turns them into a ``Camera`` (plain numbers), and
every rank applies that same camera before each collective render, so all ranks draw the
same view. The moves follow VTK's trackball-camera style: left drag rotates, shift+left or
middle drag pans, right or ctrl+left drag zooms, alt+left rolls, the wheel zooms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..wire import MAX_SPIN, ZOOM_BASE, ZOOM_MOTION

# Degrees of rotation for a drag across the whole viewport (VTK's trackball: 20 * 10).
ROTATE_DEGREES_PER_VIEWPORT = 200.0
# Dolly factor per half-viewport of vertical drag (ZOOM_BASE ** ZOOM_MOTION), and per wheel
# notch (ZOOM_BASE); one event never dollies by more than ZOOM_BASE ** MAX_SPIN.
# Pointer coordinates are viewport fractions; a drag may leave the viewport, but not by far.
COORDINATE_LIMIT = 10.0


def _normalize(v):
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def _rotate(v, axis, degrees):
    """Rotate vector ``v`` about unit ``axis`` by ``degrees`` (right-hand rule)."""
    axis = _normalize(np.asarray(axis, dtype=float))
    t = math.radians(degrees)
    return (
        v * math.cos(t)
        + np.cross(axis, v) * math.sin(t)
        + axis * np.dot(axis, v) * (1 - math.cos(t))
    )


@dataclass
class Camera:
    position: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, 1.0]))
    focal_point: np.ndarray = field(default_factory=lambda: np.zeros(3))
    view_up: np.ndarray = field(default_factory=lambda: np.array([0.0, 1.0, 0.0]))
    view_angle: float = 30.0
    parallel_scale: float = 1.0
    parallel_projection: bool = False

    # -- conversions ------------------------------------------------------------------
    @classmethod
    def from_vtk(cls, cam) -> Camera:
        return cls(
            np.array(cam.GetPosition()),
            np.array(cam.GetFocalPoint()),
            np.array(cam.GetViewUp()),
            cam.GetViewAngle(),
            cam.GetParallelScale(),
            bool(cam.GetParallelProjection()),
        )

    def apply_to(self, cam) -> None:
        cam.SetPosition(*self.position)
        cam.SetFocalPoint(*self.focal_point)
        cam.SetViewUp(*self.view_up)
        cam.SetViewAngle(self.view_angle)
        cam.SetParallelScale(self.parallel_scale)
        cam.SetParallelProjection(int(self.parallel_projection))

    def is_finite(self) -> bool:
        return bool(
            np.all(np.isfinite(self.position))
            and np.all(np.isfinite(self.focal_point))
            and np.all(np.isfinite(self.view_up))
            and math.isfinite(self.parallel_scale)
            and self.distance > 0
        )

    def copy(self) -> Camera:
        return Camera.from_dict(self.to_dict())

    def to_dict(self) -> dict:
        return {
            "position": self.position.tolist(),
            "focal_point": self.focal_point.tolist(),
            "view_up": self.view_up.tolist(),
            "view_angle": self.view_angle,
            "parallel_scale": self.parallel_scale,
            "parallel_projection": self.parallel_projection,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Camera:
        return cls(
            np.array(d["position"], dtype=float),
            np.array(d["focal_point"], dtype=float),
            np.array(d["view_up"], dtype=float),
            float(d["view_angle"]),
            float(d["parallel_scale"]),
            bool(d["parallel_projection"]),
        )

    # -- moves --------------------------------------------------------------------------
    @property
    def direction(self):
        return _normalize(self.focal_point - self.position)

    @property
    def distance(self) -> float:
        return float(np.linalg.norm(self.focal_point - self.position))

    def right(self):
        return _normalize(np.cross(self.direction, self.view_up))

    def orthogonalize_view_up(self) -> None:
        d = self.direction
        up = self.view_up - np.dot(self.view_up, d) * d
        if np.linalg.norm(up) < 1e-12:  # looking along view up: pick any perpendicular
            up = np.cross(d, [1.0, 0.0, 0.0])
            if np.linalg.norm(up) < 1e-12:
                up = np.cross(d, [0.0, 1.0, 0.0])
        self.view_up = _normalize(up)

    def azimuth(self, degrees: float) -> None:
        """Orbit about the view-up axis through the focal point."""
        self.position = self.focal_point + _rotate(
            self.position - self.focal_point, self.view_up, degrees
        )

    def elevation(self, degrees: float) -> None:
        """Orbit about the camera's horizontal axis through the focal point."""
        axis = -self.right()
        self.position = self.focal_point + _rotate(self.position - self.focal_point, axis, degrees)

    def roll(self, degrees: float) -> None:
        self.view_up = _rotate(self.view_up, -self.direction, degrees)

    def dolly(self, factor: float) -> None:
        """Move towards the focal point by ``factor`` (> 1 closer, < 1 farther)."""
        if factor <= 0 or not math.isfinite(factor):
            return
        if self.parallel_projection:
            self.parallel_scale /= factor
        else:
            self.position = self.focal_point - (self.focal_point - self.position) / factor

    def pan(self, dx: float, dy: float, aspect: float) -> None:
        """Shift the scene by (dx, dy) viewport fractions: the scene follows the pointer."""
        if self.parallel_projection:
            height = 2.0 * self.parallel_scale
        else:
            height = 2.0 * self.distance * math.tan(math.radians(self.view_angle) / 2.0)
        width = height * aspect
        self.orthogonalize_view_up()
        shift = -(dx * width) * self.right() - (dy * height) * self.view_up
        self.position = self.position + shift
        self.focal_point = self.focal_point + shift


class Interaction:
    """Turns a stream of ``viewport.mouse.interaction`` events into camera moves.

    Coordinates are viewport fractions with the origin at the bottom left, as vtk.js
    RemoteView and ParaViewWeb clients send them.
    """

    def __init__(self):
        self.mode: str | None = None
        self.last = (0.0, 0.0)

    @staticmethod
    def mode_for(event: dict) -> str | None:
        shift, ctrl = bool(event.get("shiftKey")), bool(event.get("ctrlKey"))
        alt = bool(event.get("altKey") or event.get("metaKey"))
        if event.get("buttonLeft"):
            if shift:
                return "pan"
            if ctrl:
                return "zoom"
            if alt:
                return "roll"
            return "rotate"
        if event.get("buttonMiddle"):
            return "pan"
        if event.get("buttonRight"):
            return "zoom"
        return None

    @property
    def active(self) -> bool:
        return self.mode is not None

    def handle(self, camera: Camera, event: dict, aspect: float = 1.0) -> bool:
        """Apply one event to ``camera``; returns True when the camera changed."""
        action = event.get("action")
        x, y = float(event.get("x", 0.0)), float(event.get("y", 0.0))
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError("mouse event coordinates must be finite numbers")
        x = max(-COORDINATE_LIMIT, min(COORDINATE_LIMIT, x))
        y = max(-COORDINATE_LIMIT, min(COORDINATE_LIMIT, y))
        if action == "down":
            mode = self.mode_for(event)
            if not (self.active and mode == self.mode):
                self.mode = mode
                self.last = (x, y)
                return False
            action = "move"  # vtk.js RemoteView repeats "down" for every move of a drag
        if action == "up":
            self.mode = None
            return False
        if action != "move" or self.mode is None:
            return False
        dx, dy = x - self.last[0], y - self.last[1]
        self.last = (x, y)
        if dx == 0 and dy == 0:
            return False
        if self.mode == "rotate":
            camera.azimuth(-ROTATE_DEGREES_PER_VIEWPORT * dx)
            camera.elevation(-ROTATE_DEGREES_PER_VIEWPORT * dy)
            camera.orthogonalize_view_up()
        elif self.mode == "pan":
            camera.pan(dx, dy, aspect)
        elif self.mode == "zoom":
            camera.dolly(ZOOM_BASE ** max(-MAX_SPIN, min(MAX_SPIN, ZOOM_MOTION * dy)))
        elif self.mode == "roll":
            camera.roll(-ROTATE_DEGREES_PER_VIEWPORT * dx)
        return True


def wheel(camera: Camera, event: dict) -> bool:
    """Apply a ``viewport.mouse.zoom.wheel`` event; returns True when the camera changed."""
    if event.get("type", "MouseWheel") != "MouseWheel":
        return False
    spin = float(event.get("spinY", 0.0))
    if not math.isfinite(spin) or spin == 0:
        return False
    spin = max(-MAX_SPIN, min(MAX_SPIN, spin))
    camera.dolly(ZOOM_BASE ** (-spin))
    return True
