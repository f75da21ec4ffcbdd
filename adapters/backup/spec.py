"""A backup taken by `migration-wizard backup` as a source (`source.system = "backup"`):
offline, from `file:///…/backup`, or from a web server serving the archive's files."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from wizard.backup_layout import MANIFEST
from wizard.errors import UserError
from wizard.registry import AdapterSpec, Connection, SandboxOptions, SandboxSpec


def connect(c: Connection) -> Any:
    from adapters.backup.source import BackupSource  # noqa: PLC0415 the registry lists specs without their clients

    return BackupSource.connect(c.endpoint.base_url, dict(c.credentials), **c.client_args())


def records_of(base_url: str) -> str | None:
    """The label of the system a local backup was taken of (the target names it, as it would
    have named the vendor); None for one on a server, which is not read before it is needed."""
    parts = urlsplit(base_url)
    path = Path(unquote(parts.path)) / MANIFEST
    if parts.scheme != "file" or not path.is_file():
        return None
    from wizard.backup import read_manifest  # noqa: PLC0415 - the registry lists specs without the archive's reader

    try:
        return read_manifest(path.read_bytes(), str(path)).label
    except UserError:
        return None  # said in one sentence when the backup is read


def sandbox(o: SandboxOptions) -> Any:
    from adapters.backup.sandbox import BackupSandbox  # noqa: PLC0415 needs the [sandbox] extra's web server

    return BackupSandbox(**o.kit_args())


SPEC = AdapterSpec(
    system="backup",
    label="Backup",
    kind="source",
    connect=connect,
    default_url="file:///path/to/migration/backup",
    url_schemes=("file", "http", "https"),
    credentials=(),
    # A web server holding a copy of the archive (the sandbox serves one taken of the Trello sandbox).
    sandbox=SandboxSpec(factory=sandbox, credentials={}, api_path="/archive"),
    rate=None,  # read from disk, or from a server of our own: no vendor limit applies
    records_of=records_of,
    rank=90,
    item_noun=("record", "records"),
    container_noun=("container", "containers"),
)
