"""Editor benchmark: pasting Python source into the input editor and highlighting it.

No kernel: Conch's own ``InputEditor`` (shown, 900 × 300 px, with its
``conch.widgets.code_highlighter.CodeHighlighter``) given the lexer an ipykernel asks for
(``pygments_lexer: "ipython3"``). The text pasted is generated Python: classes, decorated
functions, multi-line docstrings, comments, f-strings, numbers, dict and list literals, a few
IPython magics and shell escapes (seeded; a different text in every run).

For each size (``--lines``, default 2 000 and 10 000) and each of ``--runs`` runs (default 5,
after ``--warmup`` runs, default 1, that are not reported) the editor is emptied, the
highlighter is given its lexer again (which empties its cache of lexed lines, so only lines
repeated within one text are found there), the loop settles, and then:

paste
    The text put on the clipboard, then ``editor.paste()`` (what Ctrl+V does), until it
    returns (the text is in, laid out, and the first highlighting slice done).
highlighted
    From just before the paste until the highlighter's ``finished`` signal with no block
    pending: the whole document coloured.
UI-thread CPU
    ``time.thread_time()`` over the same stretch: the work done. Less sensitive than wall
    time to other processes, but not to the speed the (shared) host gives the CPU.
max stall
    The longest gap between ticks of a 5 ms precise ``QTimer`` from the paste's return until
    ``finished`` (``_util.StallMeter``): how long the UI went without serving its event loop
    while the rest was highlighted in slices.
slices
    Event-loop turns with highlighting work (the paste's own slice included).

Then, on the last run's document, two edits in the middle (the cursor at the start of the
middle line), each timed from just before the edit to ``finished``, with the stall meter
running (the edit itself counts as a stall). Before each, the highlighter is given its lexer
again (untimed), so that no run re-uses lines another lexed:

keystroke
    ``insertText("x")``: one character typed; the states after that line do not change.
open string
    ``insertText('\"\"\"')``: a triple-quoted string opened, so the lines after it change
    state and are re-highlighted (in slices), then the three quotes are removed again
    (not timed).

Usage::

    python benchmarks/bench_editor.py [--runs 5] [--warmup 1] [--lines 2000,10000] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _util import (  # noqa: E402
    StallMeter, environment, log, median, millis, spin_qt, table, wait_until_qt,
)

GOALS = {
    "highlighted_2000": 0.100,  # a 2 000-line paste highlighted within 100 ms
    "paste_10000": 0.200,  # a 10 000-line paste returns within 200 ms
    "stall_10000": 0.050,  # and the UI never stalls longer than 50 ms
}

_WORDS = (
    "data value result items count index name path config buffer offset total frame token "
    "record cache entry node parent child width height scale limit text line chunk size key "
    "score column weight label source target window batch sample queue state"
).split()


# -- source ----------------------------------------------------------------------------------
class _Source:
    """Plausible Python, a statement at a time, varied enough that few lines repeat."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def name(self) -> str:
        r = self.rng
        word = r.choice(_WORDS)
        return word + r.choice(("", "", f"_{r.choice(_WORDS)}", str(r.randrange(10))))

    def number(self) -> str:
        r = self.rng
        return r.choice((
            str(r.randrange(1000)), f"{r.random() * 100:.3f}", f"0x{r.randrange(65536):04X}",
            f"{r.randrange(1, 9)}e-{r.randrange(1, 9)}", f"{r.randrange(100)}_000", "1j",
        ))

    def expr(self) -> str:
        r, n = self.rng, self.name
        return r.choice((
            f"{n()}({n()}, {self.number()})", f"{n()}.{n()}[{r.randrange(10)}]",
            f"{n()} + {self.number()} * {n()}", f'f"{{{n()}}}: {{{n()}:>{r.randrange(4, 12)}}}"',
            f"[{n()} for {n()} in {n()} if {n()} is not None]", f'"{n()}-{n()}"',
            f"{{'{n()}': {self.number()}, '{n()}': {n()}}}", f"len({n()}) // {self.number()}",
            f"lambda {n()}: {n()}.{n()}()", f"{n()} or {n()}", f"r'\\d+{n()}\\s*'",
            f"not {n()}.startswith('{n()}')", f"{n()}[{n()}:{n()}]",
        ))

    def statement(self, indent: str) -> list[str]:
        r, n, e = self.rng, self.name, self.expr
        kind = r.randrange(14)
        if kind == 0:
            return [f"{indent}if {n()} > {self.number()} and {n()} is not None:",
                    f"{indent}    {n()} = {e()}"]
        if kind == 1:
            return [f"{indent}for {n()}, {n()} in enumerate({n()}):",
                    f"{indent}    {n()}.append({e()})"]
        if kind == 2:
            return [f"{indent}# {' '.join(r.choice(_WORDS) for _ in range(r.randrange(3, 9)))}"]
        if kind == 3:
            return [f"{indent}try:", f"{indent}    {n()} = {e()}",
                    f"{indent}except (KeyError, ValueError) as exc:",
                    f'{indent}    raise RuntimeError(f"bad {{{n()}!r}}") from exc']
        if kind == 4:
            return [f'{indent}with open({n()}, "rb") as {n()}:', f"{indent}    {n()} = {e()}"]
        if kind == 5:
            return [f"{indent}return {e()}"]
        if kind == 6:
            return [f"{indent}{n()} = {n()}(", f"{indent}    {e()},",
                    f"{indent}    {n()}={e()},", f"{indent})"]
        if kind == 7:
            return [f"{indent}while {n()} < {self.number()}:",
                    f"{indent}    {n()} += {self.number()}  # {r.choice(_WORDS)}"]
        if kind == 8:
            return [f"{indent}assert isinstance({n()}, (int, float)), {e()}"]
        return [f"{indent}{n()} = {e()}"]

    def docstring(self, indent: str) -> list[str]:
        r = self.rng
        words = lambda k: " ".join(r.choice(_WORDS) for _ in range(k))  # noqa: E731
        lines = [f'{indent}"""{words(r.randrange(3, 8)).capitalize()}.', ""]
        lines += [f"{indent}{words(r.randrange(5, 11))}" for _ in range(r.randrange(1, 4))]
        return lines + [f'{indent}"""']

    def function(self, indent: str) -> list[str]:
        r, n = self.rng, self.name
        out = []
        decorator = r.randrange(6)
        if decorator == 0:
            out.append(f"{indent}@functools.lru_cache(maxsize={r.choice((32, 128, 1024))})")
        elif decorator == 1:
            out.append(f"{indent}@property")
        args = ", ".join(f"{n()}: int = {self.number()}" for _ in range(r.randrange(0, 3)))
        name = n()
        returns = r.choice(("int", "str", "None", "list[str]"))
        out.append(f"{indent}def {name}(self{', ' if args else ''}{args}) -> {returns}:")
        if r.random() < 0.6:
            out += self.docstring(indent + "    ")
        for _ in range(r.randrange(2, 7)):
            out += self.statement(indent + "    ")
        return out + [""]

    def chunk(self) -> list[str]:
        r, n = self.rng, self.name
        kind = r.randrange(10)
        if kind < 2:
            out = [f"class {n().title().replace('_', '')}({r.choice(('object', 'Base', 'dict'))}):"]
            if r.random() < 0.7:
                out += self.docstring("    ")
            out.append(f"    {n()}: ClassVar[int] = {self.number()}")
            out.append("")
            for _ in range(r.randrange(1, 4)):
                out += self.function("    ")
            return out + [""]
        if kind < 7:
            return self.function("") + [""]
        if kind == 7:
            return [f"import {n()}", f"from {n()}.{n()} import {n()}, {n()} as {n()}", ""]
        if kind == 8:
            return [f"%timeit {self.expr()}", f"!ls -la {n()}/", ""]
        return [f"{n()} = {self.expr()}", f"print({n()}, sep='\\t', end='')", ""]


def python_source(lines: int, seed: int = 1) -> str:
    """``lines`` lines of generated Python (no trailing newline)."""
    source = _Source(seed)
    out = ['"""Generated module for the editor benchmark.', "", 'Nothing here runs."""',
           "from __future__ import annotations", ""]
    while len(out) < lines:
        out += source.chunk()
    return "\n".join(out[:lines])


# -- measuring -------------------------------------------------------------------------------
class Bench:
    def __init__(self) -> None:
        from PySide6.QtWidgets import QApplication

        from conch.app.look.highlight import lexer_for
        from conch.widgets.input_editor import InputEditor
        from conch.widgets.theme import Metrics

        self.app = QApplication.instance() or QApplication(sys.argv[:1])
        self.editor = InputEditor(Metrics())
        self.editor.resize(900, 300)
        self.editor.show()
        self.lexer = lexer_for({"pygments_lexer": "ipython3"})
        self.editor.set_lexer(self.lexer)
        self.highlighter = self.editor.highlighter
        self.finished_at = 0.0
        self.highlighter.finished.connect(self._finished)
        self.meter = StallMeter()
        spin_qt(0.1)

    def _finished(self) -> None:
        self.finished_at = time.perf_counter()

    def settle(self) -> None:
        wait_until_qt(lambda: not self.highlighter.is_pending(), 30, "highlighting")
        spin_qt(0.05)

    def wait_highlighted(self, since: float) -> float:
        """Run the loop until ``finished`` came after ``since`` with nothing pending."""
        from PySide6.QtCore import QEventLoop

        loop = QEventLoop()

        def check() -> None:
            if self.finished_at > since and not self.highlighter.is_pending():
                loop.quit()

        self.highlighter.finished.connect(check)
        if not (self.finished_at > since and not self.highlighter.is_pending()):
            loop.exec()
        self.highlighter.finished.disconnect(check)
        return self.finished_at - since

    def paste(self, text: str) -> dict[str, float]:
        self.editor.clear()
        self.highlighter.set_lexer(self.lexer)  # also forgets the lines it has seen
        self.settle()
        slices = self._slices_counter()
        cpu0 = time.thread_time()
        self.app.clipboard().setText(text)
        t0 = time.perf_counter()
        self.editor.paste()
        t1 = time.perf_counter()
        self.meter.start()
        highlighted = self.wait_highlighted(t0)
        cpu = time.thread_time() - cpu0
        self.meter.stop()
        last = self.editor.document().lastBlock()
        assert last.userState() >= 0 and not self.highlighter.is_pending(), "not all highlighted"
        return {"paste": t1 - t0, "highlighted": highlighted, "cpu": cpu,
                "max_stall": self.meter.max_gap, "slices": float(slices())}

    def _slices_counter(self) -> Any:
        """Counts the highlighter's slices by wrapping its turn timer's timeout."""
        count = [0]
        timer = self.highlighter._turn  # noqa: SLF001 - benchmark instrumentation
        slot = lambda: count.__setitem__(0, count[0] + 1)  # noqa: E731
        timer.timeout.connect(slot)
        return lambda: (timer.timeout.disconnect(slot), count[0])[1]

    def edit(self, text: str) -> dict[str, float]:
        from PySide6.QtGui import QTextCursor

        document = self.editor.document()
        block = document.findBlockByNumber(document.blockCount() // 2)
        cursor = QTextCursor(block)
        self.highlighter.set_lexer(self.lexer)  # forget the lines seen (untimed)
        self.settle()
        self.meter.start()
        t0 = time.perf_counter()
        cursor.insertText(text)
        t1 = time.perf_counter()
        done = self.wait_highlighted(t0)
        self.meter.stop()
        # Undo the edit (untimed) so that the next one starts from the same document.
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor,
                            len(text))
        cursor.removeSelectedText()
        self.settle()
        return {"edit": t1 - t0, "highlighted": done, "max_stall": self.meter.max_gap}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="measured runs per size (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="unreported runs first (default 1)")
    parser.add_argument("--lines", default="2000,10000", help="paste sizes (default 2000,10000)")
    parser.add_argument("--json", metavar="FILE", help="also write the raw figures here")
    args = parser.parse_args()
    sizes = [int(s) for s in args.lines.split(",") if s]

    bench = Bench()
    raw: dict[str, Any] = {"runs": args.runs, "warmup": args.warmup, "sizes": {}}
    rows = []
    for size in sizes:
        texts = [python_source(size, seed=size + i) for i in range(args.warmup + args.runs)]
        for text in texts[:args.warmup]:
            bench.paste(text)
        runs = [bench.paste(text) for text in texts[args.warmup:]]
        raw["sizes"][str(size)] = {"paste_runs": runs}
        log(f"{size} lines: " + ", ".join(f"{millis(r['highlighted'])}" for r in runs))
        for key, label in (("paste", "paste returns"), ("highlighted", "paste → highlighted"),
                           ("cpu", "UI-thread CPU, paste → highlighted"),
                           ("max_stall", "max stall while highlighting")):
            values = [r[key] for r in runs]
            rows.append([f"{size} lines", label, millis(median(values)), millis(max(values))])
        slices = [r["slices"] for r in runs]
        rows.append([f"{size} lines", "slices (event-loop turns)", f"{median(slices):.0f}",
                     f"{max(slices):.0f}"])
        if size == max(sizes):
            for name, inserted in (("keystroke", "x"), ("open string", '"""')):
                edits = [bench.edit(inserted) for _ in range(args.runs)]
                raw["sizes"][str(size)][name] = edits
                for key, label in (("edit", "returns"), ("highlighted", "→ highlighted"),
                                   ("max_stall", "max stall")):
                    values = [r[key] for r in edits]
                    rows.append([f"{size} lines", f"{name} in the middle: {label}",
                                 millis(median(values)), millis(max(values))])

    raw["environment"] = environment()  # after measuring: it imports Jupyter and qtconsole
    print(f"Editor paste and highlighting ({raw['environment']}; {args.runs} runs after "
          f"{args.warmup} warm-up, QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM')})\n")
    print(table(["document", "measure", "median", "max"], rows))
    verdicts = []
    checks = (("highlighted_2000", 2000, "paste_runs", "highlighted",
               "2 000-line paste highlighted"),
              ("paste_10000", 10000, "paste_runs", "paste", "10 000-line paste returns"),
              ("stall_10000", 10000, "paste_runs", "max_stall", "10 000-line paste max stall"))
    for goal, size, group, key, label in checks:
        if str(size) in raw["sizes"]:
            worst = max(r[key] for r in raw["sizes"][str(size)][group])
            ok = worst <= GOALS[goal]
            verdicts.append(f"{label} ≤ {GOALS[goal] * 1000:.0f} ms: "
                            f"{'met' if ok else 'MISSED'} (max {millis(worst)})")
    print("\n" + "\n".join(verdicts))
    raw["goals"] = verdicts
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(raw, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
