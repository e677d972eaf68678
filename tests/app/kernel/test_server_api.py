"""ServerApi against real Jupyter servers and small misbehaving web servers on 127.0.0.1."""
from __future__ import annotations

import datetime
import http.server
import socket
import ssl
import threading
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import pytest
from pytestqt.qtbot import QtBot

from conch.app.kernel import server_api
from conch.app.kernel.server_api import (
    ApiCall,
    KernelListHidden,
    KernelSpecs,
    RemoteKernel,
    ServerApi,
    ServerApiError,
    ServerErrorKind,
)
from conch.app.kernel.server_url import parse_server_url
from tests.remote_servers import (  # noqa: F401  (fixtures are found by their imported names)
    RunningServer,
    free_port,
    hub_like_server,
    jupyter_server,
    kernel_gateway,
    private_kernel_gateway,
)

pytestmark = pytest.mark.timeout(90)
T = TypeVar("T")


def api_for(server: RunningServer, token: str | None = None, **options: object) -> ServerApi:
    return ServerApi(parse_server_url(server.url, token or server.token, environ={}), **options)  # type: ignore[arg-type]


def outcome(qtbot: QtBot, call: ApiCall[T], timeout: int = 30000) -> T:
    """The call's result, once it has finished; fails the test on an error."""
    qtbot.waitUntil(lambda: call.is_finished, timeout=timeout)
    assert call.error is None, call.error.message
    return call.result  # type: ignore[return-value]


def failure(qtbot: QtBot, call: ApiCall[T], timeout: int = 30000) -> ServerApiError:
    qtbot.waitUntil(lambda: call.is_finished, timeout=timeout)
    assert call.error is not None, f"expected an error, got {call.result!r}"
    assert call.result is None
    return call.error


# -- real servers ---------------------------------------------------------------------------


@pytest.mark.parametrize("fixture_name", ["jupyter_server", "hub_like_server", "kernel_gateway"])
def test_kernel_lifecycle(fixture_name: str, request: pytest.FixtureRequest, qtbot: QtBot) -> None:
    server: RunningServer = request.getfixturevalue(fixture_name)
    api = api_for(server)
    specs = outcome(qtbot, api.kernelspecs())
    assert isinstance(specs, KernelSpecs)
    assert specs.default == "python3" and specs.specs["python3"].language == "python"

    started = outcome(qtbot, api.start_kernel("python3"))
    assert isinstance(started, RemoteKernel) and started.name == "python3"
    try:
        listed = outcome(qtbot, api.kernels())
        assert isinstance(listed, list)
        assert started.id in [kernel.id for kernel in listed]
        one = outcome(qtbot, api.kernel(started.id))
        assert (one.id, one.name) == (started.id, "python3")
        assert one.execution_state and one.connections == 0 and one.last_activity
        assert outcome(qtbot, api.interrupt(started.id)) is None
        restarted = outcome(qtbot, api.restart(started.id))
        assert restarted.id == started.id
    finally:
        outcome(qtbot, api.shutdown_kernel(started.id))
    assert started.id not in server.kernel_ids()
    error = failure(qtbot, api.kernel(started.id))
    assert error.kind is ServerErrorKind.NO_SUCH_KERNEL and error.status == 404


def test_a_gateway_without_list_kernels_answers_hidden(
    private_kernel_gateway: RunningServer, qtbot: QtBot  # noqa: F811
) -> None:
    api = api_for(private_kernel_gateway)
    hidden = outcome(qtbot, api.kernels())
    assert isinstance(hidden, KernelListHidden)
    assert hidden.message == "this server does not list its kernels"
    error = failure(qtbot, api_for(private_kernel_gateway, token="wrong-token").kernels())
    assert error.kind is ServerErrorKind.TOKEN_REFUSED


@pytest.mark.parametrize("fixture_name", ["jupyter_server", "kernel_gateway"])
def test_a_wrong_token_is_refused_and_never_shown(
    fixture_name: str, request: pytest.FixtureRequest, qtbot: QtBot
) -> None:
    server: RunningServer = request.getfixturevalue(fixture_name)
    api = api_for(server, token="wrong-token-8e1f")
    for call in (api.kernelspecs(), api.kernels(), api.start_kernel("python3")):
        error = failure(qtbot, call)
        assert error.kind is ServerErrorKind.TOKEN_REFUSED
        assert "refused the token" in error.message and "jupyter server list" in error.message
        assert "wrong-token-8e1f" not in error.message and server.token not in error.message


def test_no_token_at_all_says_one_is_needed(jupyter_server: RunningServer, qtbot: QtBot) -> None:  # noqa: F811
    api = ServerApi(parse_server_url(jupyter_server.url, environ={}))
    error = failure(qtbot, api.kernelspecs())
    assert error.kind is ServerErrorKind.TOKEN_REFUSED and "needs a token" in error.message


def test_a_nonexistent_kernel_id(jupyter_server: RunningServer, qtbot: QtBot) -> None:  # noqa: F811
    api = api_for(jupyter_server)
    for call in (api.kernel("no-such-id"), api.interrupt("no-such-id"), api.restart("no-such-id"),
                 api.shutdown_kernel("no-such-id")):  # fmt: skip
        error = failure(qtbot, call)
        assert error.kind is ServerErrorKind.NO_SUCH_KERNEL
        assert error.message == (
            "no kernel with id no-such-id on this server (it may have been shut down or culled)"
        )


def test_an_unknown_kernelspec_names_the_server_reason(
    kernel_gateway: RunningServer, qtbot: QtBot  # noqa: F811
) -> None:
    error = failure(qtbot, api_for(kernel_gateway).start_kernel("no-such-spec"))
    assert error.kind is ServerErrorKind.HTTP and error.status == 500
    assert "could not start a 'no-such-spec' kernel" in error.message
    assert "No such kernel named no-such-spec" in error.message


def test_a_wrong_base_path(hub_like_server: RunningServer, qtbot: QtBot) -> None:  # noqa: F811
    root = parse_server_url(hub_like_server.url.replace("/user/ada/", "/"), hub_like_server.token, environ={})
    error = failure(qtbot, ServerApi(root).kernelspecs())
    assert error.kind is ServerErrorKind.NO_API
    assert "check the base path" in error.message and "/user/<name>/" in error.message
    assert hub_like_server.token not in error.message


# -- nothing there, or something else there ----------------------------------------------------


def test_refused_connection(qtbot: QtBot) -> None:
    port = free_port()
    error = failure(qtbot, ServerApi(parse_server_url(f"127.0.0.1:{port}", "test-token", environ={})).kernelspecs())
    assert error.kind is ServerErrorKind.REFUSED
    assert error.message == f"nothing is listening at 127.0.0.1:{port} — is the server running?"


def test_unknown_host(qtbot: QtBot) -> None:
    error = failure(qtbot, ServerApi(parse_server_url("no-such-host.invalid:8888", "test-token", environ={})).kernels())
    assert error.kind is ServerErrorKind.HOST_NOT_FOUND and "'no-such-host.invalid'" in error.message


def test_a_server_that_never_answers_times_out(qtbot: QtBot) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections complete in the backlog; nobody ever reads them
        address = parse_server_url(f"127.0.0.1:{silent.getsockname()[1]}", "test-token", environ={})
        error = failure(qtbot, ServerApi(address, timeout_s=0.3).kernelspecs())
    assert error.kind is ServerErrorKind.TIMEOUT and "did not answer within 0.3 s" in error.message


def test_abort_cancels(qtbot: QtBot) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        api = ServerApi(parse_server_url(f"127.0.0.1:{silent.getsockname()[1]}", "test-token", environ={}))
        call = api.kernelspecs()
        call.abort()
        assert failure(qtbot, call).kind is ServerErrorKind.CANCELLED


Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@pytest.fixture
def web_server() -> Iterator[Callable[..., str]]:
    """Start a plain web server whose every GET is answered by ``handler``; gives its URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(handler: Handler, tls: ssl.SSLContext | None = None) -> str:
        class Answer(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                handler(self)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        servers.append(server)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def reply_with(status: int, body: bytes, content_type: str, **headers: str) -> Handler:
    def handler(request: http.server.BaseHTTPRequestHandler) -> None:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(body)

    return handler


def test_an_html_page_is_not_a_jupyter_server(web_server: Callable[..., str], qtbot: QtBot) -> None:
    url = web_server(reply_with(200, b"<!DOCTYPE html><html><body>Welcome</body></html>", "text/html"))
    error = failure(qtbot, ServerApi(parse_server_url(url, "test-token", environ={})).kernelspecs())
    assert error.kind is ServerErrorKind.NOT_JUPYTER
    assert error.message.endswith("is not a Jupyter server (it answered with an HTML page)")


def test_text_that_is_not_json(web_server: Callable[..., str], qtbot: QtBot) -> None:
    url = web_server(reply_with(200, b"hello", "text/plain"))
    error = failure(qtbot, ServerApi(parse_server_url(url, "test-token", environ={})).kernels())
    assert error.kind is ServerErrorKind.NOT_JUPYTER and "not JSON" in error.message


def test_an_answer_over_the_size_limit(
    web_server: Callable[..., str], qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_api, "MAX_ANSWER_BYTES", 1000)
    url = web_server(reply_with(200, b"[" + b" " * 5000 + b"]", "application/json"))
    error = failure(qtbot, ServerApi(parse_server_url(url, "test-token", environ={})).kernels())
    assert error.kind is ServerErrorKind.TOO_LARGE


def test_a_redirect_elsewhere_is_not_followed(web_server: Callable[..., str], qtbot: QtBot) -> None:
    url = web_server(reply_with(302, b"", "text/plain", Location="https://login.example.org/hub/login"))
    error = failure(qtbot, ServerApi(parse_server_url(url, "secret-token", environ={})).kernelspecs())
    assert error.kind is ServerErrorKind.REDIRECTED
    assert "https://login.example.org/hub/login" in error.message


def test_the_token_is_sent_as_a_header(web_server: Callable[..., str], qtbot: QtBot) -> None:
    seen: list[str | None] = []

    def handler(request: http.server.BaseHTTPRequestHandler) -> None:
        seen.append(request.headers.get("Authorization"))
        reply_with(200, b'{"default": "x", "kernelspecs": {}}', "application/json")(request)

    api = ServerApi(parse_server_url(web_server(handler), "tok-123", environ={}))
    assert outcome(qtbot, api.kernelspecs()) == KernelSpecs("x", {})
    assert seen == ["token tok-123"]


def test_the_system_proxy_is_used_except_for_this_machine(
    web_server: Callable[..., str], jupyter_server: RunningServer, qtbot: QtBot,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requested: list[str] = []

    def proxy(request: http.server.BaseHTTPRequestHandler) -> None:
        requested.append(request.path)
        reply_with(200, b'{"default": "via-proxy", "kernelspecs": {}}', "application/json")(request)

    monkeypatch.setenv("http_proxy", web_server(proxy))
    monkeypatch.delenv("no_proxy", raising=False)
    remote = ServerApi(parse_server_url("http://jupyter.example.org:8888/", "test-token", environ={}))
    assert outcome(qtbot, remote.kernelspecs()).default == "via-proxy"
    assert requested == ["http://jupyter.example.org:8888/api/kernelspecs"]
    assert outcome(qtbot, api_for(jupyter_server).kernelspecs()).default == "python3"
    assert len(requested) == 1


# -- TLS ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A private CA and a certificate for 127.0.0.1 it signed, as PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Conch test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    leaf = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(server_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    files = {"ca": folder / "ca.pem", "cert": folder / "server.pem", "key": folder / "server-key.pem"}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["cert"].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    fingerprint = leaf.fingerprint(hashes.SHA256()).hex(":").upper()
    (folder / "fingerprint").write_text(fingerprint)
    files["fingerprint"] = folder / "fingerprint"
    return files


@pytest.fixture
def https_url(web_server: Callable[..., str], certificates: dict[str, Path]) -> str:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates["cert"], certificates["key"])
    return web_server(reply_with(200, b'{"default": "python3", "kernelspecs": {}}', "application/json"), context)


def test_an_untrusted_certificate_is_refused_with_its_fingerprint(
    https_url: str, certificates: dict[str, Path], qtbot: QtBot
) -> None:
    error = failure(qtbot, ServerApi(parse_server_url(https_url, "test-token", environ={})).kernelspecs())
    fingerprint = certificates["fingerprint"].read_text()
    assert error.kind is ServerErrorKind.UNTRUSTED_CERTIFICATE
    assert error.fingerprint == fingerprint and fingerprint in error.message
    assert "to trust it, pass --ca-file or set the CA file in settings" in error.message


def test_the_ca_file_makes_the_certificate_trusted(
    https_url: str, certificates: dict[str, Path], qtbot: QtBot
) -> None:
    api = ServerApi(parse_server_url(https_url, "test-token", environ={}), ca_file=certificates["ca"])
    assert outcome(qtbot, api.kernelspecs()) == KernelSpecs("python3", {})
    # The trust belongs to that client alone.
    error = failure(qtbot, ServerApi(parse_server_url(https_url, "test-token", environ={})).kernelspecs())
    assert error.kind is ServerErrorKind.UNTRUSTED_CERTIFICATE


def test_https_to_a_plain_http_server(web_server: Callable[..., str], qtbot: QtBot) -> None:
    url = web_server(reply_with(200, b"{}", "application/json")).replace("http:", "https:")
    error = failure(qtbot, ServerApi(parse_server_url(url, "test-token", environ={})).kernelspecs())
    assert error.kind in (ServerErrorKind.TLS, ServerErrorKind.NETWORK)


def test_an_unusable_ca_file(tmp_path: Path) -> None:
    address = parse_server_url("https://example.org/", "test-token", environ={})
    with pytest.raises(ValueError, match="does not exist"):
        ServerApi(address, ca_file=tmp_path / "missing.pem")
    (tmp_path / "empty.pem").write_text("not a certificate")
    with pytest.raises(ValueError, match="holds no PEM certificates"):
        ServerApi(address, ca_file=tmp_path / "empty.pem")
