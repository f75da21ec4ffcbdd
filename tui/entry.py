"""The `migration-wizard` console script: the headless CLI with the TUI plugged in. Textual
is imported only when a command opens the TUI, so headless commands start fast."""

from __future__ import annotations

from pathlib import Path

from wizard import cli


def _run_app(folder: Path | None) -> int:
    from tui.app import run_app  # noqa: PLC0415 - lazy: textual loads only for the TUI; headless commands start fast

    return run_app(folder)


def _run_demo(workdir: Path | None) -> int:
    from tui.app import run_demo  # noqa: PLC0415 - lazy, as in _run_app

    return run_demo(workdir)


def main(argv: list[str] | None = None) -> int:
    hooks = getattr(cli, "TuiHooks", None)
    if hooks is not None:
        hooks.run_app = _run_app
        hooks.run_demo = _run_demo
    return cli.main(argv)


if __name__ == "__main__":  # pragma: no cover
    main()
