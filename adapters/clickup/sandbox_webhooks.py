"""ClickUp's webhooks in the sandbox, sent the vendor's way (reference 3.5, the spec's Create
Webhook): a webhook belongs to a Workspace (team) and watches one location (a space, folder,
list or task; none: the whole Workspace) for the events it names (`*`: all). Its create answer
is `{"id", "webhook"}` with the webhook's own `secret`, which Get Webhooks lists too. Each task
change goes to its endpoint as `{"event", "history_items", "task_id", "webhook_id"}`, signed in
`X-Signature` with the hex HMAC-SHA256 of the raw body under that secret; an answer that is not
2xx raises the webhook's `health.fail_count`, a 410 suspends it at once, 100 failures too."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import string
import time
import uuid
from typing import Any

from adapters.clickup.sandbox_state import TEAM_ID, ClickUpState, Task
from adapters.sandbox_webhook_sender import Sender

SIGNATURE_HEADER = "X-Signature"
SUSPENDED_AFTER = 100
TASK_EVENTS = ("taskCreated", "taskUpdated", "taskDeleted", "taskStatusUpdated", "taskMoved", "taskCommentPosted")
LOCATIONS = ("space_id", "folder_id", "list_id", "task_id")


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def make(st: ClickUpState, body: dict[str, Any]) -> dict[str, Any]:
    """A new webhook from a Create Webhook body (already checked), with its own secret."""
    rng = random.Random(f"{st.seed}:{len(st.webhooks)}:{time.time_ns()}")
    hook: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "userid": st.me,
        "team_id": int(TEAM_ID),
        "endpoint": body["endpoint"],
        "client_id": "".join(rng.choices(string.ascii_uppercase + string.digits, k=32)),
        "events": list(body["events"]),
        **{k: (str(body[k]) if body.get(k) is not None else None) for k in LOCATIONS},
        "health": {"status": "active", "fail_count": 0},
        "secret": "".join(rng.choices(string.ascii_uppercase + string.digits, k=64)),
    }
    st.webhooks[hook["id"]] = hook
    return hook


def watches(st: ClickUpState, hook: dict[str, Any], task: Task, event: str) -> bool:
    if hook["health"]["status"] == "suspended" or not ({event, "*"} & set(hook["events"])):
        return False
    lst = st.lists[task.list_id]
    where = {"space_id": lst.space_id, "folder_id": lst.folder_id, "list_id": lst.id, "task_id": task.id}
    return all(hook[k] is None or hook[k] == where[k] for k in LOCATIONS)


class Deliveries:
    """Each task change, POSTed to the webhooks that watch it from the sender's thread."""

    def __init__(self) -> None:
        self.sender = Sender("clickup", self._answered)

    def on_change(self, st: ClickUpState, task: Task, event: str, field: str, before: Any, after: Any) -> None:
        hooks = [h for h in st.webhooks.values() if watches(st, h, task, event)]
        if not hooks:
            return
        now = str(int(time.time() * 1000))
        user = st.users[st.me]
        item = {
            "id": str(random.Random(time.time_ns()).getrandbits(62)),
            "type": 1,
            "date": now,
            "field": field,
            "parent_id": task.list_id,
            "data": {},
            "source": None,
            "user": {k: user[k] for k in ("id", "username", "email", "color", "initials", "profilePicture")},
            "before": before,
            "after": after,
        }
        for hook in hooks:
            payload: dict[str, Any] = {"event": event}
            if event != "taskDeleted":  # a deletion names the task alone
                payload["history_items"] = [item]
            payload.update(task_id=task.id, webhook_id=hook["id"])
            body = json.dumps(payload, separators=(",", ":")).encode()
            self.sender.send(hook, hook["endpoint"], body, {SIGNATURE_HEADER: signature(hook["secret"], body)})

    @staticmethod
    def _answered(hook: dict[str, Any], status: int) -> None:
        health = hook["health"]
        if 200 <= status < 300:
            health.update(status="active", fail_count=0)
            return
        health["fail_count"] += 1
        health["status"] = "suspended" if status == 410 or health["fail_count"] >= SUSPENDED_AFTER else "failing"
