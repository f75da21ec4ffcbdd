"""`migration-wizard backup` end to end, through the real CLI against `sandbox serve`: a changed
byte and a missing file are found. The backup of the medium Trello sandbox, and migrating from it
with the vendor's sandbox stopped, are checked on the medium run test_medium_run.py makes; the
target's content compared there is named here (`content`)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from tests.e2e.conftest import cli, serve, stop
from wizard.backup_layout import MANIFEST

VOLATILE = ("id", "run_id", "subject_id", "checklist_id", "step_id")  # the target's own ids, made per run


def ok(*args: str) -> str:
    r = cli(*args)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r.stdout


def labels(export: dict[str, Any]) -> dict[str, str]:
    """Every object's id in a target export, named by what does not change between two
    targets: the source_ref our marker left on it, else its title within its parent's."""
    out: dict[str, str] = {}

    def walk(node: Any, parent: str) -> None:
        if isinstance(node, dict):
            here = parent
            if "id" in node:
                name = node.get("source_ref") or next(
                    (str(node[k]) for k in ("title", "label", "name", "filename", "email") if node.get(k)), "?"
                )
                here = f"{parent}/{name}"
                out[str(node["id"])] = here
            for v in node.values():
                walk(v, here)
        elif isinstance(node, list):
            for v in node:
                walk(v, parent)

    walk(export, "")
    return out


def content(export: dict[str, Any]) -> Counter[str]:
    """The export with the target's own ids and times replaced by what they name: two targets
    holding the same objects with the same content give the same multiset."""
    ids = labels(export)

    def norm(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                (ids.get(k, k) if len(k) >= 16 else k): norm(v)
                for k, v in node.items()
                if k not in VOLATILE and not str(k).endswith("_at")
            }
        if isinstance(node, list):
            return sorted((norm(v) for v in node), key=lambda v: json.dumps(v, sort_keys=True))
        if isinstance(node, str) and len(node) >= 16 and node in ids:  # the sandboxes' ids are long hex strings
            return ids[node]
        return node

    out: Counter[str] = Counter()
    for kind, objects in export.items():
        for obj in objects if isinstance(objects, list) else [objects]:
            out[f"{kind} {json.dumps(norm(obj), sort_keys=True)}"] += 1
    return out


def test_backup_verify_finds_a_changed_byte_and_a_missing_file(tmp_path: Path) -> None:
    served = serve(tmp_path / "mig", "--scale", "small", "--seed", "2", "--rate-scale", "0.001")
    try:
        ok("backup", str(served.folder))
    finally:
        stop(served)
    assert "match" in ok("backup", "verify", str(served.folder))
    archive = served.folder / "backup"
    manifest = json.loads((archive / MANIFEST).read_text())
    stream = archive / manifest["containers"][0]["chunks"][0]
    data = bytearray(stream.read_bytes())
    data[10] ^= 1
    stream.write_bytes(bytes(data))
    r = cli("backup", "verify", str(served.folder))
    assert r.returncode == 1 and "sha256" in r.stderr and "Traceback" not in r.stderr, r.stderr
    data[10] ^= 1
    stream.write_bytes(bytes(data))
    next((archive / "files").iterdir()).unlink()
    r = cli("backup", "verify", str(served.folder))
    assert r.returncode == 1 and "missing" in r.stderr, r.stderr
