"""Every colour of both code styles meets WCAG AA contrast on its theme's backgrounds."""
from __future__ import annotations

import colorsys

import pytest
from pygments.style import Style, StyleMeta
from pygments.styles import get_style_by_name
from pygments.token import (
    STANDARD_TYPES, Comment, Error, Keyword, Name, Number, Operator, String, Whitespace, _TokenType,
)

from conch.app.look.code_style import (
    AA_NORMAL_TEXT, CODE_STYLES, ConchDarkStyle, ConchLightStyle, contrast_ratio, relative_luminance,
)
from conch.app.look.highlight import token_style
from conch.app.look.palette import DARK, LIGHT, PALETTES, Palette


def backgrounds(palette: Palette) -> dict[str, str]:
    return {
        "background": palette.background,  # the transcript and the input editor
        "foreign_background": palette.foreign_background,  # code another client ran
    }


BACKGROUNDS = backgrounds(LIGHT)
FOREGROUND = LIGHT.foreground  # what tokens without a colour of their own are drawn in


def failures(style: StyleMeta, palette: Palette = LIGHT) -> list[str]:
    """Every token whose text falls below AA contrast on a console background (or its own)."""
    tokens: set[_TokenType] = {token for token, _spec in style} | set(STANDARD_TYPES)
    found = []
    for token in sorted(tokens):
        spec = style.style_for_token(token)
        text = f"#{spec['color']}".lower() if spec["color"] else palette.foreground
        behind = {"own bgcolor": f"#{spec['bgcolor']}".lower()} if spec["bgcolor"] else backgrounds(palette)
        for where, background in behind.items():
            ratio = contrast_ratio(text, background)
            if ratio < AA_NORMAL_TEXT:
                found.append(f"{token} {text} on {where} {background}: {ratio:.2f}")
    return found


def test_the_backgrounds_are_the_themes() -> None:
    assert BACKGROUNDS == {"background": "#ffffff", "foreign_background": "#f5eef8"}
    assert FOREGROUND == "#1e1e1e"


def test_contrast_ratio_follows_wcag() -> None:
    assert relative_luminance("#000000") == 0 and relative_luminance("#fff") == 1
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the AA grey
    assert contrast_ratio("#777777", "#ffffff") < AA_NORMAL_TEXT
    with pytest.raises(ValueError):
        relative_luminance("#12345")


def test_every_token_colour_meets_aa_on_both_backgrounds() -> None:
    assert failures(ConchLightStyle) == []


@pytest.mark.parametrize("palette", list(PALETTES.values()), ids=list(PALETTES))
def test_each_themes_code_style_meets_aa_on_that_themes_backgrounds(palette: Palette) -> None:
    style = CODE_STYLES[palette.code_style]
    assert failures(style, palette) == []
    assert DARK.code_style == ConchDarkStyle.name and LIGHT.code_style == ConchLightStyle.name


def test_the_dark_style_fails_on_the_light_background() -> None:
    """The checker tells the themes apart: light code colours on white are unreadable."""
    assert len(failures(ConchDarkStyle, LIGHT)) > 10


def test_the_styles_differ_in_colours_only() -> None:
    tokens = {token for token, _spec in ConchLightStyle} | {token for token, _spec in ConchDarkStyle}
    for token in tokens:
        light, dark = ConchLightStyle.style_for_token(token), ConchDarkStyle.style_for_token(token)
        assert (light["bold"], light["italic"]) == (dark["bold"], dark["italic"]), token
        assert (light["color"] is None) == (dark["color"] is None), token


@pytest.mark.parametrize("palette", list(PALETTES.values()), ids=list(PALETTES))
def test_terminal_colours_and_prompts_are_readable(palette: Palette) -> None:
    """The ANSI colours programs print in (bar 0 black and 8 grey, meant as backgrounds or
    dim text) and the prompts and notices reach 3:1 at least on the transcript."""
    readable = [*(palette.ansi_16[i] for i in range(16) if i not in (0, 7, 8, 15)),
                palette.in_prompt, palette.out_prompt, palette.notice_error, palette.notice_warning]
    low = [c for c in readable if contrast_ratio(c, palette.background) < 3.0]
    assert low == []
    assert contrast_ratio(palette.foreground, palette.background) >= 7
    assert contrast_ratio(palette.foreground, palette.stderr_background) >= AA_NORMAL_TEXT


def test_the_checker_flags_pygments_default_style() -> None:
    found = failures(get_style_by_name("default"))
    assert any(f.startswith("Token.Text.Whitespace #bbbbbb on background") for f in found)
    assert any(f.startswith("Token.Comment #3d7b7b on foreign_background") for f in found)
    assert any(f.startswith("Token.Operator.Word #aa22ff on foreign_background") for f in found)


def test_the_checker_reads_a_tokens_own_background() -> None:
    class WhiteOnRed(Style):
        styles = {Error: "#ffffff bg:#ff0000", Keyword: "#ffffff bg:#b00000"}

    assert failures(WhiteOnRed) == ["Token.Error #ffffff on own bgcolor #ff0000: 4.00"]


def test_numbers_and_operators_are_coloured_not_grey() -> None:
    for token in (Number, Number.Float, Operator, Operator.Word, Name.Decorator):
        colour = ConchLightStyle.style_for_token(token)["color"]
        assert colour, token
        r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4))
        assert colorsys.rgb_to_hls(r, g, b)[2] > 0.5, f"{token} #{colour} is greyish"
    assert ConchLightStyle.style_for_token(Number)["color"] != ConchLightStyle.style_for_token(Operator)["color"]


def test_familiar_look() -> None:
    keyword = ConchLightStyle.style_for_token(Keyword)
    assert keyword["bold"] and keyword["color"] == "007020"
    assert ConchLightStyle.style_for_token(String.Double)["color"] == "b21e1e"
    assert ConchLightStyle.style_for_token(String.Doc)["italic"]
    comment = ConchLightStyle.style_for_token(Comment.Single)
    assert comment["italic"] and comment["color"] == "35696a"
    assert ConchLightStyle.style_for_token(Name.Builtin.Pseudo)["color"] == "007020"
    assert ConchLightStyle.style_for_token(Whitespace)["color"] is None


def test_highlighting_uses_the_style() -> None:
    assert token_style(Keyword, ConchDarkStyle).fg == (0x6F, 0xA8, 0xFF)
    assert token_style(Number.Integer).fg == (0x00, 0x5F, 0x87)
    assert token_style(Operator).fg == (0x9A, 0x48, 0x00)
    assert token_style(Keyword).bold and token_style(Keyword).fg == (0x00, 0x70, 0x20)
    assert token_style(Whitespace).fg is None
