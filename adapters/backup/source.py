"""A backup (wizard/backup.py) as a source: it yields what the vendor's adapter yielded when
the backup was taken, record for record, with the same source keys, so a migration from it
is the migration from the vendor, rehearsed or repeated without the vendor. It reads the
archive through the HTTP layer: from a folder on this machine (`file://`) or from a web
server that serves the archive's files (`https://`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from adapters.backup.files import LocalFiles
from wizard.adapter import Container, Extracted, Identity, SourceAdapter, SourceRejected, StatedItem
from wizard.backup import ArchiveManifest, iter_lines, parse_line, read_manifest, stated_from
from wizard.backup_layout import MANIFEST
from wizard.errors import PlanError
from wizard.events import EventSink
from wizard.http import ApiClient, ObjectUnavailable
from wizard.model import Attachment, Comment, Item
from wizard.ratelimit import RateLimiter

LOCAL_ORIGIN = "http://backup.local"  # what a local archive's client calls its origin (no socket is opened)


def _parent(obj: Extracted) -> str | None:
    """The item an object hangs on (a comment's, a file's, a sub-item's)."""
    if isinstance(obj, (Comment, Attachment)):
        return obj.item_key
    if isinstance(obj, Item):
        return obj.parent_key
    return None


class BackupClient(ApiClient):
    system = "backup"
    label = "The backup"

    async def read(self, rel: str) -> bytes:
        return (await self.request("GET", rel)).content


class BackupSource(SourceAdapter):
    system: ClassVar[str] = "backup"
    label: ClassVar[str] = "Backup"
    credential_parts: ClassVar[tuple[str, ...]] = ()
    client: BackupClient

    def __init__(self, client: BackupClient, where: str) -> None:
        self.client = client
        self.where = where
        self._manifest: ArchiveManifest | None = None

    @classmethod
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
    ) -> BackupSource:
        kw.pop("window_scale", None)  # an archive has no rate windows to shorten
        parts = urlsplit(base_url)
        if parts.scheme == "file":
            folder = Path(unquote(parts.path))
            if not (folder / MANIFEST).is_file():
                raise PlanError(
                    f"{folder} holds no backup (no {MANIFEST}); take one with 'migration-wizard backup DIR' and "
                    "point [source] base_url at its backup folder (file:///…/backup)."
                )
            kw["transport"] = LocalFiles(folder)
            url, where = LOCAL_ORIGIN, str(folder)
        else:
            url, where = base_url, base_url
        client = BackupClient(
            url,
            limiter=RateLimiter([]),
            sink=sink,
            timeout=timeout,
            max_retries=max_retries,
            profile=profile,
            **kw,
        )
        src = cls(client, where)
        if parts.scheme == "file":  # known before the engine asks how the stream is ordered
            src._take(read_manifest((folder / MANIFEST).read_bytes(), f"{folder}/{MANIFEST}"))
        return src

    def _take(self, manifest: ArchiveManifest) -> ArchiveManifest:
        self._manifest = manifest
        # what the vendor's adapter declared, so the engine treats the stream as it treated the vendor's
        self.fills = frozenset(manifest.fills)  # type: ignore[misc,arg-type]
        self.follow_their_item = frozenset(manifest.follow_their_item)  # type: ignore[misc,arg-type]
        return manifest

    async def manifest(self) -> ArchiveManifest:
        if self._manifest is None:
            return self._take(read_manifest(await self.client.read(MANIFEST), f"{self.where}/{MANIFEST}"))
        return self._manifest

    async def whoami(self) -> Identity:
        m = await self.manifest()
        return Identity(
            m.identity.get("user", "?"),
            f"a backup of {m.label} ({m.identity.get('workspace', '?')}), taken {m.taken_at}",
        )

    async def containers(self) -> list[Container]:
        return [Container(c.key, c.id, c.name, c.closed, c.url) for c in (await self.manifest()).containers]

    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Extracted]:
        """What the vendor's adapter yielded, in its order (archived records as the backup
        was taken: see its manifest's include_archived)."""
        entry = (await self.manifest()).container(container_id)
        rejected: set[str] = set()  # items whose record does not read: what hangs on them is quarantined too
        for rel in entry.chunks:
            for line in iter_lines(await self.client.read(rel)):
                obj = parse_line(line)
                if isinstance(obj, SourceRejected):
                    rejected.add(obj.key)
                parent = _parent(obj)
                if parent in rejected and not isinstance(obj, SourceRejected):
                    kind = type(obj).__name__.lower()
                    yield SourceRejected(obj.key, kind, f"its item {parent} was quarantined")
                    if isinstance(obj, Item):
                        rejected.add(obj.key)
                    continue
                yield obj

    async def open_attachment(self, attachment: Attachment) -> AsyncIterator[bytes]:
        m = await self.manifest()
        rel = m.attachments.get(attachment.key)
        if rel is None:
            why = m.missing_files.get(attachment.key, "the file was not in the backup")
            raise ObjectUnavailable(f"the backup holds no bytes for this file ({why})")
        async for chunk in self.client.download(rel, size=m.files[rel].bytes):
            yield chunk

    async def stated_counts(self, container_id: str) -> list[StatedItem] | None:
        entry = (await self.manifest()).container(container_id)
        if not entry.stated:
            return None
        return stated_from(await self.client.read(f"{entry.dir}/stated.json"))
