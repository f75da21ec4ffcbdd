"""A full disk and a credential revoked mid-run: the run stops with one sentence and a
non-zero exit, keeps everything done so far, and a resume (after space returns, after new
credentials) completes with nothing lost and nothing doubled."""

from __future__ import annotations

import resource
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import CLI, Served, serve, stop
from tests.e2e.test_cli_flow import check_complete
from tests.reliability.harness import JournalWatch, run_cli, start_cli, store_loads, tally
from wizard.migration import read_state
from wizard.store import Store


def assert_whole(s: Served) -> None:
    trello, tallyfy = s.export("trello"), s.export("tallyfy")
    check_complete(trello, tallyfy)
    t = tally(trello, tallyfy)
    assert (t.duplicates, t.lost) == (0, 0), t.per_kind


def one_sentence(err: str, *words: str) -> None:
    assert "Traceback" not in err, err[-3000:]
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, err[-3000:]
    flat = err[err.index("error:") :].replace("\n", " ")
    for w in words:
        assert w in flat, flat


# -- full disk ----------------------------------------------------------------------------
def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=False, capture_output=True
    )
    return r.returncode == 0


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 100 KB tmpfs (needs root): a small run's journal does not fit in it."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "100k"):
        pytest.skip("cannot mount a tmpfs here (not root?); the RLIMIT_FSIZE variant covers the failing write")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False, capture_output=True)


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))


@pytest.mark.slow
@pytest.mark.parametrize("how", ["tmpfs", "fsize"])
def test_a_full_disk_stops_with_one_sentence_and_resumes_when_space_returns(
    tmp_path: Path, how: str, request: pytest.FixtureRequest
) -> None:
    folder = (request.getfixturevalue("tiny_disk") if how == "tmpfs" else tmp_path) / "mig"
    s = serve(folder, "--scale", "small", "--seed", "8", "--rate-scale", "0.001")
    try:
        if how == "fsize":  # a fresh process, whose limit is set before the program starts
            r = run_cli("run", str(folder), "--yes", timeout=120, command=CLI, preexec_fn=_limit_file_size)
        else:
            r = run_cli("run", str(folder), "--yes", timeout=120)
        assert r.returncode not in (0, 1), r.stdout + r.stderr
        one_sentence(r.stderr, "resume")
        if how == "tmpfs":
            subprocess.run(["mount", "-o", "remount,size=20m", str(folder.parent)], check=True)
        store_loads(folder)
        mid = tally(s.export("trello"), s.export("tallyfy"))
        assert mid.duplicates == 0 and mid.lost > 0, "it stopped part-way"
        r = run_cli("run", str(folder), "--yes", timeout=120)
        assert r.returncode == 0, r.stderr[-3000:]
        assert_whole(s)
    finally:
        stop(s)


# -- a credential revoked mid-run -----------------------------------------------------------
@pytest.mark.slow
def test_a_token_revoked_mid_run_stops_with_one_sentence_and_resumes_after_it_is_restored(served_small: Served) -> None:
    s = served_small
    watch = JournalWatch(s.folder)
    proc = start_cli("run", str(s.folder), "--yes")
    try:
        assert watch.wait_for(80, proc, timeout=60)
        s.post("tallyfy", "revoke")
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 2, out + err
    one_sentence(err, "refused the credential", "profile 'sandbox'", "resume")
    store_loads(s.folder)
    mid = tally(s.export("trello"), s.export("tallyfy"))
    assert mid.duplicates == 0 and mid.lost > 0 and mid.checked - mid.lost > 10, "kept what was done, stopped part-way"

    r = run_cli("run", str(s.folder), "--yes")
    assert r.returncode == 2, "still refused until new credentials are given"
    s.post("tallyfy", "restore-token")
    r = run_cli("run", str(s.folder), "--yes")
    assert r.returncode == 0, r.stderr[-3000:]
    assert_whole(s)


def test_a_run_stopped_by_a_refused_credential_does_not_say_finished(served_small: Served) -> None:
    s = served_small
    s.post("tallyfy", "revoke")
    r = run_cli("run", str(s.folder), "--yes")
    assert r.returncode == 2, r.stdout + r.stderr
    one_sentence(r.stderr, "refused the credential")
    assert read_state(s.folder)[0] == "interrupted"
    store = Store(s.folder, readonly=True)
    assert store.state == "interrupted"
    s.post("tallyfy", "restore-token")
    r = run_cli("run", str(s.folder), "--yes")
    assert r.returncode == 0, r.stderr[-3000:]
    assert Store(s.folder, readonly=True).state == "finished"
