"""Read-only look-ups the mapping screen needs and the facade does not offer yet: a
container's shape (its Template: lists, fields, labels, people) and the target's users.
Both go through the Migration's own adapters; nothing is written."""

from __future__ import annotations

from typing import Any


async def container_shape(m: Any, container_id: str):
    """The Template a container opens with: from the discovery inventory when it is there,
    else the first object the container's extract yields."""
    from wizard.model import Template

    shapes = m.shapes() if hasattr(m, "shapes") else {}
    for tpl in shapes.values():
        if tpl.source_id == container_id:
            return tpl
    src = m.source()
    try:
        stream = src.extract(container_id, include_archived=m.plan.mapping.include_archived)
        try:
            async for obj in stream:
                if isinstance(obj, Template):
                    return obj
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
    finally:
        await src.aclose()
    return None


async def target_users(m: Any) -> list:
    tgt = m.target()
    try:
        return await tgt.users()
    finally:
        await tgt.aclose()


def target_field_types() -> list[str]:
    from adapters.tallyfy.mapping import FIELD_TYPES

    return sorted(set(FIELD_TYPES.values()) | {"text"})
