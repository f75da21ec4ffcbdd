"""Source text is data: whatever a name, value, comment or file name holds, it reaches the
terminal (Rich sinks, the CLI's tables), the reports (Markdown, CSV, JSON) as text, with
control characters visible, never as markup, a control sequence, a table break or a formula."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from wizard.engine.report import build_report, to_csv, to_markdown, write_reports
from wizard.events import CircuitOpened, LogLine, ObjectQuarantined, RateLimited, RequestRetried
from wizard.plan import Plan, Source, Target
from wizard.sinks import RichSink
from wizard.store import Store
from wizard.textsafe import csv_cell, md, visible

HOSTILE = [
    "[/x] \x1b[2J",
    "\u2028",
    "a\u2029b",
    "List [bold]B[/] [/y]",
    "Board [/]",
    "[/z]lbl",
    "[bold red]BOLD[/]",
    "a\\",
    "x\\[/]",
    "| a | b |\n# h",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x")',
    "+1",
    "-2",
    "@SUM(A1)",
    "\x07\x00\x9b31m\u202eevil",
    "[mw:trello:comment:abc]",
    "../../../../../members/me/boards",
]
texts = st.one_of(st.sampled_from(HOSTILE), st.text(), st.text(alphabet="[]/\\\x1b\x9b|=+-@`*_<>\n\r\t ab"))


def _console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=True, color_system="truecolor", width=300), buf


def _no_raw_controls(s: str, *, allow: str = "\n") -> None:
    bad = [c for c in s if (ord(c) < 0x20 and c not in allow) or 0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E]
    assert not bad, f"raw control characters {bad!r} in {s!r}"


@given(texts)
def test_visible_shows_every_control_and_keeps_the_rest(text: str) -> None:
    out = visible(text)
    _no_raw_controls(out, allow="")
    printable = "".join(c for c in text if c.isprintable() and not 0x200B <= ord(c) <= 0x206F and c != "\ufeff")
    assert all(c in out for c in printable)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=150)
@given(texts)
def test_rich_sink_prints_any_vendor_text_as_it_is(text: str) -> None:
    console, buf = _console()
    sink = RichSink(console)
    for ev in (
        ObjectQuarantined("item", "trello:card:1", text),
        LogLine("warning", text),
        RequestRetried("trello", 3, text),
        CircuitOpened("tallyfy", text),
        RateLimited("tallyfy", 0.0, text),
    ):
        sink.emit(ev)  # a MarkupError here is the defect this guards against
    out = buf.getvalue()  # the rendered lines hold the text itself, controls visible, no markup applied
    shown = visible(text)
    if shown.strip() and "\\" not in shown and "\n" not in text:
        assert shown in _strip_sgr(out)


def _strip_sgr(s: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", s)


def _plan() -> Plan:
    return Plan(
        name="hostile",
        source=Source(system="trello", base_url="http://127.0.0.1:1", profile="sandbox"),
        target=Target(system="tallyfy", base_url="http://127.0.0.1:2", profile="sandbox", organization="o"),
    )


@settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture], deadline=None, max_examples=60
)
@given(name=texts, reason=texts, person=texts)
def test_reports_keep_any_text_as_data(tmp_path: Path, name: str, reason: str, person: str) -> None:
    folder = tmp_path / "f"
    (folder / "state").mkdir(parents=True, exist_ok=True)
    store = Store(folder)
    try:
        store.failed("trello:card:1", "item", reason, quarantine=True)
        store.set_meta(people={"p": {"name": person, "action": "placeholder", "reason": reason}})
        report = build_report(
            _plan().model_copy(update={"name": name}), store, losses=[(f"field '{name}' (number)", reason)]
        )
        text = to_markdown(report)
        _no_raw_controls(text)
        for line in text.splitlines():
            if line.startswith("| ") and not line.startswith("| ---"):
                # a cell's | is escaped: every table row keeps its column count
                assert line.replace("\\|", "").count("|") in (4, 6, 7), line
        assert "<script>" not in text
        rows = list(csv.reader(io.StringIO(to_csv(store))))
        for row in rows:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@")), cell
                _no_raw_controls(cell, allow="\n\r\t")
        paths = write_reports(folder, report, store)
        assert json.loads(paths[1].read_text())["migration"] == visible(name) or name != visible(name)
    finally:
        store.close()


def test_markdown_and_csv_helpers_defuse_the_known_attacks() -> None:
    assert md("a | b") == "a \\| b"
    assert md("<img src=x onerror=alert(1)>").startswith("\\<img")
    assert md("[click](http://evil)") == "\\[click\\](http://evil)"
    assert "\n" not in md("two\nlines")
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("@SUM(A1)") == "'@SUM(A1)" and csv_cell("-2") == "'-2"
    assert csv_cell("plain") == "plain"
    assert visible("\x1b[2J") == "\u241b[2J"
