"""The checks that keep the house clean: scripts/test.sh lints and type-checks first, and an import
inside a function says why: ruff's PLC0415 flags each one, and its noqa must carry
a reason (a cycle, keeping textual out of the CLI, an optional extra), not only the code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOQA = re.compile(r"#\s*noqa:\s*PLC0415\b(?P<rest>.*)$")


def _has_reason(text: str) -> bool:
    return len(re.sub(r"[^a-z]", "", text.lower())) >= 8


def reasonless(text: str) -> list[int]:
    """Lines whose PLC0415 noqa gives no reason of a few words: neither on the line, nor on a
    comment line just above, nor on another such line of the same run of imports."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        m = NOQA.search(line)
        if not m or _has_reason(m["rest"]):
            continue
        j = i - 1
        while j >= 0 and (prev := NOQA.search(lines[j])) is not None and not _has_reason(prev["rest"]):
            j -= 1
        above = lines[j].strip() if j >= 0 else ""
        said = NOQA.search(above)
        if not ((said and _has_reason(said["rest"])) or (above.startswith("#") and _has_reason(above))):
            out.append(i + 1)
    return out


CODE = "noqa" + ": PLC0415"  # spelled apart, so this file does not trip its own check


def test_reasonless_noqa_is_found() -> None:
    assert reasonless(f"    import x  # {CODE}\n") == [1]
    assert reasonless(f"    import x  # {CODE} -\n") == [1]
    assert reasonless(f"    x = 1\n    import y  # {CODE}\n") == [2]
    assert reasonless(f"    import x  # {CODE} - lazy: keeps textual out of the CLI\n") == []
    assert reasonless(f"    # lazy: the sandbox needs the web server\n    import x  # {CODE}\n") == []
    assert reasonless(f"    import x  # {CODE} - after the sys.path line\n    import y  # {CODE}\n") == []


def test_the_rule_is_on_and_every_exception_says_why() -> None:
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["ruff"]["lint"]
    assert "PLC0415" in lint["select"]
    assert not any("PLC0415" in codes for codes in lint.get("per-file-ignores", {}).values())
    bare = [
        f"{p.relative_to(ROOT)}:{n}"
        for top in ("wizard", "adapters", "tui", "tests", "benchmarks", "scripts")
        for p in sorted((ROOT / top).rglob("*.py"))
        for n in reasonless(p.read_text("utf-8"))
    ]
    assert bare == [], f"an import inside a function without a reason: {bare}"


def test_the_test_command_lints_formats_and_type_checks_before_the_tests() -> None:
    test_sh = [ln.strip() for ln in (ROOT / "scripts" / "test.sh").read_text("utf-8").splitlines()]
    lint_at = test_sh.index("bash scripts/lint.sh")
    pytest_at = next(i for i, ln in enumerate(test_sh) if ln.startswith("exec .venv/bin/python -m pytest"))
    assert lint_at < pytest_at
    lint_sh = [ln.strip() for ln in (ROOT / "scripts" / "lint.sh").read_text("utf-8").splitlines()]
    assert "set -euo pipefail" in lint_sh, "a finding must stop the script"
    for step in (".venv/bin/ruff check .", ".venv/bin/ruff format --check .", ".venv/bin/mypy"):
        assert step in lint_sh, step
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"]["test"]
    assert any(d.startswith("ruff") for d in extra) and any(d.startswith("mypy") for d in extra)
