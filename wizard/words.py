"""The words people read for one migration's objects: each side's own nouns, from its spec (a
source's items may be cards on a board or tasks in a project; a target's, processes made from a
template). A system no adapter registers is spoken of in the engine's own words."""

from __future__ import annotations

from dataclasses import dataclass

from wizard import registry
from wizard.registry import Kind

GENERIC_ITEM = ("item", "items")
GENERIC_CONTAINER = ("container", "containers")
GENERIC_STAGE = ("stage", "stages")


@dataclass(frozen=True)
class Nouns:
    """One side's words: its label, and singular and plural of its items, containers and stages."""

    label: str
    item: tuple[str, str] = GENERIC_ITEM
    container: tuple[str, str] = GENERIC_CONTAINER
    stage: tuple[str, str] = GENERIC_STAGE

    def items(self, n: int) -> str:
        """'1 card', '3 cards'."""
        return f"{n:,} {self.item[0] if n == 1 else self.item[1]}"

    def containers(self, n: int) -> str:
        """'1 board', '3 boards'."""
        return f"{n:,} {self.container[0] if n == 1 else self.container[1]}"


def nouns(kind: Kind, system: str) -> Nouns:
    spec = registry.specs(kind).get(system)
    if spec is None:
        return Nouns(label=system)
    return Nouns(label=spec.label, item=spec.item_noun, container=spec.container_noun, stage=spec.stage_noun)


@dataclass(frozen=True)
class Words:
    """Both sides' words for one plan."""

    source: Nouns
    target: Nouns


def words(source_system: str, target_system: str) -> Words:
    return Words(source=nouns("source", source_system), target=nouns("target", target_system))
