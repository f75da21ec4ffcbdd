"""An archived stage is named by its source (Trello: "<list> (archived list)"); the target
writes the canonical stage's name as it is and knows no source's words for it."""

from __future__ import annotations

from adapters.tallyfy import mapping as tm
from adapters.trello import mapping
from adapters.trello.wire import TrelloList
from wizard.model import Stage

LIST = "65f1c0aae4b0a1b2c3d4e010"


def test_trello_names_its_archived_lists_and_leaves_open_and_blank_ones_as_they_are() -> None:
    archived = mapping.list_to_stage(TrelloList(id=LIST, name="Old sprint", closed=True, pos=3))
    assert (archived.name, archived.closed) == ("Old sprint (archived list)", True)
    assert mapping.list_to_stage(TrelloList(id=LIST, name="Doing", pos=1)).name == "Doing"
    assert mapping.list_to_stage(TrelloList(id=LIST, name="  ", closed=True)).name == "  "


def test_the_target_titles_a_step_with_the_stage_name_alone() -> None:
    closed = Stage(key=f"trello:list:{LIST}", name="Done for good", closed=True)
    assert tm.step_body(closed, "tpl1")["title"] == "Done for good"
    assert tm.step_body(closed.model_copy(update={"name": " "}), "tpl1")["title"] == tm.PLACEHOLDER_NAME
