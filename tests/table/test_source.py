"""The staging-table source on each kind of location: a CSV file, a workbook, a SQLite file,
a database by SQLAlchemy URL (with the plan's query): columns as fields with inferred types,
the key column, the stages, a malformed line, an empty or repeated key rejected with the rest
read, and what the table states of itself for verify."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.table.readers import SqlDatabase
from tests.table.conftest import HEADER, ROWS, connect, extract, write_csv, write_sqlite, write_xlsx
from wizard.errors import PlanError, UserError
from wizard.model import FieldType
from wizard.plan import Source


async def test_a_csv_file_is_one_container_its_rows_items_its_columns_typed_fields(tmp_path: Path) -> None:
    src = connect(write_csv(tmp_path / "orders.csv").as_uri(), key="Order ID", name="Customer")
    [tpl], items, rejected = await extract(src)
    assert not rejected
    assert tpl.name == "orders" and [s.name for s in tpl.stages] == ["New", "Shipped"]
    types = {f.name: f.type for f in tpl.fields}
    assert types == {
        "Order ID": FieldType.text,
        "Amount": FieldType.number,
        "Due": FieldType.date,
        "Email": FieldType.email,
        "Paid": FieldType.checkbox,
        "Notes": FieldType.textarea,
    }
    assert [i.name for i in items] == ["Ann's café", "Bob", "Cy"]
    assert [i.key for i in items] == ["table:row:orders/A-1", "table:row:orders/A-2", "table:row:orders/A-3"]
    first = {f.name: v.value for v in items[0].values for f in tpl.fields if f.key == v.field_key}
    assert first == {
        "Order ID": "A-1",
        "Amount": 12.5,
        "Due": "2026-03-01",
        "Email": "ann@example.com",
        "Paid": True,
        "Notes": "Leave at the door",
    }
    assert len(items[2].values) == 3, "empty cells are no values"
    assert items[1].stage_key == tpl.stages[1].key


async def test_a_workbook_is_one_container_per_sheet(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "book.xlsx", {"Orders": [HEADER, *ROWS], "Other": [["id", "name"], [1, "x"], [2, "y"]]}
    )
    src = connect(path.as_uri())  # the key: a column called id, else the first
    tpls, items, rejected = await extract(src)
    assert [t.name for t in tpls] == ["Orders", "Other"] and not rejected
    assert len(items) == 5 and items[3].key == "table:row:Other/1" and items[3].name == "x"
    src = connect(path.as_uri(), tables="Other")
    assert [c.id for c in await src.containers()] == ["Other"]


async def test_a_sqlite_file_and_a_database_url_read_alike_and_a_query_is_one_table(tmp_path: Path) -> None:
    db = write_sqlite(tmp_path / "staging.db")
    by_file = await extract(connect(db.as_uri(), key="Order ID", name="Customer"))
    by_url = await extract(connect(f"sqlite:///{db}", key="Order ID", name="Customer"))
    assert [i.model_dump() for i in by_file[1]] == [i.model_dump() for i in by_url[1]]
    assert by_file[1][0].values and by_file[0][0].name == "orders"
    query = 'SELECT "Order ID", "Customer" AS name FROM orders WHERE "Status" = \'New\''
    tpls, items, _ = await extract(connect(f"sqlite:///{db}", key="Order ID", query=query))
    assert [t.name for t in tpls] == ["query"] and [i.name for i in items] == ["Ann's café", "Cy"]


async def test_a_bad_line_an_empty_key_and_a_repeated_key_are_rejected_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,name\n1,a\n2\n,c\n1,d\n3,e\n", encoding="utf-8")
    src = connect(path.as_uri())
    _, items, rejected = await extract(src)
    assert [i.name for i in items] == ["a", "e"]
    reasons = {r.key: r.reason for r in rejected}
    assert reasons == {
        "table:row:t/2": "line 3 has 1 of the table's 2 columns",
        "table:row:t/line-4": "line 4 has no value in its key column",
        "table:row:t/1~line-5": "line 5 repeats the key '1' of an earlier row (the key column must be unique)",
    }
    stated = await src.stated_counts("t")
    assert stated is not None
    assert {s.key for s in stated} == {i.key for i in items} | set(reasons), (
        "verify balances the rejected as quarantined"
    )
    assert {s.key: s.counts["field_value"] for s in stated}["table:row:t/3"] == 1


async def test_a_column_the_plan_names_that_the_table_lacks_is_one_sentence(tmp_path: Path) -> None:
    src = connect(write_csv(tmp_path / "orders.csv").as_uri(), key="Number")
    with pytest.raises(PlanError) as e:
        await extract(src)
    assert "no such column" in e.value.sentence and "Order ID" in e.value.sentence


async def test_a_missing_file_and_an_unknown_table_are_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(PlanError) as e:
        await connect((tmp_path / "gone.csv").as_uri()).containers()
    assert "does not exist" in e.value.sentence
    db = write_sqlite(tmp_path / "s.db")
    with pytest.raises(PlanError) as e:
        await connect(f"sqlite:///{db}", tables="orders,nope").containers()
    assert "nope" in e.value.sentence and "orders" in e.value.sentence


def test_the_plan_takes_a_database_url_for_this_source_only_and_never_its_password() -> None:
    assert Source(system="table", base_url="postgresql://mw@db.example.com/staging").base_url.startswith("postgresql")
    with pytest.raises(ValueError, match="password"):
        Source(system="table", base_url="postgresql://mw:hunter2@db.example.com/staging")
    with pytest.raises(ValueError, match="http"):
        Source(system="trello", base_url="file:///tmp/x.csv")


def test_a_database_is_named_without_its_credential_and_a_missing_driver_is_one_sentence(tmp_path: Path) -> None:
    db = SqlDatabase(f"sqlite:///{write_sqlite(tmp_path / 's.db')}", "none-needed")
    assert db.where == f"sqlite:///{tmp_path / 's.db'}" and "none-needed" not in db.where
    with pytest.raises(UserError) as e:  # the profile's password goes on the URL, never into a sentence
        SqlDatabase("postgresql://mw@db.example.com/staging", "hunter2")
    said = e.value.sentence
    assert "driver psycopg for postgresql" in said and "hunter2" not in said and "\n" not in said


def test_a_database_url_with_an_unknown_dialect_is_one_sentence() -> None:
    with pytest.raises(PlanError) as e:
        connect("postgresql+nosuchdriver://mw@db.example.com/staging")
    assert "no dialect for postgresql+nosuchdriver" in e.value.sentence
