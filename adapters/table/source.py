"""A staging table as a migration source: one table (or the plan's query) is one container,
one row one item, the columns fields.

The consultant names the key column (`[source.options] key`; else a column called id, else
the first), the column that names an item (`name`; else name or title, else the key) and the
one whose values are the stages (`stage`; else status or stage, if there is one; `none`: one
stage). Types are inferred from every value a column holds (a first pass over the table,
before its Template), shown on the mapping screen and confirmed or changed there
([mapping] field_types). A row whose line is malformed, whose key is empty or repeats an
earlier row's is rejected with the reason; the rest go on.

Sync needs no change feed: each item's content hash (its row hash) is kept with its mapping,
so a sync writes the rows that are new or changed, and reports the rows no longer there.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, ClassVar
from urllib.parse import quote

from adapters.table.columns import Inferred, text_of, value
from adapters.table.readers import HttpFile, Reader, reader_for
from wizard.adapter import Container, Extracted, Identity, SourceAdapter, SourceRejected, StatedItem
from wizard.errors import PlanError
from wizard.events import EventSink
from wizard.model import Attachment, Capability, FieldDef, FieldType, FieldValue, Item, Stage, Template

BATCH = 500  # rows read at once, off the event loop
ONE_STAGE = "Imported"
KEY_NAMES = ("id", "key")
NAME_NAMES = ("name", "title", "subject")
STAGE_NAMES = ("status", "stage")


def ident(text: str) -> str:
    """A source key's last part: any text, with nothing that breaks a key (spaces, colons)."""
    return quote(text, safe="")


@dataclass
class Shape:
    """One table as the first pass found it."""

    header: list[str]
    key: int
    name: int | None
    stage: int | None
    types: list[FieldType]
    stages: list[str] = field(default_factory=list)

    @property
    def field_columns(self) -> list[int]:
        return [i for i in range(len(self.header)) if i not in (self.name, self.stage)]


@dataclass(frozen=True)
class Row:
    """A row read: its item key, and its cells or why it is rejected."""

    key: str
    line: int
    cells: list[Any] | None
    reason: str = ""


def _pick(header: list[str], wanted: str | None, names: tuple[str, ...], what: str, table: str) -> int | None:
    lowered = [h.strip().lower() for h in header]
    if wanted:
        if wanted.strip().lower() not in lowered:
            raise PlanError(
                f"[source.options] {what} = {wanted!r}, but the table {table} has no such column; "
                f"its columns are: {', '.join(header)}."
            )
        return lowered.index(wanted.strip().lower())
    return next((lowered.index(n) for n in names if n in lowered), None)


class TableSource(SourceAdapter):
    system: ClassVar[str] = "table"
    label: ClassVar[str] = "Staging table"
    credential_parts: ClassVar[tuple[str, ...]] = ("secret",)
    fills: ClassVar[frozenset[Capability]] = frozenset({"fields", "field_values"})

    def __init__(
        self,
        reader: Reader,
        *,
        key: str = "",
        name: str = "",
        stage: str = "",
        tables: list[str] | None = None,
    ) -> None:
        self.reader = reader
        if isinstance(reader, HttpFile):
            self.client = reader.client  # a served file's: its calls by route, its rate limiter
        self.key_column = key
        self.name_column = name
        self.stage_column = stage
        self.only = tables or []

    @classmethod
    def connect(
        cls,
        base_url: str,
        credentials: dict[str, str],
        *,
        profile: str,
        sink: EventSink | None = None,
        timeout: float = 30.0,
        max_retries: int = 6,
        options: dict[str, str] | None = None,
        **kw: Any,
    ) -> TableSource:
        """`options`: the plan's [source.options] (adapters/table/spec.py names them)."""
        options = options or {}
        secret = credentials.get("secret", "")
        args = {"profile": profile, "sink": sink, "timeout": timeout, "max_retries": max_retries, **kw}
        reader = reader_for(base_url, secret, options, **args)
        tables = [t.strip() for t in options.get("tables", "").split(",") if t.strip()]
        return cls(
            reader,
            key=options.get("key", ""),
            name=options.get("name", ""),
            stage=options.get("stage", ""),
            tables=tables if not options.get("query") else [],
        )

    @property
    def calls(self) -> int:
        return self.reader.calls

    async def aclose(self) -> None:
        await self.reader.aclose()

    # -- what the location holds -------------------------------------------------------
    async def whoami(self) -> Identity:
        if isinstance(self.reader, HttpFile):
            await self.reader.fetch("")
        names = await self._tables()
        return Identity(self.reader.who, self.reader.where, f"{len(names)} table{'s' if len(names) != 1 else ''}")

    async def _tables(self) -> list[str]:
        if isinstance(self.reader, HttpFile):
            await self.reader.prepare()
        names = await asyncio.to_thread(self.reader.tables)
        if self.only:
            missing = [t for t in self.only if t not in names]
            if missing:
                raise PlanError(
                    f"[source.options] tables names {', '.join(missing)}, which {self.reader.where} does not hold; "
                    f"it holds: {', '.join(names) or 'no table'}."
                )
            names = [t for t in names if t in self.only]
        return names

    async def containers(self) -> list[Container]:
        return [Container(f"table:table:{ident(t)}", t, t) for t in await self._tables()]

    # -- reading ---------------------------------------------------------------------------
    async def _lines(self, table: str) -> AsyncIterator[list[Any]]:
        """The table's lines in batches read off the event loop (a database or a big file
        never holds the loop that writes to the target)."""
        it: Iterator[list[Any]] = self.reader.lines(table)
        try:
            while batch := await asyncio.to_thread(lambda: list(islice(it, BATCH))):
                for line in batch:
                    yield line
        finally:
            close = getattr(it, "close", None)
            if close:
                close()

    async def _shape(self, table: str) -> Shape | None:
        """The first pass: header, key, name and stage columns, each column's type, the stages in
        the order they first appear. None for a table with no header."""
        shape: Shape | None = None
        inferred: list[Inferred] = []
        stages: dict[str, None] = {}
        async for cells in self._lines(table):
            if shape is None:
                header = [text_of(c).strip() or f"column {i + 1}" for i, c in enumerate(cells)]
                key = _pick(header, self.key_column, KEY_NAMES, "key", table)
                name = _pick(header, self.name_column, NAME_NAMES, "name", table)
                stage = None
                if self.stage_column.lower() != "none":
                    stage = _pick(header, self.stage_column, STAGE_NAMES, "stage", table)
                key = 0 if key is None else key
                shape = Shape(header, key, name if name != key else None, stage if stage != key else None, [])
                inferred = [Inferred() for _ in header]
                continue
            if len(cells) != len(shape.header):
                continue
            for i, cell in enumerate(cells):
                inferred[i].see(text_of(cell))
            if shape.stage is not None:
                stages.setdefault(text_of(cells[shape.stage]).strip(), None)
        if shape is not None:
            shape.types = [c.type for c in inferred]
            shape.stages = list(stages) or [ONE_STAGE]
        return shape

    async def _rows(self, table: str, shape: Shape) -> AsyncIterator[Row]:
        """Every row after the header, keyed; a malformed line, an empty key and a repeated key
        are rejected with the reason (the first row with a key keeps it)."""
        seen: set[str] = set()
        line = 0
        tid = ident(table)
        async for cells in self._lines(table):
            line += 1
            if line == 1:
                continue
            width = len(shape.header)
            raw = text_of(cells[shape.key]).strip() if len(cells) > shape.key else ""
            if not raw:
                yield Row(f"table:row:{tid}/line-{line}", line, None, f"line {line} has no value in its key column")
                continue
            key = f"table:row:{tid}/{ident(raw)}"
            if len(cells) != width:
                yield Row(key, line, None, f"line {line} has {len(cells)} of the table's {width} columns")
            elif key in seen:
                yield Row(
                    f"{key}~line-{line}",
                    line,
                    None,
                    f"line {line} repeats the key {raw!r} of an earlier row (the key column must be unique)",
                )
            else:
                seen.add(key)
                yield Row(key, line, cells)

    def _template(self, table: str, shape: Shape) -> Template:
        tid = ident(table)
        return Template(
            key=f"table:table:{tid}",
            kind="table",
            name=table,
            description=f"Rows of {self.reader.where}",
            stages=[
                Stage(key=f"table:stage:{tid}/{ident(s) or '-'}", name=s or "(none)", position=n)
                for n, s in enumerate(shape.stages)
            ],
            fields=[
                FieldDef(key=f"table:column:{tid}/{ident(shape.header[i])}", name=shape.header[i], type=shape.types[i])
                for i in shape.field_columns
            ],
        )

    def _item(self, table: str, shape: Shape, tpl: Template, row: Row) -> Item:
        cells = row.cells or []
        tid = ident(table)
        stage = text_of(cells[shape.stage]).strip() if shape.stage is not None else ONE_STAGE
        values = []
        for f, i in zip(tpl.fields, shape.field_columns, strict=True):
            v = value(f.type, text_of(cells[i]))
            if v is not None:
                values.append(FieldValue(field_key=f.key, value=v))
        name = text_of(cells[shape.name]).strip() if shape.name is not None else ""
        return Item(
            key=row.key,
            template_key=tpl.key,
            stage_key=f"table:stage:{tid}/{ident(stage) or '-'}",
            name=name or f"{shape.header[shape.key]} {text_of(cells[shape.key]).strip()}",
            values=values,
        )

    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Extracted]:
        await self.reader.fetch(container_id)
        shape = await self._shape(container_id)
        if shape is None:
            return
        tpl = self._template(container_id, shape)
        yield tpl
        async for row in self._rows(container_id, shape):
            if row.cells is None:
                yield SourceRejected(row.key, "item", row.reason)
            else:
                yield self._item(container_id, shape, tpl, row)

    async def stated_counts(self, container_id: str) -> list[StatedItem] | None:
        """The table read again, apart from the extraction: each row the table holds, with the
        number of values it fills (what verify holds the target against)."""
        await self.reader.fetch(container_id)
        shape = await self._shape(container_id)
        if shape is None:
            return []
        out = []
        async for row in self._rows(container_id, shape):
            cells = row.cells or []
            filled = sum(1 for i in shape.field_columns if cells and text_of(cells[i]).strip())
            name = text_of(cells[shape.name]).strip() if cells and shape.name is not None else ""
            out.append(StatedItem(row.key, name or row.key, {"field_value": filled}))
        return out

    async def open_attachment(self, attachment: Attachment) -> AsyncIterator[bytes]:
        raise NotImplementedError("a table holds no files")
        yield b""  # pragma: no cover - makes this an async generator
