"""Through a real Jupyter server: the proxy tells the engine who the browser is (the Jupyter
user), and a browser cannot claim to be someone else."""

from __future__ import annotations

import pytest
from jupyter_server.auth.identity import IdentityProvider, User

from jupyterlab_pvw.session_table import announce, withdraw
from jupyterlab_pvw.wire import IDENTIFY_METHOD

pytest_plugins = ["pytest_jupyter.jupyter_server"]


class AdaProvider(IdentityProvider):
    """Every request is Ada's, so the test knows which identity the engine must see."""

    def get_user(self, handler):
        return User("ada", name="Ada Lovelace", display_name="Ada L.", initials="AL", color="red")


@pytest.fixture
def jp_server_config():
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyterlab_pvw": True},
            "identity_provider_class": AdaProvider,
        }
    }


async def test_the_engine_sees_the_jupyter_user_and_refuses_a_browsers_identify(
    sim, jp_serverapp, http_server_client, jp_http_port, jp_base_url, jp_auth_header
):
    from test_server import _ws_url

    from jupyterlab_pvw.wslink_client import WslinkClient, WslinkError

    info = sim.info
    session = announce(
        "127.0.0.1", info["port"], info["secret"], ranks=2, runtime_dir=jp_serverapp.runtime_dir
    )
    try:
        client = WslinkClient(
            _ws_url(jp_http_port, jp_base_url, session.id), "", headers=jp_auth_header
        )
        await client.connect()
        try:
            await client.call("viewport.image.push.observer.add", ["-1"])
            state = await client.call("pvw.presence")
            (me,) = [v for v in state["viewers"] if v["client"] == state["you"]]
            assert me["owner"] is False and state["driver"] == state["you"]
            assert {k: me[k] for k in ("username", "name", "display_name", "initials")} == {
                "username": "ada",
                "name": "Ada Lovelace",
                "display_name": "Ada L.",
                "initials": "AL",
            }
            with pytest.raises(WslinkError, match="refused by the proxy"):
                await client.call(IDENTIFY_METHOD, [{"username": "mallory", "name": "Mallory"}])
            state = await client.call("pvw.presence")
            assert [v["username"] for v in state["viewers"]] == ["ada"]
        finally:
            await client.close()
    finally:
        withdraw(session.id, runtime_dir=jp_serverapp.runtime_dir)


def test_client_filter_follows_the_hello_with_the_users_identify():
    import msgpack
    from wslink.chunking import HEADER_LENGTH, generate_chunks

    from jupyterlab_pvw.proxy_filter import ClientFilter

    def frame(message):
        return next(iter(generate_chunks(msgpack.packb(message), 0)))

    def decode(data):
        return msgpack.unpackb(data[HEADER_LENGTH:])

    guard = ClientFilter("real", identity={"username": "ada", "name": "Ada", "token": "x"})
    hello = guard.feed(frame({"wslink": "1.0", "id": "system:c0:0", "method": "wslink.hello"}))
    sent = [decode(f) for f in hello.to_engine]
    assert [m["method"] for m in sent] == ["wslink.hello", IDENTIFY_METHOD]
    assert sent[1]["args"] == [
        {"username": "ada", "name": "Ada", "display_name": None, "initials": None, "color": None}
    ]
    own = guard.feed(frame({"wslink": "1.0", "id": "rpc:c0:1", "method": IDENTIFY_METHOD}))
    assert (
        own.to_engine == []
        and "refused by the proxy" in decode(own.to_client[0])["error"]["message"]
    )
    reply = frame({"wslink": "1.0", "id": sent[1]["id"], "result": {}})
    assert guard.is_own_reply(reply)
    assert not guard.is_own_reply(frame({"wslink": "1.0", "id": "rpc:c0:1", "result": {}}))
    # Without an identity (the standalone launcher's forwarding) nothing is added or dropped.
    plain = ClientFilter()
    assert (
        len(plain.feed(frame({"wslink": "1.0", "id": "s", "method": "wslink.hello"})).to_engine)
        == 1
    )
