"""`mapping.exclude` names a container by its id or by its source key, whatever the kind the
source calls its containers (a board, a project, a workflow)."""

from __future__ import annotations

from wizard.engine.scope import left_out


def test_a_container_is_left_out_by_its_id_or_its_source_key_of_any_kind() -> None:
    assert left_out(["b1"], "trello", "b1") == "b1"
    assert left_out(["trello:board:b1"], "trello", "b1") == "trello:board:b1"
    assert left_out(["asana:project:120"], "asana", "120") == "asana:project:120"
    assert left_out(["x:workflow:w9"], "x", "other", key="x:workflow:w9") == "x:workflow:w9"


def test_another_container_or_another_systems_key_leaves_nothing_out() -> None:
    assert left_out(["trello:board:b2", "b3"], "trello", "b1") is None
    assert left_out(["asana:project:b1"], "trello", "b1") is None
    assert left_out([], "trello", "b1", key="trello:board:b1") is None
