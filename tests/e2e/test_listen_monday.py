"""`listen` for monday.com through the real CLI against the sandboxes: the listener echoes the
challenge of each webhook it registers (one per board and event), the sandbox sends each change
the vendor's way with a JWT signed by the app's signing secret; 50 changes reach the target in
the sync the next batch starts, an unsigned, a wrongly signed and a replayed delivery are
refused and logged, a quiet interval writes nothing, and a second start replaces its webhooks
instead of adding to them."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jwt

from adapters.monday.webhooks import EVENTS
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
MONDAY = SANDBOX_CREDENTIALS["monday"]


def _gql(s: Served, query: str, **variables: object) -> dict:
    r = httpx.post(
        f"{s.urls['monday']}/v2",
        json={"query": query, "variables": variables},
        headers={"Authorization": MONDAY["token"]},
        timeout=30,
    )
    body = r.json()
    assert r.status_code == 200 and not body.get("errors"), body
    return body["data"]


def _hooks(s: Served, boards: set[str]) -> dict[str, Counter[str]]:
    query = "query($b: ID!) { webhooks(board_id: $b) { id event } }"
    return {b: Counter(h["event"] for h in _gql(s, query, b=b)["webhooks"]) for b in boards}


def _jwt(url: str, secret: str) -> str:
    now = int(time.time())
    return jwt.encode({"aud": url, "iat": now, "exp": now + 300}, secret, algorithm="HS256")


def test_listen_to_monday_syncs_fifty_changes_in_one_batch_and_refuses_bad_deliveries(tmp_path: Path) -> None:
    s = serve(tmp_path / "m", "--systems", "monday,tallyfy", "--seed", "4", "--scale", "small", "--rate-scale", "0.001")
    folder = s.folder
    try:
        first = cli("run", str(folder), "--yes")
        assert first.returncode == 0, first.stdout + first.stderr
        runs = {r["source_ref"]: r for r in s.export("tallyfy")["runs"] if r["source_ref"]}
        items = sorted(r.rsplit(":", 1)[1] for r in runs if r.startswith("monday:item:"))
        migrated = {str(t["source_ref"]).rsplit(":", 1)[1] for t in s.export("tallyfy")["templates"] if t["source_ref"]}
        boards = {b["id"] for b in s.export("monday")["boards"] if b["state"] != "deleted"}  # archived ones too
        assert migrated <= boards
        log = tmp_path / "listen.log"
        proc = start_listening(folder, log, BATCH_S)
        try:
            url = started(proc, log)
            assert url.startswith("http://127.0.0.1:") and url.endswith(callback_path(folder, "monday"))
            assert _hooks(s, boards) == {b: Counter(EVENTS) for b in boards}
            handshakes = [e["details"]["outcome"] for e in audit_lines(folder) if e["command"] == "webhook"]
            assert handshakes == ["handshake"] * (len(EVENTS) * len(boards))

            quiet_interval_writes_nothing(s, BATCH_S)  # a quiet interval writes nothing

            # 50 changes in one request to monday.com's API (an automation's burst): items renamed,
            # and updates posted up to 50
            names = {iid: f"Item {i} · changed while listening" for i, iid in enumerate(items[: CHANGES * 2 // 3])}
            item_board = {i["id"]: i["board"]["id"] for i in _items(s, list(names))}
            notes = {f"n{i}": items[i] for i in range(CHANGES - len(names))}
            renames = {f"r{n}": iid for n, iid in enumerate(names)}
            params = [f"$b_{a}: ID!, $i_{a}: ID!, $v_{a}: JSON!" for a in renames] + [f"$i_{a}: ID!" for a in notes]
            fields = [
                f"{a}: change_multiple_column_values(board_id: $b_{a}, item_id: $i_{a}, column_values: $v_{a}) {{ id }}"
                for a in renames
            ] + [f'{a}: create_update(item_id: $i_{a}, body: "A note while listening") {{ id }}' for a in notes]
            variables: dict[str, str] = {}
            for a, iid in renames.items():
                variables |= {f"b_{a}": item_board[iid], f"i_{a}": iid, f"v_{a}": json.dumps({"name": names[iid]})}
            variables |= {f"i_{a}": iid for a, iid in notes.items()}
            made = _gql(s, f"mutation({', '.join(params)}) {{ {' '.join(fields)} }}", **variables)
            comments = {f"monday:comment:{made[a]['id']}" for a in notes}

            def missing() -> list[str]:
                target = s.export("tallyfy")["runs"]
                named = {r["source_ref"]: r["name"] for r in target}
                posted = {c["source_ref"] for r in target for c in r["comments"]}
                return [n for iid, n in names.items() if named[f"monday:item:{iid}"] != n] + sorted(comments - posted)

            # every change delivered (the sandbox sends after each write, so the last may lag it) and in the target
            assert not wait_for(lambda: [1] * (CHANGES - len(webhook_outcomes(folder, "accepted"))), BATCH_S + 60)
            assert not wait_for(missing, BATCH_S + 60)
            taken = synced_in_one_batch(folder, CHANGES, BATCH_S)

            # Refused, each with its audit line: unsigned, wrongly signed, replayed.
            hook, trigger = taken[0]["details"]["delivery"].split(":")
            board = next(iter(migrated))
            replay = json.dumps(
                {"event": {"subscriptionId": int(hook), "triggerUuid": trigger, "boardId": int(board)}}
            ).encode()
            fresh = replay.replace(trigger.encode(), b"f" * 32)
            answers = [
                httpx.post(url, content=fresh, timeout=10),
                httpx.post(url, content=fresh, headers={"Authorization": _jwt(url, "x" * 48)}, timeout=10),
                httpx.post(url, content=fresh, headers={"Authorization": _jwt(url + "x", MONDAY["secret"])}),
                httpx.post(url, content=replay, headers={"Authorization": _jwt(url, MONDAY["secret"])}, timeout=10),
                httpx.post(url, content=b'{"challenge": "late"}', timeout=10),
            ]
            assert [a.status_code for a in answers] == [401, 401, 401, 409, 403]
            refused = [e["details"]["why"] for e in audit_lines(folder) if e["details"].get("outcome") == "refused"]
            assert refused == ["unsigned", "wrong signature", "wrong signature", "replayed", "unexpected handshake"]

            quiet_interval_writes_nothing(s, BATCH_S)  # a quiet interval after the batch writes nothing again
        except BaseException:
            proc.kill()
            raise
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()

        # Started again (monday.com names no webhook's URL): its webhooks replace the first start's.
        until = datetime.fromtimestamp(time.time() + 5).isoformat(timespec="seconds")
        again = cli("listen", str(folder), "--port", "0", "--batch", "1s", "--until", until)
        assert again.returncode == 0, again.stderr
        assert _hooks(s, boards) == {b: Counter(EVENTS) for b in boards}
        assert cli("audit", "verify", str(folder)).returncode == 0
    finally:
        stop(s)


class _EchoesChallenge(BaseHTTPRequestHandler):
    """Another integration's receiver: it echoes monday.com's challenge, and takes whatever comes."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_webhook_someone_else_made_on_a_board_outlives_the_listeners_registrations(tmp_path: Path) -> None:
    """monday.com names no webhook's URL, and lists every webhook the app made on a board: the
    listener replaces only those its folder recorded, never one another integration of the app
    made on the board for one of the same events."""
    s = serve(tmp_path / "m", "--systems", "monday,tallyfy", "--seed", "4", "--scale", "small", "--rate-scale", "0.001")
    other = ThreadingHTTPServer(("127.0.0.1", 0), _EchoesChallenge)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        first = cli("run", str(s.folder), "--yes")
        assert first.returncode == 0, first.stdout + first.stderr
        boards = {b["id"] for b in s.export("monday")["boards"] if b["state"] != "deleted"}
        board = sorted(boards)[0]
        mutation = "mutation($b: ID!, $u: String!) { create_webhook(board_id: $b, url: $u, event: create_item) { id } }"
        url = f"http://127.0.0.1:{other.server_address[1]}/their/own"
        theirs = _gql(s, mutation, b=board, u=url)["create_webhook"]["id"]
        expected = {b: Counter(EVENTS) + Counter(["create_item"] if b == board else []) for b in boards}
        for start in ("first", "again"):  # the second start replaces the first's webhooks, and only those
            until = datetime.fromtimestamp(time.time() + 5).isoformat(timespec="seconds")
            listened = cli("listen", str(s.folder), "--port", "0", "--batch", "1s", "--until", until)
            assert listened.returncode == 0, listened.stderr
            on_board = _gql(s, "query($b: ID!) { webhooks(board_id: $b) { id } }", b=board)["webhooks"]
            assert theirs in {h["id"] for h in on_board}, f"the {start} start deleted another's webhook"
            assert _hooks(s, boards) == expected
    finally:
        other.shutdown()
        other.server_close()
        stop(s)


def _items(s: Served, ids: list[str]) -> list[dict]:
    return _gql(s, "query($i: [ID!]) { items(ids: $i, limit: 100) { id board { id } } }", i=ids)["items"]
