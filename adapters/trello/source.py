"""Trello as a migration source: a board becomes a Template, its cards Items, its
commentCard actions Comments and its attachments Attachments.

Calls are few by design (the budget is ~15 per 1,000 cards): one board call carries the
lists, labels, members and custom-field definitions; cards come 1,000 a page from
`/boards/{id}/cards?limit=1000&before=` with their field values and attachments nested;
checklists in one documented call per board (`/boards/{id}/checklists`, joined by `idCard`:
the spec does not promise the card listing nests them, and real boards do not); comments
1,000 a page from `/boards/{id}/actions`, read before the cards into a spool on disk. Each
card's attachments (nested in the card listing) and comments are yielded right after their
card (`follow_their_item`), so the engine writes them as each card is written: a target's
hourly comment cap starts with the first card, not after the board's last one, and nothing
holds a board's comments in memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

from pydantic import BaseModel

from adapters.trello import mapping
from adapters.trello.client import TrelloClient
from adapters.trello.wire import TrelloBoard, TrelloCustomField, TrelloLabel, TrelloList, TrelloMember
from wizard.adapter import (
    ChangeSet,
    Container,
    Extracted,
    Identity,
    SourceAdapter,
    SourceLeftOut,
    SourceRejected,
    StatedItem,
)
from wizard.engine.spool import ChildSpool
from wizard.errors import CredentialError, VendorDataError
from wizard.events import EventSink
from wizard.model import Attachment, Comment, FieldDef, Person, Stage, Tag
from wizard.paging import Before

PAGE = 1000
NESTED_LABELS_LIMIT = 50
W = TypeVar("W", bound=BaseModel)
C = TypeVar("C")
CARD_FIELDS = (
    "id,name,desc,closed,idBoard,idList,pos,due,dueComplete,dateLastActivity,idMembers,idLabels,url,badges,idChecklists"
)
ATTACHMENT_FIELDS = "id,name,fileName,bytes,mimeType,date,isUpload,url"
CHANGE_TYPES = (
    "createCard,updateCard,deleteCard,copyCard,moveCardToBoard,moveCardFromBoard,convertToCardFromCheckItem,commentCard"
)


class TrelloSource(SourceAdapter):
    system = "trello"
    label = "Trello"
    credential_parts = ("key", "token")
    cursor_ordered = True  # action ids grow with time
    follow_their_item = frozenset({"attachment", "comment"})  # nested in the card listing; comments spooled first
    fills = frozenset(
        {
            "tags",
            "tag_colours",
            "fields",
            "field_values",
            "checklists",
            "comments",
            "attachments",
            "archived",
            "due",
            "item_assignees",
        }
    )

    client: TrelloClient

    def __init__(self, client: TrelloClient) -> None:
        self.client = client

    @classmethod
    def connect(
        cls,
        base_url: str,
        credentials: dict[str, str],
        *,
        profile: str,
        sink: EventSink | None = None,
        timeout: float = 30.0,
        max_retries: int = 6,
        **kw: Any,
    ) -> TrelloSource:
        missing = [p for p in cls.credential_parts if not credentials.get(p)]
        if missing:
            raise CredentialError(
                f"The Trello credential of profile '{profile}' has no {' or '.join(missing)}; "
                f"log in again with both the API key and the token."
            )
        client = TrelloClient(
            base_url,
            credentials["key"],
            credentials["token"],
            profile=profile,
            sink=sink,
            timeout=timeout,
            max_retries=max_retries,
            window_scale=float(kw.pop("window_scale", 1.0) or 1.0),
            **kw,
        )
        return cls(client)

    # -- who and what --------------------------------------------------------------------
    async def whoami(self) -> Identity:
        me = await self.client.get_member(
            "me", fields="fullName,username,email", organizations="all", organization_fields="displayName,name"
        )
        member = mapping.parse(TrelloMember, me, "member")
        if isinstance(member, SourceRejected):
            raise VendorDataError("Trello answered 'who am I' with a member record that cannot be read.")
        orgs = me.get("organizations") or []
        names = [o.get("displayName") or o.get("name") for o in orgs if isinstance(o, dict)]
        workspace = ", ".join(n for n in names if n) or "personal boards"
        return Identity(
            user=f"{member.fullName} (@{member.username})" if member.username else member.fullName,
            workspace=workspace,
            detail=member.email or "",
        )

    async def _me(self) -> tuple[str, str | None] | None:
        if not hasattr(self, "_me_cache"):
            raw = await self.client.get_member("me", fields="id,email")
            self._me_cache = (raw["id"], raw.get("email")) if isinstance(raw, dict) and raw.get("id") else None
        return self._me_cache

    async def containers(self) -> list[Container]:
        boards = await self.client.get("members/me/boards", filter="all", fields="name,closed,url,shortUrl")
        if not isinstance(boards, list):
            raise VendorDataError("Trello answered the board list with something that is not a list.")
        out = []
        for raw in boards:
            board = mapping.parse(TrelloBoard, raw, "board")
            if isinstance(board, SourceRejected):
                continue
            out.append(
                Container(
                    key=mapping.key("board", board.id), id=board.id, name=board.name, closed=board.closed, url=board.url
                )
            )
        if boards and not out:
            raise VendorDataError(
                f"Trello answered the board list with {len(boards)} entries and none of them is a "
                f"board, so there is nothing to migrate."
            )
        return out

    # -- extraction ----------------------------------------------------------------------
    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Extracted]:
        raw = await self.client.get(
            f"boards/{container_id}",
            fields="name,desc,closed,url,idOrganization",
            actions="none",
            lists="all",
            labels="all",
            members="all",
            customFields="true",
        )
        board = _board(raw, container_id)
        if len(board.labels) >= NESTED_LABELS_LIMIT:  # nested labels stop at 50: ask for all of them
            labels = await self.client.get(f"boards/{container_id}/labels", limit=PAGE)
            if not isinstance(labels, list):
                raise VendorDataError(
                    f"Trello answered the labels of board {container_id} with something that is not a list."
                )
            board.labels = labels
        rejected: list[SourceRejected] = []
        stages: list[Stage] = _collect(board.lists, TrelloList, "list", mapping.list_to_stage, rejected)
        tags: list[Tag] = _collect(board.labels, TrelloLabel, "label", mapping.label_to_tag, rejected)
        people: list[Person] = _collect(board.members, TrelloMember, "member", mapping.member_to_person, rejected)
        # Trello shows an email only to its owner: the token's member, asked once per source,
        # is the one person the target can match by email or invite.
        me = await self._me()
        people = [
            p.model_copy(update={"email": me[1]}) if me and p.source_id == me[0] and not p.email else p for p in people
        ]
        field_wire: dict[str, TrelloCustomField] = {}
        fields: list[FieldDef] = []
        for f in board.customFields:
            parsed = mapping.parse(TrelloCustomField, f, "field")
            if isinstance(parsed, SourceRejected):
                rejected.append(parsed)
            else:
                field_wire[parsed.id] = parsed
                fields.append(mapping.field_to_def(parsed))
        yield mapping.board_to_template(board, stages, fields, tags, people)
        for r in rejected:
            yield r

        comments: ChildSpool[Comment] = ChildSpool(Comment)  # by card id, on disk
        try:
            async for raw_action in self._actions(container_id, "commentCard"):
                comment = mapping.map_comment(raw_action)
                if isinstance(comment, SourceRejected):
                    yield comment
                else:
                    comments.put(comment.item_key.rsplit(":", 1)[1], comment)
            cards = self._cards_with_children(container_id, board.id, stages, field_wire, include_archived, comments)
            async for obj in cards:
                yield obj
            # comments of archived (or since deleted) cards are left out with their cards
        finally:
            comments.close()

    async def _cards_with_children(
        self,
        container_id: str,
        board_id: str,
        stages: list[Stage],
        field_wire: dict[str, TrelloCustomField],
        include_archived: bool,
        comments: ChildSpool[Comment],
    ) -> AsyncIterator[Extracted]:
        """Each card, then its attachments and comments; a rejected card's are reported with it."""
        card_filter = "all" if include_archived else "open"
        archived_lists = {s.source_id for s in stages if s.closed}
        checklists = await self._checklists(container_id)
        async for index, listed in self._cards(
            container_id,
            card_filter,
            fields=CARD_FIELDS,
            attachments="true",
            attachment_fields=ATTACHMENT_FIELDS,
            customFieldItems="true",
        ):
            if not include_archived and isinstance(listed, dict) and listed.get("idList") in archived_lists:
                # Trello's own board hides these; the plan leaves archived records out.
                yield SourceLeftOut(
                    mapping.key("card", mapping.raw_id(listed, index)),
                    "item",
                    "it is in an archived list, and the plan leaves archived records out",
                )
                continue
            raw_card = listed
            if isinstance(listed, dict):  # its checklists joined in, from the board's one checklist call
                raw_card = {**listed, "checklists": await self._card_checklists(listed, checklists)}
            atts = raw_card.get("attachments") if isinstance(raw_card, dict) else None
            atts = atts if isinstance(atts, list) else []
            item = mapping.map_card(raw_card, board_id, field_wire, index)
            if isinstance(item, SourceRejected):
                cid = item.key.rsplit(":", 1)[1]
                yield item
                for raw_att in atts:
                    yield _orphan(mapping.key("attachment", mapping.raw_id(raw_att)), "attachment", cid)
                for comment in comments.take(cid):
                    yield _orphan(comment.key, "comment", cid)
                continue
            cid = mapping.raw_id(raw_card)
            yield item
            for raw_att in atts:  # nested in the card listing: right after their card
                yield mapping.map_attachment(raw_att, cid)
            for comment in comments.take(cid):
                yield comment

    async def _checklists(self, board_id: str) -> dict[str, list[Any]]:
        """Every checklist of the board by card id: one documented call, whatever the card
        listing nests."""
        raw = await self.client.get(f"boards/{board_id}/checklists")
        if not isinstance(raw, list):
            raise VendorDataError(
                f"Trello answered the checklists of board {board_id} with something that is not a list."
            )
        out: dict[str, list[Any]] = {}
        for c in raw:
            card_id = c.get("idCard") if isinstance(c, dict) else None
            if isinstance(card_id, str):
                out.setdefault(card_id, []).append(c)
        return out

    async def _card_checklists(self, raw_card: dict[str, Any], by_card: dict[str, list[Any]]) -> list[Any]:
        """The card's checklists from the board's listing; a card naming one that did not
        arrive there is asked for its own (`/cards/{id}/checklists`), so none is lost."""
        cid = mapping.raw_id(raw_card)
        got = by_card.pop(cid, [])
        wanted = raw_card.get("idChecklists")
        have = {c.get("id") for c in got if isinstance(c, dict)}
        if isinstance(wanted, list) and any(w not in have for w in wanted) and cid != "unknown":
            got = await self.client.get(f"cards/{cid}/checklists")
            if not isinstance(got, list):
                raise VendorDataError(
                    f"Trello answered the checklists of card {cid} with something that is not a list."
                )
        return got

    async def _cards(self, board_id: str, card_filter: str, **params: Any) -> AsyncIterator[tuple[int, Any]]:
        """Every card, newest id first, a page of 1,000 at a time (`before` = oldest seen)."""
        index = 0
        async for raw in self.client.paginate(
            f"boards/{board_id}/cards",
            Before(PAGE),
            what=f"the cards of board {board_id}",
            filter=card_filter,
            **params,
        ):
            yield index, raw
            index += 1

    def _actions(self, board_id: str, types: str, since: str | None = None) -> AsyncIterator[Any]:
        """Board actions newest first, 1,000 a page, walking back with `before`."""
        return self.client.paginate(
            f"boards/{board_id}/actions",
            Before(PAGE),
            what=f"the actions of board {board_id}",
            filter=types,
            since=since,
            fields="type,date,data,idMemberCreator",
            memberCreator_fields="fullName,username",
            member="false",
        )

    # -- what Trello states of itself ------------------------------------------------------
    async def stated_counts(self, container_id: str) -> list[StatedItem]:
        """Every card of the board (archived ones too) with Trello's own counts: its badges
        (checkItems, comments, attachments, which Trello keeps itself), its files and links,
        its custom-field values. Read apart from `extract`, so a route that silently nests
        nothing cannot fool verify."""
        raw = await self.client.get(f"boards/{container_id}/lists", filter="all", fields="closed")
        if not isinstance(raw, list):
            raise VendorDataError(
                f"Trello answered the lists of board {container_id} with something that is not a list."
            )
        archived_lists = {x.get("id") for x in raw if isinstance(x, dict) and x.get("closed")}
        out: list[StatedItem] = []
        async for index, card in self._cards(
            container_id,
            "all",
            fields="id,name,closed,idList,badges",
            attachments="true",
            attachment_fields="isUpload",
            customFieldItems="true",
        ):
            if not isinstance(card, dict):
                continue
            given = card.get("badges")
            badges = given if isinstance(given, dict) else {}
            atts = [a for a in card.get("attachments") or [] if isinstance(a, dict)]
            files = sum(1 for a in atts if a.get("isUpload"))
            counts = {
                "checklist_item": _count(badges.get("checkItems")),
                "comment": _count(badges.get("comments")),
                "file": files,
                "link": max(len(atts), _count(badges.get("attachments"))) - files,
                "field_value": len(card.get("customFieldItems") or []),
            }
            why = (
                "archived in the source"
                if card.get("closed") is True
                else "in an archived list"
                if card.get("idList") in archived_lists
                else None
            )
            given_name = card.get("name")
            name = given_name if isinstance(given_name, str) else ""
            out.append(StatedItem(mapping.key("card", mapping.raw_id(card, index)), name, counts, why))
        return out

    # -- attachments ---------------------------------------------------------------------
    def open_attachment(self, attachment: Attachment) -> AsyncIterator[bytes]:
        return self.client.download(_download_path(attachment), size=attachment.size, mime_type=attachment.mime_type)

    # -- sync ----------------------------------------------------------------------------
    async def changes_since(self, container_id: str, cursor: str | None) -> ChangeSet | None:
        """Cards created, changed or deleted and comments added after `cursor` (an action id
        or an ISO date), from the board's action log. Ids in the ChangeSet are source keys
        (`trello:card:<id>`, `trello:comment:<id>`). With no cursor, nothing is reported and
        the cursor is set to the newest action, as the baseline for the next call."""
        if cursor is None:
            page = await self.client.get(f"boards/{container_id}/actions", filter=CHANGE_TYPES, limit=1, fields="date")
            if not isinstance(page, list):
                raise VendorDataError(
                    f"Trello answered the actions of board {container_id} with something that is not a list."
                )
            return ChangeSet(cursor=page[0]["id"] if page and isinstance(page[0], dict) else None)
        actions: list[Any] = []
        async for raw in self._actions(container_id, CHANGE_TYPES, since=cursor):
            actions.append(
                (raw.get("id"), raw.get("type"), ((raw.get("data") or {}).get("card") or {}).get("id"))
                if isinstance(raw, dict)
                else (None, None, None)
            )
        changes = ChangeSet(cursor=cursor)
        ids = [a[0] for a in actions if isinstance(a[0], str)]
        if ids:
            changes.cursor = max(ids)
        for aid, kind, card_id in sorted((a for a in actions if isinstance(a[0], str)), key=lambda a: a[0]):
            if not isinstance(card_id, str):
                continue
            ckey = mapping.key("card", card_id)
            if kind == "deleteCard" or kind == "moveCardFromBoard":
                changes.deleted_item_ids.add(ckey)
                changes.changed_item_ids.discard(ckey)
            elif kind == "commentCard":
                changes.new_comment_ids.add(mapping.key("comment", aid))
            else:
                changes.changed_item_ids.add(ckey)
                changes.deleted_item_ids.discard(ckey)
        return changes


def _board(raw: Any, board_id: str) -> TrelloBoard:
    if not isinstance(raw, dict):
        raise VendorDataError(f"Trello answered board {board_id} with something that is not a board object.")
    parsed = mapping.parse(TrelloBoard, raw, "board")
    if isinstance(parsed, SourceRejected):
        raise VendorDataError(parsed.reason)
    for name in ("lists", "labels", "members", "customFields"):
        if not isinstance(raw.get(name, []), list):
            raise VendorDataError(f"Trello sent board {board_id} with '{name}' that is not a list.")
    return parsed


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _orphan(key: str, kind: str, card_id: str) -> SourceRejected:
    return SourceRejected(key, kind, f"This {kind} belongs to card {card_id}, which was quarantined as malformed.")


def _collect(
    raws: list[Any], model: type[W], kind: str, convert: Callable[[W], C], rejected: list[SourceRejected]
) -> list[C]:
    out: list[C] = []
    for raw in raws:
        parsed = mapping.parse(model, raw, kind)
        if isinstance(parsed, SourceRejected):
            rejected.append(parsed)
        else:
            out.append(convert(parsed))
    return out


def _download_path(att: Attachment) -> str:
    """`cards/{card id}/attachments/{attachment id}/download/{file name}` under /1, built
    from the ids; the file name (the vendor's own, or the last segment of its URL) is one
    percent-encoded segment that can never climb out (a `/` or a dot segment in it stays
    part of the name)."""
    name = att.file_name
    if name is None and att.url and "/download/" in att.url:
        name = unquote(urlsplit(att.url).path.rsplit("/download/", 1)[1])
    if not name:
        raise ValueError(f"attachment {att.key} has no Trello download URL")
    return (
        f"cards/{_segment(att.item_key.rsplit(':', 1)[1])}/attachments/{_segment(att.key.rsplit(':', 1)[1])}"
        f"/download/{_segment(name)}"
    )


def _segment(text: str) -> str:
    """One path segment: every reserved character encoded, and a dot segment spelled so
    that no URL resolution removes it."""
    seg = quote(text, safe="")
    return seg.replace(".", "%2E") if seg in (".", "..") else seg
