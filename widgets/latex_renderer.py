"""Typesets LaTeX in a worker process and caches the images, never blocking the GUI."""
from __future__ import annotations

import base64
import json
import sys

from PySide6.QtCore import QByteArray, QCoreApplication, QObject, QProcess, Signal
from PySide6.QtGui import QImage

SCALE = 2.0
"""Images are rendered at twice their display size so they are sharp on HiDPI screens."""
_DPI = 100 * SCALE

Result = QImage | str | None
"""A rendered image, an error message, or None while rendering."""


class LatexRenderer(QObject):
    """One worker process (``conch.app.latex_worker``) per application, started on first use."""

    rendered = Signal(str)
    """A formula (by its LaTeX source) has its image or error."""

    _instance: "LatexRenderer | None" = None

    @classmethod
    def shared(cls) -> "LatexRenderer":
        if cls._instance is None:
            cls._instance = LatexRenderer(QCoreApplication.instance())
        return cls._instance

    @classmethod
    def stop_shared(cls) -> None:
        """Stop the shared worker if one was started (tests and embedding apps at exit)."""
        if cls._instance is not None:
            cls._instance.stop()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._results: dict[str, Result] = {}
        self._process: QProcess | None = None
        self._buffer = b""
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    def stop(self) -> None:
        """End the worker (at application exit)."""
        if self._process is not None:
            self._process.finished.disconnect(self._on_finished)
            self._process.kill()
            self._process.waitForFinished(1000)
            self._process = None

    def result(self, latex: str) -> Result:
        """The image or error for ``latex``, asking the worker for it the first time."""
        if latex not in self._results:
            self._results[latex] = None
            self._send(latex)
        return self._results[latex]

    def _send(self, latex: str) -> None:
        process = self._worker()
        request = json.dumps({"id": latex, "latex": latex, "dpi": _DPI}) + "\n"
        process.write(QByteArray(request.encode("utf-8")))

    def _worker(self) -> QProcess:
        if self._process is None or self._process.state() == QProcess.ProcessState.NotRunning:
            process = QProcess(self)
            process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
            process.readyReadStandardOutput.connect(self._read)
            process.finished.connect(self._on_finished)
            process.start(sys.executable, ["-m", "conch.app.latex_worker"])
            self._process = process
        return self._process

    def _read(self) -> None:
        assert self._process is not None
        self._buffer += bytes(self._process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                answer = json.loads(line)
            except json.JSONDecodeError:
                continue
            latex = str(answer.get("id", ""))
            if "png" in answer:
                image = QImage.fromData(QByteArray(base64.b64decode(answer["png"])))
                image.setDevicePixelRatio(SCALE)
                self._results[latex] = image
            else:
                self._results[latex] = str(answer.get("error", "could not be typeset"))
            self.rendered.emit(latex)

    def _on_finished(self) -> None:
        # Everything still waiting gets an answer, so no block stays "rendering" forever.
        for latex, result in list(self._results.items()):
            if result is None:
                self._results[latex] = "the LaTeX renderer stopped"
                self.rendered.emit(latex)
        self._process = None
