"""The core knows no vendor: nothing under wizard/ imports an adapter (the registry's entry
points load them), and no vendor's name or vocabulary (Trello, Tallyfy, card, board) appears
in its code or its messages. Comments and docstrings may name them as examples."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "wizard"
# Whole words, with `_` and digits as separators too, so TRELLO_PER_10S or board_id count.
VENDOR_WORDS = re.compile(r"(?<![a-z])(trello|tallyfy|cards?|boards?)(?![a-z])", re.IGNORECASE)


def core_files() -> list[Path]:
    return sorted(p for p in CORE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def adapter_imports(path: Path, root: Path = ROOT) -> list[str]:
    """Every import of the `adapters` package in one file, at module level or inside a
    function, including `importlib.import_module("adapters...")` and `__import__`."""
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        out += [f"{path.relative_to(root)}:{node.lineno}: {n}" for n in names if n.split(".")[0] == "adapters"]
    return out


def docstring_lines(tree: ast.AST) -> set[int]:
    """The lines of every module, class and function docstring."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines |= set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def vendor_words(path: Path, root: Path = ROOT) -> list[str]:
    """Vendor words in code and in strings the user reads; comments and docstrings are skipped."""
    text = path.read_text("utf-8")
    rel = path.relative_to(root)
    if path.suffix != ".py":
        return [
            f"{rel}:{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1) if VENDOR_WORDS.search(line)
        ]
    docs = docstring_lines(ast.parse(text))
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT or (tok.type == tokenize.STRING and tok.start[0] in docs):
            continue
        if VENDOR_WORDS.search(tok.string):
            out.append(f"{rel}:{tok.start[0]}: {tok.string.strip()[:80]}")
    return out


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    """The two checks below would see a lazy import, a vendor's name in a message or an
    identifier, and let a comment or a docstring through."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Trello boards are one example."""\n'
        "import importlib\n"
        "def f():\n"
        '    """A card, as Tallyfy calls it."""\n'
        "    from adapters.tallyfy import cost  # a board\n"
        '    importlib.import_module("adapters.trello")\n'
        '    return "2 cards", TRELLO_PER_10S, board_id\n',
        "utf-8",
    )
    assert [hit.split(": ", 1)[1] for hit in adapter_imports(sample, tmp_path)] == [
        "adapters.tallyfy",
        "adapters.trello",
    ]
    assert [hit.split(": ", 1)[1] for hit in vendor_words(sample, tmp_path)] == [
        "tallyfy",
        '"adapters.trello"',
        '"2 cards"',
        "TRELLO_PER_10S",
        "board_id",
    ]


def test_core_never_imports_an_adapter() -> None:
    found = [hit for p in core_files() if p.suffix == ".py" for hit in adapter_imports(p)]
    assert not found, "wizard/ imports adapters (load them through the registry's entry points):\n" + "\n".join(found)


def test_core_never_names_a_vendor() -> None:
    found = [hit for p in core_files() for hit in vendor_words(p)]
    assert not found, "vendor words in wizard/ outside comments and docstrings:\n" + "\n".join(found)
