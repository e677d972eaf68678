"""The workloads of ``bench_floods.py``: the code each one runs, what is checked afterwards and
the goals Conch is held to. Qt-free: the checks read Conch's model (``console.outputs()``,
``console.kernel.transcript``) after the measurement, never during it.

A :class:`Workload` is run by each client (the kernel alone, Conch, qtconsole) in its own
subprocess on a fresh kernel, in these phases:

1. **prepare** (not measured): Conch's scrollback cap is set (``max_lines``) and the ``setup``
   cells are run, all of them, waiting until each has finished;
2. **measured**: ``action`` ("execute": run ``code`` until the client's finish; "kernel_info":
   send an unsolicited ``kernel_info_request`` until its reply is handled), then a synchronous
   repaint; if ``settle``, until no image decode is pending and a second repaint ("to
   pixels"); then ``linger`` more seconds, the stall meter running throughout;
3. **after** (not part of the stall figure): the named post-finish phases, e.g. ``"scroll"``
   (50 scroll-bar steps, each with a repaint) or ``"repaints"`` (3 forced full repaints and a
   relayout);
4. **check**: Conch's result against what a terminal would show (see :func:`check_conch`).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MiB = 2**20

# (ok, note) from one look at Conch's console after the measurement.
Check = Callable[[Any], tuple[bool, str]]


@dataclass(frozen=True)
class Workload:
    name: str
    code: str
    what: str
    last_line: str | Callable[[], str] = ""
    """The last stdout line once everything is shown, as a terminal shows it (a callable if it
    is costly to compute: see :meth:`final_line`)."""
    lines: int = 0
    """stdout lines expected in Conch's stream output (0: not checked)."""
    images: int = 0
    """display_data / execute_result outputs of ``display_mime`` expected instead of text."""
    display_mime: str = "image/png"
    min_styles: int = 0
    """Distinct styles expected on Conch's last line (ANSI workloads)."""
    chars: int = 0
    """Characters the code writes to stdout, raw (0: not checked). The kernel alone checks that
    exactly these arrived (its check when the last line needs terminal interpretation)."""
    bytes_out: int = 0
    """Bytes the code prints; when set, the intake rate (MB/s over "to finished") is reported."""
    raw_last_line: str | None = None
    """The last line as a client that does not interpret it like a terminal holds it
    (qtconsole's document, the kernel alone's tail); default: ``last_line``."""
    qtconsole: tuple[tuple[str, int], ...] = (("qtconsole (buffer 500)", 500),)
    """qtconsole configurations run: (row label, buffer_size)."""
    qtconsole_na: str = ""
    """Why qtconsole is not run for this workload (printed instead of its row)."""
    max_lines: int | None = None
    """Conch's scrollback cap for this run (``console.kernel.transcript.max_lines``);
    None: Conch's default (1 000 000)."""
    setup: tuple[str, ...] = ()
    """Cells run before the measurement (not measured), up to 100 in flight, each waited for."""
    action: str = "execute"
    """What is measured: "execute" (``code``) or "kernel_info" (an unsolicited
    ``kernel_info_request``; "to finished" is its reply handled)."""
    settle: bool = False
    """After the finish and its repaint, wait (stall meter running) until the client has no
    image decode pending (Conch decodes images off the GUI thread, after the finish), then
    repaint again: "to pixels"."""
    linger: float = 0.0
    """Seconds the stall meter keeps running after the finish and its repaint(s)."""
    after: tuple[str, ...] = ()
    """Post-finish phases, each a ``QtWorker.after_<name>`` method: "scroll", "repaints"."""
    checks: tuple[Check, ...] = ()
    """Further checks of Conch's console, beyond the generic ones (see :func:`check_conch`)."""
    goals: dict[str, float] = field(default_factory=dict)
    """Conch's goals: "ratio" (× kernel alone), "painted" (s), "stall" (s), "rss" (bytes after),
    "rss_growth" (bytes, after − ready), "repaint" (s, each post-finish repaint and the
    relayout), "responsive" (1: the kernel is never reported unresponsive)."""
    min_repeat: int = 1
    """At least this many runs of the kernel alone and of Conch."""

    def final_line(self) -> str:
        """:attr:`last_line`, computed once per process if it is a callable."""
        if not callable(self.last_line):
            return self.last_line
        if self.name not in _FINAL_LINES:
            _FINAL_LINES[self.name] = self.last_line()
        return _FINAL_LINES[self.name]

    def raw_final_line(self) -> str:
        return self.raw_last_line if self.raw_last_line is not None else self.final_line()


_FINAL_LINES: dict[str, str] = {}


# -- what a terminal shows ---------------------------------------------------------------------
_TOKEN = re.compile(r"\r|\x08+|\t+|\n|[^\r\x08\t\n]+")


def terminal_last_line(text: str) -> str:
    """The last line a terminal shows after ``text`` (no escape sequences): ``\\r`` returns to
    column 0 and ``\\b`` moves one column left, neither erasing; later text overwrites; a tab
    moves to the next multiple of 8, blank-filling past the end of the line (as Conch does);
    ``\\n`` starts a new line. A final empty line after a newline does not count."""
    done, line, col = "", "", 0
    for token in _TOKEN.findall(text):
        first = token[0]
        if first == "\n":
            done, line, col = line, "", 0
        elif first == "\r":
            col = 0
        elif first == "\x08":
            col = max(col - len(token), 0)
        elif first == "\t":
            col = (col // 8 + len(token)) * 8
            if col > len(line):
                line += " " * (col - len(line))
        else:
            if col > len(line):
                line += " " * (col - len(line))
            line = line[:col] + token + line[col + len(token):]
            col += len(token)
    return line if line or col else done


def _progress_final_line() -> str:
    """What a terminal shows after the progress loop: ``\\r`` returns to column 0 without
    erasing, so the final write overwrites the start of the longest earlier one."""
    line = ""
    for i in range(2000):
        text = f"{i:5d} " + "#" * (i % 60)
        line = text + line[len(text):]
    return line


CR_STORM_N = 200_000


def _cr_storm_text() -> str:
    """Exactly what the ``cr_storm`` code writes (the same expression)."""
    return "".join(f"\r{i:6d}" + "\b" * 3 + "#" * (i % 3) for i in range(CR_STORM_N)) + "\n"


# -- checks of Conch's console -----------------------------------------------------------------
def _stdout(console: Any) -> list[Any]:
    return [o for o in console.outputs() if o.kind == "stdout"]


def _shown(text: str, limit: int = 40) -> str:
    return repr(text) if len(text) <= limit else f"{text[:12]!r}…{text[-12:]!r} ({len(text)} chars)"


def check_stream(w: Workload, console: Any) -> tuple[bool, str]:
    """One stdout output; its line count (if ``lines``), last line (if ``last_line``) and the
    number of styles on that line (if ``min_styles``)."""
    streams = _stdout(console)
    if not streams:
        return False, f"no stdout output ({[o.kind for o in console.outputs()]})"
    content = streams[-1].content
    n = content.line_count()
    last = content.line_text(n - 1) if n else ""
    ok = len(streams) == 1
    if w.lines:
        ok = ok and n == w.lines
    if w.last_line:
        ok = ok and last == w.final_line()
    note = f"{n} line{'s' if n != 1 else ''}, last {_shown(last)}"
    if w.min_styles and n:
        styles = {style for _, style in content.line_spans(n - 1)}
        note += f", {len(styles)} styles on it"
        ok = ok and len(styles) >= w.min_styles
    if len(streams) != 1:
        note += f" ({len(streams)} stdout outputs)"
    return ok, note


def check_displays(w: Workload, console: Any) -> tuple[bool, str]:
    outputs = console.outputs()
    shown = [o for o in outputs if getattr(o, "mime_type", "") == w.display_mime]
    return len(shown) == w.images, f"{len(shown)} {w.display_mime} outputs of {len(outputs)}"


def check_conch(w: Workload, console: Any) -> tuple[bool, str]:
    """The generic check (displays if ``images``, else the stdout stream if ``lines`` or
    ``last_line`` is set) and then every one of ``checks``; ok only if all are."""
    results = []
    if w.images:
        results.append(check_displays(w, console))
    elif w.lines or w.last_line:
        results.append(check_stream(w, console))
    for extra in w.checks:
        try:
            results.append(extra(console))
        except Exception as error:  # noqa: BLE001 - a model that changed shape is a failed check
            results.append((False, f"check failed: {type(error).__name__}: {error}"))
    return all(ok for ok, _ in results), "; ".join(note for _, note in results if note)


def kept_lines(total: int, cap: int, limit: int, width: int) -> Check:
    """A capped flood of ``total`` numbered lines (``f"{i:0{width}d} …"``): between ``cap`` and
    ``limit`` lines kept, the first kept line numbered ``total - kept``, and (where the model
    says how many it dropped) dropped + kept = ``total``."""

    def check(console: Any) -> tuple[bool, str]:
        streams = _stdout(console)
        if not streams:
            return False, "no stdout output"
        content = streams[-1].content
        n = content.line_count()
        first = content.line_text(0)[:width] if n else ""
        number = int(first) if first.isdigit() else -1
        ok = len(streams) == 1 and cap <= n <= limit and number == total - n
        note = f"{n} kept (cap {cap}, at most {limit}), first kept no. {first or '?'} (expected {total - n})"
        trimmed = getattr(content, "trimmed", None)
        if isinstance(trimmed, int):
            ok = ok and trimmed + n == total
            note += f", {trimmed} dropped"
        return ok, note

    return check


def stdout_chars(expected: int) -> Check:
    """The characters shown in stdout (lines and their newlines) add up to ``expected``."""

    def check(console: Any) -> tuple[bool, str]:
        got = sum(len(o.content.plain_text()) for o in _stdout(console))
        return got == expected, f"{got} characters shown (written: {expected})"

    return check


def html_with_image(console: Any) -> tuple[bool, str]:
    html = [o for o in console.outputs() if getattr(o, "mime_type", "") == "text/html"]
    ok = len(html) == 1 and "data:image/png;base64," in html[0].source("text/html")
    size = len(html[0].source("text/html")) if html else 0
    return ok, f"HTML of {size / 1e6:.2f} MB with a data: PNG" if ok else "no HTML output with a data: PNG"


def finished_cells(count: int) -> Check:
    """At least ``count`` cells in the transcript, all finished OK (the prepared transcript)."""

    def check(console: Any) -> tuple[bool, str]:
        cells = list(console.kernel.transcript.cells())
        good = sum(getattr(c.state, "value", "") == "ok" for c in cells)
        return len(cells) >= count and good >= count, f"{len(cells)} cells in the transcript, {good} ok"

    return check


# -- code --------------------------------------------------------------------------------------
_ANSI_LINE = ('f"\\x1b[3{i%8}m{i}\\x1b[0m \\x1b[38;5;{i%256}mcube\\x1b[0m '
              '\\x1b[38;2;{i%256};100;{255-i%256}mtrue\\x1b[0m"')

BIG_WRITES_BURSTS, BIG_WRITES_PER_BURST, BIG_WRITE = 5, 400, 9000
BIG_WRITES_CHARS = BIG_WRITES_BURSTS * (BIG_WRITES_PER_BURST * BIG_WRITE + BIG_WRITES_PER_BURST // 2)

# The 1600 x 1200 px figure of html_png, kept in the kernel as PNG bytes by a setup cell.
_HTML_PNG_SETUP = """\
import io, base64
from matplotlib.figure import Figure
_fig = Figure(figsize=(16, 12), dpi=100)
_ax = _fig.add_subplot()
for _k in range(8):
    _ax.plot([(_i * (_k + 3)) % 17 + _k for _i in range(400)], label=f"series {_k}")
_ax.legend(); _ax.set_title("html_png: 1600 x 1200 px")
_buf = io.BytesIO(); _fig.savefig(_buf, format="png")
_png_b64 = base64.b64encode(_buf.getvalue()).decode()
assert (_fig.get_size_inches() * _fig.dpi).tolist() == [1600, 1200]
"""

# One 8000 x 7900 RGB PNG (gradients and a checkerboard: ~1 MB at zlib level 1, encoded once in
# ~2 s by a setup cell); _variant(n) makes its bytes distinct (a tEXt chunk after IHDR) so that
# no client can take twelve displays for one image. Decoded, each is 8000 x 7900 x 4 = 241 MiB.
_BIG_PNG_SETUP = """\
import io, struct, zlib
import numpy as np
from PIL import Image as _PILImage
_y, _x = np.ogrid[:7900, :8000]
_a = np.empty((7900, 8000, 3), np.uint8)
_a[..., 0] = _x & 255
_a[..., 1] = _y & 255
_a[..., 2] = ((_x // 16) ^ (_y // 16)) & 255
_buf = io.BytesIO(); _PILImage.fromarray(_a).save(_buf, "PNG", compress_level=1)
del _a, _x, _y
_png = _buf.getvalue()
def _variant(n):
    data = b"Comment\\0variant %d" % n
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    return _png[:33] + chunk + _png[33:]
"""

_BIG_PNG_CODE = "import IPython.display\nfor _n in range({n}): IPython.display.display(IPython.display.Image(data=_variant(_n)))"


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "print_100k",
            'for i in range(100000): print(f"{i:06d} " + "x"*63)',
            "100 000 lines of 70 characters, all kept",
            last_line="099999 " + "x" * 63,
            lines=100_000,
            qtconsole=(("qtconsole (buffer 500)", 500), ("qtconsole (all kept)", 0)),
            goals={"ratio": 1.15, "stall": 0.050},
        ),
        Workload(
            "long_line",
            "print('y' * 5_000_000)",
            "one line of 5 000 000 characters",
            last_line="y" * 5_000_000,
            lines=1,
            after=("scroll",),
            goals={"painted": 2.0, "stall": 0.100},
        ),
        Workload(
            "progress_2000",
            'import sys\nfor i in range(2000): sys.stdout.write(f"\\r{i:5d} " + "#"*(i%60)); '
            "sys.stdout.flush()\nprint()",
            "2 000 flushed carriage-return progress updates, then print()",
            last_line=_progress_final_line(),
            lines=1,
            goals={"stall": 0.050},
        ),
        Workload(
            "ansi_20k",
            f"for i in range(20000): print({_ANSI_LINE})",
            "20 000 lines with 16-colour, 256-colour and truecolor SGR",
            last_line="19999 cube true",
            lines=20_000,
            min_styles=4,
            qtconsole=(("qtconsole (buffer 500)", 500), ("qtconsole (all kept)", 0)),
        ),
        Workload(
            "million_lines",
            'for i in range(1_000_000): print(f"{i:07d} " + "z"*62)',
            "1 000 000 lines of 70 characters",
            last_line="0999999 " + "z" * 62,
            lines=1_000_000,
            goals={"rss": 350 * MiB},
        ),
        Workload(
            "plots_20",
            "%matplotlib inline\nimport matplotlib.pyplot as plt\nfor _ in range(20):\n"
            "    plt.figure(); plt.plot(range(10)); plt.show()",
            "20 inline matplotlib PNGs in one cell",
            images=20,
            settle=True,
            goals={"ratio": 1.10, "stall": 0.050},
            # A fresh kernel's matplotlib import and rendering vary by ±15 % from run to run:
            # more runs, so that the ratio of medians is not mostly that noise.
            min_repeat=5,
        ),
        # -- issue 10 --------------------------------------------------------------------------
        Workload(
            "trim_100k_cap",
            'for i in range(300000): print(f"{i:06d} " + "x"*63)',
            "300 000 lines of 70 characters into a 100 000-line scrollback",
            last_line="299999 " + "x" * 63,
            bytes_out=300_000 * 71,
            max_lines=100_000,
            checks=(kept_lines(300_000, 100_000, 101_000, 6),),
            qtconsole=(("qtconsole (buffer 100 000)", 100_000),),
            goals={"stall": 0.050},
        ),
        Workload(
            "trim_1m",
            'for i in range(1_100_000): print(f"{i:07d} " + "t"*62)',
            "1 100 000 lines of 70 characters into the default 1 000 000-line scrollback",
            last_line="1099999 " + "t" * 62,
            bytes_out=1_100_000 * 71,
            checks=(kept_lines(1_100_000, 1_000_000, 1_010_000, 7),),
            goals={"stall": 0.050},
        ),
        Workload(
            "big_writes",
            "import sys\n"
            f"for burst in range({BIG_WRITES_BURSTS}):\n"
            f'    for i in range({BIG_WRITES_PER_BURST}): sys.stdout.write("w" * {BIG_WRITE} + "\\n" * (i % 2))\n'
            "    sys.stdout.flush()",
            f"{BIG_WRITES_BURSTS} flushed bursts of {BIG_WRITES_PER_BURST} writes of {BIG_WRITE} characters "
            f"(one stream message of ~{BIG_WRITES_PER_BURST * BIG_WRITE / 1e6:.1f} MB each, lines of "
            f"{2 * BIG_WRITE} characters)",
            last_line="w" * (2 * BIG_WRITE),
            lines=BIG_WRITES_BURSTS * BIG_WRITES_PER_BURST // 2,
            chars=BIG_WRITES_CHARS,
            bytes_out=BIG_WRITES_CHARS,
            checks=(stdout_chars(BIG_WRITES_CHARS),),
            goals={"stall": 0.050},
        ),
        Workload(
            "ansi_one_message",
            "import sys\n"
            f"s = ''.join({_ANSI_LINE} + '\\n' for i in range(20000))\n"
            "sys.stdout.write(s); sys.stdout.flush()",
            "the 20 000 lines of ansi_20k written as one string (one stream message)",
            last_line="19999 cube true",
            lines=20_000,
            min_styles=4,
            goals={"stall": 0.050},
        ),
        Workload(
            "tabs_1m",
            'import sys\nsys.stdout.write("\\t" * 1_000_000 + "end\\n"); sys.stdout.flush()',
            "one message of 1 000 000 tabs and 'end' (a line 8 000 003 columns wide)",
            last_line=lambda: terminal_last_line("\t" * 1_000_000 + "end\n"),
            raw_last_line="\t" * 1_000_000 + "end",
            lines=1,
            chars=1_000_004,
            goals={"stall": 0.050},
        ),
        Workload(
            "cr_storm",
            "import sys\n"
            f'sys.stdout.write("".join(f"\\r{{i:6d}}" + "\\b" * 3 + "#" * (i % 3) for i in range({CR_STORM_N})) '
            '+ "\\n"); sys.stdout.flush()',
            "one message of 200 000 carriage returns and 600 000 backspaces between short writes",
            last_line=lambda: terminal_last_line(_cr_storm_text()),
            lines=1,
            chars=sum(10 + i % 3 for i in range(CR_STORM_N)) + 1,
            linger=1.0,  # a late "kernel not responding" after a freeze is still seen
            goals={"stall": 0.050, "responsive": 1},
        ),
        Workload(
            "html_png",
            "import IPython.display\n"
            "IPython.display.display(IPython.display.HTML('<img src=\"data:image/png;base64,' + _png_b64 + '\">'))",
            "a 1600 x 1200 px PNG inside HTML as a data: URL, then 3 full repaints and a relayout",
            images=1,
            display_mime="text/html",
            setup=(_HTML_PNG_SETUP,),
            settle=True,
            after=("repaints",),
            checks=(html_with_image,),
            qtconsole=(),
            qtconsole_na="n/a: qtconsole shows an HTML display_data as its text/plain repr, no image",
            goals={"stall": 0.050, "repaint": 0.050},
        ),
        Workload(
            "big_png",
            _BIG_PNG_CODE.format(n=1),
            "one 8000 x 7900 px PNG (IPython.display.Image)",
            images=1,
            setup=(_BIG_PNG_SETUP,),
            settle=True,
            goals={"stall": 0.050},
        ),
        Workload(
            "big_png_12",
            _BIG_PNG_CODE.format(n=12),
            "twelve 8000 x 7900 px PNGs in one cell (same pixels, distinct bytes)",
            images=12,
            setup=(_BIG_PNG_SETUP,),
            settle=True,
            goals={"stall": 0.050, "rss_growth": 300 * MiB},
        ),
        Workload(
            "kernel_info_3000",
            "",
            "an unsolicited kernel_info_request (its reply handled like any) with 3 000 cells in the "
            "transcript; stall measured until 1 s after the reply",
            setup=tuple(f"x = {i}" for i in range(3000)),
            action="kernel_info",
            linger=1.0,
            checks=(finished_cells(3000),),
            qtconsole=(),
            qtconsole_na="n/a: the measured path (an unsolicited kernel_info_reply) is Conch's",
            goals={"stall": 0.050},
        ),
    )
}
