"""What hangs on an item: comments, uploads and links, sub-items (checklist items). Each is
journalled on its own, so a resume posts none of them twice."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import partial
from typing import Any

from wizard import comment_digest as digest
from wizard.adapter import SourceAdapter
from wizard.comment_digest import DIGEST_SUFFIX, HISTORY_SUFFIX
from wizard.engine.journalled import RunJournal
from wizard.model import Attachment, Comment, Item
from wizard.plan import CommentStrategy, Plan
from wizard.provenance import read_markers
from wizard.target import Assignees, ContainerCtx

ATTACH_SUFFIX = "#attachments"
SETTLED_SUFFIX = "#settled"


def settled_anchor(settled: Mapping[str, Any] | None) -> str | None:
    """Where the comments of a placed item hang (the `#settled` entry's anchor; a folder from
    before the target protocol called it the task)."""
    extra = (settled or {}).get("extra") or {}
    anchor = extra.get("anchor") or extra.get("task")
    return str(anchor) if anchor else None


def settled_stage(settled: Mapping[str, Any] | None) -> str | None:
    """The stage id a placed item stands at (a folder from before the protocol: its step)."""
    extra = (settled or {}).get("extra") or {}
    stage = extra.get("stage") or extra.get("step")
    return str(stage) if stage else None


class ChildWriter:
    """Writes what hangs on each item, once its item is written and placed."""

    def __init__(self, journal: RunJournal, plan: Plan, source: SourceAdapter) -> None:
        self.journal = journal
        self.plan = plan
        self.source = source

    async def subitems(self, item: Item, item_id: str, people: Assignees) -> None:
        """Each checklist item once, as a sub-item of the item; done ones completed once."""
        j, target = self.journal, self.journal.target
        for cl in item.checklists:
            for n, ci in enumerate(cl.items):
                key = f"{cl.key}#{n}"
                sid = await j.ensure(
                    key,
                    "checklist_item",
                    "create checklist item",
                    target_type="subitem",
                    parent_id=item_id,
                    create=partial(
                        target.add_subitem, item, key, f"{cl.name}: {ci.name}", ci.due, item_id, list(people.users)
                    ),
                    find=partial(target.find_subitem, key, item_id),
                )
                if sid and ci.done and not j.store.target_of(key + "#done"):
                    await target.complete_subitem(key, sid)
                    j.store.done(key + "#done", "settle", "subitem", sid, created=False, parent_id=item_id)

    async def comments(self, item_key: str, comments: list[Comment], ctx: ContainerCtx | None = None) -> None:
        """The item's comments by the container's strategy: each one a comment; a digest (one
        comment holding the history, split only where the target's length limit forces it);
        the history in the item's field; or the last `recent_comments` each and the rest as a
        digest. Once an item's history is written, later comments (a sync) go one by one."""
        j = self.journal
        settled = j.store.target_of(item_key + SETTLED_SUFFIX)
        anchor = settled_anchor(settled)
        if not settled or not anchor:
            for c in comments:
                if not j.store.target_of(c.key):
                    j.skip(c.key, "comment", "its item was not migrated (skipped, quarantined or in conflict)")
            return
        item_id = str(settled["target_id"])
        foreign = not (j.store.target_of(item_key) or {}).get("created", True)
        strategy = self.plan.mapping.comment_strategy(ctx.key, ctx.key.split(":", 2)[-1]) if ctx else "each"
        each = sorted(comments, key=lambda c: c.created_at)
        if strategy != "each" and not j.store.target_of(item_key + DIGEST_SUFFIX):
            # Comments a previous run posted one by one stay as they are; the rest is history.
            rest = [c for c in each if (j.store.target_of(c.key) or {}).get("target_type") != "comment"]
            keep = self.plan.mapping.recent_comments if strategy == "recent" else 0
            history, each = (rest[:-keep], rest[-keep:]) if keep else (rest, [])
            if history and not await self._history(item_key, item_id, anchor, history, strategy, foreign, ctx):
                return
        for c in each:
            if not await j.go_on():
                return
            await j.ensure(
                c.key,
                "comment",
                "post comment",
                target_type="comment",
                parent_id=item_id,
                create=partial(j.target.add_comment, c, item_id, anchor),
                find=partial(j.target.find_comment, c, item_id, anchor),
                find_first=foreign,
                item=item_key,
            )

    async def _history(
        self,
        item_key: str,
        item_id: str,
        anchor: str,
        history: list[Comment],
        strategy: CommentStrategy,
        foreign: bool,
        ctx: ContainerCtx | None,
    ) -> bool:
        """Write the history (field, then digest comments for what the field cannot hold),
        map each comment to what holds it, then record the history as written. False when
        a stop came first or a part was refused."""
        j, target = self.journal, self.journal.target
        label = self.source.label
        if strategy == "field" and ctx is not None and target.history_limit:
            held, rest = _fits(history, target.history_limit)
            field_key = item_key + HISTORY_SUFFIX
            body = digest.text(field_key, digest.parts(held, target.history_limit)[0], 0, 1, len(held), label)
            if j.store.target_of(field_key) or await target.write_history(item_key, item_id, ctx, body):
                if not j.store.target_of(field_key):
                    j.store.done(field_key, "settle", "item", item_id, created=False)
                self._entries(held, "history_entry", item_id, item_id, foreign)
                history = rest  # what the field cannot hold goes as a digest
        texts = digest.parts(history, target.comment_limit)
        for n, entries in enumerate(texts):
            if not await j.go_on():
                return False
            key = digest.part_key(item_key, n)
            probe = Comment(key=key, item_key=item_key, created_at=history[0].created_at, text="")
            body = digest.text(key, entries, n, len(texts), len(history), label)
            part = await j.ensure(
                key,
                "digest",
                "post comment history",
                target_type="comment",
                parent_id=item_id,
                create=partial(target.add_digest, key, body, item_id, anchor),
                find=partial(target.find_comment, probe, item_id, anchor),
                find_first=foreign,
                item=item_key,
            )
            if part is None:
                return False
            inside = {m for e in entries for m in read_markers(e)}
            self._entries([c for c in history if c.key in inside], "digest_entry", part, item_id, foreign)
        j.store.done(item_key + DIGEST_SUFFIX, "settle", "item", item_id, created=False, extra={"strategy": strategy})
        return True

    def _entries(self, comments: list[Comment], target_type: str, holder: str, item_id: str, foreign: bool) -> None:
        """Each comment mapped to the digest comment or the item field that holds it, and
        counted as migrated; rollback removes it with its holder (`target_type` is none of the
        target's own types)."""
        j = self.journal
        for c in comments:
            if not j.store.target_of(c.key):
                j.store.done(c.key, "comment", target_type, holder, created=not foreign, parent_id=item_id)
                j.count("comment", holder, created=not foreign, key=c.key)

    async def uploads(self, item_key: str, atts: list[Attachment], ctx: ContainerCtx) -> None:
        """Each file uploaded once; then the item's files and links shown on it in one write."""
        j, target = self.journal, self.journal.target
        settled = j.store.target_of(item_key + SETTLED_SUFFIX)
        if not settled:
            for a in atts:
                j.skip(a.key, "attachment", "its item was not migrated (skipped, quarantined or in conflict)")
            return
        foreign = not (j.store.target_of(item_key) or {}).get("created", True)
        item_id = str(settled["target_id"])
        stage_id = settled_stage(settled) or (ctx.stage_order or [""])[0]
        max_bytes = self.plan.limits.max_attachment_mb * 1024 * 1024
        uploaded: list[dict[str, Any]] = []
        links: list[tuple[str, str, str]] = []  # name, url, source key
        fresh_uploads = 0
        for a in atts:
            if not await j.go_on():
                return
            if not a.is_upload:
                links.append((a.name, a.url or "", a.key))
                continue
            if a.size > max_bytes:
                j.quarantine(
                    a.key,
                    "attachment",
                    f"{a.size} bytes is over the {self.plan.limits.max_attachment_mb} MB limit",
                    item_key,
                )
                continue
            mapped = j.store.target_of(a.key)
            if mapped:
                uploaded.append(
                    {
                        "id": mapped["target_id"],
                        "filename": mapped.get("extra", {}).get("filename", a.name),
                        "key": a.key,
                    }
                )
                continue
            result: dict[str, Any] = {}

            async def create(a: Attachment = a, result: dict[str, Any] = result) -> str:
                upload = await target.add_upload(a, self.source.open_attachment(a), item_id, stage_id, ctx)
                result.update(upload, uploaded=True)
                return str(upload["id"])

            async def find(a: Attachment = a, result: dict[str, Any] = result) -> str | None:
                upload = await target.find_upload(a, item_id, {u["id"] for u in uploaded})
                if upload:
                    result.update(upload)
                return str(upload["id"]) if upload else None

            aid = await j.ensure(
                a.key,
                "attachment",
                "upload file",
                target_type="file",
                parent_id=item_id,
                create=create,
                find=find,
                find_first=foreign,
                item=item_key,
            )
            if aid and not (foreign and "uploaded" not in result):
                fresh_uploads += 1
            if aid:
                uploaded.append({"id": aid, "filename": result.get("filename") or a.name, "key": a.key})
        attach_key = item_key + ATTACH_SUFFIX
        marker = _digest(sorted(u["id"] for u in uploaded) + sorted(f"{n} {u}" for n, u, _ in links))
        done = j.store.target_of(attach_key)
        # An item someone else made that already holds every file needs no attach call.
        nothing_new = foreign and not fresh_uploads
        if (uploaded or links) and not nothing_new and (not done or done.get("hash") != marker):
            await target.attach(item_key, item_id, ctx, uploaded, links)
            j.store.done(attach_key, "attach", "item", item_id, created=False, hash=marker)
            for a in atts:
                if not a.is_upload:
                    j.store.done(
                        a.key,
                        "attachment",
                        "link",
                        item_id,
                        created=not foreign,
                        parent_id=item_id,
                        extra={"url": a.url or ""},
                    )
                    j.count("attachment", item_id, created=not foreign, key=a.key)


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _fits(comments: list[Comment], limit: int) -> tuple[list[Comment], list[Comment]]:
    """The oldest comments whose history fits in one text of `limit` characters, and the rest."""
    first = digest.parts(comments, limit)[:1]
    inside = {m for e in (first[0] if first else []) for m in read_markers(e)}
    n = next((i for i, c in enumerate(comments) if c.key not in inside), len(comments))
    return comments[:n], comments[n:]
