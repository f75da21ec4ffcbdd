"""What discovery found, per container: counts, sizes and the shape the estimate needs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ContainerInventory(BaseModel):
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


class Inventory(BaseModel):
    source_system: str
    source_preset: str = Field(default="", description="The source preset it was read under: another one reads again")
    discovered_at: str
    elapsed_s: float
    source_calls: int
    containers: list[ContainerInventory] = Field(default_factory=list)

    def total(self, kind: str) -> int:
        return sum(c.count(kind) for c in self.containers)

    @property
    def attachment_bytes(self) -> int:
        return sum(c.attachment_bytes for c in self.containers)
