"""How a kernel WebSocket ends, in words for people and fields for code (Qt-free).

No text made here ever holds the token: it travels only in the upgrade request's header.
"""
from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass

from websockets.http11 import Response


class ConnectionState(enum.Enum):
    """Where a kernel WebSocket transport is."""

    IDLE = "idle"
    """Not started."""
    CONNECTING = "connecting"
    OPEN = "open"
    LOST = "lost"
    """The last attempt failed or the connection dropped; reconnecting is up to its owner."""
    CLOSED = "closed"


class LostReason(enum.Enum):
    """Why a WebSocket to a kernel ended (or never opened)."""

    REFUSED = "refused"
    """Nothing accepted the TCP connection (refused, unknown host, unreachable)."""
    HTTP_STATUS = "http status"
    """The server answered the upgrade with an HTTP error (403: token refused, 404: no such kernel)."""
    TLS = "tls"
    """The server's certificate was not trusted, or the TLS handshake failed."""
    CLOSED = "closed"
    """The server closed the WebSocket with a close frame (a code and a reason)."""
    DROPPED = "dropped"
    """The connection was cut without a close frame (a network drop, a proxy, a dead server)."""
    PING_TIMEOUT = "ping timeout"
    """Nothing arrived, not even a pong, for too long."""
    CONNECT_TIMEOUT = "connect timeout"
    """The server did not accept the upgrade in time."""
    PROTOCOL = "protocol"
    """The server broke the WebSocket protocol or answered with something that is not a WebSocket."""


@dataclass(frozen=True)
class ConnectionLost:
    """How a connection ended. ``text`` is for people and never holds the token."""

    reason: LostReason
    text: str
    http_status: int | None = None
    close_code: int | None = None
    close_reason: str = ""
    fingerprint: str | None = None
    """SHA-256 of the server's certificate (``AB:CD:…``) when the reason is TLS."""


_STATUS_HINTS = {
    401: "the token was refused",
    403: "the token was refused, or this user may not use kernels",
    404: "no such kernel on this server, or a wrong URL",
    502: "a proxy could not reach the server",
    503: "the server is unavailable",
}


def tls_fingerprint(der: bytes) -> str:
    """The SHA-256 fingerprint of a DER certificate as ``AB:CD:…``."""
    return hashlib.sha256(der).digest().hex(":").upper()


def http_refusal(response: Response) -> ConnectionLost:
    """The server answered the upgrade with ``response``, not 101 Switching Protocols."""
    status = response.status_code
    text = f"The server refused the WebSocket: HTTP {status} {response.reason_phrase}".rstrip()
    hint = _STATUS_HINTS.get(status)
    if hint:
        text += f" ({hint})"
    detail = _server_message(bytes(response.body))
    if detail:
        text += f": {detail}"
    return ConnectionLost(LostReason.HTTP_STATUS, text, http_status=status)


def _server_message(body: bytes) -> str:
    """The ``message`` of a Jupyter Server JSON error body, shortened; "" if there is none."""
    try:
        parsed = json.loads(body.decode("utf-8", "replace")) if body.lstrip().startswith(b"{") else None
    except ValueError:
        return ""
    message = parsed.get("message") if isinstance(parsed, dict) else None
    if not isinstance(message, str):
        return ""
    return message if len(message) <= 200 else message[:200] + "…"


def unreachable(where: str, why: str) -> ConnectionLost:
    return ConnectionLost(LostReason.REFUSED, f"Could not connect to {where}: {why}")


def tls_failure(where: str, why: str) -> ConnectionLost:
    return ConnectionLost(LostReason.TLS, f"TLS handshake with {where} failed: {why}")


def untrusted_certificate(host: str, problems: list[str], der: bytes | None) -> ConnectionLost:
    """The certificate ``host`` showed (DER, if it showed one) is not trusted, for ``problems``."""
    fingerprint = tls_fingerprint(der) if der else None
    text = f"The certificate of {host} is not trusted ({'; '.join(problems)})"
    if fingerprint:
        text += f"; its SHA-256 fingerprint is {fingerprint}"
    return ConnectionLost(LostReason.TLS, text, fingerprint=fingerprint)


def no_upgrade_in_time(where: str) -> ConnectionLost:
    return ConnectionLost(LostReason.CONNECT_TIMEOUT, f"{where} did not open the WebSocket in time")


def silence(where: str, seconds: float) -> ConnectionLost:
    return ConnectionLost(LostReason.PING_TIMEOUT, f"No answer from {where} for {seconds:g} s, not even to a ping")
