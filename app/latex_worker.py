"""A separate process that typesets LaTeX with matplotlib's mathtext (``python -m``).

Protocol: one JSON object per line on stdin, ``{"id": str, "latex": str, "dpi": float}``
(optionally ``"timeout"``: seconds); one per line on stdout, ``{"id": str, "png": base64}``
or ``{"id": str, "error": str}``. Running apart keeps matplotlib's import and font loading
off the GUI thread.

Limits: a formula longer than :data:`MAX_CHARS` is not typeset (mathtext takes seconds for
a few thousand characters), and one that takes longer than its timeout (:data:`TIMEOUT`) is
given up ("typesetting took too long"; mathtext's parser is Python, so an alarm interrupts
it) while the worker goes on with the next request.
"""
from __future__ import annotations

import base64
import io
import json
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

MAX_CHARS: Final = 5_000
"""Longer formulas are not typeset (5 000 characters take mathtext 3-4 s)."""
TIMEOUT: Final = 5.0
"""Seconds a formula may take before it is given up."""
TOO_SLOW: Final = "typesetting took too long"

_DELIMITERS = re.compile(r"^\s*(\$\$|\$|\\\[|\\\()(?P<body>.*?)(\$\$|\$|\\\]|\\\))\s*$", re.DOTALL)
_IGNORED = re.compile(r"\\(displaystyle|textstyle|scriptstyle|left(?=[.])|right(?=[.]))")


_INNER_DELIMITERS = re.compile(r"\$\$|\\\[|\\\]|\\\(|\\\)")


def mathtext_source(latex: str) -> str:
    """The formula as mathtext wants it: math in ``$...$`` (text around it allowed), with
    unsupported no-op commands removed."""
    text = _IGNORED.sub("", latex).replace("\n", " ").strip()
    match = _DELIMITERS.match(text)
    if match and not _INNER_DELIMITERS.search(match.group("body")) and "$" not in match.group("body"):
        return f"${match.group('body').strip()}$"
    if "$" in text or _INNER_DELIMITERS.search(text):
        return _INNER_DELIMITERS.sub("$", text)  # text with inline math: "Euler: $e^{i\pi}$"
    return f"${text}$"


FONT_SIZE = 13  # points; a little larger than the console text, as formulas read small


def render(latex: str, dpi: float) -> bytes:
    from matplotlib import mathtext
    from matplotlib.font_manager import FontProperties

    buffer = io.BytesIO()
    mathtext.math_to_image(
        mathtext_source(latex), buffer, prop=FontProperties(size=FONT_SIZE), dpi=dpi, format="png"
    )
    return buffer.getvalue()


def short_reason(error: Exception) -> str:
    """The first line of a parse error, without matplotlib's position details."""
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    reason = lines[-1] if lines else type(error).__name__
    reason = reason.split(", found")[0].split("  (at char")[0]
    return reason.removeprefix("ParseFatalException: ")


def too_long(length: int) -> str:
    """The reason a formula of ``length`` characters is not typeset."""
    return f"too long to typeset ({length:,} characters; at most {MAX_CHARS:,})"


class _TimeUp(BaseException):
    """Raised by the alarm (not an Exception: no ``except Exception`` in matplotlib takes it)."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`_TimeUp` in the block after ``seconds`` (where an alarm can: POSIX, the
    main thread; elsewhere the renderer's own watchdog ends the process)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or seconds <= 0:
        yield
        return

    def alarm(_signum: int, _frame: object) -> None:
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def handle(request: dict[str, Any]) -> dict[str, Any]:
    ident = str(request.get("id", ""))
    latex = request.get("latex")
    if not isinstance(latex, str):
        return {"id": ident, "error": "no LaTeX source"}
    if len(latex) > MAX_CHARS:
        return {"id": ident, "error": too_long(len(latex))}
    try:
        timeout = float(request.get("timeout", TIMEOUT))
        with _time_limit(timeout):
            png = render(latex, float(request.get("dpi", 100)))
    except _TimeUp:
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)  # in case it came inside the cleanup
        return {"id": ident, "error": TOO_SLOW}
    except Exception as error:  # noqa: BLE001 - any failure becomes an answer, not a crash
        return {"id": ident, "error": short_reason(error)}
    return {"id": ident, "png": base64.b64encode(png).decode("ascii")}


def main() -> int:
    try:  # matplotlib's import and font loading, before any formula's time starts
        render("$x$", 100)
    except Exception:  # noqa: BLE001 - each request will say what is wrong
        pass
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError:
            continue
        sys.stdout.write(json.dumps(handle(request)) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
