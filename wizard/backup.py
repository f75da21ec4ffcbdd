"""A complete archive of the source's containers in scope, written before anything is written
to the target, and checked again by hash.

The archive is a folder (`<migration>/backup/`):

| path | what |
| --- | --- |
| `manifest.json` | the source system, when, counts, each container's files, every file's sha256 and size |
| `raw/r000001.jsonl`, … | the vendor's answers as extracted: one JSON line per request (method, path, status, body) |
| `c000001/stated.json` | what the source states of itself for that container (verify's independent counts) |
| `c000001/s000001.jsonl`, … | the container's stream as the source's adapter yielded it, a chunk of records per file |
| `files/<sha256>` | every uploaded attachment's bytes, by their hash |

It is itself a source (`source.system = "backup"`, adapters/backup/), so a migration can be
rehearsed and repeated from it without the vendor. It is written into `backup.partial/` and
renamed into place only when whole: an interrupted backup leaves the previous one as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError

from wizard.adapter import (
    Container,
    Extracted,
    Identity,
    QualityFailure,
    SourceAdapter,
    SourceLeftOut,
    SourceLoss,
    SourceRejected,
    StatedItem,
)
from wizard.backup_layout import MANIFEST
from wizard.call_errors import ObjectUnavailable, RecordRejected
from wizard.errors import UserError
from wizard.lazy_model import LazyModel
from wizard.model import Attachment, Canonical, Comment, Item, Template

if TYPE_CHECKING:  # annotations only: the archive's constants load without the HTTP stack (the TUI reads them)
    from wizard.raw import RawRecorder

FORMAT = 1
CHUNK = 500  # records per stream file: a reader holds one chunk, never a whole container


# -- the manifest ----------------------------------------------------------------------------
class FileEntry(LazyModel):
    sha256: str
    bytes: int


class ArchivedContainer(LazyModel):
    key: str
    id: str
    name: str
    closed: bool = False
    url: str | None = None
    dir: str = Field(description="the container's folder in the archive (c000001)")
    chunks: list[str] = Field(default_factory=list, description="its stream files, in order")
    stated: bool = Field(default=False, description="whether the source stated counts of its own for it")
    counts: dict[str, int] = Field(default_factory=dict)


class ArchiveManifest(LazyModel):
    format: int = FORMAT
    system: str = Field(description="the source system the archive was taken from")
    label: str
    taken_at: str
    include_archived: bool
    identity: dict[str, str] = Field(default_factory=dict)
    fills: list[str] = Field(default_factory=list, description="the parts of the model the source fills")
    follow_their_item: list[str] = Field(default_factory=list, description="children yielded right after their item")
    containers: list[ArchivedContainer] = Field(default_factory=list)
    attachments: dict[str, str] = Field(default_factory=dict, description="attachment key -> its file")
    missing_files: dict[str, str] = Field(default_factory=dict, description="attachment key -> why it has no bytes")
    raw: list[str] = Field(default_factory=list, description="the vendor's answers, as extracted")
    counts: dict[str, int] = Field(default_factory=dict)
    files: dict[str, FileEntry] = Field(default_factory=dict)

    def container(self, container_id: str) -> ArchivedContainer:
        found = next((c for c in self.containers if c.id == container_id), None)
        if found is None:
            raise UserError(f"The backup holds no container {container_id}; take the backup again to include it.")
        return found


def read_manifest(text: bytes | str, where: str) -> ArchiveManifest:
    try:
        manifest = ArchiveManifest.model_validate_json(text)
    except ValidationError as e:
        why = f"{where} is not a backup's manifest ({e.error_count()} problem(s)); take the backup again."
        raise UserError(why) from None
    if manifest.format != FORMAT:
        raise UserError(f"{where} is a backup of format {manifest.format}; this version reads format {FORMAT}.")
    return manifest


# -- records ---------------------------------------------------------------------------------
_MODELS: dict[str, type[Canonical]] = {"Template": Template, "Item": Item, "Comment": Comment, "Attachment": Attachment}
_NOTES: dict[str, type[Any]] = {
    "SourceRejected": SourceRejected,
    "SourceLeftOut": SourceLeftOut,
    "SourceLoss": SourceLoss,
    "QualityFailure": QualityFailure,
}


def record_line(obj: Extracted) -> str:
    """One line of a stream file: the object's type and its fields."""
    kind = type(obj).__name__
    if isinstance(obj, Canonical):
        value: Any = obj.model_dump(mode="json")
    else:
        value = asdict(obj)
    return json.dumps({"t": kind, "v": value}, ensure_ascii=False, separators=(",", ":"))


def parse_line(line: str) -> Extracted:
    """The object a stream line holds; a line that does not read is a SourceRejected naming
    its key where it has one (quarantined, as a malformed vendor record is)."""
    try:
        data = json.loads(line)
        kind, value = data["t"], data["v"]
    except (ValueError, KeyError, TypeError):
        return SourceRejected(f"backup:record:{hashlib.sha256(line.encode()).hexdigest()[:12]}", "record", _BAD)
    if kind in _MODELS:
        try:
            return _MODELS[kind].model_validate(value)
        except ValidationError as e:
            key = value.get("key") if isinstance(value, dict) else None
            what = "item" if kind == "Item" else kind.lower()
            return SourceRejected(str(key or "backup:record:unknown"), what, f"{_BAD} ({e.error_count()} problem(s))")
    if kind in _NOTES:
        try:
            note: Extracted = _NOTES[kind](**value)
            return note
        except TypeError:
            pass
    return SourceRejected("backup:record:unknown", "record", _BAD)


_BAD = "the backup's record of it does not read"


# -- writing ---------------------------------------------------------------------------------
@dataclass
class _Hashed:
    files: dict[str, FileEntry] = field(default_factory=dict)

    def write(self, root: Path, rel: str, data: bytes) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files[rel] = FileEntry(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))

    def chunk(self, root: Path, entry: ArchivedContainer, lines: list[str]) -> None:
        """The container's next stream file, from these lines (which it empties)."""
        rel = f"{entry.dir}/s{len(entry.chunks) + 1:06d}.jsonl"
        self.write(root, rel, "".join(f"{line}\n" for line in lines).encode())
        entry.chunks.append(rel)
        lines.clear()


@dataclass
class BackupSummary:
    folder: Path
    counts: dict[str, int]
    files: int
    bytes: int


async def write_backup(
    src: SourceAdapter,
    dest: Path,
    *,
    system: str,
    label: str,
    container_ids: list[str],
    include_archived: bool,
    raw: RawRecorder | None = None,
) -> BackupSummary:
    """Extract every container in `container_ids` from `src` into an archive at `dest`,
    replacing the one there only once the new one is whole."""
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        manifest = await _fill(src, partial, system, label, container_ids, include_archived, raw)
        (partial / MANIFEST).write_text(manifest.model_dump_json(indent=1))
        _swap(partial, dest)
    except OSError as e:
        shutil.rmtree(partial, ignore_errors=True)
        raise UserError(
            f"The backup could not be written to {dest} ({e.strerror or type(e).__name__}); "
            "the previous one, if any, is unchanged."
        ) from None
    total = sum(f.bytes for f in manifest.files.values())
    return BackupSummary(dest, manifest.counts, len(manifest.files), total)


async def _fill(
    src: SourceAdapter,
    root: Path,
    system: str,
    label: str,
    container_ids: list[str],
    include_archived: bool,
    raw: RawRecorder | None,
) -> ArchiveManifest:
    who: Identity = await src.whoami()
    known = {c.id: c for c in await src.containers()}
    hashed = _Hashed()
    manifest = ArchiveManifest(
        system=system,
        label=label,
        taken_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        include_archived=include_archived,
        identity={"user": who.user, "workspace": who.workspace, "detail": who.detail},
        fills=sorted(src.fills),
        follow_their_item=sorted(src.follow_their_item),
    )
    totals: Counter[str] = Counter()
    uploads: list[Attachment] = []
    for n, cid in enumerate(container_ids, 1):
        c = known.get(cid) or Container(f"{system}:container:{cid}", cid, cid)
        entry = ArchivedContainer(key=c.key, id=c.id, name=c.name, closed=c.closed, url=c.url, dir=f"c{n:06d}")
        counts: Counter[str] = Counter()
        lines: list[str] = []
        async for obj in src.extract(cid, include_archived=include_archived):
            kind = type(obj).__name__
            counts[_COUNTED.get(kind, kind)] += 1
            if isinstance(obj, Attachment) and obj.is_upload:
                uploads.append(obj)
            lines.append(record_line(obj))
            if len(lines) >= CHUNK:
                hashed.chunk(root, entry, lines)
        if lines or not entry.chunks:
            hashed.chunk(root, entry, lines)
        stated = await src.stated_counts(cid)
        entry.stated = stated is not None
        if stated is not None:
            hashed.write(root, f"{entry.dir}/stated.json", json.dumps([asdict(s) for s in stated]).encode())
        entry.counts = dict(counts)
        totals.update(counts)
        manifest.containers.append(entry)
    await _files(src, root, manifest, hashed, totals, uploads)
    if raw is not None:
        manifest.raw = raw.write(root, hashed.write)
    manifest.counts = dict(totals)
    manifest.files = hashed.files
    return manifest


_COUNTED = {
    "Template": "container",
    "Item": "item",
    "Comment": "comment",
    "Attachment": "attachment",
    "SourceRejected": "rejected",
    "SourceLeftOut": "left_out",
    "SourceLoss": "loss",
    "QualityFailure": "quality",
}


async def _files(
    src: SourceAdapter,
    root: Path,
    manifest: ArchiveManifest,
    hashed: _Hashed,
    totals: Counter[str],
    uploads: list[Attachment],
) -> None:
    """Every uploaded attachment's bytes, stored once per content."""
    for a in uploads:
        try:
            digest, size = await _store_file(src.open_attachment(a), root)
        except (ObjectUnavailable, RecordRejected) as e:
            manifest.missing_files[a.key] = str(e)
            totals["file_missing"] += 1
            continue
        rel = f"files/{digest}"
        manifest.attachments[a.key] = rel
        hashed.files[rel] = FileEntry(sha256=digest, bytes=size)
        totals["file"] += 1
        totals["file_bytes"] += size


async def _store_file(chunks: AsyncIterator[bytes], root: Path) -> tuple[str, int]:
    (root / "files").mkdir(exist_ok=True)
    tmp = root / "files" / f".incoming-{os.getpid()}"
    h = hashlib.sha256()
    size = 0
    with tmp.open("wb") as f:
        async for chunk in chunks:
            h.update(chunk)
            size += len(chunk)
            f.write(chunk)
    digest = h.hexdigest()
    tmp.replace(root / "files" / digest)
    return digest, size


def _swap(partial: Path, dest: Path) -> None:
    """The whole new archive in place of the old one (flushed to disk first)."""
    _fsync_tree(partial)
    old = dest.with_name(dest.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    partial.rename(dest)
    shutil.rmtree(old, ignore_errors=True)


def _fsync_tree(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with path.open("rb") as f:
                os.fsync(f.fileno())


# -- checking --------------------------------------------------------------------------------
@dataclass
class VerifyOutcome:
    checked: int
    bad: list[str]  # one sentence per file that is missing or whose hash differs

    @property
    def ok(self) -> bool:
        return not self.bad


def verify_backup(archive: Path) -> VerifyOutcome:
    """Every file the manifest names, hashed again."""
    path = archive / MANIFEST
    if not path.is_file():
        raise UserError(f"{archive} holds no backup (no {MANIFEST}); take one with 'migration-wizard backup'.")
    manifest = read_manifest(path.read_bytes(), str(path))
    bad: list[str] = []
    for rel, want in sorted(manifest.files.items()):
        file = archive / rel
        if not file.is_file():
            bad.append(f"{rel} is missing")
            continue
        digest = _sha256_file(file)
        if digest != want.sha256:
            bad.append(f"{rel} does not match its sha256 (the manifest says {want.sha256[:12]}…, it is {digest[:12]}…)")
    return VerifyOutcome(len(manifest.files), bad)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def stated_from(data: bytes) -> list[StatedItem]:
    return [StatedItem(**s) for s in json.loads(data)]


def iter_lines(data: bytes) -> Iterator[str]:
    for line in data.decode("utf-8").splitlines():
        if line.strip():
            yield line
