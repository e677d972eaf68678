"""A separate process that typesets LaTeX with matplotlib's mathtext (``python -m``).

Protocol: one JSON object per line on stdin, ``{"id": str, "latex": str, "dpi": float}``;
one per line on stdout, ``{"id": str, "png": base64}`` or ``{"id": str, "error": str}``.
Running apart keeps matplotlib's import and font loading off the GUI thread.
"""
from __future__ import annotations

import base64
import io
import json
import re
import sys
from typing import Any

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


def handle(request: dict[str, Any]) -> dict[str, Any]:
    ident = str(request.get("id", ""))
    try:
        png = render(str(request["latex"]), float(request.get("dpi", 100)))
    except Exception as error:  # noqa: BLE001 - any failure becomes an answer, not a crash
        return {"id": ident, "error": short_reason(error)}
    return {"id": ident, "png": base64.b64encode(png).decode("ascii")}


def main() -> int:
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
