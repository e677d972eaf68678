"""What a Jupyter server's REST API answers, read into plain values, and its errors put into words.

Qt-free: :mod:`conch.app.kernel.server_api` does the networking and hands each HTTP answer here.
Every message names the problem and what to do, and never contains the token.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Mapping

from conch.app.kernel.server_url import ServerAddress, redact

SERVER_MESSAGE_LIMIT = 300
"""Characters of the server's own explanation quoted in an error message."""


class ServerErrorKind(Enum):
    REFUSED = "refused"
    HOST_NOT_FOUND = "host not found"
    TIMEOUT = "timeout"
    TOKEN_REFUSED = "token refused"
    NOT_JUPYTER = "not a Jupyter server"
    NO_API = "no Jupyter API at this base path"
    NO_SUCH_KERNEL = "no such kernel"
    UNTRUSTED_CERTIFICATE = "untrusted certificate"
    TLS = "TLS failure"
    TOO_LARGE = "answer too large"
    REDIRECTED = "redirected"
    HTTP = "HTTP error"
    NETWORK = "network error"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ServerApiError:
    """What went wrong, as one sentence naming the problem and what to do about it."""

    kind: ServerErrorKind
    message: str
    status: int | None = None
    fingerprint: str | None = None  # SHA-256 of a refused certificate, AA:BB:… form

    def __str__(self) -> str:
        return self.message


class ServerApiFailure(Exception):
    """Carries a :class:`ServerApiError` out of the answer readers."""

    def __init__(self, error: ServerApiError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class KernelSpecInfo:
    name: str
    display_name: str
    language: str


@dataclass(frozen=True)
class KernelSpecs:
    default: str
    specs: Mapping[str, KernelSpecInfo]


@dataclass(frozen=True)
class RemoteKernel:
    id: str
    name: str
    execution_state: str
    last_activity: str | None  # ISO 8601, as the server sent it
    connections: int


@dataclass(frozen=True)
class KernelListHidden:
    """The answer of a server that does not list its kernels (a Kernel Gateway by default)."""

    message: str = "this server does not list its kernels"


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: bytes
    content_type: str


class ServerAnswers:
    """Reads the answers of the server at ``address`` and words the errors about it."""

    def __init__(self, address: ServerAddress) -> None:
        self.address = address

    # -- errors ---------------------------------------------------------------------------

    def error(
        self, kind: ServerErrorKind, message: str, status: int | None = None, fingerprint: str | None = None
    ) -> ServerApiError:
        return ServerApiError(kind, redact(message, self.address.token), status, fingerprint)

    def refused(self) -> ServerApiError:
        where = self.address.host_and_port
        return self.error(ServerErrorKind.REFUSED, f"nothing is listening at {where} — is the server running?")

    def host_not_found(self) -> ServerApiError:
        return self.error(
            ServerErrorKind.HOST_NOT_FOUND,
            f"the host name '{self.address.host}' could not be found — check its spelling, your network or VPN",
        )

    def timed_out(self, seconds: float) -> ServerApiError:
        return self.error(
            ServerErrorKind.TIMEOUT,
            f"{self.address.display_name} did not answer within {seconds:g} s — check the address, your network or proxy",
        )

    def too_large(self, limit_bytes: int) -> ServerApiError:
        return self.error(
            ServerErrorKind.TOO_LARGE,
            f"{self.address.display_name} sent more than {limit_bytes:,} bytes for one request — is it a Jupyter server?",
        )

    def cancelled(self) -> ServerApiError:
        return self.error(ServerErrorKind.CANCELLED, f"the request to {self.address.display_name} was cancelled")

    def untrusted_certificate(self, reasons: str, fingerprint: str | None) -> ServerApiError:
        shown = f" Its SHA-256 fingerprint is {fingerprint}." if fingerprint else ""
        return self.error(
            ServerErrorKind.UNTRUSTED_CERTIFICATE,
            f"the certificate of {self.address.host_and_port} is not trusted ({reasons}).{shown} "
            "If it is your server's, to trust it, pass --ca-file or set the CA file in settings.",
            fingerprint=fingerprint,
        )

    def tls_failed(self, detail: str) -> ServerApiError:
        return self.error(
            ServerErrorKind.TLS,
            f"the TLS handshake with {self.address.host_and_port} failed ({detail}) — does it really serve https?",
        )

    def network(self, detail: str) -> ServerApiError:
        return self.error(ServerErrorKind.NETWORK, f"could not reach {self.address.display_name}: {detail}")

    def redirected(self, location: str, status: int) -> ServerApiError:
        where = location or "another address"
        return self.error(
            ServerErrorKind.REDIRECTED,
            f"{self.address.display_name} redirected to {where} — use that address instead",
            status,
        )

    def token_refused(self, status: int) -> ServerApiError:
        where = self.address.display_name
        if self.address.token:
            text = f"{where} refused the token — check it (jupyter server list shows it)"
        else:
            text = f"{where} needs a token — give it with ?token=… or JUPYTER_TOKEN (jupyter server list shows it)"
        return self.error(ServerErrorKind.TOKEN_REFUSED, text, status)

    def no_such_kernel(self, kernel_id: str, status: int) -> ServerApiError:
        return self.error(
            ServerErrorKind.NO_SUCH_KERNEL,
            f"no kernel with id {kernel_id} on this server (it may have been shut down or culled)",
            status,
        )

    def not_jupyter(self, why: str) -> ServerApiError:
        return self.error(ServerErrorKind.NOT_JUPYTER, f"{self.address.display_name} is not a Jupyter server ({why})")

    def http(self, answer: HttpAnswer, what: str) -> ServerApiError:
        detail = _server_explanation(answer.body)
        suffix = f": {detail}" if detail else ""
        return self.error(
            ServerErrorKind.HTTP, f"{self.address.display_name} {what} (HTTP {answer.status}){suffix}", answer.status
        )

    # -- answers (each raises ServerApiFailure when the answer is not the expected one) ---------

    def json(self, answer: HttpAnswer) -> object:
        """The answer's JSON; an HTML page or anything else means this is no Jupyter server."""
        if "html" in answer.content_type or answer.body.lstrip()[:1] == b"<":
            raise ServerApiFailure(self.not_jupyter("it answered with an HTML page"))
        try:
            return json.loads(answer.body)
        except ValueError:
            raise ServerApiFailure(self.not_jupyter("its answer is not JSON")) from None

    def kernelspecs(self, answer: HttpAnswer) -> KernelSpecs:
        if answer.status == 404:
            raise ServerApiFailure(
                self.error(
                    ServerErrorKind.NO_API,
                    f"there is no Jupyter API at {self.address.base_url} — check the base path "
                    "(a JupyterHub server lives under /user/<name>/)",
                    404,
                )
            )
        if answer.status != 200:
            raise ServerApiFailure(self.http(answer, "could not list its kernelspecs"))
        content = self.json(answer)
        if not isinstance(content, dict) or not isinstance(content.get("kernelspecs"), dict):
            raise ServerApiFailure(self.not_jupyter("its kernelspec list has the wrong form"))
        specs: dict[str, KernelSpecInfo] = {}
        for name, entry in content["kernelspecs"].items():
            spec = entry.get("spec") if isinstance(entry, dict) else None
            spec = spec if isinstance(spec, dict) else {}
            specs[str(name)] = KernelSpecInfo(str(name), str(spec.get("display_name", name)), str(spec.get("language", "")))
        return KernelSpecs(str(content.get("default", "")), specs)

    def kernel_list(self, answer: HttpAnswer) -> list[RemoteKernel] | None:
        """The running kernels; None for 403/404, which may mean a hidden list or a bad token."""
        if answer.status in (403, 404):
            return None
        if answer.status != 200:
            raise ServerApiFailure(self.http(answer, "could not list its kernels"))
        content = self.json(answer)
        if not isinstance(content, list):
            raise ServerApiFailure(self.not_jupyter("its kernel list is not a list"))
        return [self.kernel_model(entry) for entry in content]

    def started_kernel(self, name: str) -> Callable[[HttpAnswer], RemoteKernel]:
        def read(answer: HttpAnswer) -> RemoteKernel:
            if answer.status not in (200, 201):
                raise ServerApiFailure(self.http(answer, f"could not start a '{name}' kernel"))
            return self.kernel_model(self.json(answer))

        return read

    def kernel(self, kernel_id: str) -> Callable[[HttpAnswer], RemoteKernel]:
        def read(answer: HttpAnswer) -> RemoteKernel:
            if answer.status == 404:
                raise ServerApiFailure(self.no_such_kernel(kernel_id, 404))
            if answer.status != 200:
                raise ServerApiFailure(self.http(answer, f"failed on kernel {kernel_id}"))
            return self.kernel_model(self.json(answer))

        return read

    def no_content(self, kernel_id: str) -> Callable[[HttpAnswer], None]:
        def read(answer: HttpAnswer) -> None:
            if answer.status == 404:
                raise ServerApiFailure(self.no_such_kernel(kernel_id, 404))
            if not 200 <= answer.status < 300:
                raise ServerApiFailure(self.http(answer, f"failed on kernel {kernel_id}"))

        return read

    def kernel_model(self, content: object) -> RemoteKernel:
        if not isinstance(content, dict) or not isinstance(content.get("id"), str):
            raise ServerApiFailure(self.not_jupyter("its kernel model has no id"))
        last_activity = content.get("last_activity")
        connections = content.get("connections")
        return RemoteKernel(
            id=content["id"],
            name=str(content.get("name", "")),
            execution_state=str(content.get("execution_state", "unknown")),
            last_activity=last_activity if isinstance(last_activity, str) else None,
            connections=connections if isinstance(connections, int) else 0,
        )


def _server_explanation(body: bytes) -> str:
    """The server's own short explanation from a JSON error body: a traceback's last line,
    else its ``message`` or ``reason``."""
    try:
        content = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(content, dict):
        return ""
    traceback = content.get("traceback")
    if isinstance(traceback, str) and traceback.strip():
        return traceback.strip().splitlines()[-1][:SERVER_MESSAGE_LIMIT]
    return str(content.get("message") or content.get("reason") or "")[:SERVER_MESSAGE_LIMIT]
