"""Trello's wire shapes, as pydantic v2 models: tolerant of the many fields we do not use
(extra="ignore"), strict on the ones the mapping reads, so a malformed record fails here
with the field named instead of deep inside the mapping."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, StringConstraints

TrelloId = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{24}$")]


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class TrelloMember(Wire):
    id: TrelloId
    fullName: StrictStr = ""
    username: StrictStr | None = None
    email: StrictStr | None = None


class TrelloOrganization(Wire):
    id: TrelloId
    name: StrictStr = ""
    displayName: StrictStr = ""


class TrelloLabel(Wire):
    id: TrelloId
    name: StrictStr | None = None
    color: StrictStr | None = None


class TrelloList(Wire):
    id: TrelloId
    name: StrictStr
    closed: StrictBool = False
    pos: float = 0


class TrelloOptionValue(Wire):
    text: StrictStr


class TrelloFieldOption(Wire):
    id: TrelloId
    value: TrelloOptionValue


class TrelloCustomField(Wire):
    id: TrelloId
    name: StrictStr
    type: Literal["checkbox", "list", "number", "text", "date"]
    pos: float = 0
    options: list[TrelloFieldOption] = Field(default_factory=list)


class TrelloCustomFieldItem(Wire):
    """A value; Trello sends read values as strings ({"number": "8"}, {"checked": "true"})."""

    id: StrictStr | None = None
    idCustomField: TrelloId
    idValue: TrelloId | None = None
    value: dict[str, StrictStr] | None = None


class TrelloCheckItem(Wire):
    id: TrelloId
    name: StrictStr
    state: Literal["complete", "incomplete"]
    pos: float = 0
    due: datetime | None = None
    idMember: TrelloId | None = None


class TrelloChecklist(Wire):
    id: TrelloId
    name: StrictStr
    pos: float = 0
    checkItems: list[TrelloCheckItem] = Field(default_factory=list)


class TrelloAttachment(Wire):
    id: TrelloId
    name: StrictStr = ""
    fileName: StrictStr | None = None
    bytes: int | None = Field(default=None, ge=0)
    mimeType: StrictStr | None = None
    date: datetime | None = None
    isUpload: StrictBool = False
    url: StrictStr | None = None


class TrelloCard(Wire):
    id: TrelloId
    name: StrictStr
    desc: StrictStr = ""
    closed: StrictBool = False
    idBoard: TrelloId | None = None
    idList: TrelloId
    pos: float = 0
    due: datetime | None = None
    dueComplete: StrictBool = False
    dateLastActivity: datetime | None = None
    idMembers: list[TrelloId] = Field(default_factory=list)
    idLabels: list[TrelloId] = Field(default_factory=list)
    url: StrictStr | None = None
    checklists: list[TrelloChecklist] = Field(default_factory=list)
    customFieldItems: list[TrelloCustomFieldItem] = Field(default_factory=list)
    badges: dict[str, Any] = Field(default_factory=dict)
    # attachments are validated one by one: each is its own canonical object
    attachments: list[Any] = Field(default_factory=list)


class TrelloActionCard(Wire):
    id: TrelloId
    name: StrictStr | None = None


class TrelloActionData(Wire):
    text: StrictStr | None = None
    card: TrelloActionCard | None = None
    old: dict[str, Any] | None = None


class TrelloActionCreator(Wire):
    id: TrelloId | None = None
    fullName: StrictStr | None = None
    username: StrictStr | None = None


class TrelloAction(Wire):
    id: TrelloId
    type: StrictStr
    date: datetime
    idMemberCreator: TrelloId | None = None
    data: TrelloActionData = Field(default_factory=TrelloActionData)
    memberCreator: TrelloActionCreator | None = None


class TrelloBoard(Wire):
    id: TrelloId
    name: StrictStr
    desc: StrictStr = ""
    closed: StrictBool = False
    url: StrictStr | None = None
    idOrganization: TrelloId | None = None
    # the nested collections are validated item by item so one bad record does not sink the board
    lists: list[Any] = Field(default_factory=list)
    labels: list[Any] = Field(default_factory=list)
    members: list[Any] = Field(default_factory=list)
    customFields: list[Any] = Field(default_factory=list)
