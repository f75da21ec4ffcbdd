"""The monday.com sandbox as a target: mutations validated against the SDL, column values
checked per column type (a wrong shape answers monday.com's ColumnValueException), each
mutation charged its complexity (aliased ones one by one), files through the multipart file
endpoint, reads counted apart from writes, and an export naming each object's source_ref."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from adapters.monday import target_documents as td
from adapters.monday.sandbox import MondaySandbox
from adapters.monday.sandbox_mutations import MUTATION_COST
from adapters.sandboxkit import SandboxServer

HEADERS = {"Authorization": "sandbox-monday-token", "API-Version": "2026-07"}


@pytest.fixture
def served() -> Iterator[tuple[MondaySandbox, str]]:
    sb = MondaySandbox(seed=3, scale="small")
    with SandboxServer(sb) as srv:
        yield sb, srv.url


def post(url: str, text: str, variables: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(url + "/v2", json={"query": text, "variables": variables}, headers=HEADERS, timeout=30)
    assert r.status_code == 200, r.text
    return dict(r.json())


def board_with_columns(url: str, *columns: tuple[str, str]) -> str:
    made = post(url, td.document("create_board"), {"board_name": "B", "board_kind": "public", "description": "x"})
    bid = made["data"]["create_board"]["id"]
    post(url, td.document("create_group"), {"board_id": bid, "group_name": "Doing"})
    each = [
        {"board_id": bid, "title": t, "column_type": ty, "id": t, "description": None, "defaults": None}
        for t, ty in columns
    ]
    post(url, td.aliased("create_column", len(each)), td.aliased_variables(each))
    return str(bid)


def group_of(sb: MondaySandbox, bid: str) -> str:
    return sb.state.boards[bid].groups[0].id


def create_item(url: str, bid: str, group: str, values: dict[str, Any]) -> dict[str, Any]:
    return post(
        url,
        td.document("create_item"),
        {"board_id": bid, "group_id": group, "item_name": "One", "column_values": json.dumps(values)},
    )


def test_all_values_in_one_create_item_are_stored_in_monday_shapes(served: tuple[MondaySandbox, str]) -> None:
    sb, url = served
    bid = board_with_columns(
        url, ("st", "status"), ("dd", "dropdown"), ("dt", "date"), ("nb", "numbers"), ("tx", "text")
    )
    body = create_item(
        url,
        bid,
        group_of(sb, bid),
        {"st": {"label": "Done"}, "dd": {"labels": ["A", "B"]}, "dt": {"date": "2024-06-15"}, "nb": "42", "tx": "hi"},
    )
    item = sb.state.items[body["data"]["create_item"]["id"]]
    assert item.values["st"] == {"index": 0} and item.values["dd"] == {"ids": [1, 2]}
    assert item.values["dt"] == {"date": "2024-06-15"} and item.values["nb"] == "42" and item.values["tx"] == "hi"


@pytest.mark.parametrize(
    ("ctype", "value"),
    [
        ("date", {"date": "15/06/2024"}),
        ("numbers", "forty-two"),
        ("people", {"personsAndTeams": [{"id": 1, "kind": "person"}]}),
        ("email", {"email": "not an address"}),
        ("checkbox", {"checked": "maybe"}),
        ("long_text", 12),
        ("file", {"files": []}),
    ],
)
def test_a_wrong_value_shape_answers_column_value_exception(
    served: tuple[MondaySandbox, str], ctype: str, value: Any
) -> None:
    sb, url = served
    bid = board_with_columns(url, ("c", ctype))
    before = len(sb.state.boards[bid].item_ids)
    body = create_item(url, bid, group_of(sb, bid), {"c": value})
    assert body["errors"][0]["extensions"]["code"] == "ColumnValueException"
    assert body["data"]["create_item"] is None and len(sb.state.boards[bid].item_ids) == before


def test_an_unknown_column_and_a_long_name_are_refused(served: tuple[MondaySandbox, str]) -> None:
    sb, url = served
    bid = board_with_columns(url, ("tx", "text"))
    assert create_item(url, bid, group_of(sb, bid), {"nope": "x"})["errors"][0]["extensions"]["code"] == (
        "InvalidColumnIdException"
    )
    long = post(
        url,
        td.document("create_item"),
        {"board_id": bid, "group_id": group_of(sb, bid), "item_name": "x" * 256, "column_values": "{}"},
    )
    assert long["errors"][0]["extensions"]["code"] == "ItemNameTooLongException"


def test_each_aliased_mutation_is_charged_its_complexity(served: tuple[MondaySandbox, str]) -> None:
    _, url = served
    made = post(url, td.document("create_board"), {"board_name": "B", "board_kind": "public", "description": "x"})
    one = made["data"]["complexity"]["query"]
    bid = made["data"]["create_board"]["id"]
    each = [{"board_id": bid, "group_name": f"G{i}"} for i in range(5)]
    five = post(url, td.aliased("create_group", 5), td.aliased_variables(each))["data"]
    assert one >= MUTATION_COST and five["complexity"]["query"] >= 5 * MUTATION_COST
    assert [five[f"m{i}"]["title"] for i in range(5)] == [f"G{i}" for i in range(5)]


def test_a_file_goes_through_the_multipart_endpoint_and_reads_are_counted_apart(
    served: tuple[MondaySandbox, str],
) -> None:
    sb, url = served
    bid = board_with_columns(url, ("files", "file"))
    item_id = create_item(url, bid, group_of(sb, bid), {})["data"]["create_item"]["id"]
    httpx.post(url + "/_sandbox/stats/reset", timeout=10)
    r = httpx.post(
        url + "/v2/file",
        data={"query": td.document("add_file"), "variables": json.dumps({"item_id": item_id, "column_id": "files"})},
        files={"variables[file]": ("brief.pdf", b"%PDF-1.4 hello", "application/pdf")},
        headers=HEADERS,
        timeout=30,
    )
    asset = r.json()["data"]["add_file_to_column"]
    assert asset["name"] == "brief.pdf" and asset["file_size"] == 14
    assert sb.state.items[item_id].asset_ids == [asset["id"]]
    post(url, "query { me { id } }", {})
    routes = httpx.get(url + "/_sandbox/stats", timeout=10).json()["by_route"]
    assert set(routes) == {"POST /v2/file mutation", "GET /v2 query"}


def test_the_export_names_each_made_object_by_its_marker_and_forgets_what_was_deleted(
    served: tuple[MondaySandbox, str],
) -> None:
    sb, url = served
    made = post(
        url,
        td.document("create_board"),
        {"board_name": "B", "board_kind": "public", "description": "From Trello\n[mw:trello:board:b1]"},
    )
    bid = made["data"]["create_board"]["id"]
    post(url, td.document("create_group"), {"board_id": bid, "group_name": "Doing"})
    cols = [
        {
            "board_id": bid,
            "title": "Source",
            "column_type": "text",
            "id": "mw_source",
            "description": None,
            "defaults": None,
        },
        {
            "board_id": bid,
            "title": "Links",
            "column_type": "long_text",
            "id": "mw_links",
            "description": None,
            "defaults": None,
        },
    ]
    post(url, td.aliased("create_column", 2), td.aliased_variables(cols))
    values = {"mw_source": "[mw:trello:card:c1]", "mw_links": {"text": "https://x.example [mw:trello:attachment:a1]"}}
    item_id = create_item(url, bid, group_of(sb, bid), values)["data"]["create_item"]["id"]
    post(url, td.document("create_update"), {"item_id": item_id, "body": "<p>hi</p><p>[mw:trello:comment:k1]</p>"})
    found = post(
        url,
        td.document("find_items"),
        {"board_id": bid, "column_id": "mw_source", "markers": ["[mw:trello:card:c1]"], "limit": 10},
    )
    assert [i["id"] for i in found["data"]["items_page_by_column_values"]["items"]] == [item_id]
    export = httpx.get(url + "/_sandbox/export", timeout=30).json()
    board = next(b for b in export["made"] if b["id"] == bid)
    item = board["items"][0]
    assert board["source_ref"] == "trello:board:b1" and item["source_ref"] == "trello:card:c1"
    assert [u["source_ref"] for u in item["updates"]] == ["trello:comment:k1"]
    assert [ln["source_ref"] for ln in item["links"]] == ["trello:attachment:a1"]
    post(url, td.document("delete_board"), {"board_id": bid})
    export = httpx.get(url + "/_sandbox/export", timeout=30).json()
    assert bid not in {b["id"] for b in export["made"]} | {b["id"] for b in export["boards"]}


def test_a_tag_is_made_once_by_name_and_a_tags_column_holds_it(served: tuple[MondaySandbox, str]) -> None:
    sb, url = served
    first = post(url, td.document("create_tag"), {"tag_name": "Blocked"})["data"]["create_or_get_tag"]
    again = post(url, td.document("create_tag"), {"tag_name": "blocked"})["data"]["create_or_get_tag"]
    assert first["id"] == again["id"] and first["name"] == "Blocked"
    listed = {t["name"]: t["id"] for t in post(url, td.document("tags"), {})["data"]["tags"]}
    assert listed["Blocked"] == first["id"]
    bid = board_with_columns(url, ("tg", "tags"))
    item_id = create_item(url, bid, group_of(sb, bid), {"tg": {"tag_ids": [int(first["id"])]}})["data"]["create_item"][
        "id"
    ]
    assert sb.state.items[item_id].values["tg"] == {"tag_ids": [int(first["id"])]}
    unknown = create_item(url, bid, group_of(sb, bid), {"tg": {"tag_ids": [123]}})
    assert unknown["errors"][0]["extensions"]["code"] == "ColumnValueException"
