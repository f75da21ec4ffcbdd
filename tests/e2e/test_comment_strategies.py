"""Comment strategies end to end (Trello → Tallyfy, the real CLI): a digest holds every
comment of its card exactly once, read from the target sandbox's export (never our store),
also when the run is killed with SIGKILL and resumed; sync posts a comment that came after
the digest on its own; the field strategy makes no comment call at all."""

from __future__ import annotations

import json
import re
import signal
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest

from adapters.tallyfy.sandbox import TallyfySandbox
from adapters.trello.sandbox import TrelloSandbox
from tests.conformance import views
from tests.e2e.conftest import Served, cli, serve, stop
from tests.reliability.conftest import InProcess
from tests.reliability.harness import crash_resume, run_cli, start_cli
from wizard.secrets import SANDBOX_CREDENTIALS

MARKER = re.compile(r"\[mw:([^\]\s]+)\]")


def choose(folder: Path, strategy: str) -> None:
    plan = folder / "plan.toml"
    text = plan.read_text()
    assert 'comments = "each"' in text
    plan.write_text(text.replace('comments = "each"', f'comments = "{strategy}"', 1))


def our_threads(tallyfy: dict) -> list[dict]:
    """The comments the migration posted on live processes (each listed once)."""
    seen: dict[str, dict] = {}
    for run in tallyfy["runs"]:
        if run.get("preexisting") or run.get("archived"):
            continue
        for c in run["comments"]:
            if c["source_ref"] and not c["deleted"]:
                seen[c["id"]] = c
    return list(seen.values())


def comments_wanted(s: Served) -> Counter[str]:
    entries = views.manifest(s.export("trello"), "trello")
    return views.wanted(entries, kinds=("comment",))


def assert_digests_hold_every_comment_once(s: Served) -> list[dict]:
    want = comments_wanted(s)
    threads = our_threads(s.export("tallyfy"))
    held = Counter(m for t in threads for m in MARKER.findall(t["content"]) if ":comment:" in m)
    assert want and held == want, {
        "missing": sorted(set(want) - set(held))[:5],
        "twice": sorted(r for r, n in held.items() if n > 1)[:5],
    }
    return threads


def test_a_digest_run_holds_each_comment_once_in_one_comment_per_card(small: Served) -> None:
    choose(small.folder, "digest")
    r = cli("run", str(small.folder), "--yes")
    assert r.returncode == 0, r.stderr[-3000:]
    threads = assert_digests_hold_every_comment_once(small)
    # one digest per card with comments: its own marker is the card's, each entry its comment's
    cards = Counter(t["source_ref"].split("#digest")[0] for t in threads)
    assert all("#digest" in t["source_ref"] for t in threads)
    assert set(cards.values()) == {1}
    v = cli("verify", str(small.folder))
    assert v.returncode == 0, v.stdout[-3000:]
    # the report and the ledger say which strategy each board used
    rep = cli("report", str(small.folder))
    assert rep.returncode == 0, rep.stderr[-2000:]
    report = (small.folder / "reports" / "report.md").read_text()
    assert "comments as a digest" in report
    ledger = (small.folder / "reports" / "report.csv").read_text()
    assert ",comment,created,digest_entry," in ledger

    # A comment made after the digest arrives by sync as a comment of its own.
    card = next(t["source_ref"].split("#digest")[0].split(":")[-1] for t in threads)
    cred = SANDBOX_CREDENTIALS["trello"]
    auth = {"Authorization": f'OAuth oauth_consumer_key="{cred["key"]}", oauth_token="{cred["token"]}"'}
    posted = httpx.post(
        f"{small.urls['trello']}/1/cards/{card}/actions/comments",
        params={"text": "after the digest ✅"},
        headers=auth,
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    new_ref = f"trello:comment:{posted.json()['id']}"
    r = cli("sync", str(small.folder))
    assert r.returncode == 0, r.stderr[-3000:]
    after = our_threads(small.export("tallyfy"))
    alone = [t for t in after if t["source_ref"] == new_ref]
    assert len(alone) == 1 and MARKER.findall(alone[0]["content"]) == [new_ref]
    assert sorted(t["id"] for t in after if t["id"] != alone[0]["id"]) == sorted(t["id"] for t in threads)
    assert_digests_hold_every_comment_once(small)

    # The report says what each board's comments became, not what the plan says now.
    plan = small.folder / "plan.toml"
    plan.write_text(plan.read_text().replace('comments = "digest"', 'comments = "each"', 1))
    rep = cli("report", str(small.folder))
    assert rep.returncode == 0, rep.stderr[-2000:]
    said = json.loads((small.folder / "reports" / "report.json").read_text())["comment_strategies"]
    assert {x["strategy"] for x in said} == {"digest"}, said
    assert all("the plan now says each" in x["why"] for x in said), said


def test_the_field_strategy_writes_the_history_to_the_kick_off_form_and_posts_no_comment(small: Served) -> None:
    choose(small.folder, "field")
    r = cli("run", str(small.folder), "--yes")
    assert r.returncode == 0, r.stderr[-3000:]
    tallyfy = small.export("tallyfy")
    assert our_threads(tallyfy) == []
    held: Counter[str] = Counter()
    for run in tallyfy["runs"]:
        if not run.get("preexisting"):
            for value in (run.get("prerun") or {}).values():
                held.update(m for m in MARKER.findall(str(value)) if ":comment:" in m)
    assert held == comments_wanted(small)
    v = cli("verify", str(small.folder))
    assert v.returncode == 0, v.stdout[-3000:]


@pytest.mark.slow
def test_a_digest_run_on_medium_killed_and_resumed_holds_each_comment_exactly_once(tmp_path: Path) -> None:
    s = serve(tmp_path / "mig", "--scale", "medium", "--seed", "4", "--rate-scale", "0.0001")
    try:
        choose(s.folder, "digest")
        figs = crash_resume(s, kills=4, seed=19, scale="medium", log=lambda _: None)
        assert figs.kills >= 1
        t = figs.tally
        assert (t.lost, t.duplicates, t.unexpected) == (0, 0, 0), t.per_kind
        assert_digests_hold_every_comment_once(s)
        v = cli("verify", str(s.folder))
        assert v.returncode == 0, v.stdout[-3000:]
    finally:
        stop(s)


def test_a_digest_stored_but_never_answered_is_found_by_its_marker_and_a_rerun_writes_nothing(
    tmp_path: Path,
) -> None:
    """SIGKILL after Tallyfy stored a card's digest and before its answer came (the journal
    holds the intent, not the result): the resume looks for the digest by its marker instead
    of posting it again, so each card holds one digest and each comment is held once; a run
    after the finished one writes nothing."""
    trello = TrelloSandbox(seed=2, scale="small", rate_limits="off")
    tallyfy = TallyfySandbox(seed=2, hour_seconds=3.6, minute_seconds=0.06)
    sb = InProcess(tmp_path / "mig", trello, tallyfy, source_scale=0.001, target_scale=0.001)
    stored, release = threading.Event(), threading.Event()
    add_thread = tallyfy.state.add_thread

    def held_after_storing(task, content, *a, **kw):  # type: ignore[no-untyped-def]
        th = add_thread(task, content, *a, **kw)
        if "#digest" in content and not stored.is_set():
            stored.set()
            release.wait(30)  # the answer is held until the run that sent it is killed
        return th

    tallyfy.state.add_thread = held_after_storing  # type: ignore[method-assign]
    try:
        choose(sb.folder, "digest")
        proc = start_cli("run", str(sb.folder), "--yes")
        try:
            assert stored.wait(120), "no digest was posted"
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
        finally:
            release.set()
        assert proc.returncode == -signal.SIGKILL
        r = run_cli("run", str(sb.folder), "--yes")
        assert r.returncode == 0, r.stderr[-3000:]
        threads = assert_digests_hold_every_comment_once(sb)  # type: ignore[arg-type]
        assert set(Counter(t["source_ref"] for t in threads).values()) == {1}, "a digest posted twice"
        before = views.writes(dict(stats_of(tallyfy)))
        r = run_cli("run", str(sb.folder), "--yes")
        assert r.returncode == 0, r.stderr[-3000:]
        assert views.writes(dict(stats_of(tallyfy))) == before
        assert our_threads(sb.export("tallyfy")) == threads
    finally:
        sb.close()


def stats_of(sandbox: TallyfySandbox) -> dict:
    """The in-process sandbox's request counts, shaped as `/_sandbox/stats` answers them."""
    by_route: dict[str, dict[str, int]] = {}
    for k, n in sandbox.stats.items():
        route, status = k.rsplit(" ", 1)
        by_route.setdefault(route, {})[status] = n
    return {"by_route": by_route}


@pytest.mark.parametrize("strategy", ["digest", "field", "recent"])
def test_the_estimate_foretells_the_dry_run_and_the_run_of_each_strategy(small: Served, strategy: str) -> None:
    choose(small.folder, strategy)
    est = json.loads(cli("estimate", str(small.folder), "--json").stdout)
    dry = json.loads(cli("run", str(small.folder), "--dry-run", "--json").stdout)
    assert est["target_writes"] == dry["writes"]
    assert sum(est["target_calls"].values()) == dry["calls"]
    chosen = [c for c in est["comment_strategies"] if c["chosen"]]
    assert [c["name"] for c in chosen] == [strategy]
    assert chosen[0]["calls"] == sum(est["target_calls"].values()) + sum(est["source_calls"].values())
    said = " ".join(cli("estimate", str(small.folder)).stdout.split())
    assert "Comments, by strategy ([mapping] comments): each: " in said and f" · {strategy}: " in said
    before = views.calls(small.stats("tallyfy"))
    r = cli("run", str(small.folder), "--yes")
    assert r.returncode == 0, r.stderr[-3000:]
    assert views.calls(small.stats("tallyfy")) - before == dry["calls"]


@pytest.mark.parametrize("strategy", ["field", "digest"])
def test_into_monday_each_comment_is_held_once_in_the_history_column_or_a_digest(tmp_path: Path, strategy: str) -> None:
    s = serve(tmp_path / "m", "--systems", "trello,monday", "--seed", "2", "--scale", "small", "--rate-scale", "0.001")
    try:
        choose(s.folder, strategy)
        r = cli("run", str(s.folder), "--yes")
        assert r.returncode == 0, r.stderr[-3000:]
        entries = views.manifest(s.export("trello"), "trello")
        monday = s.export("monday")
        t = views.tally(entries, monday)
        expected = t.per_kind["comment"]["expected"]
        assert expected > 0
        updates = [u for node in views._objects(monday) for u in node.get("updates") or []]
        in_updates = sum(len(u["held_refs"]) + (":comment:" in (u["source_ref"] or "")) for u in updates)
        # a digest holds them all in updates; the field holds most in the Comment history column
        assert in_updates == expected if strategy == "digest" else in_updates < expected
        assert (t.lost, t.duplicates, t.unexpected) == (0, 0, 0), t.per_kind
        v = cli("verify", str(s.folder))
        assert v.returncode == 0, v.stdout[-3000:]
    finally:
        stop(s)
