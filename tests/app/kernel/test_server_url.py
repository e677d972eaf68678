"""Server URLs as users have them become one ServerAddress; the token never leaks."""
from __future__ import annotations

import pytest

from conch.app.kernel.server_url import ServerAddress, parse_server_url, redact

NO_ENV: dict[str, str] = {}


@pytest.mark.parametrize(
    ("text", "base_url", "display_name"),
    [
        ("http://127.0.0.1:8888/?token=abc", "http://127.0.0.1:8888/", "127.0.0.1:8888"),
        ("https://hub.example.org/user/ada/", "https://hub.example.org/user/ada/", "hub.example.org/user/ada"),
        ("https://hub.example.org/user/ada", "https://hub.example.org/user/ada/", "hub.example.org/user/ada"),
        ("localhost:8888", "http://localhost:8888/", "localhost:8888"),
        ("localhost", "http://localhost/", "localhost"),
        ("  example.org:9000/base  ", "http://example.org:9000/base/", "example.org:9000/base"),
        ("HTTPS://Hub.Example.ORG:443/x/", "https://hub.example.org/x/", "hub.example.org/x"),
        ("http://example.org:80/", "http://example.org/", "example.org"),
        ("https://example.org:8443/", "https://example.org:8443/", "example.org:8443"),
        ("http://[::1]:8888/", "http://[::1]:8888/", "[::1]:8888"),
        ("[::1]:8888", "http://[::1]:8888/", "[::1]:8888"),
        # Copied from a browser tab: the page part is not the base path.
        ("http://localhost:8888/lab?token=abc", "http://localhost:8888/", "localhost:8888"),
        ("http://localhost:8888/lab/tree/a/b.ipynb", "http://localhost:8888/", "localhost:8888"),
        ("http://localhost:8888/tree", "http://localhost:8888/", "localhost:8888"),
        ("https://hub.example.org/user/ada/lab/tree/x.ipynb", "https://hub.example.org/user/ada/", "hub.example.org/user/ada"),
        ("https://hub.example.org/user/lab/lab", "https://hub.example.org/user/lab/", "hub.example.org/user/lab"),
        ("http://localhost:8888/jupyter/api/kernels", "http://localhost:8888/jupyter/", "localhost:8888/jupyter"),
        ("http://localhost:8888/#section", "http://localhost:8888/", "localhost:8888"),
    ],
)
def test_normalises_the_address(text: str, base_url: str, display_name: str) -> None:
    address = parse_server_url(text, environ=NO_ENV)
    assert address.base_url == base_url
    assert address.display_name == display_name


def test_token_comes_from_argument_then_url_then_environment() -> None:
    env = {"JUPYTER_TOKEN": "from-env"}
    assert parse_server_url("http://h:1/?token=from-url", "explicit", environ=env).token == "explicit"
    assert parse_server_url("http://h:1/?token=from-url", environ=env).token == "from-url"
    assert parse_server_url("http://h:1/", environ=env).token == "from-env"
    assert parse_server_url("http://h:1/", environ=NO_ENV).token is None
    assert parse_server_url("http://h:1/?token=", "", environ={"JUPYTER_TOKEN": ""}).token is None


def test_token_from_url_is_decoded_and_other_query_dropped() -> None:
    address = parse_server_url("http://h:1/lab?foo=1&token=a%2Bb%20c", environ=NO_ENV)
    assert address.token == "a+b c"
    assert address.base_url == "http://h:1/"


def test_reads_the_real_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TOKEN", "env-token")
    assert parse_server_url("localhost:8888").token == "env-token"


def test_the_token_is_never_shown() -> None:
    address = parse_server_url("http://h:8888/user/ada/?token=s3cret-tok", environ=NO_ENV)
    assert address.token == "s3cret-tok"
    for shown in (repr(address), str(address), address.base_url, address.display_name):
        assert "s3cret-tok" not in shown
    assert "token='…'" in repr(address)
    assert "token=None" in repr(address.with_token(None))


def test_api_and_websocket_urls() -> None:
    address = parse_server_url("https://hub.example.org/user/ada/", environ=NO_ENV)
    assert address.api_url("kernelspecs") == "https://hub.example.org/user/ada/api/kernelspecs"
    assert address.api_url("/kernels/k1/interrupt") == "https://hub.example.org/user/ada/api/kernels/k1/interrupt"
    assert (
        address.ws_url("kernels/k1/channels", {"session_id": "s 1"})
        == "wss://hub.example.org/user/ada/api/kernels/k1/channels?session_id=s+1"
    )
    plain = parse_server_url("localhost:8888", environ=NO_ENV)
    assert plain.ws_url("kernels/k/channels") == "ws://localhost:8888/api/kernels/k/channels"


def test_host_and_port_fill_in_defaults() -> None:
    assert parse_server_url("https://hub.example.org/x/", environ=NO_ENV).host_and_port == "hub.example.org:443"
    assert parse_server_url("http://example.org", environ=NO_ENV).port == 80
    address = parse_server_url("[::1]:8888", environ=NO_ENV)
    assert (address.host, address.port, address.host_and_port, address.scheme) == ("::1", 8888, "[::1]:8888", "http")


def test_with_token_keeps_the_address() -> None:
    address = parse_server_url("localhost:8888", environ=NO_ENV).with_token("typed")
    assert isinstance(address, ServerAddress)
    assert (address.base_url, address.token) == ("http://localhost:8888/", "typed")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no server URL given"),
        ("   ", "no server URL given"),
        ("ftp://example.org/", "unsupported scheme 'ftp:'"),
        ("ftp:example.org", "unsupported scheme 'ftp:'"),
        ("file:///tmp/x", "unsupported scheme 'file:'"),
        ("ws://example.org/", "unsupported scheme 'ws:'"),
        ("http://", "names no host"),
        ("http:///user/ada/", "names no host"),
        ("http://example.org:99999/", "invalid port"),
        ("http://example.org:0/", "invalid port"),
        ("http://example.org:abc/", "invalid port"),
        ("http://ada:pw@example.org/", "user name or password"),
        ("http://exa mple.org/", "contains spaces"),
    ],
)
def test_nonsense_is_a_clear_value_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_server_url(text, environ=NO_ENV)


def test_errors_hide_a_token_in_the_text() -> None:
    with pytest.raises(ValueError) as caught:
        parse_server_url("ftp://example.org/?token=s3cret", environ=NO_ENV)
    assert "s3cret" not in str(caught.value)


def test_redact() -> None:
    assert redact("GET http://h/?token=a+b/c and a+b/c", "a+b/c") == "GET http://h/?token=… and …"
    assert redact("url ?token=a%2Bb%2Fc", "a+b/c") == "url ?token=…"
    assert redact("nothing to hide", None) == "nothing to hide"
    assert redact("nothing to hide", "") == "nothing to hide"
