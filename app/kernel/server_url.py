"""Jupyter server addresses as people paste them, turned into one normalised form.

Accepted: ``http://host:8888/?token=abc``, ``https://hub.example.org/user/ada/``,
``host:8888`` (http assumed), and URLs copied from a browser tab (``…/lab?token=…``,
``…/user/ada/tree/notes.ipynb``), whose user-interface part is dropped.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from typing import Mapping
from urllib.parse import parse_qs, quote, urlencode, urlsplit

SUPPORTED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
TOKEN_ENV_VAR = "JUPYTER_TOKEN"
REDACTED = "…"

# Path segments where a browser URL stops being the server's base path: the JupyterLab
# and classic-notebook pages, and the REST API itself.
_UI_SEGMENTS = frozenset({"lab", "tree", "notebooks", "api"})
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_HOST_AND_PORT = re.compile(r"^[A-Za-z0-9._-]+:\d+(?:[/?#]|$)")
_OTHER_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


@dataclass(frozen=True)
class ServerAddress:
    """Where a Jupyter server answers, and the token to show it.

    ``base_url`` is ``scheme://host[:port]/base/`` and always ends in ``/``; it never
    carries the token. ``display_name`` is ``host[:port][/base]`` for titles and messages.
    """

    base_url: str
    token: str | None
    display_name: str

    def __repr__(self) -> str:
        token = "None" if self.token is None else "'…'"
        return f"ServerAddress(base_url={self.base_url!r}, token={token}, display_name={self.display_name!r})"

    @property
    def scheme(self) -> str:
        return urlsplit(self.base_url).scheme

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def port(self) -> int:
        """The TCP port, with the scheme's default filled in."""
        parts = urlsplit(self.base_url)
        return parts.port or DEFAULT_PORTS[parts.scheme]

    @property
    def host_and_port(self) -> str:
        """``host:port`` (IPv6 hosts in brackets), for messages about connecting."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def with_token(self, token: str | None) -> ServerAddress:
        """The same server with another token (e.g. one the user typed when prompted)."""
        return replace(self, token=token or None)

    def api_url(self, path: str, query: Mapping[str, str] | None = None) -> str:
        """The URL of ``/api/<path>`` under the base path: ``api_url("kernels")``."""
        url = f"{self.base_url}api/{path.lstrip('/')}"
        return f"{url}?{urlencode(query)}" if query else url

    def ws_url(self, path: str, query: Mapping[str, str] | None = None) -> str:
        """Like :meth:`api_url` with ``ws://`` (``wss://`` for https):
        ``ws_url(f"kernels/{kernel_id}/channels", {"session_id": session})``."""
        url = self.api_url(path, query)
        return "ws" + url[len("http") :]


def parse_server_url(
    text: str, token: str | None = None, environ: Mapping[str, str] | None = None
) -> ServerAddress:
    """Parse what a user typed or pasted into a :class:`ServerAddress`.

    The token is ``token`` if given, else the URL's ``?token=``, else ``$JUPYTER_TOKEN``
    (from ``environ``, default ``os.environ``), else None: then the caller asks for one.
    Raises ValueError with a message meant for the user when ``text`` is not a server URL.
    """
    original = text.strip()
    if not original:
        raise ValueError("no server URL given (expected something like http://localhost:8888/)")
    if any(character.isspace() for character in original):
        raise ValueError(f"{_shown(original)} is not a URL: it contains spaces")
    url = original
    if not _HAS_SCHEME.match(url):
        other = _OTHER_SCHEME.match(url)
        if other and not _HOST_AND_PORT.match(url):
            raise _unsupported_scheme(other.group(1), original)
        url = "http://" + url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SUPPORTED_SCHEMES:
        raise _unsupported_scheme(parts.scheme, original)
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"{_shown(original)} has a user name or password in it; Jupyter servers take a token instead"
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"{_shown(original)} names no host (expected something like http://localhost:8888/)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{_shown(original)} has an invalid port (expected a number from 1 to 65535)") from None
    if port == 0:
        raise ValueError(f"{_shown(original)} has an invalid port (expected a number from 1 to 65535)")

    netloc_host = f"[{host}]" if ":" in host else host
    netloc = netloc_host if port is None or port == DEFAULT_PORTS[scheme] else f"{netloc_host}:{port}"
    base_path = _base_path(parts.path)
    display = netloc + (base_path.rstrip("/") if base_path != "/" else "")
    return ServerAddress(
        base_url=f"{scheme}://{netloc}{base_path}",
        token=_pick_token(token, parts.query, os.environ if environ is None else environ),
        display_name=display,
    )


SHORT_TOKEN = 6


def redact(text: str, token: str | None) -> str:
    """``text`` with every occurrence of ``token`` (plain or URL-encoded) replaced by ``…``.
    A token shorter than :data:`SHORT_TOKEN` characters is replaced only where it stands as a
    word of its own (blanking every "t" in a message would leave nothing readable)."""
    if not token:
        return text
    for form in {token, quote(token, safe="")}:
        if len(form) >= SHORT_TOKEN:
            text = text.replace(form, REDACTED)
        else:
            text = re.sub(rf"(?<![\w-]){re.escape(form)}(?![\w-])", REDACTED, text)
    return text


def _base_path(path: str) -> str:
    """The server's base path, ``/`` or ``/a/b/``, cut before any user-interface page."""
    segments = [segment for segment in path.split("/") if segment]
    # A JupyterHub single-user server lives at /user/<name>/; its name may be "lab" too.
    start = 2 if len(segments) >= 2 and segments[0] == "user" else 0
    for index in range(start, len(segments)):
        if segments[index] in _UI_SEGMENTS:
            segments = segments[:index]
            break
    return "/" + "".join(f"{segment}/" for segment in segments)


def _pick_token(explicit: str | None, query: str, environ: Mapping[str, str]) -> str | None:
    if explicit:
        return explicit
    from_url = parse_qs(query).get("token")
    if from_url and from_url[0]:
        return from_url[0]
    return environ.get(TOKEN_ENV_VAR) or None


def _shown(text: str) -> str:
    """``text`` quoted for a message, with any ``token=`` value hidden."""
    return repr(re.sub(r"(token=)[^&#\s]*", r"\1" + REDACTED, text))


def _unsupported_scheme(scheme: str, original: str) -> ValueError:
    return ValueError(
        f"unsupported scheme '{scheme}:' in {_shown(original)}; Jupyter servers are reached with http:// or https://"
    )
