"""Deciding conflicts by rule and previewing a decision speak the engine's words and the
source's own: a container rule answers to `container=` and to the source's noun for it
(`board=` for Trello), and previews say "the source" and "the target", not a vendor's nouns."""

from __future__ import annotations

import pytest

from wizard.engine.decisions import Rule, preview
from wizard.engine.preflight import source_view
from wizard.errors import UserError
from wizard.model import Item, Template

TPL = Template(key="x:project:1", name="Onboarding")
ITEM = Item(key="x:task:1", template_key=TPL.key, name="Ship it")


def conflict(**source: object) -> dict[str, object]:
    return {"id": ITEM.key, "kind": "item", "source": {**source_view(ITEM, TPL), **source}, "target": {}}


def test_a_container_rule_answers_to_container_and_to_the_sources_own_noun() -> None:
    c = conflict()
    assert Rule.parse("container=onboarding").matches(c)
    assert Rule.parse("board=Onboarding", "board").matches(c)
    assert Rule.parse("Project=Onboarding", "project").field == "container"
    assert not Rule.parse("container=Other").matches(c)
    with pytest.raises(UserError, match="not a rule"):
        Rule.parse("board=Onboarding")  # a source that does not call its containers boards


def test_previews_say_source_and_target() -> None:
    newer = {"id": ITEM.key, "kind": "item", "source": {"updated": "2026-02-01"}, "target": {"updated": "2026-01-01"}}
    assert preview(newer, "newer")[0] == "the source changed last, so as overwrite"
    older = {**newer, "source": {"updated": "2025-12-01"}}
    assert preview(older, "newer") == ["the target changed last, so as skip"]
    files = {"id": ITEM.key, "kind": "item", "source": {"files": 3}, "target": {"files": 1}}
    assert preview(files, "merge") == ["files: the source's 3 are added where missing (1 there now)"]
    tpl = {"id": TPL.key, "kind": "template", "source": {"name": "Onboarding"}, "target": {}}
    assert preview(tpl, "skip") == ["Nothing is written; 'Onboarding' is left out."]


def test_stage_and_tag_rules_are_the_engines_words_not_trellos() -> None:
    c = conflict(stage="Doing", tags=["Urgent", "Q3"])
    assert Rule.parse("stage=doing").matches(c) and Rule.parse("tag=Q3").matches(c)
    assert not Rule.parse("stage=Done").matches(c)
    # ClickUp calls its containers lists: list= is its container, never another source's stage
    assert Rule.parse("list=Onboarding", "list").field == "container"
    for trellos in ("list=Doing", "label=Urgent"):
        with pytest.raises(UserError, match="stage=Doing, tag=Urgent"):
            Rule.parse(trellos)
