"""The layering of DESIGN.md: wizard/ never imports textual or tui; adapters/ never import tui."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(folder: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                found |= {(str(path.relative_to(ROOT)), a.name.split(".")[0]) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add((str(path.relative_to(ROOT)), node.module.split(".")[0]))
    return found


def test_core_never_imports_the_tui() -> None:
    bad = {(f, m) for f, m in imported_modules("wizard") if m in ("textual", "tui")}
    assert not bad


def test_adapters_never_import_the_tui() -> None:
    bad = {(f, m) for f, m in imported_modules("adapters") if m in ("textual", "tui")}
    assert not bad
