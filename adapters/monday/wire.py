"""monday.com's answers as we read them: strict on the fields we use, tolerant of the rest
(monday.com adds fields with every API version)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Ref(_Wire):
    id: str


class MUser(_Wire):
    id: str
    name: str = ""
    email: str | None = None


class MAsset(_Wire):
    id: str
    name: str = ""
    file_extension: str | None = None
    file_size: int = Field(0, ge=0)
    public_url: str | None = None
    created_at: str | None = None
    uploaded_by: Ref | None = None


class MReply(_Wire):
    id: str
    body: str = ""
    text_body: str | None = None
    created_at: str | None = None
    creator: MUser | None = None
    assets: list[MAsset] | None = None


class MUpdate(MReply):
    item_id: str | None = None
    replies: list[MReply] | None = None


class MColumnValue(_Wire):
    id: str
    type: str
    text: str | None = None
    value: str | None = None  # the column's JSON, as a string
    linked_item_ids: list[str] | None = None
    display_value: str | None = None


class MSubitem(_Wire):
    id: str
    name: str = ""
    state: str | None = "active"
    created_at: str | None = None
    updated_at: str | None = None
    column_values: list[MColumnValue] = Field(default_factory=list)


class MItem(MSubitem):
    url: str | None = None
    group: Ref | None = None
    subitems: list[MSubitem] | None = None
    assets: list[MAsset] | None = None


class MGroup(_Wire):
    id: str
    title: str = ""
    color: str | None = None
    position: str | None = None
    archived: bool | None = False
    deleted: bool | None = False


class MColumn(_Wire):
    id: str
    title: str = ""
    type: str
    archived: bool | None = False
    settings: Any = None  # JSON: an object (a string in older versions)


class MWorkspace(_Wire):
    id: str | None = None
    name: str = ""


class MBoard(_Wire):
    id: str
    name: str = ""
    description: str | None = None
    board_kind: str = "public"
    state: str = "active"
    type: str | None = "board"
    url: str | None = None
    items_count: int | None = None
    updated_at: str | None = None
    workspace: MWorkspace | None = None
    groups: list[MGroup] = Field(default_factory=list)
    columns: list[MColumn] = Field(default_factory=list)
    owners: list[MUser | None] = Field(default_factory=list)
    subscribers: list[MUser | None] = Field(default_factory=list)


class MActivityLog(_Wire):
    id: str
    event: str
    entity: str = "pulse"
    data: str = "{}"  # the event's JSON, as a string
    created_at: str  # 17-digit unix time

    def payload(self) -> dict[str, Any]:
        """`data` read as JSON; what cannot be read is no data."""
        try:
            out = json.loads(self.data)
        except ValueError:
            return {}
        return out if isinstance(out, dict) else {}
