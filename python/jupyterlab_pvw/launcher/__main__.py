"""The launcher without Jupyter: REST API plus the front end's WebSocket forwarding.

    python -m jupyterlab_pvw.launcher launcher.json

POST/GET/DELETE ``/<endpoint>[/<id>]`` as in the seeds; ``/proxy?sessionId=<id>`` forwards a
WebSocket to the session's [host, port] (the job Apache does in the seeds' multi-user setup),
so one port serves a small site. Without Jupyter there is no user authentication here: bind
it to loopback or put it behind one; clients authenticate to each session with its secret.

Browsers: requests from another origin are refused (403, before anything is launched)
unless ``configuration.cors_origins`` lists that origin; then preflights are answered and
answers carry ``Access-Control-Allow-Origin``. Forwarded clients cannot stop an engine:
``application.exit[.later]`` is answered with an error, never forwarded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import aiohttp
from aiohttp import web

from ..http_api import MAX_BODY, RequestError, parse_json_object
from ..proxy_filter import ClientFilter
from .config import ConfigError, load
from .core import Launcher

LAUNCHER_KEY = web.AppKey("launcher", Launcher)
CORS_KEY = web.AppKey("cors_origins", list)


def _json(payload, status=200):
    return web.Response(text=json.dumps(payload), status=status, content_type="application/json")


@web.middleware
async def json_errors(request, handler):
    """The one error mapper: a RequestError becomes its JSON answer."""
    try:
        return await handler(request)
    except RequestError as exc:
        return _json(exc.payload(), exc.status)


@web.middleware
async def origin_guard(request, handler):
    """Same origin, or an origin of ``cors_origins``; anything else is refused before it acts."""
    origin = request.headers.get("Origin")
    if origin is None or origin == f"{request.scheme}://{request.host}":
        return await handler(request)
    allowed = request.app[CORS_KEY]
    if origin not in allowed and "*" not in allowed:
        raise RequestError(403, f"requests from origin {origin} are refused; to allow them, "
                                "add it to configuration.cors_origins")  # fmt: skip
    cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    if request.method == "OPTIONS":  # the preflight of a cross-origin POST or DELETE
        asked = request.headers.get("Access-Control-Request-Headers", "Content-Type")
        return web.Response(status=204, headers={**cors, "Access-Control-Allow-Methods": "GET, POST, DELETE",
                                                 "Access-Control-Allow-Headers": asked,
                                                 "Access-Control-Max-Age": "600"})  # fmt: skip
    response = await handler(request)
    if not isinstance(response, web.WebSocketResponse):
        response.headers.update(cors)
    return response


async def _body(request) -> dict:
    if (request.content_length or 0) > MAX_BODY:
        raise RequestError(
            413,
            f"the request body has {request.content_length} bytes; at most {MAX_BODY} are accepted",
        )
    body = bytearray()
    while len(body) <= MAX_BODY:
        chunk = await request.content.read(MAX_BODY + 1 - len(body))
        if not chunk:
            break
        body += chunk
    return parse_json_object(bytes(body))  # ProcessLauncher sends JSON as text/plain


async def post_session(request):
    launcher = request.app[LAUNCHER_KEY]
    body = await _body(request)
    forward = f"ws://{request.host}/proxy?sessionId=${{id}}"
    return _json(
        await launcher.launch(body, session_url=launcher.conf.get("sessionURL") or forward)
    )


async def get_session(request):
    return _json(request.app[LAUNCHER_KEY].get(request.match_info["id"]))


async def delete_session(request):
    return _json(await request.app[LAUNCHER_KEY].delete(request.match_info["id"]))


async def forward(request):
    """Pipe a client's WebSocket to its session's rank 0, both ways, through the client filter."""
    launcher = request.app[LAUNCHER_KEY]
    session_id = request.query.get("sessionId") or request.match_info.get("id", "")
    session = launcher.sessions.get(session_id)
    if session is None:
        raise RequestError(404, f"no session {session_id!r}", live=sorted(launcher.sessions))
    client = web.WebSocketResponse(max_msg_size=0)
    await client.prepare(request)
    launcher.client_opened(session_id)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(
                f"ws://{session.host}:{session.port}/ws", max_msg_size=0
            ) as upstream:

                async def from_client():
                    guard = ClientFilter()  # no secret here: clients hold their session's
                    async for msg in client:
                        if msg.type not in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                            break
                        data = msg.data.encode() if isinstance(msg.data, str) else msg.data
                        try:
                            filtered = guard.feed(data)
                        except ValueError as exc:
                            await client.close(code=1007, message=str(exc).encode()[:120])
                            break
                        for frame in filtered.to_client:
                            await client.send_bytes(frame)
                        for frame in filtered.to_engine:
                            await upstream.send_bytes(frame)
                    await upstream.close()

                async def from_engine():
                    async for msg in upstream:
                        if msg.type == aiohttp.WSMsgType.BINARY:
                            await client.send_bytes(msg.data)
                        elif msg.type == aiohttp.WSMsgType.TEXT:
                            await client.send_str(msg.data)
                        else:
                            break
                    await client.close()

                await asyncio.gather(from_client(), from_engine())
    except aiohttp.ClientError as exc:
        await client.close(
            code=1011, message=f"session {session_id} unreachable: {exc}".encode()[:120]
        )
    finally:
        launcher.client_closed(session_id)
    return client


def make_app(config: dict) -> web.Application:
    app = web.Application(middlewares=[json_errors, origin_guard])
    launcher = Launcher(config)
    app[LAUNCHER_KEY] = launcher
    app[CORS_KEY] = list(launcher.conf.get("cors_origins") or [])
    endpoint = "/" + launcher.conf["endpoint"].strip("/")
    app.router.add_post(endpoint, post_session)
    app.router.add_get(endpoint + "/{id}", get_session)
    app.router.add_delete(endpoint + "/{id}", delete_session)
    app.router.add_get("/proxy", forward)
    app.router.add_get("/proxy/{id}", forward)
    if launcher.conf.get("content"):
        app.router.add_static("/", launcher.conf["content"])

    async def stop_sessions(app):
        await app[LAUNCHER_KEY].shutdown()

    app.on_shutdown.append(stop_sessions)
    return app


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jupyterlab_pvw.launcher", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument(
        "config", help="launcher configuration (JSON with comments, the seeds' format)"
    )
    parser.add_argument("--host", help="override configuration.host")
    parser.add_argument("--port", type=int, help="override configuration.port")
    args = parser.parse_args(argv)
    try:
        config = load(args.config)
    except ConfigError as exc:
        print(f"launcher: {exc}", file=sys.stderr)
        return 2
    conf = config["configuration"]
    host, port = args.host or conf.get("host", "127.0.0.1"), args.port or conf.get("port", 8080)
    print(f"launcher: serving http://{host}:{port}/{conf['endpoint']}", flush=True)
    # run_app turns SIGINT/SIGTERM into a clean shutdown, which stops every session.
    web.run_app(make_app(config), host=host, port=port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
