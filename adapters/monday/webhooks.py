"""monday.com's board webhooks (reference M6): one per board and event, created only once the
callback URL has echoed the `{"challenge": ...}` monday.com POSTs to it; each delivery is
`{"event": {...}}` with a JWT in `Authorization`, signed with the app's Signing Secret, whose
`aud` is the callback URL and whose `exp` bounds its life. monday.com signs the deliveries of
webhooks an app's token made, not those of a personal token."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from wizard.errors import UserError
from wizard.webhooks import Delivery, Registration, WebhookScheme

SIGNATURE_HEADER = "authorization"
LEEWAY_S = 30  # clocks apart: a token this far past its `exp` still holds

# What changes a migrated item: every event of items, their updates and their subitems (the
# column events cover status and specific columns too; a subitem's come to its parent board).
EVENTS = (
    "create_item",
    "change_name",
    "change_column_value",
    "item_moved_to_any_group",
    "item_archived",
    "item_deleted",
    "item_restored",
    "create_update",
    "edit_update",
    "delete_update",
    "create_subitem",
    "change_subitem_name",
    "change_subitem_column_value",
    "move_subitem",
    "subitem_archived",
    "subitem_deleted",
    "create_subitem_update",
)

DOCUMENTS = Path(__file__).parent / "graphql" / "webhooks"  # read as they are: they use no shared fragment


@cache
def _doc(name: str) -> str:
    return (DOCUMENTS / f"{name}.graphql").read_text("utf-8")


async def register(source: Any, callback_url: str, board_id: str, known: Callable[[str], bool]) -> Registration:
    """The board's webhooks to `callback_url`, one per event of `EVENTS`. monday.com's answer
    names no webhook's URL, so those this folder recorded on the board (`known`: an earlier start
    at this address) are deleted and made again; any other webhook of the app on the board (another
    folder's, another integration's) is left alone."""
    client = source.client
    board = await client.query_text("board_webhooks", _doc("board_webhooks"), {"board_id": board_id})
    dropped = []
    for hook in board.get("webhooks") or []:
        if isinstance(hook, dict) and known(str(hook.get("id"))):
            await client.mutate("delete_webhook", _doc("delete_webhook"), {"id": hook["id"]})
            dropped.append(str(hook["id"]))
    made = []
    for event in EVENTS:
        try:
            answer = await client.mutate(
                "create_webhook", _doc("create_webhook"), {"board_id": board_id, "url": callback_url, "event": event}
            )
        except UserError as e:
            raise UserError(
                f"monday.com would not send board {board_id}'s changes to {callback_url} ({e.sentence.rstrip('.')}); "
                "it must reach that address and have its challenge echoed, so give the tunnel's as --public-url."
            ) from None
        made.append(str((answer.get("create_webhook") or {}).get("id", "")))
    return Registration(",".join(made), dropped=tuple(dropped))


async def delete(source: Any, webhook_id: str) -> None:
    """`delete_webhook(id)` for each event's webhook of one registration (reference M6)."""
    for one in webhook_id.split(","):
        await source.client.mutate("delete_webhook", _doc("delete_webhook"), {"id": one})


def challenge(body: bytes) -> bytes | None:
    """The answer to monday.com's challenge (the same JSON back), or None when `body` is none."""
    try:
        said = json.loads(body)
    except ValueError:
        return None
    if not isinstance(said, dict) or set(said) != {"challenge"} or not isinstance(said["challenge"], str):
        return None
    return json.dumps({"challenge": said["challenge"]}).encode()


def verify(headers: Mapping[str, str], body: bytes, callback_url: str, secret: str) -> bool:
    """The JWT holds: signed HS256 with the app's Signing Secret, for this URL, not expired."""
    # lazy: PyJWT brings the cryptography package (a tenth of a second), and the registry loads
    # this scheme with monday.com's spec for every command; only `listen` verifies a delivery
    import jwt  # noqa: PLC0415

    given = headers.get(SIGNATURE_HEADER, "").removeprefix("Bearer ").strip()
    try:
        jwt.decode(
            given,
            secret,
            algorithms=["HS256"],
            audience=callback_url,
            leeway=LEEWAY_S,
            options={"require": ["exp", "iat", "aud"]},
        )
    except jwt.InvalidTokenError:
        return False
    return True


def parse(body: bytes) -> Delivery | None:
    """A delivery is one webhook's (`subscriptionId`) news of one event (`triggerUuid`): the same
    pair again is a replay. A subitem's event is about its parent's board."""
    try:
        event = json.loads(body)["event"]
        trigger, hook = str(event["triggerUuid"]), str(event["subscriptionId"])
        board = str(event.get("parentItemBoardId") or event["boardId"])
    except (ValueError, KeyError, TypeError):
        return None
    if not trigger or not board:
        return None
    return Delivery(id=f"{hook}:{trigger}", container_id=board, kind=str(event.get("type", "")))


SCHEME = WebhookScheme(
    secret_part="secret",
    secret_label="the Signing Secret of your monday.com app (Developers > your app > Basic Information); "
    "monday.com signs only the deliveries of webhooks that app's token made",
    signature_header=SIGNATURE_HEADER,
    register=register,
    verify=verify,
    parse=parse,
    challenge=challenge,
    delete=delete,
)
