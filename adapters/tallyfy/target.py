"""Tallyfy as a migration target (`wizard.target.TargetAdapter`): the writes of the kanban
preset, each findable again by its provenance marker, so a resumed or repeated run re-creates
nothing. In Tallyfy's words: a container is a template (checklist), a stage is a step, a
field is a kick-off (prerun) field, an item is a process (run) launched from the template and
placed at its stage by completing the tasks of the steps before it; a comment hangs on the
task of the item's step; a sub-item is a one-off task in the process.

Every write and read passes the core `WriteGate`: in a dry run the same code runs, each write
recorded as an Action and answered with a placeholder id, each read of an object the dry run
"created" answered from what it knows; so the dry run's action list is exactly the real run's.
"""

from __future__ import annotations

import asyncio
import tempfile
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from adapters.tallyfy import mapping as tm
from adapters.tallyfy.client import TallyfyClient
from adapters.tallyfy.spec import TallyfyMapping
from wizard import task_lines
from wizard.adapter import Identity
from wizard.engine.conflicts import _epoch
from wizard.http import RecordRejected
from wizard.model import Attachment, Comment, FieldDef, Item, Template
from wizard.plan import MappingOptions
from wizard.provenance import read_markers
from wizard.target import (
    Assignees,
    ContainerCtx,
    NamedContainer,
    NewItem,
    ReadBack,
    Removal,
    TargetAdapter,
    TargetItem,
    TargetUser,
    create_each,
)
from wizard.writegate import WriteGate

# Rollback's order and steps per object type. A sub-item (one-off task) and a link (a line of
# a kick-off field) go with their process. The store of a folder from before the protocol
# names Tallyfy's own types (OWN_TYPES).
REMOVAL = {
    "item": Removal(0, "archive and delete"),
    "comment": Removal(0, "delete"),
    "file": Removal(0, "delete"),
    "container": Removal(1, "archive and delete"),
    "tag": Removal(2, "delete"),
    "guest": Removal(3, "delete"),
    "user": Removal(3, "deactivate"),
}
OWN_TYPES = {"run": "item", "task": "subitem", "asset": "file", "template": "container"}


def _data(v: Any) -> list[Any]:
    """A list Tallyfy sends bare or wrapped in {"data": [...]}."""
    return (v.get("data", []) if isinstance(v, dict) else v) or []


def _template_title(name: str) -> str:
    """The title a template of this name is given (a blank name's placeholder, a long one cut):
    what a search for it must look for, since the target never saw the name itself."""
    return tm.name_for(name, tm.TEMPLATE_TITLE_LIMIT)


def _item(run: dict[str, Any]) -> TargetItem:
    """A process as the engine sees it; `prior` is what an overwrite or a merge may change."""
    return TargetItem(
        id=str(run["id"]),
        name=str(run.get("name") or ""),
        marker=tm.read_marker(run.get("summary")),
        updated_at=run.get("updated_at"),
        prior={"name": run.get("name"), "summary": run.get("summary"), "prerun": dict(run.get("prerun") or {})},
        raw=run,
    )


class TallyfyTarget:
    system = "tallyfy"
    label = "Tallyfy"

    def __init__(
        self,
        client: TallyfyClient,
        *,
        dry_run: bool = False,
        source_label: str = "the source",
        mapping: MappingOptions | None = None,
    ) -> None:
        self.client = client
        self.source_label = source_label
        if not isinstance(mapping, TallyfyMapping):  # the options every target has, or none: Tallyfy's defaults
            mapping = TallyfyMapping.model_validate(mapping.model_dump() if mapping else {})
        self.mapping = mapping
        self.overrides = dict(mapping.field_types)
        self.with_checklists = mapping.checklists == "field"
        self._checklists_as_subitems = mapping.checklists == "subtasks"
        self.gate = WriteGate(self.label, lambda: client.calls, tries=client.max_retries + 1, dry_run=dry_run)
        self._me: int | None = None

    # -- accounting ----------------------------------------------------------------------
    @property
    def calls(self) -> int:
        return self.gate.calls

    @property
    def checklists_as_subitems(self) -> bool:
        """[mapping] checklists = "subtasks": one task per checklist item."""
        return self._checklists_as_subitems

    @property
    def clock_skew(self) -> float:
        return float(self.client.clock_skew)

    def stop_on(self, stop: asyncio.Event) -> None:
        self.client.limiter.stop = stop

    async def whoami(self) -> Identity:
        me = await self.client.me()
        org = await self.client.organization()
        name = (
            me.get("full_name")
            or " ".join(filter(None, [me.get("first_name"), me.get("last_name")]))
            or me.get("email", "?")
        )
        return Identity(user=name, workspace=org.get("name", self.client.org), detail=f"organization {self.client.org}")

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- people --------------------------------------------------------------------------
    async def users(self) -> list[TargetUser]:
        users = await self.gate.read("users", "list members", "", self.client.list_users)
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

        u = await self.gate.write(
            "POST",
            "users/invite",
            f"invite {name}",
            key,
            lambda: self.client.invite_user(email, first[:32] or "Guest", (last or "-")[:32]),
            lambda fid: {"id": fid, "status": "invited"},
            find=find,
        )
        return TargetUser(id=u["id"], name=name, email=email, status="invited")

    async def find_guest(self, email: str) -> str | None:
        guests = await self.gate.read("guests", "look for guest", email, self.client.list_guests)
        return next((g["email"] for g in guests if str(g.get("email", "")).lower() == email.lower()), None)

    async def add_guest(self, key: str, name: str, email: str) -> str:
        """A guest (Tallyfy counts 30 an hour per organization): someone outside the client's
        organization who works on tasks without a seat. Returns the email, a guest's address."""
        first, _, last = name.partition(" ")
        body = {"email": email, "first_name": first[:32] or "Guest", "last_name": (last or "-")[:32]}
        g = await self.gate.write(
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
        tags = await self.gate.read("tags", "list tags", "", self.client.list_tags)
        return {t["title"].lower(): t["id"] for t in tags}

    def tag_title(self, name: str) -> str:
        return str(tm.tag_body(name, None)["title"])

    async def create_tag(self, key: str, name: str, color: str | None) -> str:
        body = tm.tag_body(name, color)

        async def find() -> dict | None:
            return next(
                (t for t in await self.client.list_tags() if str(t.get("title", "")).lower() == body["title"].lower()),
                None,
            )

        t = await self.gate.write(
            "POST",
            "tags",
            f"create tag '{body['title']}'",
            key,
            lambda: self.client.create_tag(body["title"], body["color"]),
            lambda fid: {"id": fid},
            find=find,
        )
        return str(t["id"])

    # -- containers (templates) ----------------------------------------------------------
    async def find_container(self, key: str, name: str) -> str | None:
        title = _template_title(name)
        for t in await self.gate.read(
            "checklists", f"look for template '{title}'", key, lambda: self.client.list_templates(q=title[:100])
        ):
            if tm.read_marker(t.get("summary")) == key:
                return str(t["id"])
        return None

    async def _create_template(self, tpl: Template, prerun_defs: list[dict]) -> dict:
        body = tm.template_body(tpl, self.source_label)
        body["prerun"] = prerun_defs

        async def find() -> dict | None:
            tid = await self.find_container(tpl.key, tpl.name)
            return await self.client.get_template(tid) if tid else None

        return await self.gate.write(
            "POST",
            "checklists",
            f"create template '{body['title']}'",
            tpl.key,
            lambda: self.client.create_template(body),
            lambda fid: {"id": fid, "prerun": [dict(d, id=f"{fid}-ko{i}") for i, d in enumerate(prerun_defs)]},
            find=find,
        )

    async def ensure_container(self, tpl: Template, existing_id: str | None, tags: dict[str, str]) -> ContainerCtx:
        """Create the template, or complete one a previous run left half-made: the steps that
        are not there yet are added; the ids the items need are read back. Idempotent, and a
        fresh template costs no read at all (the create answer carries the kick-off form)."""
        history = self.mapping.comment_strategy(tpl.key, tpl.source_id) == "field"
        defs = tm.prerun_defs(tpl, self.overrides, self.with_checklists, history)
        have: dict[str, dict] = {}
        if existing_id is None:
            created = await self._create_template(tpl, defs)
            tid, prerun = str(created["id"]), created.get("prerun") or []
        else:
            tid = existing_id
            for s in await self.gate.read(
                f"checklists/{tid}/steps", "list steps", tpl.key, lambda: self.client.list_steps(tid)
            ):
                if ref := tm.read_marker(s.get("summary")):
                    have[ref] = s
            full = await self.gate.read(
                f"checklists/{tid}", "read kick-off form", tpl.key, lambda: self.client.get_template(tid)
            )
            prerun = full.get("prerun") or []
        ctx = ContainerCtx(container_id=tid, key=tpl.key, tags=dict(tags))
        own = tm.on_steps(tpl)
        step_fields: dict[str, dict[str, Any]] = {}
        specs: dict[str, dict[str, Any]] = {}
        for stage in sorted(tpl.stages, key=lambda s: s.position):
            step = have.get(stage.key)
            if step is None:
                body = tm.step_body(stage, tid)

                async def find_step(key: str = stage.key) -> dict | None:
                    return next(
                        (s for s in await self.client.list_steps(tid) if tm.read_marker(s.get("summary")) == key), None
                    )

                step = await self.gate.write(
                    "POST",
                    f"checklists/{tid}/steps",
                    f"create step '{body['title']}'",
                    stage.key,
                    partial(self.client.create_step, tid, body),
                    lambda fid: {"id": fid},
                    find=find_step,
                )
            ctx.stages[stage.key] = step["id"]
            ctx.stage_order.append(step["id"])
            for f, capture in await self._ensure_captures(tid, str(step["id"]), step, own.get(stage.key, [])):
                step_fields[f.key] = {"capture": capture["id"], "step": step["id"], "def": f.model_dump(mode="json")}
                specs[capture["id"]] = {"field_type": capture["field_type"], "options": capture.get("options") or []}
        for d in _data(prerun):
            if ref := tm.read_marker(d.get("guidance")):
                ctx.fields[ref] = d["id"]
                specs[d["id"]] = {"field_type": d.get("field_type"), "options": d.get("options") or []}
        ctx.extra["field_specs"] = specs
        if step_fields:
            ctx.extra["step_fields"] = step_fields
        return ctx

    async def _ensure_captures(
        self, tid: str, step_id: str, step: dict[str, Any], fields: list[FieldDef]
    ) -> list[tuple[FieldDef, dict[str, Any]]]:
        """A step's own form fields (captures), each found by its marker or created: the
        field with the capture that holds it (its type and options as written)."""
        have: dict[str | None, dict[str, Any]] = {
            tm.read_marker(c.get("guidance")): c for c in _data(step.get("captures"))
        }
        out = []
        for f in fields:
            body = tm.capture_def(f, self.overrides)
            capture: dict[str, Any] | None = have.get(f.key)
            if capture is None:

                async def find(key: str = f.key) -> dict | None:
                    steps = await self.client.list_steps(tid)
                    caps = [c for s in steps if str(s.get("id")) == step_id for c in _data(s.get("captures"))]
                    return next((c for c in caps if tm.read_marker(c.get("guidance")) == key), None)

                capture = await self.gate.write(
                    "POST",
                    f"checklists/{tid}/steps/{step_id}/captures",
                    f"create form field '{body['label']}'",
                    f.key,
                    partial(self.client.create_capture, tid, step_id, body),
                    lambda fid: {"id": fid},
                    find=find,
                )
            out.append((f, {**body, **(capture or {})}))
        return out

    async def containers_named(self, name: str) -> list[NamedContainer]:
        """Templates in the organization whose title is this name (case and spacing aside),
        with the source key their marker names, if any."""
        title = _template_title(name)
        want = " ".join(title.split()).lower()
        found = await self.client.list_templates(q=title[:100])
        return [
            NamedContainer(str(t["id"]), t.get("title", ""), tm.read_marker(t.get("summary")))
            for t in found
            if " ".join(str(t.get("title", "")).split()).lower() == want
        ]

    async def container_view(self, container_id: str) -> dict[str, Any]:
        """What a conflict's side by side needs of a template: step titles, form field labels."""
        t = await self.client.get_template(container_id, with_="steps")
        steps = _data(t.get("steps"))
        prerun = _data(t.get("prerun"))
        captures = [c for s in steps for c in _data(s.get("captures"))]
        return {
            "steps": {s["id"]: s.get("title", "") for s in steps},
            "fields": {d["id"]: tm.read_marker(d.get("guidance")) or d.get("label", "") for d in prerun},
            "labels": {d["id"]: d.get("label", "") for d in prerun + captures},
        }

    async def item_view(self, item_id: str, view: dict[str, Any], users: dict[Any, str]) -> dict[str, Any] | None:
        """One process as the consultant compares it with its card (two calls): name,
        description, stage, kick-off values by label, assignees, tags, comment and file counts."""
        try:
            run = await self.client.get_run(item_id, with_="assets,tags")
        except RecordRejected as e:
            if e.status == 404:
                return None
            raise
        tasks = await self.client.run_tasks(item_id, with_="threads,form_fields")
        current = next((t for t in tasks if t.get("step_id") and t.get("status") != "completed"), None)
        stage = view["steps"].get(current["step_id"], "") if current else ("completed" if tasks else "")
        fields: dict[str, Any] = {}
        description = ""
        for fid, value in (run.get("prerun") or {}).items():
            ref = view["fields"].get(fid, "")
            if ref.endswith(f"#{tm.DESCRIPTION_FIELD}"):
                description = str(value or "")
            elif value not in (None, "", [], {}):
                fields[view["labels"].get(fid) or fid] = value
        for f in (f for t in tasks for f in _data(t.get("form_fields"))):  # the steps' own forms
            if f.get("value") not in (None, "", [], {}):
                fields[view["labels"].get(f.get("id")) or f.get("label") or f.get("id")] = f["value"]
        if not description and not tm.read_marker(run.get("summary")):
            description = str(run.get("summary") or "")  # a process someone made by hand: its summary
        owners = {u for t in tasks for u in (t.get("owners") or {}).get("users", [])}
        return {
            "name": run.get("name", ""),
            "description": description,
            "stage": stage,
            "fields": fields,
            "assignees": sorted(users.get(u, str(u)) for u in owners),
            "tags": sorted(str(t.get("title", "")) for t in _data(run.get("tags"))),
            "comments": sum(len(_data(t.get("threads"))) for t in tasks),
            "files": len(_data(run.get("assets"))),
            "updated": run.get("updated_at"),
        }

    # -- items (processes) ---------------------------------------------------------------
    def item_name(self, name: str) -> str:
        """The name a card's process gets (clipped, never empty): what a match by name compares."""
        return tm.name_for(name, tm.RUN_NAME_LIMIT)

    async def list_items(self, container_id: str) -> list[TargetItem]:
        """Every process of the template (one call per 100)."""
        if self.gate.is_placeholder(container_id):
            return []
        runs = await self.gate.read(
            "runs", "index existing processes", container_id, lambda: self.client.list_runs(checklist_id=container_id)
        )
        return [_item(r) for r in runs]

    def _run_body(
        self, item: Item, ctx: ContainerCtx, fields: dict[str, FieldDef], people: Assignees, *, placed: bool
    ) -> dict[str, Any]:
        return tm.run_body(
            item,
            ctx.container_id,
            ctx.fields,
            ctx.extra.get("field_specs", {}),
            fields,
            [ctx.tags[k] for k in item.tag_keys if k in ctx.tags] if placed else [],
            ctx.stages.get(item.stage_key or "") if placed else None,
            list(people.users),  # type: ignore[arg-type]
            list(people.placeholders),
            self.with_checklists,
            ctx.key,
        )

    @property
    def item_batch(self) -> int:
        """One: a process is launched by a request of its own."""
        return 1

    async def create_items(self, news: list[NewItem]) -> list[str | Exception]:
        return await create_each(self, news)

    @property
    def items_as_subitems(self) -> bool:
        """A source's sub-item is a process of its own, as any other item: its values,
        comments and files go with it whole."""
        return False

    async def create_child(self, new: NewItem, parent_id: str) -> str:
        return await self.create_item(new.item, new.ctx, new.fields, new.people)

    async def find_child(self, new: NewItem, parent_id: str) -> str | None:
        return None  # never asked: a sub-item is an item here (`items_as_subitems`)

    async def create_item(self, item: Item, ctx: ContainerCtx, fields: dict[str, FieldDef], people: Assignees) -> str:
        body = self._run_body(item, ctx, fields, people, placed=True)
        run = await self.gate.write(
            "POST",
            "runs",
            f"launch process '{body['name']}'",
            item.key,
            lambda: self.client.launch_run(body),
            lambda fid: {"id": fid},
        )
        return str(run["id"])

    async def update_item(
        self,
        item: Item,
        existing: TargetItem,
        ctx: ContainerCtx,
        fields: dict[str, FieldDef],
        people: Assignees,
        *,
        merge: bool,
    ) -> bool:
        """Write the source's version over the process (overwrite), or only into what the
        target has empty (merge): its kick-off values in one call, or none when a merge finds
        nothing to fill; the values of the steps' own forms in one call per task that
        changes (a completed task reopened first and completed again)."""
        body = self._run_body(item, ctx, fields, people, placed=False)
        update: dict[str, Any] = {"prerun": body["prerun"]}
        filled = 0
        if ctx.extra.get("step_fields"):  # the steps' own forms: their tasks, then back in place
            tasks = await self._tasks(item, existing.id, ctx)
            filled = await self._fill_steps(item, existing.id, ctx, tasks, merge=merge)
            flips: dict[str, str] = {}
            await self._place(item, existing.id, ctx, tasks, flips)
            if flips:  # what placing changed, for rollback to give back (restore_item)
                existing.prior["flips"] = {**flips, **existing.prior.get("flips", {})}
        if merge:
            have = existing.raw.get("prerun") or {}
            update["prerun"] = {k: v for k, v in body["prerun"].items() if have.get(k) in (None, "", [], {})}
            if not update["prerun"]:
                return filled > 0
        else:
            update["name"] = body["name"]
            update["summary"] = body["summary"]
        await self.gate.write(
            "PUT",
            f"runs/{existing.id}",
            f"{'merge into' if merge else 'update'} process '{body['name']}'",
            item.key,
            lambda: self.client.update_run(existing.id, update),
            lambda fid: {},
        )
        return True

    async def place_item(self, item: Item, item_id: str, ctx: ContainerCtx, flips: dict[str, str]) -> dict[str, str]:
        """Write the card's values of each step's own form into that step's task, then complete
        the tasks of the steps before the card's list, so the process stands where the card
        stood. Returns step id -> task id (a step's comments hang on its task). Idempotent.
        `flips` receives each changed task's status before the change."""
        tasks = await self._tasks(item, item_id, ctx)
        await self._fill_steps(item, item_id, ctx, tasks, merge=False)
        return await self._place(item, item_id, ctx, tasks, flips)

    async def _tasks(self, item: Item, item_id: str, ctx: ContainerCtx) -> list[dict[str, Any]]:
        """The process's tasks, with their form values where the steps have forms of ours."""

        def fake() -> list[dict]:
            return [
                {"id": f"{item_id}-t{i}", "step_id": sid, "status": "not-started"}
                for i, sid in enumerate(ctx.stage_order)
            ]

        with_ = "form_fields" if ctx.extra.get("step_fields") else None
        return await self.gate.read(
            f"runs/{item_id}/tasks",
            "read process tasks",
            item.key,
            lambda: self.client.run_tasks(item_id, with_=with_),
            fake if self.gate.is_placeholder(item_id) else None,
        )

    async def _fill_steps(
        self, item: Item, item_id: str, ctx: ContainerCtx, tasks: list[dict[str, Any]], *, merge: bool
    ) -> int:
        """Each step's values the task of that step does not hold yet (under a merge: only
        where it holds none), one call per task. Tallyfy refuses to change a completed task:
        one is reopened first and marked open in `tasks`, for `_place` to complete again.
        Returns the number of tasks written."""
        wanted = tm.step_values(item, ctx.extra.get("step_fields") or {}, ctx.extra.get("field_specs") or {})
        by_step = {t.get("step_id"): t for t in tasks}
        written = 0
        for sid in ctx.stage_order:
            t = by_step.get(sid)
            if t is None or not wanted.get(sid):
                continue
            have = {str(f.get("id")): f.get("value") for f in _data(t.get("form_fields"))}
            data = {
                cid: v
                for cid, v in wanted[sid].items()
                if (have.get(cid) in (None, "", [], {}) if merge else have.get(cid) != v)
            }
            if not data:
                continue
            if t.get("status") == "completed":
                await self.gate.write(
                    "DELETE",
                    f"runs/{item_id}/completed-tasks/{t['id']}",
                    "reopen task to change its form values",
                    item.key,
                    partial(self._reopen, item_id, t["id"]),
                    lambda fid: {},
                )
                t["status"], t["reopened"] = "not-started", True  # not a change placing makes: no flip
            await self.gate.write(
                "PUT",
                f"runs/{item_id}/tasks/{t['id']}",
                f"write {len(data)} form value(s) of a step",
                item.key,
                partial(self.client.update_task, item_id, t["id"], {"taskdata": data}),
                lambda fid: {},
            )
            written += 1
        return written

    async def _place(
        self, item: Item, item_id: str, ctx: ContainerCtx, tasks: list[dict[str, Any]], flips: dict[str, str]
    ) -> dict[str, str]:
        by_step = {t.get("step_id"): t for t in tasks}
        here = ctx.stages.get(item.stage_key or "")
        upto = ctx.stage_order.index(here) if here in ctx.stage_order else 0
        for sid in ctx.stage_order[:upto]:
            t = by_step.get(sid)
            if t and t.get("status") != "completed":
                if not t.get("reopened"):
                    flips[t["id"]] = t.get("status") or "not-started"

                async def completed(task_id: str = t["id"]) -> dict | None:
                    now = next((x for x in await self.client.run_tasks(item_id) if x.get("id") == task_id), None)
                    return now if now and now.get("status") == "completed" else None

                await self.gate.write(
                    "POST",
                    f"runs/{item_id}/completed-tasks",
                    "complete task of an earlier step",
                    item.key,
                    partial(self.client.complete_task, item_id, t["id"]),
                    lambda fid: {"id": fid},
                    find=completed,
                )
        # A card moved back to an earlier list (a sync): the steps from its list on are open again.
        for sid in ctx.stage_order[upto:]:
            t = by_step.get(sid)
            if t and t.get("status") == "completed":
                flips[t["id"]] = "completed"
                await self.gate.write(
                    "DELETE",
                    f"runs/{item_id}/completed-tasks/{t['id']}",
                    "reopen task of a later step",
                    item.key,
                    partial(self._reopen, item_id, t["id"]),
                    lambda fid: {},
                )
        return {sid: t["id"] for sid, t in by_step.items() if sid}

    async def _reopen(self, run_id: str, task_id: str) -> None:
        try:
            await self.client.reopen_task(run_id, task_id)
        except RecordRejected as e:
            if e.status != 422:  # 422: not completed (a resumed sync already reopened it)
                raise

    async def read_item(self, item_id: str) -> TargetItem | None:
        try:
            return _item(await self.client.get_run(item_id))
        except RecordRejected as e:
            if e.status == 404:
                return None
            raise

    async def item_activity(self, item_id: str) -> tuple[TargetItem | None, str | None]:
        """The process, and when anyone last did anything in it: an edit of the process, a
        task completed, reopened or edited, a comment, a file (two calls). Our own writes
        are among these; the journal says when the last of them was."""
        try:
            run = await self.client.get_run(item_id, with_="assets")
        except RecordRejected as e:
            if e.status == 404:
                return None, None
            raise
        times = [run.get("updated_at")]
        times += [a.get("created_at") for a in _data(run.get("assets"))]
        for t in await self.client.run_tasks(item_id, with_="threads"):
            times += [t.get("updated_at"), t.get("completed_at")]
            times += [th.get("created_at") for th in _data(t.get("threads"))]
        return _item(run), max((x for x in times if x), key=_epoch, default=None)

    async def restore_item(self, item_id: str, prior: dict[str, Any], flips: dict[str, str]) -> str:
        """Give a process someone else made back what an overwrite or a merge changed: its
        name, summary and kick-off values, and each task's status. Returns what was done."""
        item = await self.read_item(item_id)
        if item is None:
            return "already gone"
        run = item.raw
        now, was = run.get("prerun") or {}, prior.get("prerun") or {}
        body: dict[str, Any] = {"prerun": {k: was.get(k) for k in set(now) | set(was) if now.get(k) != was.get(k)}}
        for k in ("name", "summary"):
            if prior.get(k) is not None and run.get(k) != prior.get(k):
                body[k] = prior[k]
        if len(body) > 1 or body["prerun"]:
            await self.client.update_run(item_id, body)
        flips = {**(prior.get("flips") or {}), **flips}
        tasks = {t["id"]: t for t in await self.client.run_tasks(item_id)} if flips else {}
        for task_id, status in flips.items():
            t = tasks.get(task_id)
            if t is None or (t.get("status") == "completed") == (status == "completed"):
                continue
            try:
                if status == "completed":
                    await self.client.complete_task(item_id, task_id)
                else:
                    await self.client.reopen_task(item_id, task_id)
            except RecordRejected as e:
                if e.status not in (404, 422):
                    raise
        return "restored"

    async def read_back(
        self, item: TargetItem, ctx: ContainerCtx | None, anchor: str | None, *, comments: bool, files: bool
    ) -> ReadBack:
        """What the process holds, in canonical kinds: checklist items, links, custom-field
        values and a run's task lines (its description's) from its kick-off values; the values
        of the steps' own forms from its tasks (one call, where the template's steps have forms);
        comments from the task they hang on (one call); files from its assets (one call)."""
        out = ReadBack()
        history = ""  # the comment history field's text (mapping.comments = "field")
        if ctx is not None:
            prerun = item.raw.get("prerun") or {}
            if isinstance(prerun, list):  # some answers list the fields instead of keying them
                prerun = {str(p.get("id")): p.get("value") for p in prerun if isinstance(p, dict)}
            for ref, fid in ctx.fields.items():
                value = prerun.get(fid)
                if value in (None, "", []):
                    continue
                if ref == f"{ctx.key}#{tm.CHECKLISTS_FIELD}":
                    out.counts["checklist_item"] += sum(1 for line in str(value).splitlines() if line.startswith("- ["))
                elif ref == f"{ctx.key}#{tm.HISTORY_FIELD}":
                    history = str(value)
                elif ref == f"{ctx.key}#{tm.DESCRIPTION_FIELD}":
                    out.counts.update(task_lines.count(str(value)))  # a run's task states, as lines
                elif ref == f"{ctx.key}#{tm.LINKS_FIELD}":
                    out.counts["link"] += sum(1 for line in str(value).splitlines() if line.strip())
                elif "#" not in ref:
                    out.counts["field_value"] += 1
            if captures := {str(sf["capture"]) for sf in (ctx.extra.get("step_fields") or {}).values()}:
                for t in await self.client.run_tasks(item.id, with_="form_fields"):
                    out.counts["field_value"] += sum(
                        1
                        for f in _data(t.get("form_fields"))
                        if str(f.get("id")) in captures and f.get("value") not in (None, "", [], {})
                    )
        if comments:
            threads = await self.client.task_threads(item.id, anchor) if anchor else []
            # a digest holds a marker per comment, then its own: each counts
            out.comment_markers.update(ref for t in threads for ref in read_markers(t.get("content")) or [""])
            out.comment_markers.update(read_markers(history))
            out.counts["comment"] = sum(n for ref, n in out.comment_markers.items() if ref and ":comment:" in ref)
        if files:
            full = await self.client.get_run(item.id, with_="assets")
            assets = _data(full.get("assets"))
            out.file_ids.update(str(a.get("id")) for a in assets)
            out.counts["file"] = len(assets)
            # Links have no bytes: they are lines of the Links kick-off field.
            out.text = " ".join(str(v) for v in (full.get("prerun") or {}).values())
        return out

    # -- sub-items (one-off tasks) -------------------------------------------------------
    async def add_subitem(
        self, item: Item, key: str, title: str, due: Any, item_id: str, owners: list[int | str]
    ) -> str:
        """One checklist item as a one-off task in the process (mapping.checklists =
        "subtasks"). Tallyfy wants at least one owner: the card's people, else the token's user."""
        if not owners:
            owners = [await self._me_id()]
        body = {
            "title": title[:600],
            "task_type": "task",
            "run_id": item_id,
            "owners": tm.owners_body(owners),
            "deadline": due.strftime("%Y-%m-%d %H:%M:%S") if due else "2099-12-31 00:00:00",
            "summary": tm.marker(key),
        }
        t = await self.gate.write(
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
            me = await self.gate.read(
                "me", "who am I", "", self.client.me, (lambda: {"id": 0}) if self.gate.dry_run else None
            )
            self._me = int(me["id"])
        return self._me

    async def find_subitem(self, key: str, item_id: str) -> str | None:
        tasks = await self.gate.read(
            f"runs/{item_id}/tasks", "look for checklist task", key, lambda: self.client.run_tasks(item_id)
        )
        for t in tasks:
            if tm.read_marker(t.get("summary")) == key:
                return str(t["id"])
        return None

    async def complete_subitem(self, key: str, subitem_id: str) -> None:
        """Idempotent: a task found already completed (a resumed run) is left as it is."""
        try:
            await self.gate.write(
                "POST",
                "completed-tasks",
                "complete checklist task",
                key,
                lambda: self.client.complete_oneoff_task(subitem_id),
                lambda fid: {},
            )
        except RecordRejected as e:
            if e.status != 422:
                raise

    # -- comments (on the task of the process's step) ------------------------------------
    async def find_comment(self, comment: Comment, item_id: str, anchor: str) -> str | None:
        threads = await self.gate.read(
            f"runs/{item_id}/tasks/{anchor}",
            "look for comment",
            comment.key,
            lambda: self.client.task_threads(item_id, anchor),
        )
        for th in threads:
            if tm.read_marker(th.get("content")) == comment.key:
                return str(th["id"])
        return None

    async def add_comment(self, comment: Comment, item_id: str, anchor: str) -> str:
        content = tm.comment_content(comment, self.source_label)
        th = await self.gate.write(
            "POST",
            f"tasks/{anchor}/comment",
            "post comment",
            comment.key,
            lambda: self.client.comment(anchor, content),
            lambda fid: {"id": fid},
        )
        return str(th["id"])

    @property
    def comment_limit(self) -> int:
        return tm.COMMENT_LIMIT

    async def add_digest(self, key: str, text: str, item_id: str, anchor: str) -> str:
        th = await self.gate.write(
            "POST",
            f"tasks/{anchor}/comment",
            "post comment history",
            key,
            lambda: self.client.comment(anchor, text),
            lambda fid: {"id": fid},
        )
        return str(th["id"])

    @property
    def history_limit(self) -> int:
        return tm.TEXTAREA_LIMIT

    async def write_history(self, item_key: str, item_id: str, ctx: ContainerCtx, text: str) -> bool:
        """The history into the kick-off form's Comment history field (one call); False when
        the template has no such field (made before the plan chose the field strategy)."""
        field = ctx.fields.get(f"{ctx.key}#{tm.HISTORY_FIELD}")
        if not field:
            return False
        await self.gate.write(
            "PUT",
            f"runs/{item_id}",
            "write the comment history to the kick-off form",
            item_key,
            lambda: self.client.update_run(item_id, {"prerun": {field: text}}),
            lambda fid: {},
        )
        return True

    # -- uploads -------------------------------------------------------------------------
    async def add_upload(
        self, att: Attachment, chunks: AsyncIterator[bytes], item_id: str, stage_id: str, ctx: ContainerCtx
    ) -> dict[str, Any]:
        zipped = tm.needs_zip(att.name)
        name = f"{att.name}.zip" if zipped else att.name

        async def send() -> dict:
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
                    subject_id=item_id,
                    uploaded_from="ko_field",
                    step_id=stage_id,
                    checklist_id=ctx.container_id,
                )

        return await self.gate.write(
            "POST",
            "file",
            f"upload '{name}' ({att.size} bytes)",
            att.key,
            send,
            lambda fid: {"id": fid, "filename": name},
        )

    async def find_upload(self, att: Attachment, item_id: str, taken: set[str]) -> dict[str, Any] | None:
        """The asset an unconfirmed upload left on the process: same name (and size, when it
        did not travel zipped), not already claimed by another attachment of the card."""
        run = await self.gate.read(
            f"runs/{item_id}", "look for uploaded file", att.key, lambda: self.client.get_run(item_id, with_="assets")
        )
        for a in _data(run.get("assets")):
            if str(a.get("id")) in taken:
                continue
            name = a.get("filename") or a.get("name")
            if (name == att.name and a.get("size") in (None, att.size)) or name == f"{att.name}.zip":
                return dict(a)
        return None

    async def attach(
        self,
        item_key: str,
        item_id: str,
        ctx: ContainerCtx,
        uploads: list[dict[str, Any]],
        links: list[tuple[str, str, str]],
    ) -> None:
        """Files into the kick-off file field, links into the Links field, and each file's
        marker into the File sources field (a file holds no text of its own): one call."""
        files_field = ctx.fields.get(f"{ctx.key}#{tm.ATTACHMENTS_FIELD}")
        links_field = ctx.fields.get(f"{ctx.key}#{tm.LINKS_FIELD}")
        sources_field = ctx.fields.get(f"{ctx.key}#{tm.FILES_FIELD}")
        prerun: dict[str, Any] = {}
        if files_field and uploads:
            prerun[files_field] = [{"id": a["id"], "filename": a.get("filename") or a.get("name")} for a in uploads]
            if sources_field:  # a template made before the field existed has none
                prerun[sources_field] = tm.files_text(uploads)
        if links_field and links:
            prerun[links_field] = tm.links_text(links)
        what = f"attach {len(uploads)} file(s) and {len(links)} link(s) to the kick-off form"
        await self.gate.write(
            "PUT",
            f"runs/{item_id}",
            what,
            item_key,
            lambda: self.client.update_run(item_id, {"prerun": prerun}),
            lambda fid: {},
        )

    # -- removal -------------------------------------------------------------------------
    def removal(self, target_type: str) -> Removal | None:
        return REMOVAL.get(OWN_TYPES.get(target_type, target_type))

    async def remove(self, target_type: str, target_id: str, anchor: str | None = None) -> str:
        """Archive, then delete, in Tallyfy's two steps (A4). Returns what was done.
        `anchor` is the task a comment hangs on."""
        c = self.client
        kind = OWN_TYPES.get(target_type, target_type)
        if kind == "comment" and anchor:
            await c.delete_comment(anchor, target_id)
            return "deleted"
        if kind == "file":
            await c.delete_file(target_id)
            return "deleted"
        if kind == "guest":
            try:
                await c.delete_guest(target_id)
            except RecordRejected as e:
                if e.status == 404:
                    return "already gone"
                raise
            return "deleted"
        steps: dict[str, tuple[Callable[[str], Awaitable[Any]], ...]] = {
            "item": (c.archive_run, c.delete_run),
            "container": (c.archive_template, c.delete_template),
            "tag": (c.delete_tag,),
            "user": (c.deactivate_user,),
        }
        done = "nothing"
        for step in steps.get(kind, ()):
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


if TYPE_CHECKING:  # the protocol is structural: mypy holds TallyfyTarget to it here
    _IMPLEMENTS: type[TargetAdapter] = TallyfyTarget
