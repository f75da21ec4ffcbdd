"""The hostile workspace (tests/reliability/hostile.py) end to end through the real CLI:
markup, ANSI, marker look-alikes, climbing file names and a vendor that echoes the
Authorization header. 0 crashes, every object once, every upload's bytes exact, no secret
in any file of the folder nor on stdout/stderr, no raw control character on the terminal
or in the reports; and a kill between a comment's intent and its POST loses nothing."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from adapters.tallyfy.mapping import read_marker
from adapters.tallyfy.sandbox import TallyfySandbox
from adapters.tallyfy.target import TallyfyTarget
from adapters.trello.sandbox import TrelloSandbox
from tests.reliability.conftest import InProcess
from tests.reliability.harness import cli_env, run_cli
from tests.reliability.hostile import EchoAuthorization, EchoCredentials, seed
from wizard.migration import Migration
from wizard.plan import load_plan, save_plan
from wizard.secrets import SANDBOX_CREDENTIALS

SECRETS = [*SANDBOX_CREDENTIALS["trello"].values(), SANDBOX_CREDENTIALS["tallyfy"]["token"]]
RAW_CONTROLS = (
    [chr(c) for c in range(0x20) if chr(c) not in "\n\r\t"] + [chr(c) for c in range(0x7F, 0xA0)] + ["\u202e"]
)


def _hostile(tmp_path: Path, *, echo: bool = True) -> tuple[InProcess, dict, TrelloSandbox, TallyfySandbox]:
    trello = TrelloSandbox(seed=8, scale="small", rate_limits="off")
    planted = seed(trello.state)
    tallyfy = TallyfySandbox(seed=8, rate_limits="off")
    if echo:
        tallyfy.app = EchoAuthorization(tallyfy.app)  # type: ignore[assignment]
    return (
        InProcess(tmp_path / "mig", trello, tallyfy, source_scale=0.001, target_scale=0.001),
        planted,
        trello,
        tallyfy,
    )


def _clean(out: str, where: str) -> None:
    assert "Traceback" not in out, f"{where}: {out[-3000:]}"
    for s in SECRETS:
        assert s not in out, f"a secret reached {where}"
    bad = sorted({repr(c) for c in out if c in RAW_CONTROLS})
    assert not bad, f"raw control characters {bad} reached {where}"


def _mine(tallyfy: dict) -> list[dict]:
    return [r for r in tallyfy["runs"] if not r.get("preexisting") and not r.get("archived")]


def _check_every_object_once(sb: InProcess, tallyfy_sb: TallyfySandbox, planted: dict) -> None:
    src, dst = sb.export("trello"), sb.export("tallyfy")
    board = next(b for b in src["boards"] if b["id"] == planted["board"])
    cards = {c["id"] for c in board["cards"] if c["visible"]} - {planted["echo_card"]}
    runs = _mine(dst)
    per_card = Counter(read_marker(r["summary"]) for r in runs)
    assert per_card == Counter({f"trello:card:{c}": 1 for c in cards}), "every card once (the echoing one quarantined)"
    want = Counter(f"trello:comment:{c['id']}" for c in board["comments"] if c["card_id"] in cards)
    got = Counter(read_marker(c["content"]) for r in runs for c in r["comments"] if not c["deleted"])
    assert got == want, "every comment once, the look-alike read as what it is"
    first, second = planted["look_alike"]
    assert got[f"trello:comment:{first}"] == got[f"trello:comment:{second}"] == 1
    # every upload's bytes exact (the zipped ones compared inside their zip)
    by_run = {read_marker(r["summary"]): r for r in runs}
    for a in board["attachments"]:
        if not a["isUpload"] or a["card_id"] not in cards:
            continue
        assets = [
            x
            for x in by_run[f"trello:card:{a['card_id']}"]["assets"]
            if x["filename"] in (a["name"], a["name"] + ".zip") and not x["deleted"]
        ]
        assert len(assets) == 1, (a["name"], assets)
        content = tallyfy_sb.state.assets[assets[0]["id"]].content
        if assets[0]["filename"].endswith(".zip") and not a["name"].endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(content)) as zf:
                (member,) = zf.namelist()
                assert ".." not in member.split("/") and not member.startswith("/"), member
                content = zf.read(member)
        assert hashlib.sha256(content).hexdigest() == a["sha256"], f"the bytes of {a['name']!r}"


@pytest.mark.slow
def test_the_hostile_workspace_through_the_cli(tmp_path: Path) -> None:
    sb, planted, trello, tallyfy = _hostile(tmp_path)
    try:
        folder = str(sb.folder)
        outputs = []
        board_lists: dict[str, int] = {}  # GET /members/{id}/boards during each command

        def lists_of_boards() -> int:
            return sum(n for k, n in trello.stats.items() if k.startswith("GET /1/members/{id}/boards"))

        for args, codes in (
            (("discover", folder), {0}),
            (("estimate", folder), {0}),
            (("run", folder, "--dry-run"), {0}),
            (("run", folder, "--yes"), {1}),
            (("run", folder, "--yes"), {0, 1}),
            (("verify", folder), {0, 1}),
            (("report", folder), {0}),
            (("conflicts", folder), {0}),
        ):
            before = lists_of_boards()
            r = run_cli(*args, timeout=600)
            _clean(r.stdout + r.stderr, " ".join(args[:1]))
            assert r.returncode in codes, (args, r.returncode, r.stderr[-3000:])
            outputs.append(r.stdout + r.stderr)
            board_lists.setdefault(" ".join(args[::2]), lists_of_boards() - before)
        assert "BOLD" not in "".join(outputs).replace("[bold red]BOLD[/]", ""), "markup is never interpreted"
        _check_every_object_once(sb, tallyfy, planted)
        quarantined = json.loads((sb.folder / "reports" / "report.json").read_text())["quarantined"]
        assert [q["key"] for q in quarantined] == [f"trello:card:{planted['echo_card']}"], quarantined
        assert "[redacted]" in quarantined[0]["reason"]
        for path in sb.folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                for s in SECRETS:
                    assert s.encode() not in data, f"a secret in {path.relative_to(sb.folder)}"
        md = (sb.folder / "reports" / "report.md").read_text()
        assert not [c for c in md if c in RAW_CONTROLS], "no raw control character in report.md"
        with open(sb.folder / "reports" / "report.csv", encoding="utf-8") as f:
            assert not any(cell.startswith(("=", "+", "-", "@")) for line in f for cell in line.split(","))
        # the climbing name fetched nothing but its attachment: the run that downloads every
        # file lists the boards no more often than the dry run, which downloads none
        assert board_lists["run --yes"] == board_lists["run --dry-run"], board_lists
        assert not [k for k in trello.stats if "download" in k and not k.endswith((" 200", " 302"))], dict(trello.stats)
    finally:
        sb.close()


def test_connect_against_a_vendor_that_echoes_the_credential(tmp_path: Path) -> None:
    trello = TrelloSandbox(seed=8, scale="small", rate_limits="off")
    trello.app = EchoCredentials(trello.app)  # type: ignore[assignment]
    sb = InProcess(
        tmp_path / "mig", trello, TallyfySandbox(seed=8, rate_limits="off"), source_scale=0.001, target_scale=0.001
    )
    try:
        r = run_cli("connect", str(sb.folder), env=cli_env())
        assert r.returncode == 2, r.stdout + r.stderr
        _clean(r.stdout + r.stderr, "connect")
        assert "[redacted]" in r.stdout
        for path in sb.folder.rglob("*"):
            if path.is_file():
                assert not any(s.encode() in path.read_bytes() for s in SECRETS), path
    finally:
        sb.close()


class Killed(BaseException):
    """Stands for kill -9 between a comment's intent and its POST."""


def test_a_kill_between_intent_and_post_loses_no_comment_to_a_look_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb, planted, _, tallyfy = _hostile(tmp_path, echo=False)
    first, second = planted["look_alike"]
    post = TallyfyTarget.add_comment

    async def killed_before_posting(self: TallyfyTarget, comment, item_id: str, anchor: str) -> str:
        if comment.key == f"trello:comment:{second}":
            raise Killed
        return await post(self, comment, item_id, anchor)

    try:
        monkeypatch.setattr(TallyfyTarget, "add_comment", killed_before_posting)
        m = Migration.open(sb.folder)
        with pytest.raises(Killed):
            asyncio.run(m.run())
        m.close()
        assert f"trello:comment:{second}" in Migration.open(sb.folder).store.pending, "the intent was journalled"
        monkeypatch.setattr(TallyfyTarget, "add_comment", post)
        m = Migration.open(sb.folder)
        asyncio.run(m.run())
        m.close()
        comments = [c for r in _mine(sb.export("tallyfy")) for c in r["comments"] if not c["deleted"]]
        got = Counter(read_marker(c["content"]) for c in comments)
        assert got[f"trello:comment:{first}"] == 1 and got[f"trello:comment:{second}"] == 1, got
        _check_every_object_once(sb, tallyfy, {**planted, "echo_card": None})
    finally:
        sb.close()


# -- item 6: no traceback, one sentence ----------------------------------------------------
def _one_sentence(r, *words: str) -> None:
    err = r.stderr
    assert r.returncode == 2, (r.returncode, r.stdout + err)
    assert "Traceback" not in err and "pydantic" not in err, err[-3000:]
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, err
    flat = err[err.index("error:") :].replace("\n", " ")
    for w in words:
        assert w in flat, flat


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("new", "{d}/a", "--profile", "../x"), ("--profile", "'../x'")),
        (("new", "{d}/b", "--source-url", "ftp://x"), ("--source-url", "http://")),
        (("run", "[/x]"), ("[/x]", "no such migration folder")),
        (("discover", "{d}/[/y] \x1b[2J"), ("[/y]", "\u241b[2J")),
    ],
)
def test_bad_command_lines_end_in_one_sentence(tmp_path: Path, args: tuple, words: tuple) -> None:
    r = run_cli(*(a.format(d=tmp_path) for a in args))
    _one_sentence(r, *words)
    assert not [c for c in r.stderr if c in RAW_CONTROLS]


def test_a_scope_naming_a_board_that_does_not_exist_is_one_sentence(tmp_path: Path) -> None:
    sb = InProcess(
        tmp_path / "mig",
        TrelloSandbox(seed=8, scale="small", rate_limits="off"),
        TallyfySandbox(seed=8, rate_limits="off"),
        source_scale=0.001,
        target_scale=0.001,
    )
    try:
        plan = load_plan(sb.folder)
        plan.source.scope = ["5f0000000000000000000000"]
        save_plan(sb.folder / "plan.toml", plan)
        for command in ("discover", "run"):
            _one_sentence(
                run_cli(command, str(sb.folder), "--yes") if command == "run" else run_cli(command, str(sb.folder)),
                "Trello",
                "404",
                "5f0000000000000000000000",
            )
    finally:
        sb.close()


class AnswerOnce:
    """ASGI wrapper: GET requests whose path ends with `suffix` get `body` as the answer."""

    def __init__(self, app, suffix: str, body: object) -> None:
        self.app, self.suffix, self.body = app, suffix, body

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].endswith(self.suffix):
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": json.dumps(self.body).encode()})
            return
        await self.app(scope, receive, send)


@pytest.mark.parametrize(
    ("suffix", "body", "command"),
    [
        ("/me", {"data": "str"}, "connect"),
        (
            "/tags",
            {"data": [{"id": "t1", "title": "x"}], "meta": {"pagination": {"current_page": "one", "total_pages": 3}}},
            "run",
        ),
    ],
)
def test_a_tallyfy_answer_of_the_wrong_shape_is_one_sentence(
    tmp_path: Path, suffix: str, body: object, command: str
) -> None:
    tallyfy = TallyfySandbox(seed=8, rate_limits="off")
    tallyfy.app = AnswerOnce(tallyfy.app, suffix, body)  # type: ignore[assignment]
    sb = InProcess(
        tmp_path / "mig",
        TrelloSandbox(seed=8, scale="small", rate_limits="off"),
        tallyfy,
        source_scale=0.001,
        target_scale=0.001,
    )
    try:
        r = run_cli(command, str(sb.folder), *(["--yes"] if command == "run" else []))
        if command == "connect":
            assert r.returncode == 2 and "Traceback" not in r.stderr, r.stdout + r.stderr
            assert "Tallyfy answered" in r.stdout.replace("\n", " "), r.stdout
        else:
            _one_sentence(r, "Tallyfy", "pagination")
    finally:
        sb.close()
