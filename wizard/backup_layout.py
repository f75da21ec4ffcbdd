"""Where a backup lives in a migration folder and what names its manifest: what the app and a
migration need to find one, without the archive's reader and writer (`wizard.backup`)."""

from __future__ import annotations

FOLDER = "backup"
MANIFEST = "manifest.json"
