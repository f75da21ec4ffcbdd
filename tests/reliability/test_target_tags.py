"""A tag whose name is over the target's title limit is looked up by the title the target
gives it (`TargetAdapter.tag_title`), so a run finds the one already there instead of making
a second. Driven through the real executor and the Tallyfy sandbox app, in process."""

from __future__ import annotations

from pathlib import Path

import httpx

from adapters.tallyfy.client import TallyfyClient
from adapters.tallyfy.sandbox import TallyfySandbox
from adapters.tallyfy.target import TallyfyTarget
from wizard.engine.executor import RunExecutor
from wizard.events import NullSink
from wizard.model import Tag, Template
from wizard.plan import Plan, Source, Target
from wizard.store import Store

LONG = "Waiting on the client's legal team for sign-off"  # 47 characters: over Tallyfy's 30


def plan() -> Plan:
    return Plan(
        name="p",
        source=Source(system="trello", base_url="https://api.trello.com/1", profile="p"),
        target=Target(system="tallyfy", base_url="https://go.tallyfy.com/api", profile="p", organization="o"),
    )


async def test_a_long_tag_already_in_the_target_is_found_not_made_twice(tmp_path: Path) -> None:
    sb = TallyfySandbox(seed=3, rate_limits="off")
    transport = httpx.ASGITransport(app=sb.app)
    client = TallyfyClient("http://tallyfy.test/api", sb.token, sb.org_id, transport=transport)
    target = TallyfyTarget(client, source_label="Trello")
    store = Store(tmp_path)
    try:
        first = await target.create_tag("trello:label:other-folder", LONG, "#eb5a46")
        ex = RunExecutor(plan(), store, None, target, NullSink())  # type: ignore[arg-type]  # no source read
        tpl = Template(key="trello:board:b", name="B", tags=[Tag(key="trello:label:l", name=LONG, color="#eb5a46")])
        got = await ex.ensure_tags(tpl)
    finally:
        store.close()
        await target.aclose()
    titles = [t["title"] for t in sb.export()["tags"] if not t.get("preexisting")]
    assert got == {"trello:label:l": first}
    assert titles == [target.tag_title(LONG)], titles  # one tag, with the title the target gave it
    assert store.mappings["trello:label:l"]["created"] is False  # found, so never this folder's to remove
