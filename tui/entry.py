"""The `migration-wizard` console script: the headless CLI, with the TUI plugged in."""

from __future__ import annotations

from pathlib import Path

from wizard import cli


def _run_app(folder: Path | None) -> int:
    from tui.app import run_app

    return run_app(folder)


def _run_demo(workdir: Path | None) -> int:
    from tui.app import run_demo

    return run_demo(workdir)


def main() -> None:
    cli.TuiHooks.run_app = _run_app
    cli.TuiHooks.run_demo = _run_demo
    cli.main()
