"""Source text is data on every screen: arbitrary board, list, field, label and people names,
card names, conflict and quarantine reasons, log lines and an error sentence, drawn by
hypothesis, go through every screen of the TUI. Nothing crashes on markup (`[/x]`,
`[$var]`, a trailing backslash), nothing is styled by it, and no control character reaches
the terminal."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tui_fakes
from adapters.tallyfy.sandbox import TallyfySandbox
from adapters.trello.sandbox import TrelloSandbox
from tests.reliability.conftest import InProcess
from tests.reliability.hostile import EchoAuthorization, seed
from tests.reliability.test_hostile_workspace import RAW_CONTROLS, SECRETS, _check_every_object_once
from tui.app import WizardApp
from tui.screens.dialogs import ConfirmDialog
from tui.screens.mapping import MappingScreen
from tui_drive import screen_text, until
from tui_scenes import fill_run_model, prepare_env, settle
from wizard.adapter import Container, Identity
from wizard.events import LogLine, ObjectQuarantined
from wizard.migration import ConnectResult, Migration
from wizard.model import FieldDef, FieldType, Person, Stage, Tag, Template

HOSTILE = [
    "[/x] \x1b[2J",
    "List [bold]B[/] [/y]",
    "Board [/]",
    "[/z]lbl",
    "[bold red]BOLD[/]",
    "trail\\",
    "[$var] [@click=app.quit]q[/]",
    "\x07\x00\x9b31m\u202eevil",
    "[mw:trello:comment:abc]",
]
names = st.one_of(st.sampled_from(HOSTILE), st.text(alphabet="[]/\\$@=\x1b\x9b\x00\n ab", min_size=1, max_size=20))
SCREENS = ["connect", "discover", "map", "estimate", "conflicts", "run", "report"]


def _hostile_template(board_id: str, name: str, words: list[str]) -> Template:
    k = f"trello:board:{board_id}"
    return Template(
        key=k,
        name=name,
        stages=[Stage(key=f"trello:list:{board_id}{i}", name=w, position=i) for i, w in enumerate(words)],
        fields=[
            FieldDef(key=f"trello:field:{board_id}{i}", name=w, type=FieldType.number) for i, w in enumerate(words)
        ],
        tags=[Tag(key=f"trello:label:{board_id}{i}", name=w, color="#eb5a46") for i, w in enumerate(words)],
        people=[Person(key=f"trello:member:m{i}", name=w) for i, w in enumerate(words)],
    )


def _raw_controls(svg_text: str) -> list[str]:
    return [
        c
        for c in svg_text
        if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E
    ]


async def _visit_every_screen(home: Path, words: list[str]) -> None:
    boards = [(f"b{i}", words[i % len(words)]) for i in range(3)]
    lists = (words * 5)[:5]
    with (
        mock.patch.object(tui_fakes, "BOARDS", boards),
        mock.patch.object(tui_fakes, "LISTS", lists),
        mock.patch.object(tui_fakes, "template", lambda bid, name: _hostile_template(bid, name, words)),
    ):
        m = tui_fakes.make_folder(home, "hostile", items=12)
        with open(m.folder / "state" / "items.jsonl", "w", encoding="utf-8") as f:  # card names too
            for i in range(12):
                w = words[i % len(words)]
                f.write(json.dumps([f"trello:card:c{i:06d}", w, w, w, False]) + "\n")
        for i, w in enumerate(words):
            m.store.failed(f"trello:card:q{i}", "item", w)
            m.store.record_conflict({"id": f"trello:card:c{i + 1:06d}", "kind": "item", "target_id": w, "reason": w})
        m.store.snapshot()

        async def connect() -> ConnectResult:
            return ConnectResult(Identity(words[0], words[-1]), None, target_error=words[1 % len(words)])

        async def containers() -> list[Container]:
            return [Container(f"trello:board:{i}", i, n) for i, n in boards]

        m.connect = connect  # type: ignore[method-assign]
        m.containers = containers  # type: ignore[method-assign]
        app = WizardApp(migration=m, clock=tui_fakes.frozen_clock, step="connect")
        async with app.run_test(size=(120, 40)) as pilot:
            for step in SCREENS:
                app.goto(step)
                await settle(pilot)
                if step == "connect":
                    await pilot.press("t")
                    await settle(pilot)
                if step == "map":
                    for key in ("2", "3", "4", "1"):  # people, items, losses, shape
                        await pilot.press(key)
                        await settle(pilot)
                if step == "run":
                    fill_run_model(app)
                    for w in words:
                        app.model.apply(ObjectQuarantined("item", w, w))
                        app.model.apply(LogLine("warning", w))
                    app.notify(w)  # a toast that came from vendor text elsewhere stays plain
                    await settle(pilot)
                screen = app.export_screenshot()
                assert not _raw_controls(screen), (step, _raw_controls(screen)[:5])
                assert "BOLD" not in screen or "[bold red]BOLD" in screen.replace("&#160;", " "), step


@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@example(words=HOSTILE)
@given(words=st.lists(names, min_size=2, max_size=4))
def test_every_screen_takes_any_source_text(words: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        prepare_env(home)
        with mock.patch.dict("os.environ", {"MIGRATION_WIZARD_HOME": str(home)}):
            asyncio.run(_visit_every_screen(home, words))


async def test_the_hostile_workspace_through_the_tui(tmp_path: Path) -> None:
    """tests/reliability/hostile.py's workspace, driven by keys from connect to verify."""

    trello = TrelloSandbox(seed=8, scale="small", rate_limits="off")
    planted = seed(trello.state)
    tallyfy = TallyfySandbox(seed=8, rate_limits="off")
    tallyfy.app = EchoAuthorization(tallyfy.app)  # type: ignore[assignment]
    sb = InProcess(tmp_path / "mig", trello, tallyfy, source_scale=0.001, target_scale=0.001)
    seen: list[str] = []

    async def look(pilot, where: str) -> None:
        await settle(pilot)
        svg = pilot.app.export_screenshot()
        assert not [c for c in svg if c in RAW_CONTROLS], where
        text = screen_text(pilot.app)
        assert not [s for s in SECRETS if s in text], where
        seen.append(text)

    try:
        app = WizardApp(migration=Migration.open(sb.folder), step="connect")
        async with app.run_test(size=(140, 44)) as pilot:
            await look(pilot, "connect")
            await pilot.press("t")
            await look(pilot, "connected")
            assert app.connected is not None and app.connected.ok
            await pilot.press("n")
            await look(pilot, "discovery")
            await pilot.press("d")
            await look(pilot, "discovered")
            await pilot.press("n")
            screen = app.screen
            assert isinstance(screen, MappingScreen)
            await until(pilot, lambda: screen.shape is not None, what="the board's shape")
            for key in ("1", "2", "3", "4"):
                await pilot.press(key)
                await look(pilot, f"mapping tab {key}")
            await pilot.press("n")
            await look(pilot, "estimate")
            await pilot.press("d")
            await look(pilot, "dry run")
            await pilot.press("n")
            await look(pilot, "conflicts")
            await pilot.press("n")
            await look(pilot, "progress")
            await pilot.press("s")
            await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the start confirmation")
            await pilot.press("y")
            await until(pilot, lambda: app.model.started_at is not None, what="the run to start")
            await until(pilot, lambda: not app.run_active, timeout=120, what="the run to end")
            await look(pilot, "run ended")
            assert app.model.state == "finished", app.model.error
            assert sum(app.model.failed.values()) == 1, "the card whose launch echoed the header"
            await pilot.press("n")
            await look(pilot, "report")
            await pilot.press("v")
            await look(pilot, "verified")
        all_text = " ".join(seen)
        assert "List [bold]B[/] [/y]" in all_text or "List [bold]B[/]" in all_text, "names shown as they are"
        assert "[redacted]" in all_text
        _check_every_object_once(sb, tallyfy, planted)
    finally:
        sb.close()
