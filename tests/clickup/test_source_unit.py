"""ClickUpSource's reading of one task's children, against a recorded ClickUp (a mock
transport): a thread gone since its comment was listed loses only itself."""

from __future__ import annotations

import httpx

from adapters.clickup.source import ClickUpSource
from wizard.model import Attachment, Comment

COMMENT = {"id": "458", "comment_text": "Looks good", "date": "1772446811396", "reply_count": "1", "user": {"id": 183}}
OTHER = {"id": "459", "comment_text": "Done ✅", "date": "1772446800000", "reply_count": "0", "user": {"id": 183}}
FILE = {
    "id": "a1.txt",
    "title": "notes.txt",
    "size": 3,
    "mimetype": "text/plain",
    "url": "https://t1.p.clickup-attachments.com/t1/a1/notes.txt",
}


def handler(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/api/v2/task/86abc":
        return httpx.Response(200, json={"id": "86abc", "attachments": [FILE]})
    if path == "/api/v2/task/86abc/comment":
        return httpx.Response(200, json={"comments": [COMMENT, OTHER]})
    if path == "/api/v2/comment/458/reply":  # deleted since it was listed
        return httpx.Response(404, json={"err": "Comment not found", "ECODE": "COMM_004"})
    return httpx.Response(500, json={"err": "unexpected", "ECODE": "X"})


async def test_a_thread_gone_since_its_listing_loses_only_itself() -> None:
    src = ClickUpSource.connect(
        "https://api.clickup.com/api", {"token": "pk_1_X"}, profile="t", transport=httpx.MockTransport(handler)
    )
    try:
        got = await src._children("clickup:task:86abc")
    finally:
        await src.aclose()
    assert [(type(o).__name__, o.key) for o in got] == [
        ("Comment", "clickup:comment:458"),
        ("Comment", "clickup:comment:459"),
        ("Attachment", "clickup:attachment:a1.txt"),
    ]
    assert isinstance(got[0], Comment) and isinstance(got[2], Attachment)
