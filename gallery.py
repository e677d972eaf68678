"""A screenshot gallery of every output kind: ``python -m conch.gallery OUTDIR``.

Starts one kernel and a :class:`~conch.widgets.console.ConsoleWidget`, runs one cell per
output kind (clearing the transcript in between) and saves ``OUTDIR/NN-name.png`` for each.
Works headless: without a display the ``offscreen`` Qt platform is used.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from conch.widgets.console import ConsoleWidget

# Each cell is kernel code (raw strings: escapes are for the kernel to interpret).
# Optional packages (tqdm, rich, sympy) print a note instead when the kernel lacks them.
CELLS: list[tuple[str, str]] = [
    ("stdout-stderr", r'''import sys
print("Hello from stdout.")
print("A warning on stderr.", file=sys.stderr)
print("stdout again, after stderr.")
print("and a last stderr line", file=sys.stderr)'''),
    ("ansi-colours", r'''E = "\x1b["
print(" ".join(f"{E}{30 + i}mfg{i}{E}0m" for i in range(8)), "|", " ".join(f"{E}{90 + i}mbr{i}{E}0m" for i in range(8)))
print(" ".join(f"{E}{40 + i}m bg{i} {E}0m" for i in range(8)))
print(" ".join(f"{E}{100 + i}m BG{i} {E}0m" for i in range(8)))
for row in range(6):
    print("".join(f"{E}48;5;{16 + row * 36 + c}m  " for c in range(36)) + f"{E}0m")
print("".join(f"{E}48;5;{232 + g}m   " for g in range(24)) + f"{E}0m")
print("".join(f"{E}48;2;{255 - i * 3};{i * 3};{128}m " for i in range(72)) + f"{E}0m")
print("".join(f"{E}38;2;{i * 3};{120};{255 - i * 3}m#" for i in range(72)) + f"{E}0m")
print(f"{E}1mbold{E}0m {E}2mdim{E}0m {E}3mitalic{E}0m {E}4munderline{E}0m "
      f"{E}7minverse{E}0m {E}9mstrike{E}0m {E}1;3;4;31mbold+italic+underline red{E}0m")'''),
    ("traceback", r'''def divide(a, b):
    return a / b

def average(values):
    return divide(sum(values), len(values))

average([])'''),
    ("tqdm-nested", r'''import sys, time
try:
    from tqdm import tqdm
except ImportError:
    print("Note: tqdm is not installed in this kernel; no progress bars to show.")
else:
    with tqdm(total=3, desc="epochs ", position=0, file=sys.stdout) as outer:
        with tqdm(total=40, desc="batches", position=1, file=sys.stdout) as inner:
            for epoch in range(3):
                inner.reset(total=40)
                for batch in range(40):
                    time.sleep(0.004)
                    inner.update()
                outer.update()'''),
    ("rich-terminal-table", r'''try:
    from rich.console import Console
    from rich.table import Table
except ImportError:
    print("Note: rich is not installed in this kernel; no terminal table to show.")
else:
    table = Table(title="Planets (terminal)")
    table.add_column("Planet", style="bold cyan")
    table.add_column("Moons", justify="right", style="magenta")
    table.add_column("Notes", style="green")
    for row in [("Mercury", "0", "closest to the Sun"), ("Earth", "1", "home"),
                ("Jupiter", "95", "largest"), ("Saturn", "146", "rings")]:
        table.add_row(*row)
    Console(force_terminal=True, force_jupyter=False, width=70).print(table)'''),
    ("rich-jupyter-table", r'''try:
    from rich.console import Console
    from rich.table import Table
except ImportError:
    print("Note: rich is not installed in this kernel; no HTML table to show.")
else:
    table = Table(title="Planets (Jupyter HTML)")
    table.add_column("Planet", style="bold cyan")
    table.add_column("Moons", justify="right", style="magenta")
    table.add_column("Notes", style="green")
    for row in [("Mercury", "0", "closest to the Sun"), ("Earth", "1", "home"),
                ("Jupiter", "95", "largest"), ("Saturn", "146", "rings")]:
        table.add_row(*row)
    Console().print(table)'''),
    ("pandas-dataframe", r'''import numpy as np
import pandas as pd
df = pd.DataFrame({"city": ["Oslo", "Lima", "Perth", "Kyoto", "Quito"],
                   "population_k": [709, 10719, 2192, 1464, 2011],
                   "mean_temp_c": [6.3, 19.4, 18.6, 15.9, 13.9],
                   "coastal": [True, True, True, False, False]})
df'''),
    ("styled-dataframe", r'''import numpy as np
import pandas as pd
df = pd.DataFrame(np.arange(20).reshape(4, 5) * 1.5, columns=list("ABCDE"), index=list("wxyz"))
try:
    import matplotlib  # background_gradient needs it
    styled = df.style.background_gradient(cmap="viridis").highlight_max(color="#ffcc00")
except ImportError:
    styled = df.style.highlight_max(color="#ffcc00")
styled.set_caption("Styled with background_gradient + highlight_max")'''),
    ("markdown", r'''from IPython.display import Markdown
Markdown("""# Heading 1
## Heading 2
Some **bold**, some *italic*, some `inline code` and a [link](https://jupyter.org).

- first item
- second item
  - nested item

1. one
2. two

| Name | Value |
|------|------:|
| alpha | 1 |
| beta | 22 |
""")'''),
    ("latex", r'''from IPython.display import Latex, Math, display
display(Math(r"\int_{-\infty}^{\infty} e^{-x^2}\,dx = \sqrt{\pi}"))
display(Latex(r"Euler: $e^{i\pi} + 1 = 0$"))
try:
    import sympy
except ImportError:
    print("Note: sympy is not installed in this kernel; no sympy expression to show.")
else:
    sympy.init_printing()
    x = sympy.symbols("x")
    display(sympy.Integral(sympy.sqrt(1 / x), x))
    display(sympy.Matrix([[1, x], [x**2, sympy.Rational(1, 3)]]))'''),
    ("svg", r'''from IPython.display import SVG
SVG("""<svg xmlns="http://www.w3.org/2000/svg" width="320" height="120" viewBox="0 0 320 120">
  <rect x="5" y="5" width="310" height="110" rx="14" fill="#eef4ff" stroke="#2452c2" stroke-width="3"/>
  <circle cx="60" cy="60" r="35" fill="#c4261d"/>
  <polygon points="120,95 160,25 200,95" fill="#2f8a19"/>
  <text x="215" y="68" font-family="sans-serif" font-size="22" fill="#1e1e1e">SVG!</text>
</svg>""")'''),
    ("png-plot", r'''%matplotlib inline
%config InlineBackend.figure_formats = ['png']
import numpy as np
import matplotlib.pyplot as plt
x = np.linspace(0, 2 * np.pi, 200)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(x, np.sin(x), label="sin")
ax.plot(x, np.cos(x), label="cos")
ax.set_title("Inline PNG (1x)")
ax.legend();'''),
    ("retina-png", r'''%matplotlib inline
%config InlineBackend.figure_formats = ['retina']
import numpy as np
import matplotlib.pyplot as plt
x = np.linspace(0, 2 * np.pi, 200)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(x, np.sin(x), label="sin")
ax.plot(x, np.cos(x), label="cos")
ax.set_title("Inline PNG (retina, 2x)")
ax.legend();'''),
    ("jpeg", r'''%config InlineBackend.figure_formats = ['png']
import io
import numpy as np
import matplotlib.pyplot as plt
from IPython.display import Image, display
fig, ax = plt.subplots(figsize=(4, 3))
ax.imshow(np.outer(np.linspace(0, 1, 64), np.linspace(1, 0, 64)), cmap="plasma")
ax.set_title("JPEG via savefig(format='jpg')")
buffer = io.BytesIO()
try:
    fig.savefig(buffer, format="jpg")
except Exception as error:  # no Pillow: matplotlib cannot write JPEG
    print(f"Note: cannot write a JPEG here ({error}); no JPEG to show.")
else:
    display(Image(data=buffer.getvalue(), format="jpeg"))
plt.close(fig)'''),
    ("json", r'''from IPython.display import JSON
JSON({"name": "Conch", "version": [0, 1, 0], "features": {"latex": True, "svg": True},
      "kernels": ["python3"], "ratio": 0.5, "nothing": None})'''),
    ("update-display", r'''import time
from IPython.display import display
handle = display("Step 0 of 3 (initial)", display_id=True)
print("this print sits below the updated display")
for step in range(1, 4):
    time.sleep(0.1)
    handle.update(f"Step {step} of 3 (updated in place)")'''),
    ("clear-output", r'''import time
from IPython.display import clear_output
for i in range(6):
    clear_output(wait=True)
    print(f"iteration {i}: " + "#" * (i + 1))
    time.sleep(0.05)
print("only the last iteration should remain")'''),
    ("widget-fallback", r'''from IPython.display import display
display({"application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2, "version_minor": 0},
         "text/plain": "IntSlider(value=3)"}, raw=True)'''),
    ("long-line", r'''print(" ".join(f"word{i}" for i in range(150)))
print("x" * 400)'''),
    ("carriage-return", r'''import time
for i in range(0, 101, 5):
    print(f"\rdownloading [{'#' * (i // 5):<20}] {i:3d}%", end="", flush=True)
    time.sleep(0.02)
print("\ndone")'''),
]


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Run the Qt event loop until ``condition()`` holds; TimeoutError after ``timeout`` s."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        loop = QEventLoop()
        QTimer.singleShot(10, loop.quit)
        loop.exec()


def _formulas_pending(console: ConsoleWidget) -> bool:
    from conch.widgets.blocks.latex_block import LatexBlock
    from conch.widgets.latex_renderer import LatexRenderer

    renderer = LatexRenderer.shared()
    return any(renderer.result(b.latex) is None for b in console.view.blocks() if isinstance(b, LatexBlock))


def _pump(ms: int = 30) -> None:
    """Let Qt process events (layout requests, resizes) for about ``ms`` milliseconds."""
    deadline = time.monotonic() + ms / 1000
    _wait(lambda: time.monotonic() >= deadline, 5, "events")


def _fit_height(console: ConsoleWidget, width: int, limit: int) -> None:
    """Resize ``console`` so the transcript shows all its content (at most ``limit`` px tall)."""
    view = console.view
    console.resize(width, 1)  # as short as the layout allows: the scroll range then gives the height
    _pump()
    view.flush()
    chrome = console.height() - view.viewport().height()
    needed = view.verticalScrollBar().maximum() + view.viewport().height()
    console.resize(width, min(limit, needed + chrome))
    _pump()
    view.flush()
    view.verticalScrollBar().setValue(0)  # taller than the limit: show the cell's beginning


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conch.gallery", description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="where the NN-name.png files go")
    parser.add_argument("--kernel", default="python3", help="kernelspec name (default: python3)")
    parser.add_argument("--width", type=int, default=900, help="widget width in px (default: 900)")
    parser.add_argument("--scale", type=int, choices=(1, 2), default=1, help="device pixel ratio")
    parser.add_argument("--max-height", type=int, default=900, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if sys.platform.startswith("linux") and headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QT_SCALE_FACTOR"] = str(args.scale)  # read when the QApplication starts

    from PySide6.QtWidgets import QApplication

    from conch import ConsoleWidget, start_kernel
    from conch.app.kernel.status import KernelStatus
    from conch.widgets.latex_renderer import LatexRenderer

    app = QApplication.instance() or QApplication([sys.argv[0]])
    args.outdir.mkdir(parents=True, exist_ok=True)
    try:
        kernel = start_kernel(args.kernel)
    except Exception as error:  # noqa: BLE001 - no such kernelspec, or it could not start
        print(f"gallery: {error}", file=sys.stderr)
        return 2
    try:
        _wait(lambda: kernel.status is KernelStatus.IDLE and kernel.client.kernel_info is not None, 60, "the kernel")
        console = ConsoleWidget(kernel)
        console.resize(args.width, 400)
        console.show()
        finished: list[str] = []
        console.execution_finished.connect(finished.append)
        for number, (name, code) in enumerate(CELLS, 1):
            kernel.transcript.clear()
            msg_id = console.execute(code)
            _wait(lambda: msg_id in finished, 120, f"cell {name!r}")
            _wait(lambda: not _formulas_pending(console), 60, f"LaTeX in {name!r}")
            _fit_height(console, args.width, args.max_height)
            path = args.outdir / f"{number:02d}-{name}.png"
            if not console.grab().save(str(path)):
                raise OSError(f"could not write {path}")
            print(path, flush=True)
        console.close()
    finally:
        kernel.shutdown()
        process = kernel.process
        _wait(lambda: process is None or not process.is_alive(), 10, "the kernel to exit")
        LatexRenderer.stop_shared()
        app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
