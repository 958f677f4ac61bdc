"""The launcher without Jupyter: REST API plus the front end's WebSocket forwarding.

    python -m jupyterlab_pvw.launcher launcher.json

POST/GET/DELETE ``/<endpoint>[/<id>]`` as in the seeds; ``/proxy?sessionId=<id>`` forwards a
WebSocket to the session's [host, port] (the job Apache does in the seeds' multi-user setup),
so one port serves a small site. Without Jupyter there is no user authentication here: bind
it to loopback or put it behind one; clients authenticate to each session with its secret.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import aiohttp
from aiohttp import web

from .config import ConfigError, load
from .core import Launcher, LauncherError

LAUNCHER_KEY = web.AppKey("launcher", Launcher)


def _json(payload, status=200):
    return web.Response(text=json.dumps(payload), status=status, content_type="application/json")


def _error(exc: LauncherError):
    return _json(exc.payload(), exc.status)


async def post_session(request):
    launcher = request.app[LAUNCHER_KEY]
    try:
        body = json.loads(await request.text())  # ProcessLauncher sends JSON as text/plain
    except json.JSONDecodeError as exc:
        return _json({"error": f"malformed JSON: {exc}"}, 400)
    forward = f"ws://{request.host}/proxy?sessionId=${{id}}"
    try:
        return _json(
            await launcher.launch(body, session_url=launcher.conf.get("sessionURL") or forward)
        )
    except LauncherError as exc:
        return _error(exc)


async def get_session(request):
    try:
        return _json(request.app[LAUNCHER_KEY].get(request.match_info["id"]))
    except LauncherError as exc:
        return _error(exc)


async def delete_session(request):
    try:
        return _json(await request.app[LAUNCHER_KEY].delete(request.match_info["id"]))
    except LauncherError as exc:
        return _error(exc)


async def forward(request):
    """Pipe a client's WebSocket to its session's rank 0, both ways, byte for byte."""
    launcher = request.app[LAUNCHER_KEY]
    session_id = request.query.get("sessionId") or request.match_info.get("id", "")
    session = launcher.sessions.get(session_id)
    if session is None:
        return _json(
            {"error": f"no session {session_id!r}", "live": sorted(launcher.sessions)}, 404
        )
    client = web.WebSocketResponse(max_msg_size=0)
    await client.prepare(request)
    launcher.client_opened(session_id)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(
                f"ws://{session.host}:{session.port}/ws", max_msg_size=0
            ) as upstream:

                async def pipe(src, dst):
                    async for msg in src:
                        if msg.type == aiohttp.WSMsgType.BINARY:
                            await dst.send_bytes(msg.data)
                        elif msg.type == aiohttp.WSMsgType.TEXT:
                            await dst.send_str(msg.data)
                        else:
                            break
                    await dst.close()

                await asyncio.gather(pipe(client, upstream), pipe(upstream, client))
    except aiohttp.ClientError as exc:
        await client.close(
            code=1011, message=f"session {session_id} unreachable: {exc}".encode()[:120]
        )
    finally:
        launcher.client_closed(session_id)
    return client


def make_app(config: dict) -> web.Application:
    app = web.Application()
    launcher = Launcher(config)
    app[LAUNCHER_KEY] = launcher
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
