"""Transcript → one self-contained, script-free HTML page styled like the console."""
from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from conch.app.export import html_page
from conch.app.export.html_page import CSP, transcript_to_html, write_html
from conch.app.look.palette import DARK, LIGHT
from conch.app.model.outputs import RichOutput
from conch.app.model.transcript import Transcript
from tests.app.export.samples import PNG, SVG, assert_inert


def test_page_is_self_contained_and_inert(scripted: Transcript) -> None:
    page = transcript_to_html(scripted, title="Session <1>")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>Session &lt;1&gt;</title>" in page
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP.replace(chr(39), "&#x27;")}">' in page
    assert CSP == "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    assert_inert(page)


def test_prompts_code_and_streams_look_like_the_console(scripted: Transcript) -> None:
    page = transcript_to_html(scripted, title="t")
    assert '<span class="prompt in">In [1]:</span>' in page
    assert '<span class="prompt out">Out[4]:</span>' in page
    assert '<pre class="stream stdout">hello\n100%</pre>' in page
    assert '<pre class="stream stderr">careful</pre>' in page
    assert f"background: {LIGHT.stderr_background}" in page
    # Code is highlighted (print is a builtin, 'hello' a string).
    assert re.search(r'<span style="color:#[0-9a-f]{6}">print</span>', page)


def test_errors_keep_their_ansi_colours(scripted: Transcript) -> None:
    page = transcript_to_html(scripted, title="t")
    error = page[page.index('<pre class="error">'):]
    error = error[: error.index("</pre>")]
    assert f'<span style="color:{LIGHT.ansi_16[1]}">ZeroDivisionError</span>' in error
    assert '<span style="color:#626262">1/0</span>' in error  # 256-colour index 241, runs merged
    assert "\x1b" not in page


def test_images_are_inline_data(scripted: Transcript) -> None:
    page = transcript_to_html(scripted, title="t")
    assert f'src="data:image/png;base64,{PNG}" width="10" height="8"' in page
    encoded = base64.b64encode(SVG.encode()).decode()
    assert f'<img class="svg" src="data:image/svg+xml;base64,{encoded}"' in page
    assert "<svg" not in page and "<rect" not in page


def test_html_markdown_latex_and_json_outputs(scripted: Transcript) -> None:
    page = transcript_to_html(scripted, title="t")
    assert '<div class="rich html"><table class="dataframe"><tr><th>a</th></tr><tr><td>1</td></tr></table></div>' in page
    assert "<p><strong>final</strong> version</p>" in page and "<p>first</p>" not in page
    assert '<pre class="latex">$x^2 &lt; 1$</pre>' in page
    assert '"a": [\n    1,\n    2\n  ]' in page
    assert "<b>bold</b>" in page and "[link]" not in page and ">link</a>" in page


def test_foreign_outside_and_notices(scripted: Transcript) -> None:
    page = transcript_to_html(scripted, title="t")
    assert '<section class="cell foreign">' in page and "In [9]:" in page
    assert '<section class="cell outside">' in page and "— output from outside any cell" in page
    assert '<pre class="notice warning">— Kernel restarted</pre>' in page
    assert '<pre class="notice banner">Python 3.11 | IPython 9' in page


def test_hostile_outputs_cannot_script_or_escape(scripted: Transcript) -> None:
    transcript = Transcript()
    cell = transcript.add_cell("evil", "m1")
    for data in (
        {"text/html": "</div></div></section></main><script>alert(1)</script><img src=x onerror=alert(1)>"},
        {"text/markdown": "<script>alert(1)</script> [x](javascript:alert(1)) ![t](https://evil.example/t.png)"},
        {"text/plain": "<script>alert(1)</script>"},
        {"image/png": '"><script>alert(1)</script>', "text/plain": "<script>"},
        {"text/latex": "</pre><script>alert(1)</script>"},
    ):
        transcript.append_output(cell, RichOutput("display", data, {}))
    transcript.append_stream(cell, "stdout", "<script>alert(1)</script>\n")
    page = transcript_to_html(transcript, title="<script>")
    assert_inert(page)
    assert page.count("<section") == page.count("</section>") == 1
    assert page.count("<main") == page.count("</main>") == 1


def test_markdown_without_markdown_it_is_shown_as_its_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html_page, "_markdown_renderer", lambda: None)
    transcript = Transcript()
    cell = transcript.add_cell("md", "m1")
    transcript.append_output(cell, RichOutput("display", {"text/markdown": "**b** <i>"}, {}))
    assert '<pre class="markdown">**b** &lt;i&gt;</pre>' in transcript_to_html(transcript, title="t")


def test_broken_image_data_falls_back_to_text() -> None:
    transcript = Transcript()
    cell = transcript.add_cell("img", "m1")
    transcript.append_output(cell, RichOutput("display", {"image/png": "not base64!", "text/plain": "<Figure>"}, {}))
    page = transcript_to_html(transcript, title="t")
    assert "data:image/png" not in page and "&lt;Figure&gt;" in page


def test_dark_palette(scripted: Transcript) -> None:
    page = transcript_to_html(scripted, title="t", palette=DARK)
    assert f"background: {DARK.background}" in page and "color-scheme: dark" in page
    assert f'<span style="color:{DARK.ansi_16[1]}">ZeroDivisionError</span>' in page
    assert_inert(page)


def test_write_html_writes_the_page(scripted: Transcript, tmp_path: Path) -> None:
    path = tmp_path / "session.html"
    write_html(scripted, path, title="Session", language_info={"name": "python", "pygments_lexer": "ipython3"})
    page = path.read_text(encoding="utf-8")
    assert page == transcript_to_html(
        scripted, title="Session", language_info={"name": "python", "pygments_lexer": "ipython3"}
    )
    assert [p.name for p in tmp_path.iterdir()] == ["session.html"]
