"""``python -m conch.gallery OUTDIR`` renders one screenshot per output kind against a real kernel."""
from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from conch.gallery import CELLS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (which must come first)."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


@pytest.mark.timeout(240)
def test_gallery_writes_a_screenshot_per_output_kind(tmp_path: Path) -> None:
    outdir = tmp_path / "gallery"
    result = subprocess.run(
        [sys.executable, "-m", "conch.gallery", str(outdir), "--width", "700"],
        capture_output=True, text=True, timeout=180,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]

    expected = [f"{number:02d}-{name}.png" for number, (name, _) in enumerate(CELLS, 1)]
    assert len(expected) >= 20
    assert sorted(p.name for p in outdir.iterdir()) == expected
    assert [Path(line).name for line in result.stdout.split()] == expected  # each file is printed
    for name in expected:
        path = outdir / name
        width, height = png_size(path)
        assert width == 700 and height > 40, f"{name}: {width}x{height}"
        image = QImage(str(path))
        assert not image.isNull() and (image.width(), image.height()) == (width, height), name
        # Non-trivial: more than a blank background (the cell's code and output are drawn).
        assert path.stat().st_size > 5000, f"{name} is only {path.stat().st_size} bytes"
