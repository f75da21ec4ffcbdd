"""Tallyfy as a migration target: the writes of the kanban preset, each findable again by
its provenance marker, so a resumed or repeated run re-creates nothing.

In a dry run the same code runs, but every write is recorded as an Action and answered
with a placeholder id, and every read of an object the dry run "created" is answered from
what it knows; so the dry run's action list is exactly the real run's.
"""

from __future__ import annotations

import itertools
import tempfile
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from adapters.tallyfy import mapping as tm
from adapters.tallyfy.client import TallyfyClient
from wizard.adapter import Identity
from wizard.model import Attachment, Comment, FieldDef, Item, Template
from wizard.target import Action, TargetUser, TemplateCtx

DRY = "dry-"
RECONCILE_TRIES = 3


class TallyfyTarget:
    system = "tallyfy"
    label = "Tallyfy"

    def __init__(self, client: TallyfyClient, *, dry_run: bool = False, source_label: str = "the source") -> None:
        self.client = client
        self.dry_run = dry_run
        self.source_label = source_label
        self.actions: list[Action] = []
        self._me: int | None = None
        self._ids = itertools.count(1)

    @property
    def calls(self) -> int:
        return len(self.actions) if self.dry_run else self.client.calls

    # -- the write/read gate -----------------------------------------------------------
    async def _write(
        self,
        method: str,
        path: str,
        what: str,
        key: str,
        send: Callable[[], Awaitable[Any]],
        fake: Callable[[str], Any],
    ) -> Any:
        if self.dry_run:
            self.actions.append(Action(method, path, what, key))
            return fake(f"{DRY}{next(self._ids):06d}")
        return await send()

    async def _read(
        self, path: str, what: str, key: str, send: Callable[[], Awaitable[Any]], fake: Callable[[], Any] | None = None
    ) -> Any:
        """A read of something the dry run only pretended to create is answered by `fake`,
        and still counted, because the real run will make that call."""
        if self.dry_run and fake is not None:
            self.actions.append(Action("GET", path, what, key))
            return fake()
        if self.dry_run:
            self.actions.append(Action("GET", path, what, key))
        return await send()

    async def _reconciled(
        self, what: str, send: Callable[[], Awaitable[Any]], find: Callable[[], Awaitable[Any]]
    ) -> Any:
        """A write whose fate is unknown (a 5xx or a dropped connection after sending) is
        looked for before it is sent again, so it lands exactly once. Used for the writes the
        engine does not reconcile itself (steps, task completions, tags, invites)."""
        from wizard.errors import SystemUnavailable
        from wizard.http import AmbiguousWrite

        reason = ""
        for _ in range(RECONCILE_TRIES):
            try:
                return await send()
            except AmbiguousWrite as e:
                reason = e.reason
                found = await find()
                if found is not None:
                    return found
        raise SystemUnavailable(
            f"Tallyfy never confirmed that it did {what} ({reason}); everything done so far is "
            f"kept: run the same command again to resume."
        )

    # -- identity and people -----------------------------------------------------------
    async def whoami(self) -> Identity:
        me = await self.client.me()
        org = await self.client.organization()
        name = (
            me.get("full_name")
            or " ".join(filter(None, [me.get("first_name"), me.get("last_name")]))
            or me.get("email", "?")
        )
        return Identity(user=name, workspace=org.get("name", self.client.org), detail=f"organization {self.client.org}")

    async def users(self) -> list[TargetUser]:
        users = await self._read("users", "list members", "", self.client.list_users)
        out = []
        for u in users:
            name = u.get("full_name") or f"{u.get('first_name', '')} {u.get('last_name', '')}".strip()
            out.append(TargetUser(id=u["id"], name=name, email=u.get("email"), status=u.get("status", "active")))
        return out

    async def invite(self, key: str, name: str, email: str) -> TargetUser:
        first, _, last = name.partition(" ")

        async def find() -> dict | None:
            return next(
                (
                    u
                    for u in await self.client.list_users()
                    if email and str(u.get("email", "")).lower() == email.lower()
                ),
                None,
            )

        u = await self._write(
            "POST",
            "users/invite",
            f"invite {name}",
            key,
            lambda: self._reconciled(
                f"invite {email}",
                lambda: self.client.invite_user(email, first[:32] or "Guest", (last or "-")[:32]),
                find,
            ),
            lambda fid: {"id": fid, "status": "invited"},
        )
        return TargetUser(id=u["id"], name=name, email=email, status="invited")

    async def find_guest(self, email: str) -> str | None:
        guests = await self._read("guests", "look for guest", email, self.client.list_guests)
        return next((g["email"] for g in guests if str(g.get("email", "")).lower() == email.lower()), None)

    async def create_guest(self, key: str, name: str, email: str) -> str:
        """A guest (Tallyfy counts 30 an hour per organization): someone outside the client's
        organization who works on tasks without a seat. Returns the email, a guest's address."""
        first, _, last = name.partition(" ")
        body = {"email": email, "first_name": first[:32] or "Guest", "last_name": (last or "-")[:32]}
        g = await self._write(
            "POST",
            "guests",
            f"add guest {name}",
            key,
            lambda: self.client.create_guest(body),
            lambda fid: {"email": email},
        )
        return str(g.get("email") or email)

    # -- tags ----------------------------------------------------------------------------
    async def existing_tags(self) -> dict[str, str]:
        tags = await self._read("tags", "list tags", "", self.client.list_tags)
        return {t["title"].lower(): t["id"] for t in tags}

    async def create_tag(self, key: str, name: str, color: str | None) -> str:
        body = tm.tag_body(name, color)

        async def find() -> dict | None:
            return next(
                (t for t in await self.client.list_tags() if str(t.get("title", "")).lower() == body["title"].lower()),
                None,
            )

        t = await self._write(
            "POST",
            "tags",
            f"create tag '{body['title']}'",
            key,
            lambda: self._reconciled(
                f"create tag '{body['title']}'", lambda: self.client.create_tag(body["title"], body["color"]), find
            ),
            lambda fid: {"id": fid},
        )
        return t["id"]

    # -- templates -----------------------------------------------------------------------
    async def find_template(self, key: str, name: str) -> str | None:
        for t in await self._read(
            "checklists", f"look for template '{name}'", key, lambda: self.client.list_templates(q=name[:100])
        ):
            if tm.read_marker(t.get("summary")) == key:
                return t["id"]
        return None

    async def create_template(self, tpl: Template, prerun_defs: list[dict]) -> dict:
        body = tm.template_body(tpl, self.source_label)
        body["prerun"] = prerun_defs

        async def find() -> dict | None:
            tid = await self.find_template(tpl.key, tpl.name)
            return await self.client.get_template(tid) if tid else None

        return await self._write(
            "POST",
            "checklists",
            f"create template '{body['title']}'",
            tpl.key,
            lambda: self._reconciled(
                f"create template '{body['title']}'", lambda: self.client.create_template(body), find
            ),
            lambda fid: {"id": fid, "prerun": [dict(d, id=f"{fid}-ko{i}") for i, d in enumerate(prerun_defs)]},
        )

    async def ensure_template(
        self,
        tpl: Template,
        existing_id: str | None,
        overrides: dict[str, str],
        with_checklists: bool,
        tags: dict[str, str],
    ) -> TemplateCtx:
        """Create the template, or complete one a previous run left half-made: the steps that
        are not there yet are added; the ids the items need are read back. Idempotent, and a
        fresh template costs no read at all (the create answer carries the kick-off form)."""
        defs = tm.prerun_defs(tpl, overrides, with_checklists)
        have: dict[str, dict] = {}
        if existing_id is None:
            created = await self.create_template(tpl, defs)
            tid, prerun = created["id"], created.get("prerun") or []
        else:
            tid = existing_id
            for s in await self._read(
                f"checklists/{tid}/steps", "list steps", tpl.key, lambda: self.client.list_steps(tid)
            ):
                if ref := tm.read_marker(s.get("summary")):
                    have[ref] = s
            full = await self._read(
                f"checklists/{tid}", "read kick-off form", tpl.key, lambda: self.client.get_template(tid)
            )
            prerun = full.get("prerun") or []
        if isinstance(prerun, dict):
            prerun = prerun.get("data", [])
        ctx = TemplateCtx(template_id=tid, tags=tags)
        for stage in sorted(tpl.stages, key=lambda s: s.position):
            step = have.get(stage.key)
            if step is None:
                body = tm.step_body(stage, tid)

                async def find_step(key: str = stage.key) -> dict | None:
                    return next(
                        (s for s in await self.client.list_steps(tid) if tm.read_marker(s.get("summary")) == key), None
                    )

                step = await self._write(
                    "POST",
                    f"checklists/{tid}/steps",
                    f"create step '{body['title']}'",
                    stage.key,
                    lambda b=body, f=find_step: self._reconciled(
                        f"create step '{b['title']}'", lambda: self.client.create_step(tid, b), f
                    ),
                    lambda fid: {"id": fid},
                )
            ctx.steps[stage.key] = step["id"]
            ctx.step_order.append(step["id"])
        for d in prerun:
            if ref := tm.read_marker(d.get("guidance")):
                ctx.prerun_ids[ref] = d["id"]
                ctx.prerun_specs[d["id"]] = {"field_type": d.get("field_type"), "options": d.get("options") or []}
        return ctx

    # -- items (processes) ---------------------------------------------------------------
    async def list_runs(self, template_id: str) -> list[dict]:
        """Every process of the template (one call per 100)."""
        if template_id.startswith(DRY):
            return []
        return await self._read(
            "runs", "index existing processes", template_id, lambda: self.client.list_runs(checklist_id=template_id)
        )

    @staticmethod
    def run_name(name: str) -> str:
        """The name a card's process gets (clipped, never empty): what a match by name compares."""
        return tm.name_for(name, tm.RUN_NAME_LIMIT)

    @staticmethod
    def marker_of(run: dict) -> str | None:
        return tm.read_marker(run.get("summary"))

    async def launch(
        self,
        item: Item,
        ctx: TemplateCtx,
        fields: dict[str, FieldDef],
        owners: list[int],
        placeholders: list[str],
        with_checklists: bool,
        tpl_key: str,
    ) -> str:
        step_id = ctx.steps.get(item.stage_key or "")
        tag_ids = [ctx.tags[k] for k in item.tag_keys if k in ctx.tags]
        body = tm.run_body(
            item,
            ctx.template_id,
            ctx.prerun_ids,
            ctx.prerun_specs,
            fields,
            tag_ids,
            step_id,
            owners,
            placeholders,
            with_checklists,
            tpl_key,
        )
        run = await self._write(
            "POST",
            "runs",
            f"launch process '{body['name']}'",
            item.key,
            lambda: self.client.launch_run(body),
            lambda fid: {"id": fid},
        )
        return run["id"]

    async def update(
        self,
        item: Item,
        run: dict,
        ctx: TemplateCtx,
        fields: dict[str, FieldDef],
        owners: list[int],
        placeholders: list[str],
        with_checklists: bool,
        tpl_key: str,
        *,
        merge: bool,
    ) -> bool:
        """Write the source's version over the process (overwrite), or only into what the
        target has empty (merge). One call, or none when a merge finds nothing to fill."""
        body = tm.run_body(
            item,
            ctx.template_id,
            ctx.prerun_ids,
            ctx.prerun_specs,
            fields,
            [],
            None,
            owners,
            placeholders,
            with_checklists,
            tpl_key,
        )
        update: dict[str, Any] = {"prerun": body["prerun"]}
        if merge:
            have = run.get("prerun") or {}
            update["prerun"] = {k: v for k, v in body["prerun"].items() if have.get(k) in (None, "", [], {})}
            if not update["prerun"]:
                return False
        else:
            update["name"] = body["name"]
            update["summary"] = body["summary"]
        await self._write(
            "PUT",
            f"runs/{run['id']}",
            f"{'merge into' if merge else 'update'} process '{body['name']}'",
            item.key,
            lambda: self.client.update_run(run["id"], update),
            lambda fid: {},
        )
        return True

    async def advance(
        self, item: Item, run_id: str, ctx: TemplateCtx, flips: dict[str, str] | None = None
    ) -> dict[str, str]:
        """Complete the tasks of the steps before the card's list, so the process stands
        where the card stood. Returns step id -> task id. Idempotent. `flips` receives each
        changed task's status before the change."""
        flips = {} if flips is None else flips

        def fake() -> list[dict]:
            return [
                {"id": f"{run_id}-t{i}", "step_id": sid, "status": "not-started"}
                for i, sid in enumerate(ctx.step_order)
            ]

        tasks = await self._read(
            f"runs/{run_id}/tasks",
            "read process tasks",
            item.key,
            lambda: self.client.run_tasks(run_id),
            fake if run_id.startswith(DRY) else None,
        )
        by_step = {t.get("step_id"): t for t in tasks}
        here = ctx.steps.get(item.stage_key or "")
        upto = ctx.step_order.index(here) if here in ctx.step_order else 0
        for sid in ctx.step_order[:upto]:
            t = by_step.get(sid)
            if t and t.get("status") != "completed":
                flips[t["id"]] = t.get("status") or "not-started"

                async def completed(task_id: str = t["id"]) -> dict | None:
                    now = next((x for x in await self.client.run_tasks(run_id) if x.get("id") == task_id), None)
                    return now if now and now.get("status") == "completed" else None

                await self._write(
                    "POST",
                    f"runs/{run_id}/completed-tasks",
                    "complete task of an earlier step",
                    item.key,
                    lambda t=t, f=completed: self._reconciled(
                        "complete a task", lambda: self.client.complete_task(run_id, t["id"]), f
                    ),
                    lambda fid: {"id": fid},
                )
        # A card moved back to an earlier list (a sync): the steps from its list on are open again.
        for sid in ctx.step_order[upto:]:
            t = by_step.get(sid)
            if t and t.get("status") == "completed":
                flips[t["id"]] = "completed"
                await self._write(
                    "DELETE",
                    f"runs/{run_id}/completed-tasks/{t['id']}",
                    "reopen task of a later step",
                    item.key,
                    lambda t=t: self._reopen(run_id, t["id"]),
                    lambda fid: {},
                )
        return {sid: t["id"] for sid, t in by_step.items() if sid}

    async def _reopen(self, run_id: str, task_id: str) -> None:
        from wizard.http import RecordRejected

        try:
            await self.client.reopen_task(run_id, task_id)
        except RecordRejected as e:
            if e.status != 422:  # 422: not completed (a resumed sync already reopened it)
                raise

    async def create_checklist_task(
        self, item: Item, key: str, title: str, due: Any, run_id: str, owners: list[int]
    ) -> str:
        """One checklist item as a one-off task in the process (mapping.checklists =
        "subtasks"). Tallyfy wants at least one owner: the card's people, else the token's user."""
        if not owners:
            owners = [await self._me_id()]
        body = {
            "title": title[:600],
            "task_type": "task",
            "run_id": run_id,
            "owners": tm.owners_body(owners),
            "deadline": due.strftime("%Y-%m-%d %H:%M:%S") if due else "2099-12-31 00:00:00",
            "summary": tm.marker(key),
        }
        t = await self._write(
            "POST",
            "tasks",
            f"create checklist task '{title[:40]}'",
            item.key,
            lambda: self.client.create_oneoff_task(body),
            lambda fid: {"id": fid},
        )
        return str(t["id"])

    async def _me_id(self) -> int:
        if self._me is None:
            me = await self._read("me", "who am I", "", self.client.me, (lambda: {"id": 0}) if self.dry_run else None)
            self._me = int(me["id"])
        return self._me

    async def find_checklist_task(self, key: str, run_id: str) -> str | None:
        tasks = await self._read(
            f"runs/{run_id}/tasks", "look for checklist task", key, lambda: self.client.run_tasks(run_id)
        )
        for t in tasks:
            if tm.read_marker(t.get("summary")) == key:
                return str(t["id"])
        return None

    async def complete_checklist_task(self, key: str, task_id: str) -> None:
        """Idempotent: a task found already completed (a resumed run) is left as it is."""
        from wizard.http import RecordRejected

        try:
            await self._write(
                "POST",
                "completed-tasks",
                "complete checklist task",
                key,
                lambda: self.client.complete_oneoff_task(task_id),
                lambda fid: {},
            )
        except RecordRejected as e:
            if e.status != 422:
                raise

    # -- comments ------------------------------------------------------------------------
    async def find_comment(self, comment: Comment, run_id: str, task_id: str) -> str | None:
        threads = await self._read(
            f"runs/{run_id}/tasks/{task_id}",
            "look for comment",
            comment.key,
            lambda: self.client.task_threads(run_id, task_id),
        )
        for th in threads:
            if tm.read_marker(th.get("content")) == comment.key:
                return str(th["id"])
        return None

    async def post_comment(self, comment: Comment, task_id: str) -> str:
        content = tm.comment_content(comment, self.source_label)
        th = await self._write(
            "POST",
            f"tasks/{task_id}/comment",
            "post comment",
            comment.key,
            lambda: self.client.comment(task_id, content),
            lambda fid: {"id": fid},
        )
        return str(th["id"])

    # -- attachments ---------------------------------------------------------------------
    async def upload(
        self, att: Attachment, chunks: AsyncIterator[bytes] | None, run_id: str, step_id: str, template_id: str
    ) -> dict:
        zipped = tm.needs_zip(att.name)
        name = f"{att.name}.zip" if zipped else att.name

        async def send() -> dict:
            assert chunks is not None
            with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
                if zipped:
                    with (
                        zipfile.ZipFile(spool, "w", zipfile.ZIP_STORED) as zf,
                        zf.open(tm.zip_member_name(att.name), "w") as member,
                    ):
                        async for chunk in chunks:
                            member.write(chunk)
                else:
                    async for chunk in chunks:
                        spool.write(chunk)
                spool.seek(0)
                return await self.client.upload_file(
                    spool,
                    name,
                    subject_type="Run",
                    subject_id=run_id,
                    uploaded_from="ko_field",
                    step_id=step_id,
                    checklist_id=template_id,
                )

        return await self._write(
            "POST",
            "file",
            f"upload '{name}' ({att.size} bytes)",
            att.key,
            send,
            lambda fid: {"id": fid, "filename": name},
        )

    async def find_upload(self, att: Attachment, run_id: str, taken: set[str] = frozenset()) -> dict | None:
        """The asset an unconfirmed upload left on the process: same name (and size, when it
        did not travel zipped), not already claimed by another attachment of the card."""
        run = await self._read(
            f"runs/{run_id}", "look for uploaded file", att.key, lambda: self.client.get_run(run_id, with_="assets")
        )
        assets = run.get("assets") or []
        if isinstance(assets, dict):
            assets = assets.get("data", [])
        for a in assets:
            if str(a.get("id")) in taken:
                continue
            name = a.get("filename") or a.get("name")
            if (name == att.name and a.get("size") in (None, att.size)) or name == f"{att.name}.zip":
                return a
        return None

    async def attach(
        self,
        item_key: str,
        run_id: str,
        files_field: str | None,
        assets: list[dict],
        links_field: str | None,
        links: list[tuple[str, str]],
    ) -> None:
        """Files into the kick-off file field, links into the Links field: one call."""
        prerun: dict[str, Any] = {}
        if files_field and assets:
            prerun[files_field] = [{"id": a["id"], "filename": a.get("filename") or a.get("name")} for a in assets]
        if links_field and links:
            prerun[links_field] = tm.links_text(links)
        what = f"attach {len(assets)} file(s) and {len(links)} link(s) to the kick-off form"
        await self._write(
            "PUT",
            f"runs/{run_id}",
            what,
            item_key,
            lambda: self.client.update_run(run_id, {"prerun": prerun}),
            lambda fid: {},
        )

    # -- rollback and verify -------------------------------------------------------------
    async def get_run(self, run_id: str) -> dict | None:
        from wizard.http import RecordRejected

        try:
            return await self.client.get_run(run_id)
        except RecordRejected as e:
            if e.status == 404:
                return None
            raise

    # -- conflict review (reads only) ------------------------------------------------------
    async def templates_named(self, name: str) -> list[dict]:
        """Templates in the organization whose title is this name (case and spacing aside),
        with the source key their marker names, if any."""
        want = " ".join(name.split()).lower()[: tm.TEMPLATE_TITLE_LIMIT]
        found = await self.client.list_templates(q=name[:100])
        return [
            {"id": t["id"], "name": t.get("title", ""), "marker": tm.read_marker(t.get("summary"))}
            for t in found
            if " ".join(str(t.get("title", "")).split()).lower() == want
        ]

    async def template_view(self, template_id: str) -> dict[str, Any]:
        """What a conflict's side by side needs of a template: step titles, kick-off labels."""
        t = await self.client.get_template(template_id, with_="steps")
        steps = t.get("steps") or []
        steps = steps.get("data", []) if isinstance(steps, dict) else steps
        prerun = t.get("prerun") or []
        prerun = prerun.get("data", []) if isinstance(prerun, dict) else prerun
        return {
            "steps": {s["id"]: s.get("title", "") for s in steps},
            "fields": {d["id"]: tm.read_marker(d.get("guidance")) or d.get("label", "") for d in prerun},
            "labels": {d["id"]: d.get("label", "") for d in prerun},
        }

    async def run_view(self, run_id: str, tview: dict[str, Any], users: dict[Any, str]) -> dict[str, Any] | None:
        """One process as the consultant compares it with its card (two calls): name,
        description, stage, kick-off values by label, assignees, tags, comment and file counts."""
        from wizard.http import RecordRejected

        try:
            run = await self.client.get_run(run_id, with_="assets,tags")
        except RecordRejected as e:
            if e.status == 404:
                return None
            raise
        tasks = await self.client.run_tasks(run_id, with_="threads")

        def data(v: Any) -> list:
            return (v.get("data", []) if isinstance(v, dict) else v) or []

        current = next((t for t in tasks if t.get("step_id") and t.get("status") != "completed"), None)
        stage = tview["steps"].get(current["step_id"], "") if current else ("completed" if tasks else "")
        fields: dict[str, Any] = {}
        description = ""
        for fid, value in (run.get("prerun") or {}).items():
            ref = tview["fields"].get(fid, "")
            if ref.endswith(f"#{tm.DESCRIPTION_FIELD}"):
                description = str(value or "")
            elif value not in (None, "", [], {}):
                fields[tview["labels"].get(fid) or fid] = value
        if not description and not tm.read_marker(run.get("summary")):
            description = str(run.get("summary") or "")  # a process someone made by hand: its summary
        owners = {u for t in tasks for u in (t.get("owners") or {}).get("users", [])}
        return {
            "name": run.get("name", ""),
            "description": description,
            "stage": stage,
            "fields": fields,
            "assignees": sorted(users.get(u, str(u)) for u in owners),
            "tags": sorted(str(t.get("title", "")) for t in data(run.get("tags"))),
            "comments": sum(len(data(t.get("threads"))) for t in tasks),
            "files": len(data(run.get("assets"))),
            "updated": run.get("updated_at"),
        }

    async def activity(self, run_id: str) -> tuple[dict | None, str | None]:
        """The process, and when anyone last did anything in it: an edit of the process, a
        task completed, reopened or edited, a comment, a file (two calls). Our own writes
        are among these; the journal says when the last of them was."""
        from wizard.engine.conflicts import _epoch
        from wizard.http import RecordRejected

        try:
            run = await self.client.get_run(run_id, with_="assets")
        except RecordRejected as e:
            if e.status == 404:
                return None, None
            raise
        times = [run.get("updated_at")]
        assets = run.get("assets") or []
        times += [a.get("created_at") for a in (assets.get("data", []) if isinstance(assets, dict) else assets)]
        for t in await self.client.run_tasks(run_id, with_="threads"):
            times += [t.get("updated_at"), t.get("completed_at")]
            threads = t.get("threads") or []
            times += [
                th.get("created_at") for th in (threads.get("data", []) if isinstance(threads, dict) else threads)
            ]
        return run, max((x for x in times if x), key=_epoch, default=None)

    async def restore_run(self, run_id: str, prior: dict[str, Any], flips: dict[str, str]) -> str:
        """Give a process someone else made back what an overwrite or a merge changed: its
        name, summary and kick-off values, and each task's status. Returns what was done."""
        from wizard.http import RecordRejected

        run = await self.get_run(run_id)
        if run is None:
            return "already gone"
        now, was = run.get("prerun") or {}, prior.get("prerun") or {}
        body: dict[str, Any] = {"prerun": {k: was.get(k) for k in set(now) | set(was) if now.get(k) != was.get(k)}}
        for k in ("name", "summary"):
            if prior.get(k) is not None and run.get(k) != prior.get(k):
                body[k] = prior[k]
        if len(body) > 1 or body["prerun"]:
            await self.client.update_run(run_id, body)
        tasks = {t["id"]: t for t in await self.client.run_tasks(run_id)} if flips else {}
        for task_id, status in flips.items():
            t = tasks.get(task_id)
            if t is None or (t.get("status") == "completed") == (status == "completed"):
                continue
            try:
                if status == "completed":
                    await self.client.complete_task(run_id, task_id)
                else:
                    await self.client.reopen_task(run_id, task_id)
            except RecordRejected as e:
                if e.status not in (404, 422):
                    raise
        return "restored"

    async def remove(self, target_type: str, target_id: str, parent: str | None = None) -> str:
        """Archive, then delete, in Tallyfy's two steps (A4). Returns what was done.
        `parent` is the task id a comment hangs on."""
        from wizard.http import RecordRejected

        c = self.client
        if target_type == "comment" and parent:
            await c.delete_comment(parent, target_id)
            return "deleted"
        if target_type == "asset":
            await c.delete_file(target_id)
            return "deleted"
        if target_type == "guest":
            try:
                await c.delete_guest(target_id)
            except RecordRejected as e:
                if e.status == 404:
                    return "already gone"
                raise
            return "deleted"
        steps: dict[str, tuple[Callable[[str], Awaitable[Any]], ...]] = {
            "run": (c.archive_run, c.delete_run),
            "template": (c.archive_template, c.delete_template),
            "tag": (c.delete_tag,),
            "user": (c.deactivate_user,),
            "task": (c.archive_task,),
        }
        done = "nothing"
        for step in steps.get(target_type, ()):
            try:
                await step(target_id)
                done = "deleted" if step in (c.delete_run, c.delete_template, c.delete_tag) else "archived"
            except RecordRejected as e:
                if e.status == 404:
                    done = "already gone"
                    break
                if e.status == 422 and done == "archived":
                    break  # hard delete refused (not admin): archived is as far as it goes
                raise
        return done

    async def aclose(self) -> None:
        await self.client.aclose()
