"""Source presets that reshape what a source yields, in the canonical model's words, so any
source can declare them (`Preset.reshape` in its spec) and no adapter repeats them.

*Container as process* (`container_as_process`): a container becomes a template whose stages
are its items in order (each item's stage keeps the item's own key, so the target's step names
where it came from), and the container's items become one item (a process) holding their
states: it stands at the first stage whose item is not done, and every item's comments and
files hang on it; an item's field values are the process's values of that item's stage's own
fields (one field per item and source field it has a value in, `stage_field_key`). What has no
place in that shape (relations, a done item after an open one) is named in the ledger
(`SourceLoss`), never dropped in silence.

Its template is known only once the container's last item is read, so this shape holds one
container's items (not their comments or files, which pass through after it) in memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from wizard.adapter import (
    ChangeSet,
    ChildKind,
    Container,
    Extracted,
    Identity,
    SourceAdapter,
    SourceLoss,
    StatedItem,
)
from wizard.model import Attachment, Canonical, Capability, Comment, FieldDef, FieldValue, Item, Stage, Template

Reshape = Callable[[SourceAdapter], SourceAdapter]
"""A source preset's change of shape: the source, wrapped."""


def process_key(system: str, container_id: str) -> str:
    """The key of the one process a container becomes (`asana:process:<project gid>`)."""
    return f"{system}:process:{container_id}"


def item_done(item: Item) -> bool:
    return item.completed_at is not None or item.due_complete


class ReshapedSource(SourceAdapter):
    """A source whose stream passes through a reshaping; everything else is the source's own."""

    def __init__(self, inner: SourceAdapter) -> None:
        self.inner = inner

    @property
    def follow_their_item(self) -> frozenset[ChildKind]:  # type: ignore[override]
        return self.inner.follow_their_item

    @property
    def cursor_ordered(self) -> bool:  # type: ignore[override]
        return self.inner.cursor_ordered

    @classmethod
    def connect(cls, base_url: str, credentials: dict[str, str], *, profile: str, **kw: Any) -> SourceAdapter:
        raise NotImplementedError("a reshaped source wraps a connected one")

    def __getattr__(self, name: str) -> Any:
        """The source's own: its client, system, label, and what it offers beyond the protocol."""
        return getattr(self.inner, name)

    async def whoami(self) -> Identity:
        return await self.inner.whoami()

    async def containers(self) -> list[Container]:
        return await self.inner.containers()

    def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Extracted]:
        return self.inner.extract(container_id, include_archived=include_archived)

    def open_attachment(self, attachment: Attachment) -> AsyncIterator[bytes]:
        return self.inner.open_attachment(attachment)

    async def stated_counts(self, container_id: str) -> list[StatedItem] | None:
        return await self.inner.stated_counts(container_id)

    async def changes_since(self, container_id: str, cursor: str | None) -> ChangeSet | None:
        return await self.inner.changes_since(container_id, cursor)

    @property
    def calls(self) -> int:
        return self.inner.calls

    async def aclose(self) -> None:
        await self.inner.aclose()


class ContainerAsProcess(ReshapedSource):
    """A container → a template whose stages are its items in order; its items → one process."""

    @property
    def fills(self) -> frozenset[Capability]:  # type: ignore[override]
        kept = self.inner.fills - {"subitems", "relations", "approvals"}
        if "field_values" in self.inner.fills:  # each item's values: its stage's own fields
            kept |= {"stage_fields"}
        if "item_assignees" in self.inner.fills:
            kept |= {"stage_assignees"}
        if "approvals" in self.inner.fills:  # an item that is a decision: a step of approval
            kept |= {"stage_kinds"}
        return kept

    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Extracted]:
        tpl: Template | None = None
        items: list[Item] = []
        children: list[Canonical] = []
        async for obj in self.inner.extract(container_id, include_archived=include_archived):
            if isinstance(obj, Template):
                tpl = obj
            elif isinstance(obj, Item):
                items.append(obj)
            elif isinstance(obj, Comment | Attachment):
                children.append(obj)
            else:  # rejected, left out, a loss, or what only the source knows: as it came
                yield obj
        if tpl is None:
            return
        shaped, process, losses = as_process(tpl, items, process_key(self.inner.system, container_id))
        yield shaped
        for loss in losses:
            yield loss
        if process is None:
            return
        yield process
        names = {i.key: i.name for i in items}
        for child in children:
            yield _rehung(child, process.key, names)

    async def stated_counts(self, container_id: str) -> list[StatedItem] | None:
        """What the source states of its items, summed on the one process they become."""
        stated = await self.inner.stated_counts(container_id)
        if not stated:
            return stated
        counts: dict[str, int] = {}
        for s in stated:
            for kind, n in s.counts.items():
                counts[kind] = counts.get(kind, 0) + n
        archived = next((s.archived for s in stated if s.archived), None)
        return [StatedItem(process_key(self.inner.system, container_id), "", counts, archived)]

    async def changes_since(self, container_id: str, cursor: str | None) -> ChangeSet | None:
        """Any change to a container's items is a change of its one process."""
        changes = await self.inner.changes_since(container_id, cursor)
        if changes is None or not (changes.changed_item_ids or changes.deleted_item_ids):
            return changes
        key = process_key(self.inner.system, container_id)
        return ChangeSet({key}, set(), set(changes.new_comment_ids), changes.cursor)


def stage_field_key(field_key: str, item_key: str) -> str:
    """The key of one item's own copy of a field, a field of that item's stage
    (`asana:field:7/asana:task:42`)."""
    return f"{field_key}/{item_key}"


def _stage_fields(tpl: Template, ordered: list[Item]) -> tuple[list[FieldDef], list[FieldValue]]:
    """Per item, a copy of each field it has a value in, belonging to the item's stage and
    named '<item>: <field>', and the process's value of each copy."""
    defs = {f.key: f for f in tpl.fields}
    fields: list[FieldDef] = []
    values: list[FieldValue] = []
    taken: dict[str, int] = {}
    for i in ordered:
        for v in i.values:
            f = defs.get(v.field_key)
            if f is None:
                continue
            own = stage_field_key(f.key, i.key)
            # Named for its item too: a target that holds fields by name (monday.com's columns)
            # keeps each item's value apart.
            name = f"{i.name.strip() or 'Untitled'}: {f.name}"
            taken[name] = n = taken.get(name, 0) + 1
            name = name if n == 1 else f"{name} ({n})"  # two items of one name
            fields.append(f.model_copy(update={"key": own, "stage_key": i.key, "name": name}))
            values.append(FieldValue(field_key=own, value=v.value))
    return fields, values


def as_process(tpl: Template, items: list[Item], key: str) -> tuple[Template, Item | None, list[SourceLoss]]:
    """The container's template with one stage per item (in stage order, then item order,
    each sub-item after its parent), each with the fields its item has values in, and the
    one process holding their states and values; with the ledger's lines for what this
    shape has no place for."""
    order = {s.key: i for i, s in enumerate(sorted(tpl.stages, key=lambda s: s.position))}
    ordered = sorted(items, key=lambda i: (order.get(i.stage_key or "", len(order)), i.position))
    stages = [
        Stage(
            key=i.key,
            name=i.name,
            position=n,
            closed=i.closed,
            assignee_keys=list(i.assignee_keys),
            kind="approval" if i.approval is not None else None,
        )
        for n, i in enumerate(ordered)
    ]
    fields, values = _stage_fields(tpl, ordered)
    shaped = tpl.model_copy(update={"stages": stages, "fields": fields})
    if not ordered:
        return shaped, None, []
    losses = _losses(ordered)
    first_open = next((i for i in ordered if not item_done(i)), None)
    done = first_open is None
    here = ordered[-1] if first_open is None else first_open
    assignees = list(dict.fromkeys(k for i in ordered for k in i.assignee_keys))
    created = [i.created_at for i in ordered if i.created_at is not None]
    completed = [i.completed_at for i in ordered if i.completed_at is not None]
    updated = [i.updated_at for i in ordered if i.updated_at is not None]
    process = Item(
        key=key,
        template_key=tpl.key,
        stage_key=here.key,
        name=tpl.name,
        description=tpl.description,
        closed=all(i.closed for i in ordered),
        due=max((i.due for i in ordered if i.due is not None), default=None),
        due_complete=done,
        created_at=min(created, default=None),
        completed_at=max(completed) if done and completed else None,
        updated_at=max(updated, default=None),
        assignee_keys=assignees,
        stage_assignees={i.key: list(i.assignee_keys) for i in ordered if i.assignee_keys},
        tag_keys=list(dict.fromkeys(k for i in ordered for k in i.tag_keys)),
        checklists=[c for i in ordered for c in i.checklists],
        values=values,
        url=tpl.url,
    )
    return shaped, process, losses


def _losses(ordered: list[Item]) -> list[SourceLoss]:
    out: list[SourceLoss] = []
    open_seen: Item | None = None
    for i in ordered:
        if i.relations:
            out.append(SourceLoss(i.key, "item", "relations", "a step has no links to other steps; not migrated"))
        if item_done(i) and open_seen is not None:
            out.append(
                SourceLoss(
                    i.key,
                    "item",
                    "done",
                    f"done after '{open_seen.name}', which is open: the process stands at the first open step, "
                    f"so this step shows open",
                )
            )
        if not item_done(i) and open_seen is None:
            open_seen = i
    return out


def _rehung(child: Canonical, process: str, names: dict[str, str]) -> Canonical:
    """A comment or file on the process, saying which item it was on."""
    if isinstance(child, Comment):
        on = names.get(child.item_key)
        text = f"On '{on}': {child.text}" if on is not None else child.text
        return child.model_copy(update={"item_key": process, "text": text})
    assert isinstance(child, Attachment)
    return child.model_copy(update={"item_key": process})


def container_as_process(source: SourceAdapter) -> SourceAdapter:
    """The source, each of its containers as one process (a `Preset.reshape`)."""
    return ContainerAsProcess(source)
