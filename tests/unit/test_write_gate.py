"""The core write gate every target's writes pass: a dry run records the call and answers
with a placeholder, a real run sends it, and a write the target never confirmed is looked
for before it is sent again. Unit tests: the sends are plain coroutines."""

from __future__ import annotations

import pytest

from wizard.errors import SystemUnavailable
from wizard.http import AmbiguousWrite
from wizard.target import Action, ContainerCtx
from wizard.writegate import WriteGate


async def test_a_dry_run_records_each_write_and_answers_with_a_placeholder() -> None:
    gate = WriteGate("Target", lambda: 99, dry_run=True)
    sent: list[str] = []

    async def send() -> dict[str, str]:
        sent.append("x")
        return {"id": "real"}

    first = await gate.write("POST", "items", "create item 'A'", "src:item:1", send, lambda fid: {"id": fid})
    second = await gate.write("POST", "items", "create item 'B'", "src:item:2", send, lambda fid: {"id": fid})
    assert sent == []
    assert first["id"] != second["id"]
    assert WriteGate.is_placeholder(first["id"]) and not WriteGate.is_placeholder("real")
    assert gate.actions == [
        Action("POST", "items", "create item 'A'", "src:item:1"),
        Action("POST", "items", "create item 'B'", "src:item:2"),
    ]
    assert gate.calls == 2  # the calls the real run would make, not the client's count


async def test_a_dry_run_counts_reads_and_answers_those_of_placeholders_itself() -> None:
    gate = WriteGate("Target", lambda: 0, dry_run=True)

    async def send() -> list[str]:
        return ["from the target"]

    assert await gate.read("items", "list items", "k", send) == ["from the target"]
    assert await gate.read("items/dry-1", "read item", "k", send, lambda: ["made up"]) == ["made up"]
    assert [a.method for a in gate.actions] == ["GET", "GET"]


async def test_a_real_run_sends_and_reports_the_clients_calls() -> None:
    gate = WriteGate("Target", lambda: 7)

    async def send() -> str:
        return "id-1"

    assert await gate.write("POST", "items", "create", "k", send, lambda fid: fid) == "id-1"
    assert gate.actions == [] and gate.calls == 7


async def test_an_unconfirmed_write_is_found_instead_of_sent_twice() -> None:
    gate = WriteGate("Target", lambda: 0)
    sends = 0

    async def send() -> str:
        nonlocal sends
        sends += 1
        raise AmbiguousWrite("connection reset after sending")

    async def find() -> str | None:
        return "there-already"

    assert await gate.write("POST", "tags", "create tag", "k", send, lambda fid: fid, find=find) == "there-already"
    assert sends == 1


async def test_a_write_never_confirmed_nor_found_stops_with_one_sentence_naming_the_target() -> None:
    gate = WriteGate("Acme Target", lambda: 0)

    async def send() -> str:
        raise AmbiguousWrite("timeout")

    async def find() -> str | None:
        return None

    with pytest.raises(SystemUnavailable, match="Acme Target never confirmed that it did create tag"):
        await gate.write("POST", "tags", "create tag", "k", send, lambda fid: fid, find=find)


async def test_an_unconfirmed_write_is_sent_as_often_as_the_client_retries_any_call() -> None:
    # 20 % faults make four unknown fates in a row on some write of a run; three sends were
    # not enough, so such a run stopped. The gate has the client's own attempts.
    gate = WriteGate("Target", lambda: 0, tries=7)
    sends = 0

    async def send() -> str:
        nonlocal sends
        sends += 1
        if sends < 7:
            raise AmbiguousWrite("HTTP 503")
        return "made"

    async def find() -> str | None:
        return None

    assert await gate.write("POST", "tags", "create tag", "k", send, lambda fid: fid, find=find) == "made"
    assert sends == 7

    sends = 0
    with pytest.raises(SystemUnavailable, match="never confirmed"):
        await WriteGate("Target", lambda: 0, tries=6).write(
            "POST", "tags", "create tag", "k", send, lambda fid: fid, find=find
        )
    assert sends == 6, "the bound holds"


async def test_annotate_names_the_decision_on_the_writes_of_one_key_only() -> None:
    gate = WriteGate("Target", lambda: 0, dry_run=True)

    async def send() -> None:
        return None

    await gate.write("PUT", "items/1", "update item", "a", send, lambda fid: None)
    since = gate.mark()
    await gate.write("PUT", "items/2", "update item", "b", send, lambda fid: None)
    await gate.write("PUT", "items/3", "update item", "a", send, lambda fid: None)
    gate.annotate(since, "a", " (overwrite)")
    assert [a.what for a in gate.actions] == ["update item", "update item", "update item (overwrite)"]


def test_a_container_context_round_trips_and_reads_the_old_names_of_a_folder_from_before() -> None:
    ctx = ContainerCtx("c1", "src:c:1", {"s1": "st1"}, ["st1"], {"f1": "fd1"}, {"t1": "tg1"}, {"own": 1})
    assert ContainerCtx.from_json(ctx.to_json()) == ctx
    old = {
        "template_id": "c9",
        "steps": {"s1": "st1", "s2": "st2"},
        "step_order": ["st1", "st2"],
        "prerun_ids": {"f1": "fd1", "src:c:9#description": "fd2"},
        "prerun_specs": {"fd1": {"field_type": "text"}},
        "tags": {},
    }
    back = ContainerCtx.from_json(old)
    assert (back.container_id, back.key, back.stage_order) == ("c9", "src:c:9", ["st1", "st2"])
    assert back.fields == {"f1": "fd1", "src:c:9#description": "fd2"}
    assert back.extra == {"field_specs": {"fd1": {"field_type": "text"}}}
