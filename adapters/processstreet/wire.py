"""Process Street's wire shapes as pydantic v2 models, named for the OpenAPI document's schemas:
strict on the fields the mapping reads, tolerant of the rest (extra="ignore"), so a malformed
record fails here with the field named. Enums are kept as strings where the vendor may add a
value (a form-field type we do not know is read as text); a run's status is strict, since what
happens to the run depends on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Link(Wire):
    name: StrictStr
    href: StrictStr
    type: StrictStr | None = None
    rel: StrictStr | None = None


class Linked(Wire):
    links: list[Link] = Field(default_factory=list)

    def link(self, name: str) -> str | None:
        return next((x.href for x in self.links if x.name == name), None)


class User(Wire):
    """PublicApiUser."""

    id: StrictStr
    email: StrictStr = ""
    username: StrictStr = ""


class Audit(Wire):
    createdDate: datetime | None = None
    createdBy: User | None = None
    updatedDate: datetime | None = None
    updatedBy: User | None = None


class RunAudit(Wire):
    """AuditInfo: a run's audit names users by id only."""

    createdDate: datetime | None = None
    createdById: StrictStr | None = None
    updatedDate: datetime | None = None
    updatedById: StrictStr | None = None


class Workflow(Linked):
    id: StrictStr
    name: StrictStr
    description: StrictStr = ""
    audit: Audit | None = None


class TaskTemplate(Linked):
    id: StrictStr
    workflowId: StrictStr
    name: StrictStr = ""
    orderTree: StrictStr = ""
    stopTask: StrictBool = False
    hiddenByDefault: StrictBool = False
    taskType: StrictStr = "Standard"


class Revision(Wire):
    id: StrictStr
    version: StrictStr | int = ""
    status: StrictStr = ""


class FormField(Linked):
    """SimplifiedFormField: a field's definition, on its task template."""

    id: StrictStr
    taskId: StrictStr
    fieldType: StrictStr
    key: StrictStr = ""
    label: StrictStr | None = None
    dataSetLinked: StrictBool = False


class Option(Wire):
    value: StrictStr
    label: StrictStr = ""


RunStatus = Literal["Active", "Completed", "Archived", "Deleted"]


class Run(Linked):
    """PublicApiWorkflowRun."""

    id: StrictStr
    name: StrictStr = ""
    status: RunStatus
    workflowId: StrictStr
    dueDate: datetime | None = None
    shared: StrictBool = False
    audit: RunAudit | None = None


class RunTask(Linked):
    """PublicApiTask: a task of a run."""

    id: StrictStr
    workflowRunId: StrictStr
    name: StrictStr = ""
    status: Literal["NotCompleted", "Completed"]
    completedDate: datetime | None = None
    completedBy: User | None = None
    updatedDate: datetime | None = None
    dueDate: datetime | None = None
    hidden: StrictBool = False
    stopped: StrictBool = False
    taskType: StrictStr = "Standard"


class FieldValue(Linked):
    """SimplifiedFormFieldValue: `data`'s shape depends on the type (and is not documented for
    File, Members and Table), so it is read per type by the mapping, tolerantly."""

    id: StrictStr
    workflowRunId: StrictStr
    taskId: StrictStr
    fieldType: StrictStr
    key: StrictStr = ""
    label: StrictStr | None = None
    data: Any = None
    updatedDate: datetime | None = None


class Approval(Linked):
    id: StrictStr
    workflowRunId: StrictStr
    approvalTaskId: StrictStr
    subjectTaskId: StrictStr
    status: Literal["Approved", "Rejected"]
    reviewedBy: User | None = None
    comment: StrictStr | None = None
    audit: Audit | None = None


class Comment(Linked):
    id: StrictStr
    workflowRunId: StrictStr
    taskId: StrictStr
    text: StrictStr = ""
    createdDate: datetime
    createdBy: User | None = None


class Attachment(Linked):
    """PublicApiAttachment: a task's file; its bytes are at the `file` link."""

    id: StrictStr
    workflowRunId: StrictStr
    taskId: StrictStr
    fileName: StrictStr = ""
    mimeType: StrictStr | None = None
    size: int = Field(default=0, ge=0)
    createdDate: datetime | None = None
