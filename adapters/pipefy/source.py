"""Pipefy as a migration source.

Calls are few by design: one `Pipe` query carries the pipe, its phases with their fields, the
start form, labels and members; the cards come through the pipe's `allCards` Relay connection,
50 a page (Pipefy's most), each with everything the mapping reads nested in it (values,
phase history, assignees, labels, comments, files, connected cards), sized to stay under the
complexity cap. A file's presigned URL expires: it is used while it lives, and asked for again
(one `CardFiles` query) only when it has expired or the storage refuses it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

from adapters.pipefy import mapping
from adapters.pipefy.client import PAGE, PipefyClient
from adapters.pipefy.wire import PAttachment, PComment, PField, PPipe, PUser
from wizard.adapter import (
    ChangeSet,
    Container,
    Extracted,
    Identity,
    SourceAdapter,
    SourceLoss,
    SourceRejected,
    StatedItem,
)
from wizard.errors import CredentialError, PermissionDenied, VendorDataError
from wizard.events import EventSink
from wizard.http import ObjectUnavailable
from wizard.model import Attachment, Capability

URL_MARGIN_S = 60  # a presigned URL this close to its expiry is asked for again first


class PipefySource(SourceAdapter):
    system = "pipefy"
    label = "Pipefy"
    credential_parts = ("token",)
    cursor_ordered = True  # the change cursor is an ISO time
    fills: ClassVar[frozenset[Capability]] = frozenset(
        {
            "stage_fields",
            "created_at",
            "completed_at",
            "due",
            "item_assignees",
            "relations",
            "tags",
            "tag_colours",
            "fields",
            "field_values",
            "comments",
            "attachments",
        }
    )

    client: PipefyClient

    def __init__(self, client: PipefyClient) -> None:
        self.client = client
        self._began: dict[str, str] = {}  # pipe id -> when its last extraction began (Pipefy's clock)

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
    ) -> PipefySource:
        if not credentials.get("token"):
            raise CredentialError(
                f"The Pipefy credential of profile '{profile}' has no token; log in again with a personal access "
                f"token (app.pipefy.com/tokens)."
            )
        client = PipefyClient(
            base_url,
            credentials["token"],
            profile=profile,
            sink=sink,
            timeout=timeout,
            max_retries=max_retries,
            window_scale=float(kw.pop("window_scale", 1.0) or 1.0),
            **kw,
        )
        return cls(client)

    # -- who and what ----------------------------------------------------------------------
    async def whoami(self) -> Identity:
        data = await self.client.query("whoami")
        me = mapping.parse(PUser, data.get("me"), "user")
        if isinstance(me, SourceRejected):
            raise VendorDataError("Pipefy answered 'who am I' with a user record that cannot be read.")
        orgs = [o for o in data.get("organizations") or [] if isinstance(o, dict)]
        names = ", ".join(f"{o.get('name') or o.get('id')} ({o.get('planName') or 'plan unknown'})" for o in orgs)
        return Identity(user=me.name or me.id, workspace=names or "no organization", detail=me.email or "")

    async def containers(self) -> list[Container]:
        """Every pipe of every organization the token opens."""
        data = await self.client.query("pipes")
        out = []
        for org in data.get("organizations") or []:
            for raw in (org or {}).get("pipes") or []:
                if not isinstance(raw, dict) or raw.get("id") is None:
                    continue
                pid = str(raw["id"])
                out.append(
                    Container(key=mapping.key("pipe", pid), id=pid, name=str(raw.get("name") or ""), url=raw.get("url"))
                )
        return out

    async def _pipe(self, pipe_id: str) -> PPipe:
        raw = (await self.client.query("pipe", id=pipe_id)).get("pipe")
        pipe = mapping.parse(PPipe, raw, "pipe")
        if isinstance(pipe, SourceRejected):
            raise VendorDataError(pipe.reason)
        return pipe

    # -- extraction ------------------------------------------------------------------------
    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Extracted]:
        self._began[container_id] = self._server_now()
        pipe = await self._pipe(container_id)
        tpl = mapping.pipe_to_template(pipe)
        yield tpl
        yield SourceLoss(tpl.key, "template", "phase history", mapping.HISTORY_LOSS)
        fields: dict[str, PField] = {
            f.id: f for f in [*pipe.start_form_fields, *(f for ph in pipe.phases for f in ph.fields)]
        }
        people = {p.name: p.key for p in tpl.people}
        labels = {t.key for t in tpl.tags}
        position = 0
        async for raw in self._cards(container_id):
            item = mapping.map_card(raw, pipe, fields, position, people, labels)
            position += 1
            if isinstance(item, SourceRejected):
                yield item
                for orphan in _orphans(raw, item.key):
                    yield orphan
                continue
            yield item
            if item.relations:
                yield mapping.connected_loss(item, fields)
            card_id = item.source_id
            for c in raw.get("comments") or []:
                comment = mapping.parse(PComment, c, "comment")
                yield comment if isinstance(comment, SourceRejected) else mapping.map_comment(comment, item.key)
            for a in raw.get("attachments") or []:
                att = mapping.parse(PAttachment, a, "attachment")
                yield att if isinstance(att, SourceRejected) else mapping.map_attachment(att, card_id)

    async def _cards(self, pipe_id: str, op: str = "cards", **variables: Any) -> AsyncIterator[dict[str, Any]]:
        """Every card of the pipe, a Relay page at a time (`first` 50, `after` the end cursor)."""
        after: str | None = None
        while True:
            data = await self.client.query(op, pipeId=pipe_id, first=PAGE, after=after, **variables)
            conn = data.get("allCards")
            if not isinstance(conn, dict) or not isinstance(conn.get("edges"), list):
                raise VendorDataError(f"Pipefy answered the cards of pipe {pipe_id} with no list.")
            for edge in conn["edges"]:
                node = edge.get("node") if isinstance(edge, dict) else None
                yield node if isinstance(node, dict) else {"id": None}
            info = conn.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            after = info.get("endCursor")
            if not after:
                raise VendorDataError(f"Pipefy said pipe {pipe_id} has more cards but gave no cursor to them.")

    # -- what Pipefy states of itself ------------------------------------------------------
    async def stated_counts(self, container_id: str) -> list[StatedItem]:
        """Per card, Pipefy's own counts of its comments and files, read apart from the
        extraction; and the pipe's and each phase's cards_count: a card they count that the
        listing did not give stands as a card of its own, so it cannot agree with the target."""
        out: list[StatedItem] = []
        per_phase: dict[str, int] = {}
        async for raw in self._cards(container_id, "stated_cards"):
            cid = raw.get("id")
            if cid is None:
                continue
            phase = (raw.get("current_phase") or {}).get("id")
            per_phase[str(phase)] = per_phase.get(str(phase), 0) + 1
            counts = {
                "comment": _int(raw.get("comments_count")),
                "file": _int(raw.get("attachments_count")),
                "field_value": _filled(raw.get("fields")),
            }
            out.append(StatedItem(mapping.key("card", str(cid)), str(raw.get("title") or ""), counts))
        data = (await self.client.query("stated_pipe", id=container_id)).get("pipe") or {}
        stated = {str(p.get("id")): _int(p.get("cards_count")) for p in data.get("phases") or [] if isinstance(p, dict)}
        missing = max(
            _int(data.get("cards_count")) - len(out), sum(max(0, n - per_phase.get(ph, 0)) for ph, n in stated.items())
        )
        for n in range(missing):
            out.append(
                StatedItem(
                    mapping.key("card", f"unlisted-{container_id}-{n + 1}"),
                    "(a card Pipefy counts but did not list)",
                    {},
                )
            )
        return out

    # -- files -----------------------------------------------------------------------------
    async def open_attachment(self, attachment: Attachment) -> AsyncIterator[bytes]:
        """The file from its presigned URL, fetched afresh just before the download when it has
        expired (or is about to); a URL the storage refuses is asked for again once, and a file
        refused even then is unavailable (quarantined alone)."""
        url = attachment.url if attachment.url and not _expired(attachment.url) else await self._fresh_url(attachment)
        for attempt in range(2):
            try:
                async for chunk in self.client.download(url, mime_type=attachment.mime_type):
                    yield chunk
                return
            except PermissionDenied:
                if attempt:
                    raise ObjectUnavailable(f"Pipefy refused file {attachment.name} even from a fresh URL") from None
                url = await self._fresh_url(attachment)

    async def _fresh_url(self, attachment: Attachment) -> str:
        card_id = attachment.item_key.rsplit(":", 1)[1]
        data = await self.client.query("card_files", id=card_id)
        for a in (data.get("card") or {}).get("attachments") or []:
            if (
                isinstance(a, dict)
                and a.get("url")
                and mapping.file_id(card_id, str(a.get("path"))) == attachment.source_id
            ):
                return str(a["url"])
        raise ObjectUnavailable(f"Pipefy no longer has file {attachment.name} on card {card_id}")

    # -- sync ------------------------------------------------------------------------------
    def _server_now(self) -> str:
        """Pipefy's clock (ours corrected by the skew its Date headers showed): a cursor on our
        own clock could skip a change made in the seconds the two clocks differ."""
        return _iso(time.time() + self.client.clock_skew)

    async def _changed(self, container_id: str, since: str) -> set[str]:
        condition = {"AND": [{"field": "updated_at", "operator": "gt", "value": since}]}
        return {
            mapping.key("card", str(raw["id"]))
            async for raw in self._cards(container_id, "changed_cards", filter=condition)
            if raw.get("id") is not None
        }

    async def changes_since(self, container_id: str, cursor: str | None) -> ChangeSet:
        """The cards updated after `cursor` (an ISO time on Pipefy's clock), by allCards'
        updated_at filter; the new cursor is when this was asked, so what changes while the
        sync reads is reported again next time. Pipefy has no feed of deletions or comments:
        the full re-read and the content hashes find those. With no cursor (a run ends), the
        cards changed since this container's extraction began are asked for: none, and the
        cursor is now; some, and it is when the extraction began, so the next sync takes them."""
        asked = self._server_now()
        if cursor is None:
            began = self._began.get(container_id, asked)
            changed = await self._changed(container_id, began)
            return ChangeSet(cursor=began if changed else asked)
        return ChangeSet(changed_item_ids=await self._changed(container_id, cursor), cursor=asked)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _filled(fields: Any) -> int:
    """The card's fields Pipefy shows a value in (files and statements are no values)."""
    return sum(
        1
        for f in (fields if isinstance(fields, list) else [])
        if isinstance(f, dict)
        and str(f.get("value") or "").strip() not in ("", "[]")
        and ((f.get("field") or {}).get("type")) not in mapping.NOT_FIELDS
    )


def _int(v: Any) -> int:
    return v if isinstance(v, int) and v >= 0 else 0


def _expired(url: str) -> bool:
    """Whether a presigned URL has expired or is about to (its `expires_on`, or X-Amz-Date plus
    X-Amz-Expires); a URL that says nothing of it is taken as alive."""
    q = parse_qs(urlparse(url).query)
    now = time.time()
    if "expires_on" in q:
        try:
            return int(q["expires_on"][0]) - URL_MARGIN_S < now
        except ValueError:
            return True
    if "X-Amz-Date" in q and "X-Amz-Expires" in q:
        try:
            signed = datetime.strptime(q["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
            return signed + int(q["X-Amz-Expires"][0]) - URL_MARGIN_S < now
        except ValueError:
            return True
    return False


def _orphans(raw: Any, card_key: str) -> list[SourceRejected]:
    """What hangs on a card quarantined as malformed: reported, not lost."""
    if not isinstance(raw, dict):
        return []
    out = []
    why = f"belongs to {card_key}, which was quarantined as malformed."
    for c in raw.get("comments") or []:
        if isinstance(c, dict) and c.get("id") is not None:
            out.append(SourceRejected(mapping.key("comment", str(c["id"])), "comment", f"This comment {why}"))
    card_id = card_key.rsplit(":", 1)[1]
    for a in raw.get("attachments") or []:
        if isinstance(a, dict) and a.get("path"):
            ref = mapping.key("attachment", mapping.file_id(card_id, str(a["path"])))
            out.append(SourceRejected(ref, "attachment", f"This attachment {why}"))
    return out
