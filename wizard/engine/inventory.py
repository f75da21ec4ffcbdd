"""What discovery found, per container: counts, sizes and the shape the estimate needs."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from wizard.lazy_model import LazyModel
from wizard.model import Comment

LONG_HISTORY = 1_500  # characters: a history this long may not fit one field or one digest comment
ENTRY_HEAD = 80  # about what a digest entry adds to a comment's text (author, date, marker)


class CommentHistory:
    """Per item of one container, as discovery reads it: how many comments, how long."""

    def __init__(self) -> None:
        self._items: dict[str, list[int]] = {}

    def add(self, c: Comment) -> None:
        counts = self._items.setdefault(c.item_key, [0, 0])
        counts[0] += 1
        counts[1] += len(c.text) + ENTRY_HEAD

    def shape(self) -> tuple[dict[int, int], list[int]]:
        """(items by their number of comments, the lengths of the long histories)."""
        per: dict[int, int] = {}
        for n, _ in self._items.values():
            per[n] = per.get(n, 0) + 1
        return dict(sorted(per.items())), sorted(chars for _, chars in self._items.values() if chars > LONG_HISTORY)


class ContainerInventory(LazyModel):
    key: str
    id: str
    name: str
    counts: dict[str, int] = Field(default_factory=dict)
    attachment_bytes: int = 0
    largest_attachment: int = 0
    oversized_attachments: int = 0
    items_by_stage_index: list[int] = Field(default_factory=list)
    items_with_uploads: int = 0
    items_with_attachments: int = 0  # files or links: one call each attaches them to the kick-off form
    stage_value_groups: int = Field(
        default=0, description="Items' values of fields that belong to a stage, counted once per item and stage"
    )
    comments_per_item: dict[int, int] = Field(
        default_factory=dict, description="How many items have how many comments: what each comment strategy costs"
    )
    long_histories: list[int] = Field(
        default_factory=list, description="The characters of each item's comment history longer than LONG_HISTORY"
    )
    subitems: int = Field(default=0, description="Items with a parent item (Item.parent_key), counted among the items")
    checklist_items: int = 0
    checklist_items_done: int = 0
    people_names: list[str] = Field(default_factory=list)
    rejected: list[dict[str, str]] = Field(default_factory=list)
    ledger: list[dict[str, Any]] = Field(
        default_factory=list, description="Every change the mapping makes to one object, with the reason"
    )
    left_out: list[dict[str, str]] = Field(
        default_factory=list, description="Records the plan leaves out, with the reason"
    )
    quality: list[dict[str, str]] = Field(
        default_factory=list, description="Each failure of the plan's data-quality rules: item, rule, severity, why"
    )
    template: dict[str, Any] = Field(
        default_factory=dict, description="The container's shape: stages, fields, tags, people"
    )
    duplicates: list[list[str]] = Field(default_factory=list)
    near_duplicates: list[list[str]] = Field(default_factory=list)

    def count(self, kind: str) -> int:
        return self.counts.get(kind, 0)

    def comment_shape(self) -> dict[int, int]:
        """Comments per item (an inventory from before the field: spread evenly over the items)."""
        comments, items = self.count("comment"), max(self.count("item"), 1)
        if self.comments_per_item or not comments:
            return self.comments_per_item
        if comments < items:
            return {1: comments}
        each, more = divmod(comments, items)
        return {k: n for k, n in ((each, items - more), (each + 1, more)) if n}

    def history_overflow(self, field_limit: int, comment_limit: int) -> int:
        """The digest comments the histories that a field of `field_limit` characters cannot hold need."""
        room = max(field_limit - 200, 100)
        return sum(-(-(chars - room) // max(comment_limit - 200, 100)) for chars in self.long_histories if chars > room)

    def history_parts(self, limit: int) -> int:
        """The digest comments beyond one an item that histories of more than `limit` characters need."""
        return sum(-(-chars // max(limit - 200, 100)) - 1 for chars in self.long_histories if chars > limit - 200)


class Inventory(LazyModel):
    source_system: str
    source_preset: str = Field(default="", description="The source preset it was read under: another one reads again")
    discovered_at: str
    elapsed_s: float
    source_calls: int
    follow_their_item: list[str] = Field(
        default_factory=list,
        description="Child kinds the source yields right after their item (the rest come after a container's last "
        "item): when the run can start writing them",
    )
    containers: list[ContainerInventory] = Field(default_factory=list)

    def total(self, kind: str) -> int:
        return sum(c.count(kind) for c in self.containers)

    @property
    def attachment_bytes(self) -> int:
        return sum(c.attachment_bytes for c in self.containers)
