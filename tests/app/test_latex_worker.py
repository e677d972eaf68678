"""The LaTeX worker: delimiters, mixed text and math, errors as answers (real matplotlib)."""
from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest

from conch.app.latex_worker import handle, mathtext_source


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        ("$$x^2$$", "$x^2$"),
        (r"\[a+b\]", "$a+b$"),
        (r"$\displaystyle \frac{1}{2}$", r"$\frac{1}{2}$"),
        (r"\int_0^1 x\,dx", r"$\int_0^1 x\,dx$"),
        (r"Euler: $e^{i\pi} + 1 = 0$", r"Euler: $e^{i\pi} + 1 = 0$"),
        ("$a$ and $b$", "$a$ and $b$"),
    ],
)
def test_mathtext_source(latex: str, expected: str) -> None:
    assert mathtext_source(latex) == expected


def test_formula_becomes_a_png_and_bad_latex_an_error() -> None:
    good = handle({"id": "1", "latex": r"$\frac{a}{b}$", "dpi": 100})
    assert base64.b64decode(good["png"]).startswith(b"\x89PNG")
    bad = handle({"id": "2", "latex": r"\begin{align}a\end{align}", "dpi": 100})
    assert bad["id"] == "2" and "\\begin" in bad["error"]


def test_worker_process_answers_line_by_line() -> None:
    requests = "\n".join(json.dumps({"id": str(i), "latex": f"$x^{i}$"}) for i in range(3)) + "\n"
    result = subprocess.run(
        [sys.executable, "-m", "conch.app.latex_worker"], input=requests, capture_output=True, text=True, timeout=120
    )
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["id"] for a in answers] == ["0", "1", "2"] and all("png" in a for a in answers)
