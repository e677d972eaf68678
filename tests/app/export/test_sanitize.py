"""The whitelist HTML rebuild: nothing that runs, loads or escapes its box survives."""
from __future__ import annotations

import re

import pytest

from conch.app.export.sanitize import sanitize_css, sanitize_html


def _no_active_content(out: str) -> None:
    lowered = out.lower()
    for bad in ("<script", "<iframe", "<object", "<embed", "<svg", "<math", "<link", "<meta", "<base",
                "<form", "javascript:", "vbscript:", "http://", "https://", "url(", "@import", "<!--"):
        assert bad not in lowered, (bad, out)
    assert re.search(r"<[^>]*\son\w+\s*=", lowered) is None, out


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        '<img src="https://evil.example/track.png" alt="tracker">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href=" JaVaScRiPt:alert(1)">x</a>',
        '<iframe src="https://evil.example"></iframe>after',
        '<object data="x.swf"><param name=a value=b></object>',
        '<embed src="https://evil.example/x">',
        "<svg><script>alert(1)</script><svg><foreignObject><b>x</b></foreignObject></svg></svg>",
        '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
        '<div style="background:url(https://evil.example/x.png)">x</div>',
        '<div style="background:u\\72l(https://evil.example/x.png)">x</div>',
        '<style>@import "https://evil.example/x.css"; body{background:url(//evil.example/y)}</style>',
        '<link rel=stylesheet href="https://evil.example/x.css">',
        '<meta http-equiv="refresh" content="0;url=https://evil.example">',
        '<base href="https://evil.example/">',
        '<form action="https://evil.example"><button formaction="javascript:alert(1)">go</button></form>',
        "<!-- <script>alert(1)</script> -->",
        "<scr<script>ipt>alert(1)</script>",
        '<div onmouseover="alert(1)" ONCLICK=alert(2)>x</div>',
        '<body onload=alert(1)><p>hi</p></body>',
        '<video src="https://evil.example/v.mp4" poster="https://evil.example/p.png"></video>',
        '<table background="https://evil.example/bg.png"><tr><td>1</td></tr></table>',
        "<style>a{}</style><script>alert(1)",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    ],
)
def test_active_content_and_outside_references_are_gone(source: str) -> None:
    _no_active_content(sanitize_html(source))


def test_harmless_markup_survives() -> None:
    source = (
        '<table class="dataframe" border="1"><thead><tr style="text-align: right;"><th>a</th></tr></thead>'
        "<tbody><tr><td>1</td></tr></tbody></table><p><b>bold</b> &amp; <i>it</i> &lt;tag&gt;</p>"
    )
    out = sanitize_html(source)
    assert out == source


def test_text_is_escaped_anew() -> None:
    assert sanitize_html("a &lt;script&gt; b") == "a &lt;script&gt; b"
    assert sanitize_html("1 < 2 & 3 > 2") == "1 &lt; 2 &amp; 3 &gt; 2"


def test_links_keep_fragments_and_show_outside_addresses_as_titles() -> None:
    assert sanitize_html('<a href="#part">p</a>') == '<a href="#part">p</a>'
    assert sanitize_html('<a href="https://example.com/x?a=1&amp;b=2">x</a>') == (
        '<a title="https://example.com/x?a=1&amp;b=2">x</a>'
    )


def test_data_images_stay_others_leave_their_alt_text() -> None:
    png = '<img src="data:image/png;base64,iVBORw0KGgo=" width="10" onload="x()">'
    assert sanitize_html(png) == '<img src="data:image/png;base64,iVBORw0KGgo=" width="10">'
    assert sanitize_html('<img src="x.png" alt="a plot">') == "[a plot]"
    assert sanitize_html('<img src="data:text/html;base64,PHNjcmlwdD4=">') == ""


def test_the_fragment_is_balanced_and_closes_nothing_of_the_page() -> None:
    assert sanitize_html("</div></section></main><b>x") == "<b>x</b>"
    assert sanitize_html("<div><span>a</div>b") == "<div><span>a</span></div>b"
    assert sanitize_html("<p>a<br/>b<hr></p>") == "<p>a<br>b<hr></p>"


def test_styles_stay_unless_they_could_load_anything() -> None:
    out = sanitize_html("<style scoped>.dataframe tbody tr th { vertical-align: top; }</style><p>x</p>")
    assert out == "<style>.dataframe tbody tr th { vertical-align: top; }</style><p>x</p>"
    assert "url(" not in sanitize_css("a { background: URL( 'x.png' ) }")
    assert sanitize_css("a { color: red } </style><script>") == ""
    assert sanitize_css("a { content: '\\75rl(' }") == ""


def test_dropped_elements_take_their_content_and_nest() -> None:
    assert sanitize_html("a<svg><svg></svg><text>in</text></svg>b") == "ab"
    assert sanitize_html("a<svg/>b") == "ab"
    assert sanitize_html("<template><p>hidden</p></template>shown") == "shown"
