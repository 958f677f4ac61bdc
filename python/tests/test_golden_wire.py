"""The golden wire frames in test/golden/ are what Python wslink makes today.

``test/golden.spec.ts`` decodes them with the TypeScript codec; this test keeps them from
going stale (a wslink or msgpack upgrade that changes the bytes fails here first).
"""

from __future__ import annotations

import golden_wire


def test_committed_golden_frames_equal_a_fresh_run():
    fresh = golden_wire.frames()
    committed = {path.name: path.read_bytes() for path in golden_wire.GOLDEN.iterdir()}
    assert sorted(committed) == sorted(fresh), (
        "test/golden/ is out of date: run .venv/bin/python python/tests/golden_wire.py"
    )
    for name, data in fresh.items():
        assert committed[name] == data, (
            f"test/golden/{name} differs from what wslink makes now: "
            "run .venv/bin/python python/tests/golden_wire.py and commit the result"
        )


def test_a_message_is_cut_into_several_frames():
    manifest = golden_wire.manifest()
    assert len(manifest["publish-chunked"]["frames"]) > 3
    assert all(
        len(case["frames"]) == 1 for name, case in manifest.items() if name != "publish-chunked"
    )
