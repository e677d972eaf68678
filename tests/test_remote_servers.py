"""The real servers of tests/remote_servers.py start, check the token and stop cleanly."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.remote_servers import (  # noqa: F401  (fixtures are found by their imported names)
    RunningServer,
    hub_like_server,
    jupyter_server,
    kernel_gateway,
    legacy_jupyter_server,
    private_kernel_gateway,
    start_jupyter_server,
)

pytestmark = pytest.mark.timeout(90)

SERVERS = ["jupyter_server", "legacy_jupyter_server", "hub_like_server", "kernel_gateway", "private_kernel_gateway"]


@pytest.mark.parametrize("fixture_name", SERVERS)
def test_answers_kernelspecs_only_with_the_token(fixture_name: str, request: pytest.FixtureRequest) -> None:
    server: RunningServer = request.getfixturevalue(fixture_name)
    status, specs = server.rest("GET", "api/kernelspecs")
    assert status == 200
    assert isinstance(specs, dict) and "python3" in specs["kernelspecs"]
    status, _ = server.rest("GET", "api/kernelspecs", authorize=False)
    assert status in (401, 403)
    status, _ = server.rest("GET", "api/kernelspecs", token="wrong-token")
    assert status in (401, 403)


def test_hub_like_server_lives_under_its_base_path(hub_like_server: RunningServer) -> None:  # noqa: F811
    assert hub_like_server.url.endswith("/user/ada/")
    root = RunningServer(
        hub_like_server.url.replace("/user/ada/", "/"),
        hub_like_server.token,
        hub_like_server.kind,
        hub_like_server.process,
        hub_like_server.log_path,
        _stopped=True,
    )
    status, _ = root.rest("GET", "api/kernelspecs")
    assert status == 404


@pytest.mark.parametrize("fixture_name", ["jupyter_server", "kernel_gateway"])
def test_starts_and_lists_a_kernel(fixture_name: str, request: pytest.FixtureRequest) -> None:
    server: RunningServer = request.getfixturevalue(fixture_name)
    kernel_id = server.start_kernel()
    try:
        assert kernel_id in server.kernel_ids()
    finally:
        status, _ = server.rest("DELETE", f"api/kernels/{kernel_id}")
    assert status == 204
    assert kernel_id not in server.kernel_ids()


def test_private_gateway_hides_its_kernels(private_kernel_gateway: RunningServer) -> None:  # noqa: F811
    status, _ = private_kernel_gateway.rest("GET", "api/kernels")
    assert status == 403


def test_stop_ends_the_process_and_its_kernels(tmp_path: Path) -> None:
    server = start_jupyter_server(tmp_path)
    server.start_kernel()
    server.stop()
    assert server.process.returncode is not None
    assert not list((tmp_path / "runtime").glob("kernel-*.json"))


@pytest.mark.parametrize(("fixture_name", "chosen"), [
    ("jupyter_server", "v1.kernel.websocket.jupyter.org"),
    ("legacy_jupyter_server", None),
])  # fmt: skip
def test_websocket_protocol_choice(
    fixture_name: str, chosen: str | None, request: pytest.FixtureRequest
) -> None:
    sync_client = pytest.importorskip("websockets.sync.client")
    server: RunningServer = request.getfixturevalue(fixture_name)
    kernel_id = server.start_kernel()
    try:
        url = server.url.replace("http://", "ws://") + f"api/kernels/{kernel_id}/channels?session_id=probe"
        with sync_client.connect(
            url,
            subprotocols=["v1.kernel.websocket.jupyter.org"],  # type: ignore[list-item]
            additional_headers={"Authorization": f"token {server.token}"},
            open_timeout=15,
        ) as socket:
            assert socket.subprotocol == chosen
    finally:
        server.rest("DELETE", f"api/kernels/{kernel_id}")
