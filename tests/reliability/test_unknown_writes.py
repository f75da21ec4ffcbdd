"""A write the target handled but whose answer was lost (the connection dropped after the
request was processed) must land exactly once: the Tallyfy target looks for it before
sending again. Driven against the real Tallyfy sandbox app, with a transport that drops
the answer of chosen requests after the sandbox handled them."""

from __future__ import annotations

import re
from collections import Counter

import httpx
import pytest

from adapters.tallyfy.client import TallyfyClient
from adapters.tallyfy.sandbox import TallyfySandbox
from adapters.tallyfy.target import TallyfyTarget
from wizard.errors import SystemUnavailable
from wizard.model import Item, Stage, Template
from wizard.target import Assignees


class DropAfterHandling(httpx.AsyncBaseTransport):
    """Forward to the sandbox; for requests matching `pattern`, drop the answer the first
    `times` times (the sandbox has already done the work)."""

    def __init__(self, sandbox: TallyfySandbox, pattern: str, times: int = 1) -> None:
        self.inner = httpx.ASGITransport(app=sandbox.app)
        self.pattern = re.compile(pattern)
        self.left = times
        self.dropped = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        resp = await self.inner.handle_async_request(request)
        if self.left and self.pattern.search(f"{request.method} {request.url.path}"):
            self.left -= 1
            self.dropped += 1
            await resp.aread()
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        return resp


def make(pattern: str, times: int = 1) -> tuple[TallyfySandbox, TallyfyTarget, DropAfterHandling]:
    sb = TallyfySandbox(seed=3, rate_limits="off")
    transport = DropAfterHandling(sb, pattern, times)
    client = TallyfyClient("http://tallyfy.test/api", sb.token, sb.org_id, transport=transport)
    return sb, TallyfyTarget(client, source_label="Trello"), transport


def board(name: str = "Client Onboarding") -> Template:
    stages = [Stage(key=f"trello:list:l{i}", name=n, position=i) for i, n in enumerate(["To do", "Doing", "Done"])]
    return Template(key="trello:board:b1", name=name, stages=stages)


def created(sb: TallyfySandbox, what: str) -> list[dict]:
    return [x for x in sb.export()[what] if not x.get("preexisting")]


@pytest.mark.parametrize("pattern", [r"POST .*/checklists$", r"POST .*/steps$"], ids=["template", "step"])
async def test_a_template_or_step_whose_answer_was_lost_is_created_once(pattern: str) -> None:
    sb, target, transport = make(pattern)
    try:
        ctx = await target.ensure_container(board(), None, {})
    finally:
        await target.aclose()
    assert transport.dropped == 1
    templates = created(sb, "templates")
    assert [t["id"] for t in templates] == [ctx.container_id]
    assert Counter(s["source_ref"] for s in templates[0]["steps"]) == Counter(s.key for s in board().stages)


# A name the target does not keep as given (blank: the placeholder; past the title limit: cut
# with an ellipsis) is looked for under the title it was given, or the lost answer's template
# is not found and a second one is made (a Process Street workflow named '   ' did this).
@pytest.mark.parametrize(
    "name", ["   ", "Quarterly review " * 20, "🧾 הזמנת ציוד – Équipement"], ids=["blank", "long", "rtl"]
)
async def test_a_template_with_an_awkward_name_whose_answer_was_lost_is_created_once(name: str) -> None:
    sb, target, transport = make(r"POST .*/checklists$")
    try:
        ctx = await target.ensure_container(board(name), None, {})
        again = await target.find_container(board(name).key, name)
        named = await target.containers_named(name)
    finally:
        await target.aclose()
    assert transport.dropped == 1
    assert [t["id"] for t in created(sb, "templates")] == [ctx.container_id] == [again]
    assert [c.id for c in named] == [ctx.container_id], "a conflict scan sees the template under its given title"


async def test_a_tag_whose_answer_was_lost_is_created_once() -> None:
    sb, target, transport = make(r"POST .*/tags$")
    try:
        tid = await target.create_tag(
            "trello:label:x", "Urgent client", "#eb5a46"
        )  # colours are hex in the canonical model
    finally:
        await target.aclose()
    assert transport.dropped == 1
    assert [t["id"] for t in created(sb, "tags") if t["title"] == "Urgent client"] == [tid]


async def test_a_task_completion_whose_answer_was_lost_is_not_an_error() -> None:
    sb, target, transport = make(r"POST .*/completed-tasks$")
    try:
        tpl = board()
        ctx = await target.ensure_container(tpl, None, {})
        item = Item(key="trello:card:c1", template_key=tpl.key, stage_key="trello:list:l2", name="Ship it")
        run_id = await target.create_item(item, ctx, {}, Assignees())
        tasks = await target.place_item(item, run_id, ctx, {})
    finally:
        await target.aclose()
    assert transport.dropped == 1
    run = next(r for r in sb.export()["runs"] if r["id"] == run_id)
    done = {t["step_id"]: t["status"] for t in run["tasks"]}
    assert [done[s] == "completed" for s in ctx.stage_order] == [True, True, False], done
    assert set(tasks) == set(ctx.stage_order)


async def test_a_write_that_is_never_confirmed_ends_in_one_sentence() -> None:
    sb = TallyfySandbox(seed=3, rate_limits="off")

    def always_drop(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            raise httpx.RemoteProtocolError("peer closed connection")
        return httpx.Response(200, json={"data": []})

    client = TallyfyClient("http://tallyfy.test/api", sb.token, sb.org_id, transport=httpx.MockTransport(always_drop))
    target = TallyfyTarget(client)
    try:
        with pytest.raises(SystemUnavailable, match="never confirmed"):
            await target.create_tag("trello:label:y", "Design", "#c377e0")
    finally:
        await target.aclose()
