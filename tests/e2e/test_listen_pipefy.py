"""`listen` for Pipefy through the real CLI against the sandboxes: each pipe's webhook is
registered with a token of the listener's own in its headers (Pipefy signs nothing), and the
sandbox sends each change with the webhook's headers, the vendor's way; 50 changes reach the
target in the sync the next batch starts, a delivery without the token or with another one is
refused and logged, and a quiet interval writes nothing."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx

from adapters.pipefy.webhooks import TOKEN_HEADER
from tests.e2e.conftest import Served, cli, serve, stop
from tests.e2e.listening import (
    BATCH_S,
    audit_lines,
    quiet_interval_writes_nothing,
    start_listening,
    started,
    synced_in_one_batch,
    wait_for,
    webhook_outcomes,
)
from wizard.listen import callback_path
from wizard.secrets import SANDBOX_CREDENTIALS

CHANGES = 50


def _comments(s: Served) -> set[str]:
    return {m["ref"] for m in s.export("pipefy")["manifest"] if m["kind"] == "comment"}


def _webhooks(url: str, pipe: str) -> list[dict]:
    r = httpx.post(
        f"{url}/graphql",
        json={"query": "query($p: ID!) { pipe(id: $p) { webhooks { id url headers } } }", "variables": {"p": pipe}},
        headers={"Authorization": f"Bearer {SANDBOX_CREDENTIALS['pipefy']['token']}"},
        timeout=30,
    )
    return r.json()["data"]["pipe"]["webhooks"]


def test_listen_to_pipefy_syncs_fifty_changes_in_one_batch_and_refuses_deliveries_without_the_token(
    tmp_path: Path,
) -> None:
    s = serve(tmp_path / "p", "--systems", "pipefy,tallyfy", "--seed", "4", "--scale", "small", "--rate-scale", "0.001")
    folder = s.folder
    try:
        first = cli("run", str(folder), "--yes")
        assert first.returncode == 0, first.stdout + first.stderr
        # the first pipe's cards first: they carry the seed's awkward titles (right-to-left, emoji,
        # "São Paulo — Übergabe", blank, 300 characters), renamed and commented on like any other
        runs = {r["source_ref"]: r["name"] for r in s.export("tallyfy")["runs"] if r["source_ref"]}
        cards = sorted(r.rsplit(":", 1)[1] for r in runs if r.startswith("pipefy:card:"))
        pipes = [p["id"] for p in s.export("pipefy")["pipes"]]
        log = tmp_path / "listen.log"
        proc = start_listening(folder, log, BATCH_S)
        try:
            base = started(proc, log)
            assert base.startswith("http://127.0.0.1:") and base.endswith(callback_path(folder, "pipefy"))
            hooks = {p: _webhooks(s.urls["pipefy"], p) for p in pipes}
            assert {p: [h["url"] for h in hs] for p, hs in hooks.items()} == {p: [f"{base}/{p}"] for p in pipes}
            tokens = {h["headers"][TOKEN_HEADER] for hs in hooks.values() for h in hs}
            assert len(tokens) == len(pipes), "each webhook has a token of its own"

            quiet_interval_writes_nothing(s, BATCH_S)  # a quiet interval writes nothing

            # 50 changes: cards renamed, and comments up to 50
            names = {cid: f"Card {i} · changed while listening" for i, cid in enumerate(cards[: CHANGES * 2 // 3])}
            notes = cards[: CHANGES - len(names)]
            awkward = {runs[f"pipefy:card:{cid}"] for cid in notes}
            assert {"🚀 Launch 🎉 kit", "São Paulo — Übergabe"} <= awkward, "awkward titles renamed and commented on"
            known = _comments(s)
            with httpx.Client(base_url=s.urls["pipefy"], timeout=30) as pipefy:
                for cid, name in names.items():
                    assert pipefy.post("/_sandbox/mutate", json={"card_id": cid, "title": name}).status_code == 200
                for i, cid in enumerate(notes):
                    said = pipefy.post(
                        "/_sandbox/mutate", json={"card_id": cid, "comment": f"Note {i} while listening"}
                    )
                    assert said.status_code == 200
            comments = _comments(s) - known
            assert len(comments) == len(notes)

            def missing() -> list[str]:
                target = s.export("tallyfy")["runs"]
                named = {r["source_ref"]: r["name"] for r in target}
                posted = {c["source_ref"] for r in target for c in r["comments"]}
                return [n for cid, n in names.items() if named[f"pipefy:card:{cid}"] != n] + sorted(comments - posted)

            # every change delivered (the sandbox sends after each write, so the last may lag it) and in the target
            assert not wait_for(lambda: [1] * (CHANGES - len(webhook_outcomes(folder, "accepted"))), BATCH_S + 60)
            assert not wait_for(missing, BATCH_S + 60)
            synced_in_one_batch(folder, CHANGES, BATCH_S)

            # Refused, each with its audit line: without the token, with another pipe's token.
            pipe = pipes[0]
            other = next(h["headers"][TOKEN_HEADER] for p in pipes[1:] for h in hooks[p])
            body = json.dumps({"data": {"action": "card.move", "card": {"id": int(cards[0]), "pipe_id": "x"}}})
            answers = [
                httpx.post(f"{base}/{pipe}", content=body, timeout=10),
                httpx.post(f"{base}/{pipe}", content=body, headers={TOKEN_HEADER: other}, timeout=10),
            ]
            assert [a.status_code for a in answers] == [401, 401]
            refused = [e["details"]["why"] for e in audit_lines(folder) if e["details"].get("outcome") == "refused"]
            assert refused == ["unsigned", "wrong signature"]

            quiet_interval_writes_nothing(s, BATCH_S)  # a quiet interval after the batch writes nothing again
        except BaseException:
            proc.kill()
            raise
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()
        assert cli("audit", "verify", str(folder)).returncode == 0
    finally:
        stop(s)
