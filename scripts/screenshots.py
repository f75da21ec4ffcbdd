"""Regenerate screenshots/<screen>-80x24.svg and -160x48.svg for every screen, from the
same fixed scenes as the snapshot tests (frozen clock, fixed data, no network), plus
NO_COLOR variants of the progress and report screens.

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "tui")]
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

from tui_scenes import SCENES, prepare_env  # noqa: E402

SIZES = ((80, 24), (160, 48))
NO_COLOR_SCENES = ("progress", "report")


async def shoot(name: str, size: tuple[int, int], out: Path, no_color: bool = False) -> Path:
    make, before = SCENES[name]
    suffix = "-nocolor" if no_color else ""
    with tempfile.TemporaryDirectory(prefix="mw-shots-") as tmp:
        prepare_env(Path(tmp))
        if no_color:
            os.environ["NO_COLOR"] = "1"  # Textual reads (and pops) it when the App is built
        app = make(Path(tmp))
        async with app.run_test(size=size) as pilot:
            await before(pilot)
            svg = app.export_screenshot(title=f"migration-wizard: {name}")
        path = out / f"{name}-{size[0]}x{size[1]}{suffix}.svg"
        path.write_text(svg, encoding="utf-8")
        return path


async def main(names: list[str]) -> None:
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    for name in names or list(SCENES):
        for size in SIZES:
            print(await shoot(name, size, out))
    for name in [n for n in NO_COLOR_SCENES if not names or n in names]:
        for size in SIZES:
            print(await shoot(name, size, out, no_color=True))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
