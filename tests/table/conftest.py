"""Staging tables written as a client's staging process would: a CSV file, a workbook, a SQLite
database, each holding the same rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import openpyxl

from adapters.table.readers import sample_csv
from adapters.table.source import TableSource
from adapters.table.spec import SPEC
from wizard.adapter import SourceRejected
from wizard.model import Item, Template
from wizard.plan import Limits, Source
from wizard.registry import Connection

HEADER = ["Order ID", "Customer", "Status", "Amount", "Due", "Email", "Paid", "Notes"]
ROWS = [
    ["A-1", "Ann's café", "New", "12.50", "2026-03-01", "ann@example.com", "yes", "Leave at the door"],
    ["A-2", "Bob", "Shipped", "7", "2026-03-02", "", "no", "First line\nsecond line, with a comma"],
    ["A-3", "Cy", "New", "", "", "cy@example.com", "no", ""],
]


def write_csv(path: Path, header: list[str] = HEADER, rows: list[list[str]] = ROWS) -> Path:
    path.write_text(sample_csv(header, rows), encoding="utf-8")
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, lines in sheets.items():
        sheet = book.create_sheet(name)
        for line in lines:
            sheet.append(line)
    book.save(path)
    return path


def write_sqlite(path: Path, table: str = "orders", header: list[str] = HEADER, rows: list[list[str]] = ROWS) -> Path:
    con = sqlite3.connect(path)
    cols = ", ".join(f'"{h}"' for h in header)
    con.execute(f'CREATE TABLE "{table}" ({cols})')
    con.executemany(f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(header))})', rows)
    con.commit()
    con.close()
    return path


def connect(url: str, secret: str = "none", **options: str) -> TableSource:
    endpoint = Source(system="table", base_url=url, profile="p", options=options)
    src: TableSource = SPEC.connect(Connection(endpoint, {"secret": secret}, Limits()))
    return src


async def extract(src: TableSource) -> tuple[list[Template], list[Item], list[SourceRejected]]:
    tpls, items, rejected = [], [], []
    for c in await src.containers():
        async for obj in src.extract(c.id):
            if isinstance(obj, Template):
                tpls.append(obj)
            elif isinstance(obj, Item):
                items.append(obj)
            elif isinstance(obj, SourceRejected):
                rejected.append(obj)
    return tpls, items, rejected
