"""REST client for a Jupyter Server or Kernel Gateway, on the Qt event loop.

Requests go through a QNetworkAccessManager: no threads, nothing blocks. Each method returns an
:class:`ApiCall` that emits ``finished`` once, after which exactly one of ``result`` and ``error``
is set. Errors are :class:`ServerApiError` whose message never contains the token.
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable, Generic, TypeVar
from urllib.parse import quote

from PySide6.QtCore import QCoreApplication, QCryptographicHash, QObject, QTimer, QUrl, Signal
from PySide6.QtNetwork import (
    QNetworkAccessManager,
    QNetworkProxyFactory,
    QNetworkReply,
    QNetworkRequest,
    QSsl,
    QSslCertificate,
    QSslConfiguration,
    QSslError,
)

from conch.app.kernel.server_answers import (
    HttpAnswer,
    KernelListHidden,
    KernelSpecInfo,
    KernelSpecs,
    RemoteKernel,
    ServerAnswers,
    ServerApiError,
    ServerApiFailure,
    ServerErrorKind,
)
from conch.app.kernel.server_url import ServerAddress

__all__ = [
    "ApiCall", "KernelListHidden", "KernelSpecInfo", "KernelSpecs", "RemoteKernel", "ServerApi",
    "ServerApiError", "ServerErrorKind",
]  # fmt: skip

DEFAULT_TIMEOUT_S = 15.0
MAX_ANSWER_BYTES = 8 * 1024 * 1024
"""A Jupyter REST answer is kilobytes; anything past this is not one."""

T = TypeVar("T")
_NetworkError = QNetworkReply.NetworkError


class ApiCall(QObject, Generic[T]):
    """One request in flight. ``finished`` is emitted exactly once, never before the method
    that made the call has returned. Keep a reference to the call to read its outcome."""

    finished = Signal()

    def __init__(self, client: ServerApi) -> None:
        super().__init__()
        self.result: T | None = None
        self.error: ServerApiError | None = None
        self.is_finished = False
        self._abort: Callable[[], None] | None = None
        self._then: list[Callable[[], None]] = []
        # While in flight a call keeps its client (and the network manager) alive,
        # so that ``ServerApi(address).kernels()`` works without holding the client.
        self._client: ServerApi | None = client

    def abort(self) -> None:
        """Give up; ``finished`` follows with a CANCELLED error unless it already came."""
        if not self.is_finished and self._abort is not None:
            self._abort()

    def _settle(self, result: T | None, error: ServerApiError | None) -> None:
        if self.is_finished:
            return
        self.result, self.error, self.is_finished = result, error, True
        self._client = None
        self.finished.emit()
        then, self._then = self._then, []
        for callback in then:
            callback()


class ServerApi(QObject):
    """The REST API of the server at ``address``: kernelspecs and kernels."""

    def __init__(
        self,
        address: ServerAddress,
        ca_file: str | os.PathLike[str] | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        parent: QObject | None = None,
    ) -> None:
        """``ca_file``: PEM certificates to trust besides the system's, for this client only
        (raises ValueError if it holds none). ``timeout_s`` bounds each request."""
        super().__init__(parent)
        self.address = address
        self.timeout_s = timeout_s
        self.answers = ServerAnswers(address)
        # http_proxy/https_proxy/no_proxy and the desktop's settings; Qt never proxies loopback.
        QNetworkProxyFactory.setUseSystemConfiguration(True)
        # Deleting a manager at once, even after its replies have finished, can crash Qt on events
        # still queued for them; so the application owns it, and it goes with deleteLater.
        # One manager per client also keeps connections trusted through a CA file to this client.
        self._manager = QNetworkAccessManager(QCoreApplication.instance())
        self.destroyed.connect(self._manager.deleteLater)
        self._ssl = QSslConfiguration.defaultConfiguration()
        self._extra_ca: list[QSslCertificate] = []
        if ca_file is not None:
            self._extra_ca = _load_ca_file(os.fspath(ca_file))
            self._ssl.addCaCertificates(self._extra_ca)
        self._calls: set[ApiCall[Any]] = set()

    def kernelspecs(self) -> ApiCall[KernelSpecs]:
        return self._request("GET", "kernelspecs", self.answers.kernelspecs)

    def kernels(self) -> ApiCall[list[RemoteKernel] | KernelListHidden]:
        """Running kernels, or :class:`KernelListHidden` where the server keeps them private."""
        outer: ApiCall[list[RemoteKernel] | KernelListHidden] = ApiCall(self)
        # A Kernel Gateway answers 403 when listing is off, Jupyter Server when the token is
        # wrong: the kernelspecs, readable with a good token, tell which.
        listing = self._request("GET", "kernels", self.answers.kernel_list, own_statuses=(403, 404))

        def listed() -> None:
            if listing.error is not None or listing.result is not None:
                outer._settle(listing.result, listing.error)
                return
            probe = self.kernelspecs()
            outer._abort = probe.abort
            probe._then.append(lambda: outer._settle(None if probe.error else KernelListHidden(), probe.error))

        outer._abort = listing.abort
        listing._then.append(listed)
        return outer

    def kernel(self, kernel_id: str) -> ApiCall[RemoteKernel]:
        return self._request("GET", _kernel_path(kernel_id), self.answers.kernel(kernel_id))

    def start_kernel(self, name: str) -> ApiCall[RemoteKernel]:
        return self._request("POST", "kernels", self.answers.started_kernel(name), {"name": name})

    def shutdown_kernel(self, kernel_id: str) -> ApiCall[None]:
        return self._request("DELETE", _kernel_path(kernel_id), self.answers.no_content(kernel_id))

    def interrupt(self, kernel_id: str) -> ApiCall[None]:
        return self._request("POST", _kernel_path(kernel_id, "interrupt"), self.answers.no_content(kernel_id))

    def restart(self, kernel_id: str) -> ApiCall[RemoteKernel]:
        return self._request("POST", _kernel_path(kernel_id, "restart"), self.answers.kernel(kernel_id))

    def ca_certificates(self) -> list[QSslCertificate]:
        """The certificates trusted for this server besides the system's (from ``ca_file``)."""
        return list(self._extra_ca)

    def abort_all(self) -> None:
        """Cancel every request in flight."""
        for call in list(self._calls):
            call.abort()

    def _request(
        self,
        verb: str,
        path: str,
        read: Callable[[HttpAnswer], T],
        body: object = None,
        own_statuses: tuple[int, ...] = (),
    ) -> ApiCall[T]:
        """Send ``verb`` to ``/api/<path>``; ``read`` turns the answer into the result.
        401/403 mean a refused token unless listed in ``own_statuses``."""
        call: ApiCall[T] = ApiCall(self)
        request = QNetworkRequest(QUrl(self.address.api_url(path)))
        request.setRawHeader(b"Accept", b"application/json")
        if self.address.token:
            request.setRawHeader(b"Authorization", f"token {self.address.token}".encode())
        # The token must not follow a redirect to another origin.
        request.setAttribute(
            QNetworkRequest.Attribute.RedirectPolicyAttribute, QNetworkRequest.RedirectPolicy.SameOriginRedirectPolicy
        )
        data = b""
        if body is not None:
            data = json.dumps(body).encode()
            request.setRawHeader(b"Content-Type", b"application/json")
        if self.address.scheme == "https":
            request.setSslConfiguration(self._ssl)
        reply = self._manager.sendCustomRequest(request, verb.encode(), data)
        state = _ReplyState()
        timer = QTimer(call)
        timer.setSingleShot(True)

        def stop(reason: str) -> None:
            state.stopped_because = state.stopped_because or reason
            reply.abort()

        def progress(received: int, total: int) -> None:
            if max(received, total) > MAX_ANSWER_BYTES:
                stop("too large")

        def finished() -> None:
            timer.stop()
            try:
                call._settle(self._outcome(reply, state, read, own_statuses), None)
            except ServerApiFailure as failure:
                call._settle(None, failure.error)
            except Exception as bug:  # a bug here must not leave the caller waiting forever
                call._settle(None, self.answers.network(f"could not read its answer ({bug!r})"))
                raise
            finally:
                self._calls.discard(call)
                reply.deleteLater()

        reply.sslErrors.connect(lambda errors: state.ssl_errors.extend(errors))
        reply.downloadProgress.connect(progress)
        reply.finished.connect(finished)
        timer.timeout.connect(lambda: stop("timeout"))
        timer.start(int(self.timeout_s * 1000))
        call._abort = lambda: stop("cancelled")
        self._calls.add(call)
        return call

    def _outcome(
        self, reply: QNetworkReply, state: _ReplyState, read: Callable[[HttpAnswer], T], own_statuses: tuple[int, ...]
    ) -> T:
        if state.stopped_because == "timeout":
            raise ServerApiFailure(self.answers.timed_out(self.timeout_s))
        if state.stopped_because == "too large":
            raise ServerApiFailure(self.answers.too_large(MAX_ANSWER_BYTES))
        if state.stopped_because:
            raise ServerApiFailure(self.answers.cancelled())
        status = reply.attribute(QNetworkRequest.Attribute.HttpStatusCodeAttribute)
        if not isinstance(status, int) or status == 0:
            raise ServerApiFailure(self._network_error(reply, state.ssl_errors))
        body = bytes(reply.readAll().data())
        if len(body) > MAX_ANSWER_BYTES:
            raise ServerApiFailure(self.answers.too_large(MAX_ANSWER_BYTES))
        if 300 <= status < 400:
            location = reply.header(QNetworkRequest.KnownHeaders.LocationHeader)
            raise ServerApiFailure(
                self.answers.redirected(location.toString() if isinstance(location, QUrl) else "", status)
            )
        if status in (401, 403) and status not in own_statuses:
            raise ServerApiFailure(self.answers.token_refused(status))
        content_type = str(reply.header(QNetworkRequest.KnownHeaders.ContentTypeHeader) or "").lower()
        return read(HttpAnswer(status, body, content_type))

    def _network_error(self, reply: QNetworkReply, ssl_errors: list[QSslError]) -> ServerApiError:
        code = reply.error()
        if code == _NetworkError.ConnectionRefusedError:
            return self.answers.refused()
        if code == _NetworkError.HostNotFoundError:
            return self.answers.host_not_found()
        if code == _NetworkError.TimeoutError:
            return self.answers.timed_out(self.timeout_s)
        if code == _NetworkError.SslHandshakeFailedError and ssl_errors:
            certificate = next((e.certificate() for e in ssl_errors if not e.certificate().isNull()), None)
            reasons = "; ".join(dict.fromkeys(e.errorString() for e in ssl_errors))
            fingerprint = _sha256_fingerprint(certificate) if certificate is not None else None
            return self.answers.untrusted_certificate(reasons, fingerprint)
        if code == _NetworkError.SslHandshakeFailedError:
            return self.answers.tls_failed(reply.errorString())
        return self.answers.network(reply.errorString())


class _ReplyState:
    def __init__(self) -> None:
        self.stopped_because = ""  # "timeout", "too large" or "cancelled" once we abort the reply
        self.ssl_errors: list[QSslError] = []


def _kernel_path(kernel_id: str, action: str = "") -> str:
    path = f"kernels/{quote(kernel_id, safe='')}"
    return f"{path}/{action}" if action else path


def _sha256_fingerprint(certificate: QSslCertificate) -> str:
    digest = certificate.digest(QCryptographicHash.Algorithm.Sha256).data()
    return ":".join(f"{byte:02X}" for byte in digest)


def _load_ca_file(path: str) -> list[QSslCertificate]:
    if not os.path.isfile(path):
        raise ValueError(f"the CA file {path} does not exist")
    certificates = QSslCertificate.fromPath(path, QSsl.EncodingFormat.Pem)
    if not certificates:
        raise ValueError(f"the CA file {path} holds no PEM certificates")
    return certificates
