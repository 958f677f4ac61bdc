"""A seeded wire fuzz against a real 2-rank engine: while one hostile client sends random
bytes, garbled chunk headers, random msgpack and ill-typed calls of every RPC the engine
exports (found through wslink's ``_wslinkuris``, so new RPCs are fuzzed without editing
this file), a well-behaved viewer keeps getting frames, and afterwards the engine answers,
the simulation steps, rank 0 has not grown, and no reply carried a traceback.

Set PVW_FUZZ_SEED to replay a run; the seed is printed either way.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import random
import threading
import time

import aiohttp
import msgpack
import psutil
import pytest
from conftest import Viewer
from wslink.chunking import generate_chunks
from wslink.websocket import LinkProtocol, ServerProtocol

import jupyterlab_pvw.engine.server as engine_server
from jupyterlab_pvw.wire import HELLO_LIMIT, IMAGE_TOPIC, MAX_SIZE, MIN_SIZE, QUALITY_RANGE
from jupyterlab_pvw.wslink_client import Reassembler, encode

pytestmark = pytest.mark.timeout(300)

# Bounded counts: the whole storm is a few thousand messages.
RANDOM_FRAMES = 40
GARBLED_HEADERS = 40
RANDOM_MSGPACK = 40
RANDOM_ENVELOPES = 60
RANDOM_CALLS_PER_RPC = 12
UNKNOWN_METHODS = 20
WINDOW = 15.0  # seconds; the good viewer must get a frame in every window of the storm
# Rank 0 may keep what the incoming-message limits let a client hold (the storm has one
# connection open at a time: at most MAX_PENDING_MESSAGES partial messages of at most
# MAX_INCOMING_MESSAGE bytes), plus allocator slack; a per-message leak over thousands of
# messages, or an unbounded buffer, goes past it.
RSS_GROWTH_LIMIT = (
    engine_server.MAX_PENDING_MESSAGES * engine_server.MAX_INCOMING_MESSAGE + 32 * 1024 * 1024
)


def exported_rpcs() -> dict[str, inspect.Signature]:
    """Every RPC uri the engine's protocol classes export, with its Python signature."""
    classes, todo = [], [LinkProtocol, ServerProtocol]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("jupyterlab_pvw."):
                classes.append(sub)
    rpcs = {}
    for cls in classes:
        for _, fn in inspect.getmembers(cls, inspect.isfunction):
            for uri in getattr(fn, "_wslinkuris", []):
                rpcs[uri["uri"]] = inspect.signature(fn)
    return rpcs


def nested(depth: int):
    value = None
    for _ in range(depth):
        value = [value]
    return value


# Values no RPC should choke on. msgpack carries integers up to 64 bits, so 2**70 goes as
# a float and the integer extremes as the largest 64-bit ones.
BAD_VALUES = [
    None, True, False, 0, -1, 2**64 - 1, -(2**63), 2.0**70, float("nan"), float("inf"),
    float("-inf"), -1e308, "", "-1", "x" * 200_000, b"\xff\x00" * 50, [], {}, [float("nan")] * 3,
    nested(200), {"size": [-1, 2**64 - 1]}, {"size": [MAX_SIZE + 1, float("inf")]},
    {"size": "400x400"}, {"view": 2**64 - 1, "size": [float("nan"), 16]},
]  # fmt: skip
EVENT_KEYS = ["action", "x", "y", "buttonLeft", "buttonRight", "buttonMiddle", "shiftKey",
              "ctrlKey", "altKey", "metaKey", "type", "spinY", "view", "size"]  # fmt: skip
ACTIONS = ["down", "move", "up", "MouseWheel", "StartMouseWheel", "EndMouseWheel"]


def random_value(rng: random.Random):
    """A bad value, or a plausible event dict whose fields are bad values."""
    if rng.random() < 0.3:
        event = {k: rng.choice(BAD_VALUES[:14]) for k in rng.sample(EVENT_KEYS, 5)}
        event["action" if rng.random() < 0.5 else "type"] = rng.choice(ACTIONS)
        return event
    return rng.choice(BAD_VALUES)


def rpc_calls(rng: random.Random) -> list:
    """(method, args, kwargs) for every exported RPC: each parameter given every bad value,
    positionally and by name, plus random mixes, too many and unknown arguments; shuffled,
    so whatever a call leaves behind meets the other RPCs and the renders."""
    calls = list(_rpc_calls(rng))
    rng.shuffle(calls)
    return calls


def _rpc_calls(rng: random.Random):
    for method, sig in sorted(exported_rpcs().items()):
        params = [p for p in sig.parameters.values() if p.name != "self"]
        yield method, [], {}
        yield method, [random_value(rng) for _ in range(len(params) + 3)], {}
        yield method, [], {"no_such_argument": 1}
        for i, param in enumerate(params):
            for value in BAD_VALUES:
                yield method, [random_value(rng) for _ in range(i)] + [value], {}
            yield method, [], {param.name: random_value(rng)}
        for _ in range(RANDOM_CALLS_PER_RPC):
            yield method, [random_value(rng) for _ in range(rng.randint(0, len(params)))], {}


def garbled_chunks(rng: random.Random):
    """Chunk headers that lie: offsets past the end, sizes that change, short headers."""

    def header(mid, offset, size):
        return b"".join(v.to_bytes(4, "little") for v in (mid, offset, size))

    body = encode({"wslink": "1.0", "id": "rpc:c0:9", "method": "pvw.timestep"})[12:]
    mid = rng.getrandbits(32)
    kinds = [
        lambda: header(mid, 2**32 - 1, len(body)) + body,  # offset past the end
        lambda: header(mid, 0, len(body)) + body + body,  # more bytes than declared
        lambda: header(mid, len(body) - 1, len(body)) + body,  # runs past the end
        lambda: header(mid, 0, 0),  # an empty message
        lambda: header(mid, 0, len(body))[: rng.randint(0, 11)],  # a cut header
        lambda: header(mid, 0, rng.randint(1, 2**32 - 1)) + body[:3],
        lambda: header(rng.getrandbits(32), 0, len(body)) + body[: len(body) // 2],
    ]
    for _ in range(GARBLED_HEADERS):
        yield rng.choice(kinds)()


def random_msgpack(rng: random.Random) -> bytes:
    value = rng.choice([
        rng.randint(-(2**63), 2**64 - 1), "id", ["id", "method"], {"id": 5, "method": 7},
        {"id": "rpc:c0:1"}, {"method": "pvw.status"}, {"id": ["x"], "method": "pvw.status"},
        {"id": "rpc:c0:1", "method": ["pvw.status"]}, {"id": None, "method": None},
        {rng.random(): rng.random()}, nested(rng.randint(1, 400)),
        {"id": "rpc:c0:1", "method": "pvw.status", "args": {"a": 1}, "kwargs": [1]},
    ])  # fmt: skip
    return msgpack.packb(value)


class Hostile:
    """A raw wslink client that sends what it is given and records every reply."""

    def __init__(self, url: str, secret: str):
        self.url, self.secret = url, secret
        self.ws = self.session = None
        self.replies: list[dict] = []
        self.disconnects = 0
        self._ids = 0

    async def open(self, hello: bool = True):
        await self.close()
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(self.url, max_msg_size=0)
        self._reassembler = Reassembler()
        if hello:
            reply = await self.call("wslink.hello", [{"secret": self.secret}], system=True)
            assert reply and "result" in reply, f"hello failed: {reply}"

    async def close(self):
        if self.session is not None:
            await self.session.close()
        self.ws = self.session = None

    @property
    def closed(self) -> bool:
        return self.ws is None or self.ws.closed

    async def ensure_open(self):
        if self.closed:
            self.disconnects += 1
            await self.open()

    async def send(self, data):
        try:
            if isinstance(data, str):
                await self.ws.send_str(data)
            else:
                await self.ws.send_bytes(data)
        except (ConnectionError, RuntimeError):  # the engine already closed this client
            pass

    async def reply(self, rpc_id=None, timeout: float = 60) -> dict | None:
        """The next non-frame message (the one for ``rpc_id`` if given); None once closed."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = await asyncio.wait_for(self.ws.receive(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                pytest.fail(f"the engine neither answered nor closed within {timeout} s")
            if msg.type != aiohttp.WSMsgType.BINARY:
                return None
            message = self._reassembler.feed(msg.data)
            if message is None or str(message.get("id", "")).startswith("publish:"):
                continue
            self.replies.append(message)
            if rpc_id is None or message.get("id") == rpc_id:
                return message

    async def call(self, method, args=None, kwargs=None, system=False) -> dict | None:
        self._ids += 1
        rpc_id = f"{'system' if system else 'rpc'}:c0:{self._ids}"
        envelope = {"wslink": "1.0", "id": rpc_id, "method": method, "args": args or []}
        if kwargs:
            envelope["kwargs"] = kwargs
        await self.send(encode(envelope))
        return await self.reply(rpc_id)

    async def probe(self) -> bool:
        """After something that gets no answer: the engine still serves this client?"""
        if self.closed:
            return False
        return await self.call("pvw.timestep") is not None


async def storm(url: str, secret: str, rng: random.Random) -> Hostile:
    h = Hostile(url, secret)
    # Every RPC before hello: refused.
    await h.open(hello=False)
    for method in sorted(exported_rpcs()):
        reply = await h.call(method)
        assert reply is not None and "Unauthorized" in reply["error"]["message"], (method, reply)
    # A pre-hello message larger than wslink's hello limit.
    await h.open(hello=False)
    await h.send(
        encode({"id": "system:c0:1", "method": "wslink.hello", "args": ["x" * HELLO_LIMIT]})
    )
    assert await h.reply(timeout=30) is None, "an oversize pre-hello message must close the client"
    await h.open()
    for _ in range(RANDOM_FRAMES):
        await h.ensure_open()
        if rng.random() < 0.1:
            await h.send("".join(chr(rng.randint(32, 0x2FFF)) for _ in range(rng.randint(0, 64))))
        else:
            await h.send(rng.randbytes(rng.choice([rng.randint(0, 16), rng.randint(12, 3000)])))
        await h.probe()
    for chunk in garbled_chunks(rng):
        await h.ensure_open()
        await h.send(chunk)
        await h.probe()
    for _ in range(RANDOM_MSGPACK):
        await h.ensure_open()
        await h.send(next(generate_chunks(random_msgpack(rng), 0)))
        await h.probe()
    envelope_values = [None, 7, ["a"], {"a": 1}, "", "rpc", "system:c0:1", "rpc:c0:x:y", 2.5]
    for _ in range(RANDOM_ENVELOPES):
        await h.ensure_open()
        envelope = {k: rng.choice(envelope_values) for k in rng.sample(["wslink", "id", "method", "args", "kwargs"], rng.randint(0, 5))}  # fmt: skip
        await h.send(encode(envelope))
        await h.probe()
    names = ["", "pvw", "pvw.", "wslink.hello.x", "application.exit.now", "x" * 100_000]
    for _ in range(UNKNOWN_METHODS):
        await h.ensure_open()
        name = rng.choice(names + [f"pvw.{rng.getrandbits(64):x}", f"viewport.{rng.random()}"])
        reply = await h.call(name, [random_value(rng)])
        assert reply is None or "error" in reply, (name, reply)
    for method, args, kwargs in rpc_calls(rng):
        await h.ensure_open()
        await h.call(method, args, kwargs)
    await h.close()
    return h


def frame_problem(frame) -> str | None:
    """What breaks the image-push contract in a received frame, if anything."""
    if not isinstance(frame, dict):
        return f"not a frame: {frame!r}"[:200]
    if frame.get("format") != "jpeg" or not frame.get("image", b"")[:2] == b"\xff\xd8":
        return "not a JPEG"
    if not QUALITY_RANGE[0] <= frame.get("quality", -1) <= QUALITY_RANGE[1]:
        return f"quality {frame.get('quality')!r} outside {QUALITY_RANGE}"
    if not all(MIN_SIZE <= n <= MAX_SIZE for n in frame.get("size", [0])):
        return f"size {frame.get('size')!r} outside {MIN_SIZE}..{MAX_SIZE}"
    return None


def traceback_in(message: dict) -> bool:
    error = message.get("error")
    data = error.get("data") if isinstance(error, dict) else None
    return (isinstance(data, dict) and "trace" in data) or "Traceback (most recent" in repr(message)


def test_a_fuzzing_client_does_not_disturb_a_good_viewer(sim):
    seed = int(os.environ.get("PVW_FUZZ_SEED") or random.SystemRandom().getrandbits(32))
    print(f"PVW_FUZZ_SEED={seed}")
    rng = random.Random(seed)
    url, secret = sim.info["url"], sim.info["secret"]
    pid = json.loads(sim.command("call __import__('os').getpid()")[0].removeprefix("RESULT "))
    rank0 = psutil.Process(pid)

    viewer = Viewer(url, secret)
    arrivals: list[float] = []
    bad_frames: list[str] = []

    def check(frame):
        problem = frame_problem(frame)
        if problem:
            bad_frames.append(problem)
        else:
            arrivals.append(time.monotonic())

    viewer.client.subscribe(IMAGE_TOPIC, check)
    done = threading.Event()

    def keep_asking():  # a viewer that wants a fresh frame every half second
        while not done.wait(0.5):
            viewer.call("viewport.image.push.invalidate.cache", ["-1"])

    try:
        viewer.settle()
        rss_before = rank0.memory_info().rss
        asker = threading.Thread(target=keep_asking, daemon=True)
        start = time.monotonic()
        asker.start()
        hostile = asyncio.run(storm(url, secret, rng))
        end = time.monotonic()
        done.set()
        asker.join(60)

        windows = max(1, int((end - start) // WINDOW))
        counts = [
            sum(start + i * WINDOW <= t < start + (i + 1) * WINDOW for t in arrivals)
            for i in range(windows)
        ]
        print(f"storm {end - start:.0f} s, {len(hostile.replies)} replies, "
              f"{hostile.disconnects} disconnects, frames per {WINDOW:g} s: {counts}")  # fmt: skip
        assert not bad_frames, f"{len(bad_frames)} bad frames, e.g. {bad_frames[:3]}"
        assert all(counts), f"the good viewer went a whole window without a frame: {counts}"

        status = viewer.call("pvw.status")
        assert status["clients"] >= 1, status
        # A raw client holding the secret is the session's owner: the storm may well have
        # paused the run (a legitimate call); the good viewer releases it.
        if viewer.call("pvw.run.state")["paused"]:
            viewer.call("pvw.resume")
        out = sim.command("next 3.0", timeout=60)
        assert out and out[0].startswith("NEXT"), out
        count = len(viewer.frames)
        viewer.call("viewport.image.push", [{"view": "-1", "size": viewer.size}])
        assert frame_problem(viewer.frame_after(count)) is None

        growth = rank0.memory_info().rss - rss_before
        print(f"rank 0 RSS {rss_before / 2**20:.0f} MB, grew {growth / 2**20:.1f} MB")
        assert growth < RSS_GROWTH_LIMIT, f"rank 0 grew {growth / 2**20:.0f} MB"
        leaks = [m for m in hostile.replies if traceback_in(m)]
        assert not leaks, f"{len(leaks)} replies carry a traceback, e.g. {repr(leaks[0])[:500]}"
        errors = sum("error" in m for m in hostile.replies)
        assert errors > 100, f"the storm should mostly be refused ({errors} error replies)"
    finally:
        done.set()
        viewer.close()
