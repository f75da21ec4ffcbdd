"""The Trello sandbox's REST routes as pure functions over `TrelloState`: each takes the
path parameters and the query, returns a JSON-ready body or raises `TrelloError`.

Kept free of HTTP so `/1/batch` can run the same handlers for its sub-requests, and so the
write routes and `/_sandbox/mutate` share one code path (both record Trello actions).
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from adapters.trello.sandbox_state import Action, Board, Card, TrelloState, iso
from adapters.trello.sandbox_webhooks import webhook_out

OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")
MAX_PAGE = 1000
NESTED_CARDS_MAX = 5000  # Trello refuses bigger nested card responses
NESTED_CARDS_WITH_ACTIONS_MAX = 1000


class TrelloError(Exception):
    """An error answer: Trello sends most as plain text, the limit ones as JSON."""

    def __init__(self, status: int, body: str | dict[str, Any]) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body


NOT_FOUND = "The requested resource was not found."


@dataclass
class Ctx:
    state: TrelloState
    params: dict[str, str]
    query: dict[str, str]
    base: str = "https://api.trello.com"
    member_id: str = ""
    token: str = ""  # the caller's (webhooks belong to a token)

    def q(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, default)

    def flag(self, name: str, default: bool = False) -> bool:
        v = self.query.get(name)
        return default if v is None else v.lower() in ("true", "1", "all")


# -- parsing helpers ---------------------------------------------------------------------
def _fields(value: str | None, default: str | None = "all") -> set[str] | None:
    value = default if value is None else value
    if value is None or value == "all":
        return None
    return {f.strip() for f in value.split(",") if f.strip()}


def _pick(obj: dict[str, Any], fields: set[str] | None) -> dict[str, Any]:
    if fields is None:
        return dict(obj)
    out = {"id": obj["id"]} if "id" in obj else {}
    out.update({k: v for k, v in obj.items() if k in fields})
    return out


def _limit(ctx: Ctx, default: int | None, maximum: int = MAX_PAGE) -> int | None:
    raw = ctx.q("limit")
    if raw is None:
        return default
    try:
        n = int(raw)
    except ValueError:
        raise TrelloError(400, "invalid value for limit") from None
    if n < 0 or n > maximum:
        raise TrelloError(400, "invalid value for limit")
    return n


def _bound(ctx: Ctx, name: str) -> tuple[str, str] | None:
    """`before`/`since` as ('id', objectId) or ('date', normalised ISO string)."""
    raw = ctx.q(name)
    if raw is None or raw == "":
        return None
    if OBJECT_ID.match(raw):
        return ("id", raw.lower())
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise TrelloError(400, f"invalid value for {name}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)  # exact to the millisecond, no float rounding
    return ("date", when.strftime("%Y-%m-%dT%H:%M:%S") + f".{when.microsecond // 1000:03d}Z")


def _id_floor(bound: tuple[str, str]) -> str:
    """The smallest id at or after a bound, for bisecting an id-sorted list."""
    kind, value = bound
    if kind == "id":
        return value
    ts = int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    return f"{ts:08x}" + "0" * 16


def _id_ceiling(bound: tuple[str, str]) -> str:
    """An id above every id the bound could still admit (dates have millisecond precision)."""
    kind, value = bound
    if kind == "id":
        return value
    ts = int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    return f"{ts + 1:08x}" + "0" * 16


def _board(ctx: Ctx, name: str = "id") -> Board:
    bid = ctx.params[name]
    board = ctx.state.boards.get(bid)
    if board is None:
        board = next((b for b in ctx.state.boards.values() if b.data["shortLink"] == bid), None)
    if board is None:
        if not OBJECT_ID.match(bid):
            raise TrelloError(400, "invalid id")
        raise TrelloError(404, NOT_FOUND)
    return board


def _card(ctx: Ctx, name: str = "id") -> Card:
    cid = ctx.params[name]
    card = ctx.state.cards.get(cid)
    if card is None:
        card = next((c for c in ctx.state.cards.values() if c.data["shortLink"] == cid), None)
    if card is None:
        if not OBJECT_ID.match(cid):
            raise TrelloError(400, "invalid id")
        raise TrelloError(404, NOT_FOUND)
    return card


# -- renderers ---------------------------------------------------------------------------
def render_member(state: TrelloState, mid: str, fields: set[str] | None = None) -> dict[str, Any]:
    m = dict(state.members[mid])
    if mid != state.me:
        m.pop("email", None)  # Trello shows an email to its owner only
    m.setdefault("activityBlocked", False)
    m.setdefault("idMemberReferrer", None)
    return _pick(m, fields)


def render_attachment(card: Card, att: dict[str, Any], base: str, fields: set[str] | None = None) -> dict[str, Any]:
    out = dict(att)
    if att["isUpload"]:
        out["url"] = f"{base}/1/cards/{card.id}/attachments/{att['id']}/download/{quote(att['fileName'])}"
    return _pick(out, fields)


def _badges(card: Card) -> dict[str, Any]:
    items = [i for c in card.checklists for i in c["checkItems"]]
    d = card.data
    return {
        "attachmentsByType": {"trello": {"board": 0, "card": 0}},
        "location": False,
        "votes": 0,
        "viewingMemberVoted": False,
        "subscribed": False,
        "fogbugz": "",
        "checkItems": len(items),
        "checkItemsChecked": sum(1 for i in items if i["state"] == "complete"),
        "comments": card.comments,
        "attachments": len(card.attachments),
        "description": bool(d["desc"]),
        "due": d["due"],
        "start": d["start"],
        "dueComplete": d["dueComplete"],
    }


def render_card(
    state: TrelloState,
    card: Card,
    base: str,
    *,
    fields: set[str] | None = None,
    attachments: str | None = None,
    attachment_fields: set[str] | None = None,
    field_items: bool = False,
    checklists: bool = False,
    members: bool = False,
) -> dict[str, Any]:
    board = state.boards[state.card_board[card.id]]
    full = dict(card.data)
    full.update(
        {
            "badges": _badges(card),
            "checkItemStates": [],
            "descData": {"emoji": {}},
            "idMembersVoted": [],
            "idChecklists": [c["id"] for c in card.checklists],
            "labels": [board.labels[i] for i in card.data["idLabels"] if i in board.labels],
            "limits": {},
            "manualCoverAttachment": False,
            "locationName": None,
            "address": None,
            "coordinates": None,
            "creationMethod": None,
            "mirrorSourceId": None,
            "email": None,
            "cover": {
                "idAttachment": None,
                "color": None,
                "idUploadedBackground": None,
                "size": "normal",
                "brightness": "dark",
                "isTemplate": False,
            },
        }
    )
    out = _pick(full, fields)
    if attachments and attachments != "false":
        atts = card.attachments if attachments != "cover" else []
        out["attachments"] = [render_attachment(card, a, base, attachment_fields) for a in atts]
    if field_items:
        out["customFieldItems"] = [dict(i) for i in card.field_items]
    if checklists:
        out["checklists"] = [_checklist(c) for c in card.checklists]
    if members:
        out["members"] = [
            render_member(state, m, {"fullName", "username", "initials", "avatarHash"})
            for m in card.data["idMembers"]
            if m in state.members
        ]
    if card.corrupt:
        out["name"] = {"value": card.data["name"], "note": "corrupted by /_sandbox/corrupt"}
    return out


def _checklist(c: dict[str, Any]) -> dict[str, Any]:
    return {**c, "checkItems": [dict(i) for i in c["checkItems"]]}


def _card_ref(state: TrelloState, a: Action) -> dict[str, Any]:
    card = state.cards.get(a.card_id or "")
    if card is not None:
        d = card.data
        return {"id": d["id"], "name": d["name"], "idShort": d["idShort"], "shortLink": d["shortLink"]}
    return dict((a.extra or {}).get("card") or {"id": a.card_id})


def render_action(
    state: TrelloState,
    a: Action,
    *,
    fields: set[str] | None = None,
    member_creator: bool = True,
    creator_fields: set[str] | None = None,
) -> dict[str, Any]:
    board = state.boards[a.board_id]
    data: dict[str, Any] = {}
    if a.text is not None:
        data["text"] = a.text
        data["textData"] = {"emoji": {}}
    if a.card_id:
        data["card"] = _card_ref(state, a)
    data["board"] = {"id": board.id, "name": board.data["name"], "shortLink": board.data["shortLink"]}
    if a.list_id and a.list_id in board.lists:
        data["list"] = {"id": a.list_id, "name": board.lists[a.list_id]["name"]}
    for k, v in (a.extra or {}).items():
        if k == "card":
            data["card"] = {**data.get("card", {}), **v}
        else:
            data[k] = v
    out = {
        "id": a.id,
        "idMemberCreator": a.member_id,
        "data": data,
        "appCreator": None,
        "type": a.type,
        "date": a.date,
        "limits": {},
    }
    out = _pick(out, fields)
    if member_creator and a.member_id in state.members:
        out["memberCreator"] = render_member(
            state,
            a.member_id,
            creator_fields
            or {"fullName", "username", "initials", "avatarHash", "avatarUrl", "activityBlocked", "idMemberReferrer"},
        )
    return out


def _list_out(lst: dict[str, Any], fields: set[str] | None) -> dict[str, Any]:
    return _pick(lst, fields)


# -- card selection and paging -----------------------------------------------------------
def _cards_filtered(state: TrelloState, board: Board, flt: str) -> list[Card]:
    cards = [state.cards[c] for c in board.card_ids]
    if flt == "all":
        return cards
    if flt == "closed":
        return [c for c in cards if c.data["closed"]]
    if flt == "open":
        return [c for c in cards if not c.data["closed"]]
    if flt == "visible":
        return [c for c in cards if not c.data["closed"] and not board.lists[c.data["idList"]]["closed"]]
    if flt == "none":
        return []
    raise TrelloError(400, "invalid value for filter")


def _in_position_order(board: Board, cards: list[Card]) -> list[Card]:
    return sorted(cards, key=lambda c: (board.lists[c.data["idList"]]["pos"], c.data["pos"]))


def _page_cards(ctx: Ctx, board: Board, cards: list[Card]) -> list[Card]:
    """With `limit`, `before` or `since`: newest id first, capped, like Trello."""
    limit = _limit(ctx, None)
    before, since = _bound(ctx, "before"), _bound(ctx, "since")
    if limit is None and before is None and since is None:
        return _in_position_order(board, cards)
    out = sorted(cards, key=lambda c: c.id, reverse=True)
    if before:
        floor = _id_floor(before)
        out = [c for c in out if c.id < floor]
    if since:
        floor = _id_floor(since)
        out = [c for c in out if c.id > floor]
    return out[: limit if limit is not None else MAX_PAGE]


def _render_cards(ctx: Ctx, cards: list[Card], prefix: str = "", board: Board | None = None) -> list[dict[str, Any]]:
    p = prefix
    atts = ctx.q(f"{p}attachments")
    nests = board is None or board.nests_checklists
    return [
        render_card(
            ctx.state,
            c,
            ctx.base,
            fields=_fields(ctx.q(f"{p}fields")),
            attachments=atts,
            attachment_fields=_fields(ctx.q(f"{p}attachment_fields")),
            field_items=ctx.flag(f"{p}customFieldItems"),
            checklists=nests and (ctx.q(f"{p}checklists", "none") or "none") != "none",
            members=ctx.flag(f"{p}members"),
        )
        for c in cards
    ]


def _actions(
    ctx: Ctx, board: Board, *, card_id: str | None = None, default_limit: int = 50, default_filter: str = "all"
) -> list[dict[str, Any]]:
    flt = ctx.q("filter", default_filter) or default_filter
    wanted = None if flt == "all" else {f.strip() for f in flt.split(",") if f.strip()}
    limit = _limit(ctx, default_limit)
    assert limit is not None
    page = int(ctx.q("page", "0") or 0)
    before, since = _bound(ctx, "before"), _bound(ctx, "since")
    id_models = set((ctx.q("idModels") or "").split(",")) - {""}
    hi = bisect.bisect_left(board.action_ids, _id_ceiling(before)) if before else len(board.actions)
    lo = bisect.bisect_left(board.action_ids, _id_floor(since)) if since else 0
    skip = page * limit
    out: list[dict[str, Any]] = []
    for i in range(hi - 1, lo - 1, -1):
        a = board.actions[i]
        if before and (a.id >= before[1] if before[0] == "id" else a.date >= before[1]):
            continue
        if since and (a.id <= since[1] if since[0] == "id" else a.date <= since[1]):
            continue
        if wanted is not None and not _matches(a, wanted):
            continue
        if card_id is not None and a.card_id != card_id:
            continue
        if id_models and a.card_id not in id_models and a.board_id not in id_models:
            continue
        if skip:
            skip -= 1
            continue
        if len(out) >= limit:
            break
        out.append(
            render_action(
                ctx.state,
                a,
                fields=_fields(ctx.q("fields")),
                member_creator=ctx.flag("memberCreator", True),
                creator_fields=_fields(ctx.q("memberCreator_fields"), None),
            )
        )
    return out


def _matches(a: Action, wanted: set[str]) -> bool:
    if a.type in wanted:
        return True
    old = (a.extra or {}).get("old") or {}
    return any(w.startswith(a.type + ":") and w.split(":", 1)[1] in old for w in wanted)


# -- read routes -------------------------------------------------------------------------
def get_member(ctx: Ctx) -> Any:
    mid = ctx.params["id"]
    state = ctx.state
    if mid == "me":
        mid = ctx.member_id or state.me
    if mid not in state.members:
        mid = next((k for k, m in state.members.items() if m["username"] == mid), "")
        if not mid:
            if not OBJECT_ID.match(ctx.params["id"]):
                raise TrelloError(400, "invalid id")
            raise TrelloError(404, NOT_FOUND)
    out = render_member(state, mid, _fields(ctx.q("fields")))
    boards = [b for b in state.boards.values() if mid in b.member_ids]
    out["idBoards"] = [b.id for b in boards]
    out["idOrganizations"] = [state.org["id"]] if mid in {m for b in boards for m in b.member_ids} else []
    org = ctx.q("organizations", "none")
    if org and org != "none":
        out["organizations"] = (
            [_pick(state.org, _fields(ctx.q("organization_fields")))] if out["idOrganizations"] else []
        )
    if (ctx.q("boards") or "none") != "none":
        out["boards"] = [_pick(b.data, _fields(ctx.q("board_fields"))) for b in boards]
    return out


def get_member_boards(ctx: Ctx) -> Any:
    member = get_member(Ctx(ctx.state, ctx.params, {}, ctx.base, ctx.member_id))
    flt = ctx.q("filter", "all")
    out = []
    for bid in member["idBoards"]:
        b = ctx.state.boards[bid]
        if (flt in ("open", "members") and b.data["closed"]) or (flt == "closed" and not b.data["closed"]):
            continue
        body = _pick(b.data, _fields(ctx.q("fields")))
        if (ctx.q("lists") or "none") != "none":
            body["lists"] = [_list_out(lst, None) for lst in b.lists.values()]
        if ctx.flag("organization") and b.data["idOrganization"]:
            body["organization"] = _pick(ctx.state.org, _fields(ctx.q("organization_fields"), "name,displayName"))
        out.append(body)
    return out


def get_organization(ctx: Ctx) -> Any:
    org = ctx.state.org
    if ctx.params["id"] not in (org["id"], org["name"]):
        if not OBJECT_ID.match(ctx.params["id"]):
            raise TrelloError(400, "invalid id")
        raise TrelloError(404, NOT_FOUND)
    return _pick({**org, "idBoards": list(ctx.state.boards)}, _fields(ctx.q("fields")))


BOARD_DEFAULT_FIELDS = "name,desc,descData,closed,idOrganization,pinned,url,shortUrl,prefs,labelNames"


def get_board(ctx: Ctx) -> Any:
    board = _board(ctx)
    state = ctx.state
    out = _pick(board.data, _fields(ctx.q("fields"), BOARD_DEFAULT_FIELDS))
    actions = ctx.q("actions", "all") or "all"
    cards_filter = ctx.q("cards", "none") or "none"
    if cards_filter != "none":
        cards = _cards_filtered(state, board, cards_filter)
        cap = NESTED_CARDS_WITH_ACTIONS_MAX if actions != "none" else NESTED_CARDS_MAX
        if len(cards) > cap:
            raise TrelloError(
                400,
                {
                    "error": "API_TOO_MANY_CARDS_REQUESTED",
                    "message": "Requested too many cards; fetch them from /boards/{id}/cards with paging.",
                },
            )
        out["cards"] = _render_cards(ctx, _in_position_order(board, cards), prefix="card_")
    if actions != "none":
        sub = Ctx(
            state,
            ctx.params,
            {
                "filter": actions,
                "limit": ctx.q("actions_limit", "50") or "50",
                **({"since": ctx.query["actions_since"]} if "actions_since" in ctx.query else {}),
            },
            ctx.base,
        )
        out["actions"] = _actions(sub, board)
    lists = ctx.q("lists", "open") or "open"
    if lists != "none":
        out["lists"] = [_list_out(lst, None) for lst in _lists_filtered(board, lists)]
    if (ctx.q("checklists", "none") or "none") != "none":
        out["checklists"] = [_checklist(c) for cid in board.card_ids for c in state.cards[cid].checklists]
    if (ctx.q("labels", "none") or "none") != "none":
        out["labels"] = [dict(lab) for lab in list(board.labels.values())[: int(ctx.q("labels_limit", "50") or 50)]]
    if (ctx.q("members", "none") or "none") != "none":
        out["members"] = [
            render_member(
                state, m, {"fullName", "username", "initials", "avatarHash", "avatarUrl", "memberType", "confirmed"}
            )
            for m in board.member_ids
        ]
    if (ctx.q("memberships", "none") or "none") != "none":
        out["memberships"] = [
            {
                "id": m[:16] + board.id[16:],
                "idMember": m,
                "memberType": "admin" if m == state.me else "normal",
                "unconfirmed": False,
                "deactivated": False,
            }
            for m in board.member_ids
        ]
    if ctx.flag("customFields"):
        out["customFields"] = [dict(f) for f in board.fields.values()]
    if ctx.flag("organization") and board.data["idOrganization"]:
        out["organization"] = dict(state.org)
    return out


def _lists_filtered(board: Board, flt: str) -> list[dict[str, Any]]:
    lists = sorted(board.lists.values(), key=lambda lst: lst["pos"])
    if flt == "all":
        return lists
    if flt == "open":
        return [lst for lst in lists if not lst["closed"]]
    if flt == "closed":
        return [lst for lst in lists if lst["closed"]]
    if flt == "none":
        return []
    raise TrelloError(400, "invalid value for filter")


def get_board_lists(ctx: Ctx) -> Any:
    board = _board(ctx)
    lists = _lists_filtered(board, ctx.q("filter", "open") or "open")
    out = []
    card_filter = ctx.q("cards", "none") or "none"
    for lst in lists:
        body = _list_out(lst, _fields(ctx.q("fields")))
        if card_filter != "none":
            cards = [c for c in _cards_filtered(ctx.state, board, card_filter) if c.data["idList"] == lst["id"]]
            body["cards"] = [
                render_card(ctx.state, c, ctx.base, fields=_fields(ctx.q("card_fields")))
                for c in _in_position_order(board, cards)
            ]
        out.append(body)
    return out


def get_board_cards(ctx: Ctx) -> Any:
    board = _board(ctx)
    flt = ctx.params.get("filter") or ctx.q("filter", "visible") or "visible"
    cards = _page_cards(ctx, board, _cards_filtered(ctx.state, board, flt))
    return _render_cards(ctx, cards, board=board)


def get_board_checklists(ctx: Ctx) -> Any:
    board = _board(ctx)
    return [_checklist(c) for cid in board.card_ids for c in ctx.state.cards[cid].checklists]


def get_board_custom_fields(ctx: Ctx) -> Any:
    return [dict(f) for f in _board(ctx).fields.values()]


def get_board_labels(ctx: Ctx) -> Any:
    board = _board(ctx)
    limit = _limit(ctx, 50, 1000)
    return [_pick(lab, _fields(ctx.q("fields"))) for lab in list(board.labels.values())[:limit]]


def get_board_members(ctx: Ctx) -> Any:
    board = _board(ctx)
    return [render_member(ctx.state, m, _fields(ctx.q("fields"), "fullName,username")) for m in board.member_ids]


def get_board_actions(ctx: Ctx) -> Any:
    board = _board(ctx, "boardId")
    if ctx.q("format") == "count":
        sub = Ctx(ctx.state, ctx.params, {**ctx.query, "limit": str(MAX_PAGE), "format": "list"}, ctx.base)
        return {"_value": len(_actions(sub, board))}
    return _actions(ctx, board)


def get_card(ctx: Ctx) -> Any:
    card = _card(ctx)
    state = ctx.state
    out = render_card(
        state,
        card,
        ctx.base,
        fields=_fields(ctx.q("fields")),
        attachments=ctx.q("attachments"),
        attachment_fields=_fields(ctx.q("attachment_fields")),
        field_items=ctx.flag("customFieldItems"),
        checklists=(ctx.q("checklists", "none") or "none") != "none",
        members=ctx.flag("members"),
    )
    if (ctx.q("actions") or "") not in ("", "none"):
        board = state.boards[state.card_board[card.id]]
        sub = Ctx(state, ctx.params, {"filter": ctx.query["actions"], "limit": "50"}, ctx.base)
        out["actions"] = _actions(sub, board, card_id=card.id)
    if ctx.flag("board"):
        out["board"] = _pick(
            state.boards[state.card_board[card.id]].data, _fields(ctx.q("board_fields"), BOARD_DEFAULT_FIELDS)
        )
    if ctx.flag("list"):
        out["list"] = dict(state.boards[state.card_board[card.id]].lists[card.data["idList"]])
    return out


def get_card_attachments(ctx: Ctx) -> Any:
    card = _card(ctx)
    if ctx.q("filter") == "cover":
        return []
    return [render_attachment(card, a, ctx.base, _fields(ctx.q("fields"))) for a in card.attachments]


def get_card_attachment(ctx: Ctx) -> Any:
    card = _card(ctx)
    att = next((a for a in card.attachments if a["id"] == ctx.params["idAttachment"]), None)
    if att is None:
        raise TrelloError(404, NOT_FOUND)
    return render_attachment(card, att, ctx.base, _fields(ctx.q("fields")))


def get_card_actions(ctx: Ctx) -> Any:
    card = _card(ctx)
    board = ctx.state.boards[ctx.state.card_board[card.id]]
    sub = Ctx(ctx.state, ctx.params, {k: v for k, v in ctx.query.items() if k in ("filter", "page")}, ctx.base)
    return _actions(sub, board, card_id=card.id, default_filter="commentCard,updateCard:idList")


def get_card_checklists(ctx: Ctx) -> Any:
    return [_checklist(c) for c in _card(ctx).checklists]


def get_card_custom_field_items(ctx: Ctx) -> Any:
    return [dict(i) for i in _card(ctx).field_items]


# -- write routes ------------------------------------------------------------------------
def _record(
    state: TrelloState,
    board: Board,
    kind: str,
    member: str,
    card_id: str | None,
    list_id: str | None,
    text: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Action:
    aid = state.new_id()
    # Trello dates actions to the millisecond: never before the id's second, never before now.
    when = max(time.time(), int(aid[:8], 16) + state.rng.random())
    action = Action(aid, kind, iso(when), member, board.id, card_id, list_id, text, extra)
    board.add_action(action)
    if card_id in state.cards:
        state.cards[card_id].data["dateLastActivity"] = action.date
    if state.on_action is not None:
        state.on_action(action)
    return action


def _bool(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise TrelloError(400, "invalid value for closed")
    return value.lower() == "true"


def update_card(ctx: Ctx) -> Any:
    """PUT /cards/{id}: one updateCard action per changed field, as Trello records them."""
    card = _card(ctx)
    state = ctx.state
    board = state.boards[state.card_board[card.id]]
    member = ctx.member_id or state.me
    d = card.data
    changes: dict[str, Any] = {}
    if "name" in ctx.query:
        if not ctx.query["name"].strip():
            raise TrelloError(400, "invalid value for name")
        changes["name"] = ctx.query["name"]
    if "desc" in ctx.query:
        changes["desc"] = ctx.query["desc"]
    if "closed" in ctx.query:
        changes["closed"] = _bool(ctx.query["closed"])
    if "idList" in ctx.query:
        if ctx.query["idList"] not in board.lists:
            raise TrelloError(400, "invalid value for idList")
        changes["idList"] = ctx.query["idList"]
    if "pos" in ctx.query:
        changes["pos"] = _pos(ctx.query["pos"], board, state)
    if "due" in ctx.query:
        changes["due"] = ctx.query["due"] or None
    if "dueComplete" in ctx.query:
        changes["dueComplete"] = _bool(ctx.query["dueComplete"])
    for key, value in changes.items():
        old = d[key]
        if old == value:
            continue
        d[key] = value
        extra: dict[str, Any] = {"old": {key: old}, "card": {key: value}}
        if key == "idList":
            extra["listBefore"] = {"id": old, "name": board.lists[old]["name"]}
            extra["listAfter"] = {"id": value, "name": board.lists[value]["name"]}
        _record(state, board, "updateCard", member, card.id, d["idList"], extra=extra)
    return render_card(state, card, ctx.base)


def _pos(raw: str, board: Board, state: TrelloState) -> float:
    if raw in ("top", "bottom"):
        poses = [state.cards[c].data["pos"] for c in board.card_ids] or [0.0]
        return min(poses) / 2 if raw == "top" else max(poses) + 16384
    try:
        return float(raw)
    except ValueError:
        raise TrelloError(400, "invalid value for pos") from None


def create_card(ctx: Ctx) -> Any:
    state = ctx.state
    list_id = ctx.q("idList") or ""
    board = next((b for b in state.boards.values() if list_id in b.lists), None)
    if board is None:
        raise TrelloError(400, "invalid value for idList")
    cid = state.new_id()
    short_id = max((state.cards[c].data["idShort"] for c in board.card_ids), default=0) + 1
    name = ctx.q("name") or ""
    short = cid[-8:]
    data: dict[str, Any] = {
        "id": cid,
        "idShort": short_id,
        "shortLink": short,
        "name": name,
        "desc": ctx.q("desc") or "",
        "closed": False,
        "idBoard": board.id,
        "idList": list_id,
        "pos": _pos(ctx.q("pos") or "bottom", board, state),
        "dateLastActivity": iso(int(cid[:8], 16)),
        "due": ctx.q("due") or None,
        "start": None,
        "dueComplete": False,
        "dueReminder": None,
        "idMembers": [m for m in (ctx.q("idMembers") or "").split(",") if m],
        "idLabels": [lab for lab in (ctx.q("idLabels") or "").split(",") if lab in board.labels],
        "url": f"https://trello.com/c/{short}/{short_id}",
        "shortUrl": f"https://trello.com/c/{short}",
        "isTemplate": False,
        "cardRole": None,
        "idAttachmentCover": None,
        "subscribed": False,
    }
    card = Card(data)
    state.cards[cid] = card
    state.card_board[cid] = board.id
    bisect.insort(board.card_ids, cid)
    _record(state, board, "createCard", ctx.member_id or state.me, cid, list_id)
    return render_card(state, card, ctx.base)


def delete_card(ctx: Ctx) -> Any:
    """DELETE /cards/{id}: the card, its comments and attachments go; a deleteCard action stays."""
    card = _card(ctx)
    state = ctx.state
    board = state.boards[state.card_board[card.id]]
    keep = [
        (i, a)
        for i, a in zip(board.action_ids, board.actions, strict=True)
        if not (a.card_id == card.id and a.type == "commentCard")
    ]
    board.action_ids = [i for i, _ in keep]
    board.actions = [a for _, a in keep]
    board.card_ids.remove(card.id)
    del state.cards[card.id]
    del state.card_board[card.id]
    _record(
        state,
        board,
        "deleteCard",
        ctx.member_id or state.me,
        card.id,
        card.data["idList"],
        extra={"card": {"id": card.id, "idShort": card.data["idShort"]}},
    )
    return {"limits": {}}


def add_comment(ctx: Ctx) -> Any:
    card = _card(ctx)
    text = ctx.q("text")
    if not text:
        raise TrelloError(400, "invalid value for text")
    state = ctx.state
    board = state.boards[state.card_board[card.id]]
    card.comments += 1
    action = _record(state, board, "commentCard", ctx.member_id or state.me, card.id, card.data["idList"], text)
    return render_action(state, action)


def create_webhook(ctx: Ctx) -> Any:
    """POST /webhooks (the sandbox has already sent HEAD to the callbackURL and had its 200)."""
    state = ctx.state
    callback, model = ctx.q("callbackURL") or "", ctx.q("idModel") or ""
    if not callback.startswith(("http://", "https://")):
        raise TrelloError(400, "invalid value for callbackURL")
    if model not in state.boards and model not in state.cards:
        raise TrelloError(400, "invalid value for idModel")
    token = ctx.token
    if any(
        h["callbackURL"] == callback and h["idModel"] == model and h["token"] == token for h in state.webhooks.values()
    ):
        raise TrelloError(400, "A webhook with that callback, model, and token already exists")
    hook: dict[str, Any] = {
        "id": state.new_id(),
        "description": ctx.q("description") or "",
        "idModel": model,
        "callbackURL": callback,
        "active": (ctx.q("active") or "true").lower() != "false",
        "consecutiveFailures": 0,
        "firstConsecutiveFailDate": None,
        "token": token,
    }
    state.webhooks[hook["id"]] = hook
    return webhook_out(hook)


def get_token_webhooks(ctx: Ctx) -> Any:
    if ctx.params["token"] != ctx.token:
        raise TrelloError(401, "invalid token")
    return [webhook_out(h) for h in ctx.state.webhooks.values() if h["token"] == ctx.token]


def delete_webhook(ctx: Ctx) -> Any:
    hook = ctx.state.webhooks.get(ctx.params["id"])
    if hook is None or hook["token"] != ctx.token:
        raise TrelloError(404, "model not found")
    del ctx.state.webhooks[hook["id"]]
    return {"_value": None}


# -- the route table ---------------------------------------------------------------------
Handler = Callable[[Ctx], Any]

ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/members/{id}", get_member),
    ("GET", "/members/{id}/boards", get_member_boards),
    ("GET", "/organizations/{id}", get_organization),
    ("GET", "/boards/{id}", get_board),
    ("GET", "/boards/{id}/lists", get_board_lists),
    ("GET", "/boards/{id}/cards", get_board_cards),
    ("GET", "/boards/{id}/cards/{filter}", get_board_cards),
    ("GET", "/boards/{id}/checklists", get_board_checklists),
    ("GET", "/boards/{id}/customFields", get_board_custom_fields),
    ("GET", "/boards/{id}/labels", get_board_labels),
    ("GET", "/boards/{id}/members", get_board_members),
    ("GET", "/boards/{boardId}/actions", get_board_actions),
    ("GET", "/cards/{id}", get_card),
    ("GET", "/cards/{id}/attachments", get_card_attachments),
    ("GET", "/cards/{id}/attachments/{idAttachment}", get_card_attachment),
    ("GET", "/cards/{id}/actions", get_card_actions),
    ("GET", "/cards/{id}/checklists", get_card_checklists),
    ("GET", "/cards/{id}/customFieldItems", get_card_custom_field_items),
    ("PUT", "/cards/{id}", update_card),
    ("POST", "/cards", create_card),
    ("DELETE", "/cards/{id}", delete_card),
    ("POST", "/cards/{id}/actions/comments", add_comment),
    ("POST", "/webhooks", create_webhook),
    ("GET", "/tokens/{token}/webhooks", get_token_webhooks),
    ("DELETE", "/webhooks/{id}", delete_webhook),
]

_COMPILED = [(m, t, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", t) + "$"), h) for m, t, h in ROUTES]


def resolve(method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
    """(template, handler, path params) for a path under /1, or None (Trello: 'Cannot GET')."""
    path = path.rstrip("/") or "/"
    for m, template, rx, handler in _COMPILED:
        if m == method:
            hit = rx.match(path)
            if hit:
                return template, handler, hit.groupdict()
    return None


def iter_open_cards(state: TrelloState) -> Iterator[Card]:
    """The cards Trello's board shows: open, in an open list."""
    for board in state.boards.values():
        for cid in board.card_ids:
            card = state.cards[cid]
            if not card.data["closed"] and not board.lists[card.data["idList"]]["closed"]:
                yield card
