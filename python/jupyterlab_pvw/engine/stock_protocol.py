"""ParaView's stock viewport RPCs that a generic ParaViewWeb client may use.

Same arguments and answers as ``paraview/web/protocols.py``; the size is the calling
client's own, and moving the camera follows the driver rule like any other camera move.
"""

from __future__ import annotations

import asyncio
import time

from wslink import register as exportRpc
from wslink.websocket import LinkProtocol

from ..wire import QUALITY_RANGE, VIEW_ID
from .camera import Camera


def _vector(value, name) -> list[float]:
    try:
        v = [float(x) for x in value]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be three numbers, got {value!r}") from None
    if len(v) != 3:
        raise ValueError(f"{name} must be three numbers, got {value!r}")
    return v


class StockViewportProtocol(LinkProtocol):
    def __init__(self, server):
        super().__init__()
        self.server = server
        self.service = server.service

    @exportRpc("viewport.camera.get")
    async def get_camera(self, view_id=VIEW_ID):
        bounds = await asyncio.wrap_future(self.service.submit({"op": "visible_bounds"}))
        camera = self.service.camera()
        if camera is None:
            raise RuntimeError("no dataset is shown yet, so there is no camera")
        return {
            "bounds": bounds,
            "center": camera["focal_point"],  # rotation happens about the focal point
            "focal": camera["focal_point"],
            "up": camera["view_up"],
            "position": camera["position"],
        }

    @exportRpc("viewport.camera.update")
    def update_camera(self, view_id, focal_point, view_up, position, forceUpdate=True):
        self.server.require_driver("moving the camera")
        current = self.service.camera()
        if current is None:
            raise RuntimeError("no dataset is shown yet, so there is no camera")
        camera = Camera.from_dict(
            {
                **current,
                "focal_point": _vector(focal_point, "focal point"),
                "view_up": _vector(view_up, "view up"),
                "position": _vector(position, "position"),
            }
        )
        self.service.set_camera(camera)

    @exportRpc("viewport.size.update")
    def update_size(self, view_id, width, height):
        from .server import _size

        self.service.set_view_size(self.server.active_client(), None, _size(width, height))

    @exportRpc("viewport.image.render")
    async def still_render(self, options):
        from .server import _number, _size

        begin = time.time()
        options = options if isinstance(options, dict) else {}
        if "size" in options:
            size = _size(*options["size"])
        else:
            mine = sorted(self.service.sizes_for(self.server.active_client()))
            size = list(mine[0]) if mine else list(self.service.default_size)
        quality = int(_number(options.get("quality", 100), "quality", *QUALITY_RANGE))
        result = await asyncio.wrap_future(
            self.service.submit(
                {
                    "op": "render",
                    "sizes": [size],
                    "quality": quality,
                    "still": True,
                    "publish": False,
                }
            )
        )
        frame = result["frames"][0]
        return {
            "image": frame.jpeg,  # bytes (msgpack), where stock's JSON path sends base64
            "format": "jpeg",
            "stale": False,
            "mtime": frame.seq,
            "size": list(frame.size),
            "global_id": VIEW_ID,
            "localTime": options.get("localTime", 0),
            "workTime": round((time.time() - begin) * 1000),
        }
