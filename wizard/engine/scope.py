"""Which of the source's containers the plan leaves out (`mapping.exclude`): one rule for the
run, the pre-flight scan, the estimate and verify."""

from __future__ import annotations

from collections.abc import Iterable


def left_out(exclude: Iterable[str], system: str, container_id: str, key: str | None = None) -> str | None:
    """The `exclude` entry that leaves this container out, or None. An entry names the
    container by its id, or by its source key (`<system>:<kind>:<id>`, whatever the kind
    the source calls its containers)."""
    for entry in exclude:
        if entry in (container_id, key):
            return entry
        parts = entry.split(":", 2)
        if len(parts) == 3 and parts[0] == system and parts[2] == container_id:
            return entry
    return None
