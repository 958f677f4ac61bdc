"""Golden wire frames made by Python wslink, for the TypeScript codec's tests.

Each message is packed with msgpack and cut by ``wslink.chunking.generate_chunks``, exactly
as wslink's server sends it (``WslinkHandler.sendWrappedMessage`` / ``sendWrappedError``).
The frames go to ``test/golden/<case>.<n>.bin`` and the messages, with ``bytes`` as
``{"$bytes": base64}``, to ``test/golden/manifest.json``; ``test/golden.spec.ts`` decodes
the frames with ``src/wire.ts`` and compares. ``python/tests/test_golden_wire.py`` checks
the committed files equal a fresh run. Regenerate with
``.venv/bin/python python/tests/golden_wire.py``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from unittest import mock

import msgpack
from wslink import chunking

from jupyterlab_pvw import wire

GOLDEN = Path(__file__).resolve().parents[2] / "test" / "golden"

# A JPEG's start and end markers around bytes of every value: a real image payload's shape.
JPEG_LIKE = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 3 + b"\xff\xd9"

#: case name -> (message, largest frame wslink may send; 0 for one frame)
CASES: dict[str, tuple[dict, int]] = {
    "hello": (
        {
            "wslink": "1.0",
            "id": "system:c0:0",
            "method": "wslink.hello",
            "args": [{"secret": "golden-secret"}],
            "kwargs": {},
        },
        0,
    ),
    "hello-reply": (
        {"wslink": "1.0", "id": "system:c0:0", "result": {"clientID": "c1", "maxMsgSize": 4194304}},
        0,
    ),
    "result": (
        {"wslink": "1.0", "id": "rpc:c1:3", "result": {"success": True, "viewId": wire.VIEW_ID}},
        0,
    ),
    "error": (
        {
            "wslink": "1.0",
            "id": "rpc:c1:4",
            "error": {
                "code": -32000,
                "message": "Exception raised",
                "data": {"method": "pvw.activate", "exception": "no dataset named 'x'"},
            },
        },
        0,
    ),
    "publish-image": (
        {
            "wslink": "1.0",
            "id": f"publish:{wire.IMAGE_TOPIC}:7",
            "result": {
                "image": JPEG_LIKE,
                "format": "jpeg",
                "id": wire.VIEW_ID,
                "size": [64, 48],
                "mtime": 7,
                "stale": False,
                "memsize": len(JPEG_LIKE),
                "workTime": 12.5,
                "still": True,
                "quality": wire.STILL_QUALITY,
                "timestep": 3,
                "time": 0.25,
            },
        },
        0,
    ),
    # The same kind of message cut into 100-byte frames, as with a small WSLINK_MAX_MSG_SIZE.
    "publish-chunked": (
        {
            "wslink": "1.0",
            "id": f"publish:{wire.IMAGE_TOPIC}:8",
            "result": {"image": JPEG_LIKE, "format": "jpeg", "size": [64, 48], "still": False},
        },
        100,
    ),
}


def frames() -> dict[str, bytes]:
    """Every golden file's name and bytes, made by wslink (deterministic chunk ids)."""
    out: dict[str, bytes] = {}
    for number, (case, (message, max_size)) in enumerate(CASES.items(), start=1):
        # wslink draws each message's chunk id at random; fixed here so the files are stable.
        fixed = number.to_bytes(chunking.ID_LENGTH, "little")
        with mock.patch.object(chunking.secrets, "token_bytes", return_value=fixed):
            chunks = list(chunking.generate_chunks(msgpack.packb(message), max_size))
        for index, chunk in enumerate(chunks):
            out[f"{case}.{index}.bin"] = chunk
    out["manifest.json"] = (json.dumps(manifest(), indent=2, sort_keys=True) + "\n").encode()
    return out


def manifest() -> dict:
    """Each case's frame files (in order) and decoded message, JSON-safe."""
    result = {}
    for case, (message, max_size) in CASES.items():
        count = len(list(chunking.generate_chunks(msgpack.packb(message), max_size)))
        result[case] = {
            "frames": [f"{case}.{index}.bin" for index in range(count)],
            "message": _json_safe(message),
        }
    return result


def _json_safe(value):
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def main() -> None:
    """Write the golden files (and remove stale ones)."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    wanted = frames()
    for stale in GOLDEN.glob("*.bin"):
        if stale.name not in wanted:
            stale.unlink()
    for name, data in wanted.items():
        (GOLDEN / name).write_bytes(data)
    print(f"wrote {len(wanted)} files to {GOLDEN}")


if __name__ == "__main__":
    main()
