"""The driver rule and presence (engine/presence.py), with a fake clock."""

from __future__ import annotations

import pytest

from jupyterlab_pvw.engine.presence import NotDriver, Presence


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def user(name):
    return {"username": name, "name": name.title(), "initials": name[0].upper(), "color": "red"}


@pytest.fixture
def room():
    clock = Clock()
    presence = Presence(idle_s=30, clock=clock)
    presence.identify("a", user("alice"))
    clock.now += 1
    presence.identify("b", user("bob"))
    clock.now += 1
    presence.identify("c", user("carol"))
    return presence, clock


def test_first_viewer_drives_and_others_are_refused_by_name(room):
    presence, _ = room
    assert presence.driver == "a"
    presence.check("a", "moving the camera")
    with pytest.raises(NotDriver, match="Alice drives this session"):
        presence.check("b", "moving the camera")
    assert [v["username"] for v in presence.snapshot()["viewers"]] == ["alice", "bob", "carol"]


def test_owner_and_kernel_always_act(room):
    presence, _ = room
    presence.join("tool")  # connected with the secret itself
    presence.check("tool", "changing the pipeline")
    presence.check(None, "changing the pipeline")  # a main-thread call
    assert presence.driver == "a"


def test_hand_over_only_by_the_driver(room):
    presence, _ = room
    with pytest.raises(NotDriver, match="only the driver"):
        presence.hand_over("b", "c")
    presence.hand_over("a", "b")
    assert presence.driver == "b"
    with pytest.raises(NotDriver, match="Bob drives"):
        presence.check("a", "zooming")
    with pytest.raises(ValueError, match="no identified viewer"):
        presence.hand_over("b", "nobody")


def test_request_waits_for_a_busy_driver_then_an_idle_one_hands_over(room):
    presence, clock = room
    presence.check("a", "moving the camera")
    assert presence.request("c") == "a"
    assert presence.snapshot()["viewers"][2]["wantsControl"] is True
    clock.now += 29
    assert presence.tick() is False and presence.driver == "a"
    clock.now += 2
    assert presence.tick() is True and presence.driver == "c"


def test_acting_after_the_driver_went_idle_takes_control(room):
    presence, clock = room
    clock.now += 31
    presence.check("b", "moving the camera")
    assert presence.driver == "b"


def test_driver_leaving_passes_control_to_who_asked_first_else_the_oldest(room):
    presence, _ = room
    presence.request("c")
    presence.leave("a")
    assert presence.driver == "c"
    presence.leave("c")
    assert presence.driver == "b"
    presence.leave("b")
    assert presence.driver is None


def test_identity_is_given_once_and_checked():
    presence = Presence(idle_s=None)
    presence.identify("a", {"username": "x", "name": "X" * 1000, "evil": "y"})
    assert presence.viewers["a"].identity == {"username": "x", "name": "X" * 128}
    with pytest.raises(PermissionError, match="already identified"):
        presence.identify("a", user("mallory"))
    with pytest.raises(ValueError, match="an identity is"):
        presence.identify("b", "mallory")


def test_single_viewer_never_notices():
    presence = Presence(idle_s=None)
    presence.identify("a", user("alice"))
    for _ in range(3):
        presence.check("a", "moving the camera")
    with pytest.raises(PermissionError):
        presence.request("owner-tool")
