"""The sandbox contract end to end: every open object the source sandbox's manifest lists
(computed from its own state) lands in the target exactly once under its own source key,
read from the target sandbox's export (markers in what the target holds, never our store)."""

from __future__ import annotations

from collections import Counter

from tests.e2e.conftest import Served, cli

CHILD_KINDS = ("item", "comment", "attachment")


def target_refs(tallyfy: dict) -> Counter[str]:
    """Every source key the target holds a live object for: processes, their comments,
    their files and their links."""
    refs: Counter[str] = Counter()
    for run in tallyfy["runs"]:
        if run.get("preexisting") or run.get("archived"):
            continue
        refs[run["source_ref"]] += 1
        refs.update(c["source_ref"] for c in run["comments"] if not c["deleted"])
        refs.update(a["source_ref"] for a in run["assets"] if not (a["deleted"] or a["archived"]))
        refs.update(link["source_ref"] for link in run["links"])
    return refs


def test_every_open_item_comment_and_file_of_the_manifest_lands_once(small: Served) -> None:
    r = cli("run", str(small.folder), "--yes")
    assert r.returncode == 0, r.stderr + r.stdout
    manifest = small.export("trello")["manifest"]
    want = Counter(e["ref"] for e in manifest if e["kind"] in CHILD_KINDS and not e["archived"])
    kinds = Counter(e["kind"] for e in manifest if e["kind"] in CHILD_KINDS and not e["archived"])
    assert all(kinds[k] for k in CHILD_KINDS), f"the seeded board holds each kind: {kinds}"
    got = target_refs(small.export("tallyfy"))
    assert None not in got, "every object in the target names where it came from"
    held = Counter({ref: n for ref, n in got.items() if ref in want})
    assert held == want, {
        "missing": sorted(set(want) - set(held))[:5],
        "twice": sorted(ref for ref, n in held.items() if n > 1)[:5],
    }
    archived = {e["ref"] for e in manifest if e["archived"]}
    assert not archived & set(got), "nothing the plan leaves out (archived) is in the target"
