"""The spool that keeps gathered children on disk gives them back whole, in their order, an
item at a time, and a failing temporary folder is one sentence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wizard.engine.spool import ChildSpool
from wizard.errors import StoreError
from wizard.model import Comment


def comment(item: int, n: int) -> Comment:
    return Comment(
        key=f"fake:comment:{item}-{n}",
        item_key=f"fake:item:{item}",
        created_at=datetime(2024, 1, 1, 12, n, tzinfo=UTC),
        text=f"Ünïcode ✓ {n}\nline two",
    )


def test_children_come_back_whole_in_order_an_item_at_a_time() -> None:
    spool: ChildSpool[Comment] = ChildSpool(Comment)
    try:
        sent = [comment(i, n) for n in range(3) for i in (2, 0, 1)]  # interleaved, as a board-wide stream
        for c in sent:
            spool.put(c.item_key, c)
        assert spool.count == 9
        assert spool.items() == ["fake:item:2", "fake:item:0", "fake:item:1"]
        back = spool.take("fake:item:0")
        assert back == [c for c in sent if c.item_key == "fake:item:0"]
        assert spool.count == 6 and spool.take("fake:item:0") == []
        assert spool.items() == ["fake:item:2", "fake:item:1"]
    finally:
        spool.close()


def test_a_failing_temporary_folder_is_one_sentence() -> None:
    spool: ChildSpool[Comment] = ChildSpool(Comment)
    spool.db.execute("DROP TABLE c")  # the spool's file gone under it, as on a full or lost disk
    with pytest.raises(StoreError, match="run the same command again"):
        spool.put("fake:item:1", comment(1, 0))
    spool.close()
