"""Mouse and wheel events to camera moves: the math rank 0 applies before each render."""

from __future__ import annotations

import numpy as np
import pytest

from jupyterlab_pvw.engine.camera import Camera, Interaction, wheel


def camera():
    return Camera(np.array([0.0, 0.0, 10.0]), np.zeros(3), np.array([0.0, 1.0, 0.0]))


def drag(cam, start, end, **buttons):
    interaction = Interaction()
    event = {"buttonLeft": True, **buttons}
    interaction.handle(cam, {**event, "action": "down", "x": start[0], "y": start[1]})
    changed = interaction.handle(cam, {**event, "action": "move", "x": end[0], "y": end[1]})
    interaction.handle(cam, {**event, "action": "up", "x": end[0], "y": end[1]})
    return changed


def test_rotate_left_drag_orbits_keeping_distance():
    cam = camera()
    assert drag(cam, (0.5, 0.5), (0.95, 0.5))  # 0.45 of the width: -90 degrees azimuth
    np.testing.assert_allclose(cam.position, [-10.0, 0.0, 0.0], atol=1e-9)
    assert cam.distance == pytest.approx(10.0)


def test_vertical_drag_elevates_and_keeps_view_up_orthogonal():
    cam = camera()
    drag(cam, (0.5, 0.5), (0.5, 0.6))  # y up: drag up by 0.1 -> elevation -20 degrees
    assert cam.position[1] < 0
    assert abs(np.dot(cam.view_up, cam.direction)) < 1e-9


def test_shift_drag_pans_scene_with_pointer():
    cam = camera()
    drag(cam, (0.5, 0.5), (0.6, 0.5), shiftKey=True)
    assert cam.position[0] < 0 and cam.focal_point[0] == pytest.approx(cam.position[0])
    assert cam.distance == pytest.approx(10.0)


def test_right_drag_and_wheel_zoom():
    cam = camera()
    interaction = Interaction()
    interaction.handle(cam, {"action": "down", "x": 0.5, "y": 0.5, "buttonRight": True})
    interaction.handle(cam, {"action": "move", "x": 0.5, "y": 0.6, "buttonRight": True})
    assert cam.distance < 10.0
    d = cam.distance
    assert wheel(cam, {"type": "MouseWheel", "spinY": 2})
    assert cam.distance == pytest.approx(d * 1.1**2)
    assert not wheel(cam, {"type": "StartMouseWheel", "spinY": 2})
    assert not wheel(cam, {"type": "MouseWheel", "spinY": float("nan")})


def test_parallel_projection_zoom_scales():
    cam = camera()
    cam.parallel_projection = True
    wheel(cam, {"type": "MouseWheel", "spinY": -1})
    assert cam.parallel_scale == pytest.approx(1 / 1.1)


def test_move_without_down_and_bad_coordinates():
    cam = camera()
    before = cam.to_dict()
    assert not Interaction().handle(cam, {"action": "move", "x": 0.9, "y": 0.9})
    assert cam.to_dict() == before
    with pytest.raises(ValueError, match="finite"):
        Interaction().handle(cam, {"action": "down", "x": float("inf"), "y": 0})


def test_dict_round_trip():
    cam = camera()
    cam.azimuth(33)
    again = Camera.from_dict(cam.to_dict())
    np.testing.assert_allclose(again.position, cam.position)


def test_repeated_down_events_continue_the_drag_as_vtkjs_remoteview_sends_them():
    cam = camera()
    interaction = Interaction()
    event = {"buttonLeft": True}
    interaction.handle(cam, {**event, "action": "down", "x": 0.5, "y": 0.5})
    # RemoteView sends "down" (not "move") for every move while the button is held.
    assert interaction.handle(cam, {**event, "action": "down", "x": 0.95, "y": 0.5})
    np.testing.assert_allclose(cam.position, [-10.0, 0.0, 0.0], atol=1e-9)
    # A different button pressed is a new drag, not a move.
    assert not interaction.handle(cam, {"buttonRight": True, "action": "down", "x": 0.1, "y": 0.1})
    assert interaction.mode == "zoom"


def test_camera_input_survives_hostile_events_and_keeps_the_camera_finite():
    from jupyterlab_pvw.engine.interaction import CameraInput

    inp = CameraInput()
    inp.reset(Camera())
    right = {"buttonRight": 1}
    inp.push("mouse", {"action": "down", "x": 0.5, "y": 0.0, **right})
    inp.push("mouse", {"action": "move", "x": 0.5, "y": 1e300, **right})  # zoom overflow
    inp.push("wheel", {"type": "MouseWheel", "spinY": object()})  # not a number
    inp.push("mouse", {"action": "up", "x": 0.5, "y": 1e300})
    pan = {"buttonLeft": 1, "shiftKey": 1}
    inp.push("mouse", {"action": "down", "x": 0.0, "y": 0.0, **pan})
    for _ in range(50):
        inp.push("mouse", {"action": "move", "x": 1e308, "y": -1e308, **pan})
        inp.push("mouse", {"action": "move", "x": -1e308, "y": 1e308, **pan})
    changed, ended = inp.fold(1.0)
    assert changed and ended and inp.camera.is_finite()


def test_camera_input_ends_only_the_leaving_clients_drag():
    from jupyterlab_pvw.engine.interaction import CameraInput

    inp = CameraInput()
    inp.reset(Camera())
    inp.push("mouse", {"action": "down", "x": 0.5, "y": 0.5, "buttonLeft": 1}, client="a")
    inp.fold(1.0)
    assert inp.dragging
    assert not inp.end_drag("b") and inp.dragging
    assert inp.end_drag("a") and not inp.dragging


def test_a_client_leaving_before_its_press_is_folded_starts_no_drag():
    from jupyterlab_pvw.engine.interaction import CameraInput

    inp = CameraInput()
    inp.reset(Camera())
    inp.push("mouse", {"action": "down", "x": 0.5, "y": 0.5, "buttonLeft": 1}, client="a")
    inp.push("mouse", {"action": "move", "x": 0.6, "y": 0.5, "buttonLeft": 1}, client="a")
    inp.push("wheel", {"type": "MouseWheel", "spinY": 1}, client="b")
    assert not inp.end_drag("a")  # it left before the render service folded its input
    changed, _ = inp.fold(1.0)
    assert not inp.dragging, "a drag nobody will end must not start"
    assert changed, "another client's queued input still applies"
