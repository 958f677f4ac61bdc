"""The live pipeline's RPCs (``pvw.pipeline.*``, ``pvw.presets``), on rank 0.

Each one becomes a pipeline command that every rank runs in lockstep (``Commands.do_pipeline``,
``engine/pipeline.py``); the new description is then published on ``wire.PIPELINE_TOPIC``
to every client by the render service.
"""

from __future__ import annotations

import asyncio

from wslink import register as exportRpc
from wslink.websocket import LinkProtocol


class PipelineProtocol(LinkProtocol):
    """The live pipeline (engine/pipeline.py): every change is published to every client on
    the pipeline topic, so every viewer and panel stays in step."""

    def __init__(self, server):
        super().__init__()
        self.server = server
        self.service = server.service

    async def _change(self, action: str, **args):
        """A change to the pipeline: the driver's (or the owner's) only."""
        self.server.require_driver("changing the pipeline")
        return await self._do(action, **args)

    async def _do(self, action: str, **args):
        command = {"op": "pipeline", "action": action, "args": args}
        return await asyncio.wrap_future(self.service.submit(command))

    @exportRpc("pvw.pipeline.list")
    async def list(self):
        return await self._do("list")

    @exportRpc("pvw.pipeline.add")
    async def add(self, kind, input, name=None, properties=None):
        return await self._change("add", kind=kind, input=input, name=name, properties=properties)

    @exportRpc("pvw.pipeline.set")
    async def set(self, name, properties):
        if not isinstance(properties, dict):
            raise TypeError("pvw.pipeline.set takes a name and {property: value}")
        return await self._change("set", name=name, properties=properties)

    @exportRpc("pvw.pipeline.remove")
    async def remove(self, name, recursive=False):
        return await self._change("remove", name=name, recursive=bool(recursive))

    @exportRpc("pvw.pipeline.show")
    async def show(self, name):
        return await self._change("show", name=name)

    @exportRpc("pvw.pipeline.hide")
    async def hide(self, name):
        return await self._change("hide", name=name)

    @exportRpc("pvw.pipeline.color_by")
    async def color_by(self, name, options=None):
        """``options``: array, association, preset, range, log, mode, component, solid."""
        options = options or {}
        if not isinstance(options, dict):
            raise TypeError("pvw.pipeline.color_by takes a name and an options object")
        return await self._change("color_by", name=name, **options)

    @exportRpc("pvw.pipeline.scalar_bar")
    async def scalar_bar(self, name, visible=True):
        return await self._change("scalar_bar", name=name, visible=bool(visible))

    @exportRpc("pvw.pipeline.representation")
    async def representation(self, name, representation=None, opacity=None):
        return await self._change(
            "representation", name=name, representation=representation, opacity=opacity
        )

    @exportRpc("pvw.pipeline.properties")
    async def properties(self, name):
        return await self._do("properties", name=name)

    @exportRpc("pvw.pipeline.kinds")
    async def kinds(self):
        return await self._do("kinds")

    @exportRpc("pvw.pipeline.code")
    async def code(self):
        return await self._do("code")

    @exportRpc("pvw.presets")
    async def presets(self):
        return await self._do("presets")
