"""What hangs on a card's process: comments, files and links, checklist tasks. Each is
journalled on its own, so a resume posts none of them twice."""

from __future__ import annotations

import hashlib
from typing import Any

from wizard.engine.journalled import JournalledWriter
from wizard.model import Attachment, Comment, Item
from wizard.target import TemplateCtx

ATTACH_SUFFIX = "#attachments"
SETTLED_SUFFIX = "#settled"


class ChildWriter(JournalledWriter):
    """Mixed into RunExecutor."""

    plan: Any
    source: Any

    async def checklist_subtasks(self, item: Item, run_id: str) -> None:
        """Each checklist item once, as a task of the process; done ones completed once."""
        owners, _ = self._owners(item)
        for cl in item.checklists:
            for n, ci in enumerate(cl.items):
                key = f"{cl.key}#{n}"
                tid = await self.ensure(
                    key,
                    "checklist_item",
                    "create checklist task",
                    target_type="task",
                    parent_id=run_id,
                    create=lambda k=key, c=cl, i=ci: self.target.create_checklist_task(
                        item, k, f"{c.name}: {i.name}", i.due, run_id, owners
                    ),
                    find=lambda k=key: self.target.find_checklist_task(k, run_id),
                )
                if tid and ci.done and not self.store.target_of(key + "#done"):
                    await self.target.complete_checklist_task(key, tid)
                    self.store.done(key + "#done", "settle", "task", tid, created=False, parent_id=run_id)

    # -- comments ------------------------------------------------------------------------
    async def migrate_comments(self, item_key: str, comments: list[Comment]) -> None:
        settled = self.store.target_of(item_key + SETTLED_SUFFIX)
        if not settled or not settled.get("extra", {}).get("task"):
            for c in comments:
                if not self.store.target_of(c.key):
                    self._skip(c.key, "comment", "its card was not migrated (skipped, quarantined or in conflict)")
            return
        run_id, task_id = settled["target_id"], settled["extra"]["task"]
        foreign = not (self.store.target_of(item_key) or {}).get("created", True)
        for c in sorted(comments, key=lambda c: c.created_at):
            if not await self._gate():
                return
            await self.ensure(
                c.key,
                "comment",
                "post comment",
                target_type="comment",
                parent_id=run_id,
                create=lambda c=c: self.target.post_comment(c, task_id),
                find=lambda c=c: self.target.find_comment(c, run_id, task_id),
                find_first=foreign,
                item=item_key,
            )

    # -- attachments ---------------------------------------------------------------------
    async def migrate_attachments(self, item_key: str, atts: list[Attachment], ctx: TemplateCtx, tpl_key: str) -> None:
        settled = self.store.target_of(item_key + SETTLED_SUFFIX)
        if not settled:
            for a in atts:
                self._skip(a.key, "attachment", "its card was not migrated (skipped, quarantined or in conflict)")
            return
        foreign = not (self.store.target_of(item_key) or {}).get("created", True)
        run_id, step_id = settled["target_id"], settled["extra"].get("step") or (ctx.step_order or [""])[0]
        max_bytes = self.plan.limits.max_attachment_mb * 1024 * 1024
        uploaded: list[dict] = []
        links: list[tuple[str, str]] = []
        fresh_uploads = 0
        for a in atts:
            if not await self._gate():
                return
            if not a.is_upload:
                links.append((a.name, a.url or ""))
                continue
            if a.size > max_bytes:
                self._quarantine(
                    a.key,
                    "attachment",
                    f"{a.size} bytes is over the {self.plan.limits.max_attachment_mb} MB limit",
                    item_key,
                )
                continue
            mapped = self.store.target_of(a.key)
            if mapped:
                uploaded.append(
                    {"id": mapped["target_id"], "filename": mapped.get("extra", {}).get("filename", a.name)}
                )
                continue
            result: dict[str, Any] = {}

            async def create(a: Attachment = a) -> str:
                asset = await self.target.upload(a, self.source.open_attachment(a), run_id, step_id, ctx.template_id)
                result.update(asset, uploaded=True)
                return str(asset["id"])

            async def find(a: Attachment = a) -> str | None:
                asset = await self.target.find_upload(a, run_id, {u["id"] for u in uploaded})
                if asset:
                    result.update(asset)
                return str(asset["id"]) if asset else None

            aid = await self.ensure(
                a.key,
                "attachment",
                "upload file",
                target_type="asset",
                parent_id=run_id,
                create=create,
                find=find,
                find_first=foreign,
                item=item_key,
            )
            if aid and not (foreign and "uploaded" not in result):
                fresh_uploads += 1
            if aid:
                uploaded.append({"id": aid, "filename": result.get("filename") or a.name})
        files_field = ctx.prerun_ids.get(f"{tpl_key}#attachments")
        links_field = ctx.prerun_ids.get(f"{tpl_key}#links")
        attach_key = item_key + ATTACH_SUFFIX
        marker = _digest(sorted(u["id"] for u in uploaded) + sorted(f"{n} {u}" for n, u in links))
        done = self.store.target_of(attach_key)
        # A process someone else made that already holds every file needs no attach call.
        nothing_new = foreign and not fresh_uploads
        if (uploaded or links) and not nothing_new and (not done or done.get("hash") != marker):
            await self.target.attach(item_key, run_id, files_field, uploaded, links_field, links)
            self.store.done(attach_key, "attach", "run", run_id, created=False, hash=marker)
            for a in atts:
                if not a.is_upload:
                    self.store.done(
                        a.key,
                        "attachment",
                        "link",
                        run_id,
                        created=not foreign,
                        parent_id=run_id,
                        extra={"url": a.url or ""},
                    )
                    self._count("attachment", run_id, created=not foreign, key=a.key)


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
