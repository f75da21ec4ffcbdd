"""One migration of the medium Trello sandbox, through the real CLI against `sandbox serve`, read
by the three checks that only read its outcome (each made a medium run of its own before, about
a minute of CI apiece):

- issue 10 at medium scale: two boards sharing label names, every new shape; the estimate's calls
  within 5 % of the run's, and every kind balances in the report;
- the metrics scraped from the run while it writes only grow, and its final counts equal the
  sandboxes' own, status by status; `health` sees the run while it runs;
- `backup`: a backup of the vendor verifies, and migrating from it with the vendor stopped gives
  the same target as migrating from the vendor.

The run is the order a client follows: discover, estimate, back up, run. A test that changes
the target after the run (sync, rollback) keeps a run of its own (test_cli_flow.py)."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import tomlkit
from prometheus_client.parser import text_string_to_metric_families

from tests.conformance.test_pair import balanced
from tests.e2e.conftest import CLI, Served, cli, serve, stop
from tests.e2e.test_backup import content
from tests.e2e.test_long_migrations import _commands
from wizard.audit import check_chain
from wizard.backup_layout import MANIFEST

# Time compressed 10,000-fold: the checks are the calls, the counts and the two targets' content,
# not the pacing; at 1,000-fold Tallyfy's 120 comments an hour alone held a run for over two minutes.
RATE_SCALE = "0.0001"


def ok(*args: str, timeout: float = 1200) -> str:
    r = cli(*args, timeout=timeout)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r.stdout


def _scrape(url: str) -> dict[tuple[str, str], float]:
    """mw_http_requests_total by (system, status)."""
    got: Counter[tuple[str, str]] = Counter()
    for family in text_string_to_metric_families(httpx.get(url, timeout=10).text):
        for sample in family.samples:
            if sample.name == "mw_http_requests_total":
                got[(sample.labels["system"], sample.labels["status"])] += sample.value
    return dict(got)


def run_scraped(folder: Path) -> tuple[list[dict], list[str]]:
    """`run --metrics-port 0` started fresh (its start-up under test), its metrics and health
    read every half second while it runs: the scrapes and the health lines seen."""
    proc = subprocess.Popen(
        [*CLI, "run", str(folder), "--yes", "--metrics-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()
    url = re.search(r"http://127\.0\.0\.1:\d+/metrics", first)
    assert url, first
    rest: list[str] = []
    drain = threading.Thread(target=lambda: rest.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    drain.start()
    scrapes, healths = [], []
    while proc.poll() is None:
        try:
            scrapes.append(_scrape(url.group(0)))
            health = httpx.get(url.group(0).replace("/metrics", "/healthz"), timeout=10)
        except httpx.TransportError:
            break  # the run ended between two looks
        assert health.status_code == 200, health.text
        healths.append(health.text.splitlines()[0])
        time.sleep(0.5)
    assert proc.wait(timeout=1200) == 0, "".join(rest)
    return scrapes, healths


def check_metrics(s: Served, scrapes: list[dict], healths: list[str]) -> None:
    """Scraped while the run wrote, only growing; the final counts equal the sandboxes' own."""
    folder = s.folder
    assert any(h.startswith("last run: ok — running now (process") for h in healths), healths
    mid = [x for x in scrapes if sum(x.values())]
    assert len(mid) >= 2, "scraped while the run was writing"
    totals = [sum(x.values()) for x in mid]
    assert totals == sorted(totals), "counters only grow"

    final: Counter[tuple[str, str]] = Counter()
    text = (folder / "logs" / "metrics.prom").read_text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "mw_http_requests_total":
                final[(sample.labels["system"], sample.labels["status"])] += sample.value
    for system in ("trello", "tallyfy"):
        stats = s.stats(system)
        by_status: Counter[str] = Counter()
        for statuses in stats["by_route"].values():
            for status, n in statuses.items():
                by_status[status] += n
        ours = {st: int(n) for (sy, st), n in final.items() if sy == system}
        assert ours == dict(by_status), (system, ours, dict(by_status))
        assert sum(ours.values()) == stats["requests"] > 0
        assert mid[-1].get((system, "200"), 0) <= ours.get("200", 0)
    objects = {
        (x.labels["kind"], x.labels["outcome"]): x.value
        for f in text_string_to_metric_families(text)
        for x in f.samples
        if x.name == "mw_objects_total"
    }
    runs = [r for r in s.export("tallyfy")["runs"] if not r.get("preexisting")]
    assert objects[("item", "created")] == len(runs), "one process written per item created"
    assert _commands(folder).count("run") == 1
    assert check_chain(folder) is None


@pytest.mark.slow
def test_one_medium_run_is_foretold_metered_balanced_and_its_backup_migrates_like_the_vendor(tmp_path: Path) -> None:
    vendor = serve(tmp_path / "vendor", "--scale", "medium", "--seed", "1", "--rate-scale", RATE_SCALE)
    try:
        folder = vendor.folder
        ok("discover", str(folder))
        est = json.loads(ok("estimate", str(folder), "--json"))

        ok("backup", str(folder))
        archive = folder / "backup"
        manifest = json.loads((archive / MANIFEST).read_text())
        assert manifest["system"] == "trello" and manifest["counts"]["item"] > 100 and manifest["counts"]["file"] > 0
        assert manifest["raw"], "the vendor's answers as extracted are kept"
        assert "match" in ok("backup", "verify", str(folder))

        for system in ("trello", "tallyfy"):
            vendor.post(system, "stats/reset")  # from here on the sandboxes count the run's calls alone
        scrapes, healths = run_scraped(folder)
        for system, side in (("tallyfy", "target_calls"), ("trello", "source_calls")):
            real = vendor.stats(system)["requests"]
            assert abs(sum(est[side].values()) - real) <= 0.05 * real, (system, est[side], real)
        check_metrics(vendor, scrapes, healths)

        ok("verify", str(folder))
        ok("report", str(folder))
        per_kind = json.loads((folder / "reports" / "report.json").read_text())["per_kind"]
        balanced(per_kind)
        assert all(per_kind[k]["migrated"] > 0 for k in per_kind)
        from_vendor = vendor.export("tallyfy")
    finally:
        stop(vendor)  # the vendor is gone from here on

    rehearsal = serve(tmp_path / "rehearsal", "--systems", "tallyfy", "--seed", "1", "--rate-scale", RATE_SCALE)
    try:
        plan_path = rehearsal.folder / "plan.toml"
        plan = tomlkit.parse(plan_path.read_text())
        plan["source"] = {"system": "backup", "base_url": archive.as_uri(), "profile": "sandbox"}  # type: ignore[index]
        plan_path.write_text(tomlkit.dumps(plan))
        ok("run", str(rehearsal.folder), "--yes")
        ok("verify", str(rehearsal.folder))
        from_backup = rehearsal.export("tallyfy")
    finally:
        stop(rehearsal)
    want, got = content(from_vendor), content(from_backup)
    assert sum(want.values()) > 200
    assert got == want, (sorted((got - want).items())[:3], sorted((want - got).items())[:3])
