"""Starve it: injected faults, a target that is down, the Tallyfy hourly comment cap and
Trello's rate limits. Always the real CLI against the real sandboxes, checked from their
exports and their own request statistics."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from adapters.sandboxkit import Faults
from adapters.tallyfy.sandbox import TallyfySandbox
from adapters.trello.sandbox import TrelloSandbox
from adapters.trello.sandbox_api import iter_open_cards
from tests.e2e.conftest import Served, serve, stop
from tests.e2e.test_cli_flow import check_complete
from tests.reliability.conftest import InProcess
from tests.reliability.harness import JournalWatch, run_cli, start_cli, store_loads, tally
from wizard.secrets import SANDBOX_CREDENTIALS


def requests(stats: dict) -> int:
    return sum(n for by in stats["by_route"].values() for n in by.values())


def failures(stats: dict) -> int:
    return sum(n for by in stats["by_route"].values() for st, n in by.items() if st in ("0", "429", "503"))


def assert_whole(served: Served | InProcess) -> None:
    trello, tallyfy = served.export("trello"), served.export("tallyfy")
    check_complete(trello, tallyfy)
    t = tally(trello, tallyfy)
    assert (t.duplicates, t.lost) == (0, 0), t.per_kind


@pytest.mark.slow
def test_twenty_percent_faults_lose_and_double_nothing_with_bounded_retries(tmp_path: Path) -> None:
    clean = serve(tmp_path / "clean", "--scale", "small", "--seed", "9", "--rate-scale", "0.001")
    try:
        assert run_cli("run", str(clean.folder), "--yes").returncode == 0
        baseline = requests(clean.stats("tallyfy"))
    finally:
        stop(clean)
    s = serve(tmp_path / "mig", "--scale", "small", "--seed", "9", "--rate-scale", "0.001", "--faults", "0.2")
    try:
        r = run_cli("run", str(s.folder), "--yes")
        assert r.returncode == 0, r.stderr[-3000:]
        assert "Traceback" not in r.stderr
        assert_whole(s)
        stats = s.stats("tallyfy")
        total, failed = requests(stats), failures(stats)
        assert failed > 0.1 * total, "faults were injected"
        # Each request is retried at most max_retries times; in practice a 20% fault rate
        # costs about 1/(1-0.2) of the calls plus a read to reconcile each unknown write.
        assert total <= 2 * baseline, (total, baseline)
        statuses = {st for by in stats["by_route"].values() for st in by}
        assert {"0", "429", "503"} <= statuses, "resets, 429s and 503s all happened"
    finally:
        stop(s)


@pytest.mark.slow
def test_a_target_that_is_down_opens_the_breaker_and_a_later_resume_completes(served_small: Served) -> None:
    s = served_small
    watch = JournalWatch(s.folder)
    proc = start_cli("run", str(s.folder), "--yes")
    try:
        assert watch.wait_for(60, proc, timeout=60)
        s.post("tallyfy", "stats/reset")
        s.post("tallyfy", "faults", {"rate_5xx": 1.0})
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode not in (0, None), out + err
    assert "Traceback" not in err
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "stopped asking" in err.replace("\n", " "), err[-3000:]
    refused = sum(by.get("503", 0) for by in s.stats("tallyfy")["by_route"].values())
    # 12 failures in a row open the breaker; at most the calls already in flight follow.
    assert 12 <= refused <= 20, f"{refused} requests reached a target that answered 503 to everything"
    store_loads(s.folder)

    s.post("tallyfy", "faults", {})
    r = run_cli("run", str(s.folder), "--yes")
    assert r.returncode == 0, r.stderr[-3000:]
    assert_whole(s)


@pytest.mark.slow
def test_the_tallyfy_comment_cap_is_waited_out_and_announced(tmp_path: Path) -> None:
    # The hour lasts 7.2 s; 40 more comments on one card take the run past 120 comments.
    s = serve(tmp_path / "mig", "--scale", "small", "--seed", "5", "--rate-scale", "0.002")
    try:
        trello = s.export("trello")
        card = next(c["id"] for c in trello["boards"][0]["cards"] if c["visible"])
        cred = SANDBOX_CREDENTIALS["trello"]
        auth = {"Authorization": f'OAuth oauth_consumer_key="{cred["key"]}", oauth_token="{cred["token"]}"'}
        with httpx.Client(base_url=s.urls["trello"] + "/1", headers=auth, timeout=30) as c:
            for i in range(45):
                for _ in range(20):
                    r = c.post(f"/cards/{card}/actions/comments", params={"text": f"extra comment {i} ✅"})
                    if r.status_code != 429:
                        break
                    time.sleep(0.05)
                assert r.status_code == 200, r.text
        wanted = sum(
            1
            for b in s.export("trello")["boards"]
            for c in b["comments"]
            if c["card_id"] in {x["id"] for x in b["cards"] if x["visible"]}
        )
        assert wanted > 120
        started = time.monotonic()
        r = run_cli("run", str(s.folder), "--yes")
        took = time.monotonic() - started
        assert r.returncode == 0, r.stderr[-3000:]
        assert "waiting for tallyfy rate limit until" in r.stderr, r.stderr[-3000:]
        assert took >= 3, "the capped hour was waited out"
        assert_whole(s)
    finally:
        stop(s)


def _extra_uploads(sb: object, n: int) -> None:
    """n more small uploaded files on the open cards, so a small run makes hundreds of calls."""
    st = sb.state  # type: ignore[attr-defined]

    cards = list(iter_open_cards(st))
    for i in range(n):
        card = cards[i % len(cards)]
        aid = st.new_id()
        card.attachments.append(
            {
                "id": aid,
                "name": f"extra-{i}.txt",
                "fileName": f"extra-{i}.txt",
                "bytes": 64 + i,
                "mimeType": "text/plain",
                "date": "2024-06-01T00:00:00.000Z",
                "idMember": st.me,
                "isUpload": True,
                "edgeColor": None,
                "pos": 16384 * (len(card.attachments) + 1),
                "previews": [],
                "url": f"https://trello.example/{aid}/extra-{i}.txt",
            }
        )


WINDOW_SCALE = 0.6  # Trello's 10-s windows last 6 s


@pytest.mark.slow
def test_our_limiter_keeps_trello_below_its_limits(tmp_path: Path) -> None:
    """With Trello's documented limits (100 per token per window) on windows short enough to
    bind, a run of ~250 source calls draws no 429 from Trello, and the windows were full.
    The window (6 s) is long enough that a busy machine still fills it: at 3 s, four of these
    runs at once on two cores peaked at 82 calls a window, and the check could not tell."""

    trello = TrelloSandbox(seed=4, scale="small", rate_limits="documented", window_scale=WINDOW_SCALE)
    _extra_uploads(trello, 220)
    peak = {"token": 0}
    admit = trello.limits.admit

    def counting_admit(key: str, token: str, **kw: object) -> str | None:
        error = admit(key, token, **kw)  # type: ignore[arg-type]
        w = trello.limits.tokens.get(token)
        if w is not None:
            peak["token"] = max(peak["token"], w.count)
        return error

    trello.limits.admit = counting_admit  # type: ignore[method-assign]
    tallyfy = TallyfySandbox(seed=4, rate_limits="off")
    sb = InProcess(tmp_path / "mig", trello, tallyfy, source_scale=WINDOW_SCALE, target_scale=0.001)
    try:
        r = run_cli("run", str(sb.folder), "--yes")
        assert r.returncode == 0, r.stderr[-3000:]
        stats = dict(trello.stats)
        calls = sum(stats.values())
        limited = sum(n for k, n in stats.items() if k.endswith(" 429"))
        assert calls > 200
        assert peak["token"] >= 90, f"the limits did not bind (peak {peak['token']} per window)"
        assert limited == 0, {k: n for k, n in stats.items() if k.endswith(" 429")}
        assert_whole(sb)
    finally:
        sb.close()


def test_faults_uniform_spreads_the_rate_over_every_kind() -> None:
    f = Faults.uniform(0.2, seed=3)
    assert abs(f.rate_429 + f.rate_5xx + f.rate_reset + f.rate_truncate - 0.2) < 1e-9
