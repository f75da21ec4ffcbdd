"""What the engine asks of a source and of a target. Adapters implement these; the engine
knows nothing vendor-specific."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from wizard.events import EventSink
from wizard.model import Attachment, Canonical, Capability

if TYPE_CHECKING:  # an annotation only: the contracts load without the HTTP stack
    from wizard.http import ApiClient

ChildKind = Literal["comment", "attachment"]


@dataclass(frozen=True)
class Identity:
    """Who the credential belongs to, and which workspace it opens: shown on connect."""

    user: str
    workspace: str
    detail: str = ""


@dataclass(frozen=True)
class Container:
    """A board, project or workflow the consultant can include or leave out."""

    key: str
    id: str
    name: str
    closed: bool = False
    url: str | None = None


@dataclass
class ChangeSet:
    """What changed in a container since a point in time, from the vendor's change feed."""

    changed_item_ids: set[str] = field(default_factory=set)
    deleted_item_ids: set[str] = field(default_factory=set)
    new_comment_ids: set[str] = field(default_factory=set)
    cursor: str | None = None


class SourceAdapter(ABC):
    system: ClassVar[str]
    label: ClassVar[str]
    credential_parts: ClassVar[tuple[str, ...]]
    # The parts of the canonical model this source fills; what it yields fills no other
    # (`wizard.model.capabilities_used`), which the conformance suite and verify can hold it to.
    fills: ClassVar[frozenset[Capability]] = frozenset()
    # The kinds of children `extract` yields right after their item, before the next item
    # (a child stream read per item: Airbyte's substreams, dlt's transformers). The engine
    # writes those as they come instead of holding them until the container's end.
    follow_their_item: ClassVar[frozenset[ChildKind]] = frozenset()
    # Whether `changes_since` cursors grow with time (ids, ISO times): the framework then
    # never moves a stored cursor back (wizard.cursors); opaque tokens are just replaced.
    cursor_ordered: ClassVar[bool] = False
    client: ApiClient

    @classmethod
    @abstractmethod
    def connect(
        cls,
        base_url: str,
        credentials: dict[str, str],
        *,
        profile: str,
        sink: EventSink | None = None,
        timeout: float = 30.0,
        max_retries: int = 6,
        **kw: Any,
    ) -> SourceAdapter: ...

    @abstractmethod
    async def whoami(self) -> Identity: ...

    @abstractmethod
    async def containers(self) -> list[Container]: ...

    @abstractmethod
    def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Extracted]:
        """Stream one container as canonical objects: the Template (with its stages, fields,
        tags and people) first, then every Item; each Comment and Attachment (metadata)
        after its item: right after it, before the next item, for the kinds named in
        `follow_their_item`, and after the last item for the others. Never holds the whole
        container in memory at once beyond one page of the vendor's API."""

    @abstractmethod
    def open_attachment(self, attachment: Attachment) -> AsyncIterator[bytes]:
        """The attachment's bytes, streamed in chunks."""

    async def stated_counts(self, container_id: str) -> list[StatedItem] | None:
        """What the source says of itself, item by item, read apart from `extract` (Trello:
        each card's badges): what verify holds the target against. None where the vendor
        states nothing we can use."""
        return None

    async def changes_since(self, container_id: str, cursor: str | None) -> ChangeSet | None:
        """The vendor's change feed since `cursor`, or None where it has none we trust."""
        return None

    @property
    def calls(self) -> int:
        return self.client.calls

    async def aclose(self) -> None:
        await self.client.aclose()


@dataclass(frozen=True)
class SourceRejected:
    """Yielded by `extract` in place of a record the vendor sent malformed: the engine
    quarantines it with the reason and goes on. (A whole response that is malformed, such as
    a body that is not JSON, raises VendorDataError instead: one sentence, exit 2.)"""

    key: str
    kind: str
    reason: str


@dataclass(frozen=True)
class SourceLeftOut:
    """Yielded by `extract` for a record the plan leaves out (a card in an archived list
    when archived records are not migrated): never written, and reported with the reason."""

    key: str
    kind: str
    reason: str


@dataclass(frozen=True)
class SourceLoss:
    """Yielded by `extract` for what the source's mapping preset changes or has no place for
    (a value one process cannot hold per item): a ledger line, as a target's `LossRules`
    give. `dropped` counts the source records of `kind` that do not arrive at all."""

    key: str
    kind: str
    what: str
    why: str
    dropped: int = 0

    def line(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "what": self.what, "why": self.why, "dropped": self.dropped}


@dataclass(frozen=True)
class QualityFailure:
    """Yielded before an item that fails one of the plan's data-quality rules (wizard/quality.py):
    discovery records it, so the mapping screen and the report name it. A critical one is
    followed by the item's SourceRejected (quarantined with the rule's name); a warning by
    the item itself."""

    key: str
    name: str
    rule: str
    severity: str  # "critical" or "warning"
    detail: str

    def line(self) -> dict[str, str]:
        return {"key": self.key, "name": self.name, "rule": self.rule, "severity": self.severity, "detail": self.detail}


# What `extract` yields: a canonical object, or in its place a record rejected or left out,
# or a ledger line of the source's preset.
Extracted = Canonical | SourceRejected | SourceLeftOut | SourceLoss | QualityFailure

STATED_KINDS = ("checklist_item", "comment", "file", "link", "field_value")


@dataclass(frozen=True)
class StatedItem:
    """One item as the source states it: its own counts of what hangs on it (keys of
    STATED_KINDS; a source whose items are runs of tasks also states each run's "task" and
    "task_completed", wizard/task_lines.py), and whether the source archived it (`archived`: why, or None)."""

    key: str
    name: str
    counts: dict[str, int]
    archived: str | None = None
