"""Asana's wire shapes as pydantic v2 models: tolerant of the many fields we do not read
(extra="ignore"), strict on the ones the mapping reads, so a malformed record fails here with
the field named instead of deep inside the mapping. Field names are Asana's own
(`*Response` schemas of its OpenAPI spec)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, StringConstraints

Gid = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,30}$")]


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class AsanaRef(Wire):
    """A compact record: another object named by its gid."""

    gid: Gid
    name: StrictStr | None = None


class AsanaUser(Wire):
    gid: Gid
    name: StrictStr = ""
    email: StrictStr | None = None


class AsanaWorkspace(Wire):
    gid: Gid
    name: StrictStr = ""


class AsanaMe(AsanaUser):
    workspaces: list[AsanaWorkspace] = Field(default_factory=list)


class AsanaEnumOption(Wire):
    gid: Gid
    name: StrictStr = ""
    enabled: StrictBool = True
    color: StrictStr | None = None


class AsanaCustomField(Wire):
    """A definition; `type` is kept as a string: a type we do not know is read as text."""

    gid: Gid
    name: StrictStr = ""
    type: StrictStr | None = None
    resource_subtype: StrictStr | None = None
    enum_options: list[AsanaEnumOption] = Field(default_factory=list)
    precision: int | None = None


class AsanaFieldSetting(Wire):
    custom_field: AsanaCustomField


class AsanaDateValue(Wire):
    date: StrictStr | None = None
    date_time: StrictStr | None = None


class AsanaFieldValue(AsanaCustomField):
    """A custom field as it appears on a task, with its typed value; `display_value` is the
    value as Asana shows it, a string for every type."""

    text_value: StrictStr | None = None
    number_value: float | None = None
    enum_value: AsanaEnumOption | None = None
    multi_enum_values: list[AsanaEnumOption] = Field(default_factory=list)
    date_value: AsanaDateValue | None = None
    people_value: list[AsanaUser] = Field(default_factory=list)
    reference_value: list[AsanaRef] = Field(default_factory=list)
    display_value: StrictStr | None = None


class AsanaProject(Wire):
    gid: Gid
    name: StrictStr
    notes: StrictStr = ""
    archived: StrictBool = False
    permalink_url: StrictStr | None = None
    custom_field_settings: list[Any] = Field(default_factory=list)  # validated one by one
    members: list[Any] = Field(default_factory=list)


class AsanaProjectTemplate(Wire):
    gid: Gid
    name: StrictStr
    description: StrictStr = ""
    requested_dates: list[AsanaRef] = Field(default_factory=list)  # date variables asked when it is used
    requested_roles: list[AsanaRef] = Field(default_factory=list)  # roles whose people are asked when it is used


class AsanaSection(Wire):
    gid: Gid
    name: StrictStr


class AsanaTag(Wire):
    gid: Gid
    name: StrictStr = ""
    color: StrictStr | None = None


class AsanaMembership(Wire):
    project: AsanaRef | None = None
    section: AsanaRef | None = None


class AsanaTask(Wire):
    gid: Gid
    name: StrictStr
    resource_subtype: StrictStr = "default_task"
    notes: StrictStr = ""
    completed: StrictBool = False
    completed_at: datetime | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None
    due_on: date | None = None
    due_at: datetime | None = None
    start_on: date | None = None
    assignee: AsanaRef | None = None
    followers: list[AsanaRef] = Field(default_factory=list)
    tags: list[AsanaTag] = Field(default_factory=list)
    memberships: list[AsanaMembership] = Field(default_factory=list)
    parent: AsanaRef | None = None
    num_subtasks: int = Field(default=0, ge=0)
    custom_fields: list[Any] = Field(default_factory=list)  # validated one by one
    permalink_url: StrictStr | None = None
    approval_status: StrictStr | None = None  # an approval's decision: pending, approved, rejected, changes_requested


class AsanaStory(Wire):
    gid: Gid
    type: StrictStr
    resource_subtype: StrictStr | None = None
    text: StrictStr = ""
    created_at: datetime
    created_by: AsanaUser | None = None


class AsanaAttachment(Wire):
    gid: Gid
    name: StrictStr = ""
    resource_subtype: StrictStr | None = None
    host: StrictStr | None = None
    size: int | None = Field(default=None, ge=0)
    created_at: datetime | None = None
    view_url: StrictStr | None = None
    permanent_url: StrictStr | None = None
    download_url: StrictStr | None = None


class AsanaEvent(Wire):
    type: StrictStr
    action: StrictStr
    resource: AsanaRef | None = None
    parent: AsanaRef | None = None
    created_at: datetime | None = None
