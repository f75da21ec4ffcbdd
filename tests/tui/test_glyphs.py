"""Every symbol the TUI draws is one that common monospace fonts have: a glyph missing from
the terminal's font shows as a box (⤼, U+293C, did: DejaVu Sans Mono and Menlo lack it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Checked against DejaVu Sans Mono's character map (the test below); Menlo derives from it.
GLYPHS = set("·–—‖•…‹›↑→↓↷↺↻⇄⇥−≠│■▣▶▼◆◇○●◷⚠✉✓✗")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")


def used() -> dict[str, str]:
    """Each non-ASCII character in the TUI's code and stylesheet, with a file that uses it."""
    out: dict[str, str] = {}
    for path in sorted([*(ROOT / "tui").rglob("*.py"), *(ROOT / "tui").rglob("*.tcss")]):
        for ch in path.read_text(encoding="utf-8"):
            if ord(ch) > 127:
                out.setdefault(ch, str(path.relative_to(ROOT)))
    return out


def test_the_tui_draws_only_known_glyphs() -> None:
    unknown = {f"{ch} U+{ord(ch):04X}": where for ch, where in used().items() if ch not in GLYPHS}
    assert not unknown, f"add them to GLYPHS only once a common monospace font draws them: {unknown}"
    assert "\u293c" not in GLYPHS


@pytest.mark.skipif(not (DEJAVU.exists() and shutil.which("fc-query")), reason="DejaVu Sans Mono is not installed")
def test_dejavu_sans_mono_draws_every_glyph() -> None:
    charset = subprocess.run(
        ["fc-query", "--format=%{charset}", str(DEJAVU)], capture_output=True, text=True, check=True
    ).stdout.split()
    ranges = [(int(a, 16), int(b or a, 16)) for a, _, b in (r.partition("-") for r in charset)]
    missing = [f"{ch} U+{ord(ch):04X}" for ch in sorted(GLYPHS) if not any(lo <= ord(ch) <= hi for lo, hi in ranges)]
    assert not missing, missing
    assert not any(lo <= 0x293C <= hi for lo, hi in ranges), "the check itself tells a missing glyph"
