"""The hostile workspace: a Trello board written by many people over years, as an attacker
would write it. Seeded into the Trello sandbox's state (in process), with a Tallyfy sandbox
that echoes the Authorization header back in a 422, as a misbehaving vendor does.

- markup: `[/x]`, `[bold]…[/]`, `Board [/]`, `[/z]lbl`, `[$var]`, a trailing backslash;
- ANSI and other controls: `\\x1b[2J`, BEL, NUL, a C1 CSI, a right-to-left override;
- marker look-alikes: a comment quoting another comment's marker, on the same card;
- climbing file names: `../../../../../members/me/boards`, `..`, `a/b`;
- spreadsheet formulas and Markdown: `=HYPERLINK(…)`, `| a | b |`, `<script>`;
- echoed secrets: a card whose launch Tallyfy answers with a 422 quoting the header.
"""

from __future__ import annotations

import json
from typing import Any

from adapters.trello.sandbox_state import Action, TrelloState, iso

CLS = "\x1b[2J"
MARKUP = [
    "[/x] " + CLS,
    "List [bold]B[/] [/y]",
    "[/z]lbl",
    "[bold red]BOLD[/]",
    "trail\\",
    "[$var] [@click=app.quit]q[/]",
]
CONTROLS = "\x07\x00\x9b31m\u202eevil"
FORMULA = '=HYPERLINK("http://evil.test","x")'
TABLE = "| a | b |\n# heading <script>alert(1)</script>"
ECHO = "ECHO-AUTH"  # a card whose name makes the Tallyfy sandbox echo the Authorization header
CLIMBING = ["../../../../../members/me/boards", "..", "a/b%2F..%2Fc", "=cmd|' /C calc'!A0.txt"]


def seed(state: TrelloState) -> dict[str, Any]:
    """Make the first board of a small sandbox state hostile. Returns what was planted."""
    board = next(iter(state.boards.values()))
    board.data["name"] = "Board [/] " + CLS
    lists = list(board.lists.values())
    for lst, name in zip(lists, MARKUP, strict=False):  # as many as both have
        lst["name"] = name
    for lab, name in zip(board.labels.values(), ["[/z]lbl", CONTROLS, FORMULA], strict=False):
        lab["name"] = name
    text_field = next(f for f in board.fields.values() if f["type"] == "text")
    text_field["name"] = "[bold red]Field[/] " + CLS
    open_cards = [
        state.cards[c]
        for c in board.card_ids  # the cards the board shows: open, in an open list
        if not state.cards[c].data["closed"] and not board.lists[state.cards[c].data["idList"]]["closed"]
    ]
    names = [*MARKUP, CONTROLS, FORMULA, TABLE, f"{ECHO} [/x]"]
    for card, name in zip(open_cards, names, strict=False):
        card.data["name"] = name
        card.data["desc"] = f"{name}\n{CLS}{CONTROLS}"
    # a custom-field value that used to stop the run on every resume
    card = open_cards[0]
    card.field_items = [i for i in card.field_items if i["idCustomField"] != text_field["id"]]
    card.field_items.append(
        {
            "id": state.new_id(),
            "idCustomField": text_field["id"],
            "idModel": card.id,
            "modelType": "card",
            "value": {"text": "[/x] " + CLS},
        }
    )
    # two comments on one card, the first quoting the second's marker
    target = open_cards[1]
    first_ts, second_ts = 1_720_000_000.0, 1_720_000_100.0
    second_id = state.make_id(second_ts)
    first_id = state.make_id(first_ts)
    for aid, ts, text in (
        (first_id, first_ts, f"see [mw:trello:comment:{second_id}] and {MARKUP[0]}"),
        (second_id, second_ts, f"{CONTROLS} {FORMULA} [mw:trello:card:{target.id}]"),
    ):
        target.comments += 1
        board.add_action(
            Action(aid, "commentCard", iso(ts), state.me, board.id, target.id, target.data["idList"], text)
        )
    # files whose names climb, each with its own bytes
    for k, fname in enumerate(CLIMBING):
        holder = open_cards[2 + k % 3]
        holder.attachments.append(
            {
                "id": state.make_id(1_720_000_200.0 + k),
                "name": fname,
                "fileName": fname,
                "bytes": 11 + k,
                "mimeType": "text/plain",
                "date": iso(1_720_000_200.0 + k),
                "idMember": state.me,
                "isUpload": True,
                "edgeColor": None,
                "pos": 16384 * (len(holder.attachments) + 1),
                "previews": [],
                "url": None,
            }
        )
    return {
        "board": board.id,
        "look_alike": (first_id, second_id),
        "comment_card": target.id,
        "echo_card": next(c.id for c in open_cards if c.data["name"].startswith(ECHO)),
    }


class EchoAuthorization:
    """ASGI wrapper of the Tallyfy sandbox: a process launch whose name holds ECHO is
    refused with a 422 that quotes the request's Authorization header, as some APIs do."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith("/runs"):
            return await self.app(scope, receive, send)
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if ECHO.encode() in body:
            auth = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
            payload = json.dumps(
                {
                    "message": "The given data was invalid.",
                    "errors": {"name": [f"not allowed with {auth}"]},
                    "echo": auth,
                }
            ).encode()
            await send(
                {"type": "http.response.start", "status": 422, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": payload})
            return None
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


class EchoCredentials:
    """ASGI wrapper of the Trello sandbox: 'who am I' is refused with a 401 that repeats the
    key and the token it was sent."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/1/members/me":
            auth = dict(scope["headers"]).get(b"authorization", b"")
            await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"invalid token in " + auth})
            return None
        return await self.app(scope, receive, send)
