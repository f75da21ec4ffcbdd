"""What the engine asks of a target system, in the engine's words.

A target holds *containers* (where a source container lands), each with *stages* in order,
*fields* and *tags*; in a container live *items*, each placed at one stage, and on an item
hang *comments*, *uploads* (files, and links) and *sub-items* (checklist items written as
items of their own). Every object the engine creates carries a *provenance marker* naming
its source key, so the target can be searched for it again (`find_*`, `list_items`): this
is how a resumed or repeated run creates nothing twice.

`TargetAdapter` is the protocol; an adapter implements it in its own folder. Every write it
makes passes the core `WriteGate` (`wizard/writegate.py`), which gives it dry run = estimate
= run, the action list and placeholder ids without a dry-run branch of its own. Ids are the
target's own, as strings; whatever else only the target needs travels in `ContainerCtx.extra`,
`TargetItem.raw` and `TargetItem.prior`, which the engine stores and hands back but never reads.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from wizard.adapter import Identity
from wizard.model import Attachment, Comment, FieldDef, Item, Template

if TYPE_CHECKING:  # the gate imports Action from here
    from wizard.writegate import WriteGate


@dataclass(frozen=True)
class Action:
    """One call a run makes (or, in a dry run, would make)."""

    method: str
    path: str
    what: str
    key: str = ""

    @property
    def is_write(self) -> bool:
        return self.method != "GET"


@dataclass
class ContainerCtx:
    """Where a source container landed: the ids its items, comments and uploads need.

    `key` is the source container's key; `stages`, `fields` and `tags` map source keys to
    the target's ids (a field key may also be `<container key>#<role>` for a field the
    target adds itself, such as a description or the files of an item). `extra` belongs to
    the adapter: kept with the container in the store, handed back, never read by the engine."""

    container_id: str
    key: str = ""
    stages: dict[str, str] = field(default_factory=dict)  # stage key -> stage id
    stage_order: list[str] = field(default_factory=list)  # stage ids, in order
    fields: dict[str, str] = field(default_factory=dict)  # field key -> field id
    tags: dict[str, str] = field(default_factory=dict)  # tag key -> tag id
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "container_id": self.container_id,
            "key": self.key,
            "stages": dict(self.stages),
            "stage_order": list(self.stage_order),
            "fields": dict(self.fields),
            "tags": dict(self.tags),
            "extra": dict(self.extra),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContainerCtx:
        if "container_id" not in data:  # kept by a folder from before the protocol: its old names
            fields = dict(data.get("prerun_ids") or {})
            return cls(
                container_id=data["template_id"],
                key=next((ref.split("#", 1)[0] for ref in fields if "#" in ref), ""),
                stages=dict(data.get("steps") or {}),
                stage_order=list(data.get("step_order") or []),
                fields=fields,
                tags=dict(data.get("tags") or {}),
                extra={"field_specs": dict(data.get("prerun_specs") or {})},
            )
        return cls(**data)

    def stage_of(self, item: Item) -> str:
        """The stage id an item stands at: its own stage's, else the first."""
        return self.stages.get(item.stage_key or "") or (self.stage_order[0] if self.stage_order else "")


@dataclass(frozen=True)
class TargetUser:
    id: int | str
    name: str
    email: str | None = None
    status: str = "active"


@dataclass(frozen=True)
class Assignees:
    """Who an item goes to: target users by id, and the names of people who have no user
    (written as named placeholders)."""

    users: list[int | str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NewItem:
    """An item to create, with what its write needs (`TargetAdapter.create_items`)."""

    item: Item
    ctx: ContainerCtx
    fields: dict[str, FieldDef]
    people: Assignees


async def create_each(target: TargetAdapter, news: list[NewItem]) -> list[str | Exception]:
    """`create_items` for a target that creates one item a request."""
    return [await target.create_item(n.item, n.ctx, n.fields, n.people) for n in news]


@dataclass
class TargetItem:
    """An item as the target holds it, read back.

    `marker`: the source key its provenance marker names (None: someone else made it).
    `updated_at`: the target's own time of its last change (ISO 8601), compared with the
    journal's time of our last write. `prior`: what an overwrite or a merge may change,
    in the adapter's form, kept in the journal so rollback can give it back (`restore_item`).
    `raw`: the target's own answer, for the adapter alone."""

    id: str
    name: str = ""
    marker: str | None = None
    updated_at: str | None = None
    prior: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NamedContainer:
    """A container in the target with a given name, and the source key its marker names."""

    id: str
    name: str
    marker: str | None = None


@dataclass
class ReadBack:
    """What verify needs of one item, counted by the target: per canonical kind
    ("checklist_item", "link", "field_value", "file", "comment"), and the comments' markers
    and the files' ids, so each migrated child can be found by name."""

    counts: Counter[str] = field(default_factory=Counter)
    comment_markers: Counter[str] = field(default_factory=Counter)
    file_ids: Counter[str] = field(default_factory=Counter)
    text: str = ""  # the item's field values as text, where a link's URL shows


@dataclass(frozen=True)
class Removal:
    """How the target removes one type of object it holds: `rank` orders a rollback (lower
    first: what hangs on an item before the item, items before their container, containers
    before tags and people), `action` says what is done ("archive and delete", "delete",
    "deactivate"), or "keep: <why>" for what the target has no way to remove (rollback lists
    it as kept, even when forced)."""

    rank: int
    action: str


@runtime_checkable
class TargetAdapter(Protocol):
    """A target system, as the engine writes to it. Every write passes `gate`.

    The engine names what it journals by object type, in its own words (`target_type` in the
    store, `removal`'s and `remove`'s first argument): "container", "item", "subitem",
    "comment", "file", "link", "tag", "guest", "user". The target says how and in which order
    a rollback removes each (`removal`); an adapter may also accept its own older names, which
    a folder journalled before this protocol holds."""

    system: str
    label: str
    gate: WriteGate

    # -- accounting --------------------------------------------------------------------
    @property
    def calls(self) -> int:
        """Calls made (in a dry run: that the real run would make)."""
        ...

    @property
    def clock_skew(self) -> float:
        """The target's clock minus ours, in seconds (read from its answers)."""
        ...

    def stop_on(self, stop: asyncio.Event) -> None:
        """Let a stop request end any wait for the target's rate limit at once."""
        ...

    async def whoami(self) -> Identity: ...

    async def aclose(self) -> None: ...

    # -- people ------------------------------------------------------------------------
    async def users(self) -> list[TargetUser]:
        """The members of the target's account."""
        ...

    async def invite(self, key: str, name: str, email: str) -> TargetUser:
        """Invite a member (the plan says so for this person)."""
        ...

    async def find_guest(self, email: str) -> str | None:
        """A guest with this email already there: its id (for a guest, its email)."""
        ...

    async def add_guest(self, key: str, name: str, email: str) -> str:
        """Someone outside the account who works on items without a seat. Returns its id."""
        ...

    # -- tags --------------------------------------------------------------------------
    async def existing_tags(self) -> dict[str, str]:
        """The account's tags: `tag_title(name).lower()` -> tag id."""
        ...

    def tag_title(self, name: str) -> str:
        """The title a tag of this name gets (clipped to the target's limit)."""
        ...

    async def create_tag(self, key: str, name: str, color: str | None) -> str: ...

    # -- containers --------------------------------------------------------------------
    async def find_container(self, key: str, name: str) -> str | None:
        """The container whose marker names `key`, if there is one."""
        ...

    async def ensure_container(self, tpl: Template, existing_id: str | None, tags: dict[str, str]) -> ContainerCtx:
        """Create the container with its stages and fields, or complete one a previous run
        left half-made (`existing_id`); idempotent. `tags`: tag key -> tag id, already made."""
        ...

    async def containers_named(self, name: str) -> list[NamedContainer]:
        """Containers with this name (case and spacing aside): a namesake someone else made."""
        ...

    async def container_view(self, container_id: str) -> dict[str, Any]:
        """What a conflict's side by side needs of a container (handed to `item_view`)."""
        ...

    async def item_view(self, item_id: str, view: dict[str, Any], users: dict[Any, str]) -> dict[str, Any] | None:
        """One item as the consultant compares it with the source's: name, description,
        stage, field values by label, assignees, tags, comment and file counts, updated."""
        ...

    # -- items -------------------------------------------------------------------------
    def item_name(self, name: str) -> str:
        """The name an item of this name gets: what a match by name compares."""
        ...

    async def list_items(self, container_id: str) -> list[TargetItem]:
        """Every item of the container, each with its marker."""
        ...

    async def create_item(self, item: Item, ctx: ContainerCtx, fields: dict[str, FieldDef], people: Assignees) -> str:
        """Create the item (with its values, tags and marker). Returns its id."""
        ...

    @property
    def item_batch(self) -> int:
        """How many new items of one container one request may create (`create_items`);
        1: one request each, and the engine only calls `create_item`."""
        ...

    async def create_items(self, news: list[NewItem]) -> list[str | Exception]:
        """Create these items of one container in one request: each one's id, or the
        exception (a `RecordRejected`) that refused it alone. Anything raised stops them all."""
        ...

    @property
    def items_as_subitems(self) -> bool:
        """Whether a source's sub-item (an `Item` with a `parent_key`) is written as a sub-item
        of its parent's target item (`create_child`, found again by `find_subitem`); otherwise
        it is an item of its container like any other."""
        ...

    async def create_child(self, new: NewItem, parent_id: str) -> str:
        """The source sub-item `new.item` as a sub-item of the target item `parent_id`, its
        values and marker with it. Returns its id, which then stands for an item everywhere
        (`place_item`, comments, files, `read_item`)."""
        ...

    async def find_child(self, new: NewItem, parent_id: str) -> str | None:
        """The sub-item `create_child` made for `new.item` under `parent_id` (by marker), or None."""
        ...

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
        """Write the source's version over the item (overwrite), or only into what the
        target has empty (merge). False when a merge found nothing to fill."""
        ...

    async def place_item(self, item: Item, item_id: str, ctx: ContainerCtx, flips: dict[str, str]) -> dict[str, str]:
        """Put the item at its stage (and reopen what lies after it). Idempotent. Returns
        stage id -> the anchor the stage's comments hang on (the item's id where comments
        hang on the item itself). `flips` receives, per thing changed, its state before."""
        ...

    async def read_item(self, item_id: str) -> TargetItem | None:
        """The item now, or None when it is gone."""
        ...

    async def item_activity(self, item_id: str) -> tuple[TargetItem | None, str | None]:
        """The item, and when anyone last did anything in it or on what hangs on it."""
        ...

    async def restore_item(self, item_id: str, prior: dict[str, Any], flips: dict[str, str]) -> str:
        """Give an item someone else made back what an overwrite or a merge changed (its
        `prior`, and the `flips` of `place_item`). Returns what was done."""
        ...

    async def read_back(
        self, item: TargetItem, ctx: ContainerCtx | None, anchor: str | None, *, comments: bool, files: bool
    ) -> ReadBack:
        """What the item holds, counted in canonical kinds (verify)."""
        ...

    # -- what hangs on an item ---------------------------------------------------------
    @property
    def checklists_as_subitems(self) -> bool:
        """Whether an item's checklist items are written as its sub-items (the engine adds
        them, `add_subitem`, once the item is placed), as the target's own [mapping] options
        say; otherwise the target writes them with the item itself."""
        ...

    async def add_subitem(
        self, item: Item, key: str, title: str, due: Any, item_id: str, owners: list[int | str]
    ) -> str: ...

    async def find_subitem(self, key: str, item_id: str) -> str | None: ...

    async def complete_subitem(self, key: str, subitem_id: str) -> None:
        """Idempotent: one found completed already is left as it is."""
        ...

    async def add_comment(self, comment: Comment, item_id: str, anchor: str) -> str: ...

    async def find_comment(self, comment: Comment, item_id: str, anchor: str) -> str | None:
        """The comment (or digest: a comment whose key is the digest's) a run left, by marker."""
        ...

    @property
    def comment_limit(self) -> int:
        """The longest comment the target takes, in characters: a digest splits there."""
        ...

    async def add_digest(self, key: str, text: str, item_id: str, anchor: str) -> str:
        """Post one digest comment (`wizard.comment_digest`): `text` is whole, markers included."""
        ...

    @property
    def history_limit(self) -> int:
        """The longest comment history the item's history field holds (0: the target has none)."""
        ...

    async def write_history(self, item_key: str, item_id: str, ctx: ContainerCtx, text: str) -> bool:
        """Write the item's comment history (`wizard.comment_digest`) into its history field;
        False when the container has none (the history then goes as a digest)."""
        ...

    async def add_upload(
        self, att: Attachment, chunks: AsyncIterator[bytes], item_id: str, stage_id: str, ctx: ContainerCtx
    ) -> dict[str, Any]:
        """Upload a file to the item. Returns at least `id` and `filename`."""
        ...

    async def find_upload(self, att: Attachment, item_id: str, taken: set[str]) -> dict[str, Any] | None:
        """An upload a previous run left on the item (not one of `taken`)."""
        ...

    async def attach(
        self,
        item_key: str,
        item_id: str,
        ctx: ContainerCtx,
        uploads: list[dict[str, Any]],
        links: list[tuple[str, str, str]],
    ) -> None:
        """Show the item's uploads and links on it (one write). Each upload carries `key`,
        and each link is (name, url, source key): where the target can, it keeps each one's
        provenance marker beside it (a file or a link holds none of its own)."""
        ...

    # -- removal -----------------------------------------------------------------------
    def removal(self, target_type: str) -> Removal | None:
        """How and when a rollback removes this type of object; None: never."""
        ...

    async def remove(self, target_type: str, target_id: str, anchor: str | None = None) -> str:
        """Remove one object, in the target's own steps. Returns what was done ("deleted",
        "archived", "already gone"). `anchor`: where a comment hangs."""
        ...


@runtime_checkable
class LossRules(Protocol):
    """What a target's mapping changes on the way in, object by object, with the reason (a
    name cut to its limit, a value it cannot hold): the ledger discovery records and the
    report lists. Pure: no connection needed; built for one plan's mapping options. Each line
    is `{"key", "kind", "what", "why", "dropped"}`, `dropped` counting source records that do
    not arrive at all."""

    def container_losses(self, tpl: Template) -> list[dict[str, Any]]: ...

    def item_losses(self, item: Item, tpl: Template, depth: int = 0) -> list[dict[str, Any]]:
        """`depth`: 0 for a top item, 1 for a source's sub-item, 2 for a sub-item's own, and so on."""
        ...

    def mapping_losses(self, tpl: Template) -> list[tuple[str, str]]:
        """(what, why) for every rule of the mapping that loses something (a field type the
        target lacks, comment authors it cannot set): the report's "dropped or changed"."""
        ...
