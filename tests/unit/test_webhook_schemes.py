"""What the Asana and ClickUp schemes make of a delivery's bytes: the signature checked the
vendor's way (hex HMAC-SHA256 of the raw body, nothing else), the id a replay is known by, a
heartbeat told from a change, and a body that names nothing refused."""

from __future__ import annotations

import hashlib
import hmac
import json

from adapters.asana.webhooks import SCHEME as ASANA
from adapters.clickup.webhooks import SCHEME as CLICKUP

SECRET = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81"


def _hex(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_asana_signs_the_raw_body_and_a_delivery_is_known_by_its_hash() -> None:
    body = b'{"events":[{"action":"changed","resource":{"gid":"12","resource_type":"task"}}]}'
    assert ASANA.verify({"x-hook-signature": _hex(body)}, body, "https://x/webhooks/asana/1", SECRET)
    assert not ASANA.verify({"x-hook-signature": _hex(body + b" ")}, body, "", SECRET)
    assert not ASANA.verify({"x-hook-signature": _hex(body, "another")}, body, "", SECRET)
    assert not ASANA.verify({}, body, "", SECRET)
    delivery = ASANA.parse(body)
    assert delivery is not None and delivery.id == hashlib.sha256(body).hexdigest() and delivery.kind == "changed"
    assert delivery.container_id == ""  # the project of the webhook it came to
    heartbeat = ASANA.parse(b'{"events":[]}')
    assert heartbeat is not None and heartbeat.id == "" and heartbeat.kind == "heartbeat"
    for nothing in (b"", b"[]", b'{"events": "x"}', b'{"data": []}', b"not json"):
        assert ASANA.parse(nothing) is None
    assert ASANA.handshake_header == "x-hook-secret" and ASANA.secret_per_webhook


def test_clickup_signs_the_raw_body_and_a_change_is_known_by_its_history_items() -> None:
    body = json.dumps(
        {"event": "taskUpdated", "history_items": [{"id": "2800763136717140857"}], "task_id": "1vj37mc"}
    ).encode()
    assert CLICKUP.verify({"x-signature": _hex(body)}, body, "", SECRET)
    assert not CLICKUP.verify({"x-signature": _hex(body).upper() + "0"}, body, "", SECRET)
    delivery = CLICKUP.parse(body)
    assert delivery is not None and delivery.id == "2800763136717140857" and delivery.kind == "taskUpdated"
    deleted = b'{"event":"taskDeleted","task_id":"1vj37mc","webhook_id":"4b67ac88"}'  # names no history item
    gone = CLICKUP.parse(deleted)
    assert gone is not None and gone.id == hashlib.sha256(deleted).hexdigest() and gone.kind == "taskDeleted"
    for nothing in (b"{}", b"[]", b'{"event": "taskUpdated", "history_items": [{"no": "id"}]}', b"<xml/>"):
        assert CLICKUP.parse(nothing) is None
    assert not CLICKUP.handshake_header and CLICKUP.secret_per_webhook
