"""The staging table's sandbox: a file server serving one CSV file, the way a spreadsheet's
export link or an object store does (a Bearer token, byte ranges answered 206 with their
Content-Range, a 429 with Retry-After), built on the sandbox kit (faults, stats, the manifest).

Its rows are seeded: an id, a name, a status (the stages), an amount, a due date, an email,
notes (some of several lines, some with commas), a yes/no flag. The test hooks edit the table
as a client's staging process would between two syncs (`change`, `add`, `remove`)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from adapters.sandboxkit import Manifest, Sandbox
from adapters.table.readers import sample_csv
from adapters.table.source import ident

TOKEN = "sandbox-table-token"
FILE = "staging.csv"
TABLE = "staging"
HEADER = ["id", "name", "status", "amount", "due", "email", "notes", "priority"]
STATUSES = ("New", "In review", "Approved", "Paid")
SCALES = {"small": 110, "medium": 2_000, "large": 10_000}
LOREM = "delivery to the side entrance, invoice to the head office, call ahead; " * 3


@dataclass
class TableState:
    rows: list[list[str]] = field(default_factory=list)
    corrupt: set[str] = field(default_factory=set)  # ids whose line is cut to its first cell
    next_id: int = 1


def row(rng: random.Random, n: int) -> list[str]:
    notes = "First line\nsecond line, with a comma" if n % 7 == 0 else ("" if n % 2 else f"Note {n}: {LOREM}")
    return [
        f"R{n:05d}",
        f"Order {n}",
        rng.choice(STATUSES),
        f"{rng.randint(1, 99_999) / 100:.2f}",
        f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        f"buyer{n}@example.com" if n % 5 else "",
        notes,
        rng.choice(("yes", "no")),
    ]


def build(seed: int, scale: str) -> TableState:
    rng = random.Random(seed)
    n = SCALES[scale]
    return TableState([row(rng, i + 1) for i in range(n)], set(), n + 1)


class TableSandbox(Sandbox):
    name = "table"

    def __init__(self, *, seed: int = 1, scale: str = "small", window_scale: float = 1.0, **kw: Any) -> None:
        self.state = build(seed, scale)
        self.window_scale = window_scale
        self._new_rows = random.Random(seed)
        super().__init__(seed=seed, faults=kw.get("faults"))

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/_sandbox/corrupt", self._corrupt, methods=["POST"]),
            Route("/_sandbox/edit", self._edit, methods=["POST"]),
            Route("/files/{name}", self._file),
        ]

    def too_many_requests(self, request_scope: Scope) -> Response:
        wait = max(0.01, 1.0 * self.window_scale)
        return JSONResponse({"error": "SlowDown"}, status_code=429, headers={"Retry-After": f"{wait:g}"})

    def refused(self, request_scope: Scope, status: int) -> Response:
        code = "InvalidToken" if status == 401 else "AccessDenied"
        return JSONResponse({"error": code, "message": code}, status_code=status)

    # -- the file ------------------------------------------------------------------------
    def body(self) -> bytes:
        with self.lock:
            lines = [[r[0]] if r[0] in self.state.corrupt else r for r in self.state.rows]
        return sample_csv(HEADER, lines).encode()

    async def _file(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return self.refused(request.scope, 401)
        if request.path_params["name"] != FILE:
            return JSONResponse({"error": "NoSuchKey", "message": "no such file"}, status_code=404)
        data = self.body()
        wanted = request.headers.get("range", "")
        if not wanted.startswith("bytes="):
            return Response(data, media_type="text/csv")
        first, _, last = wanted.removeprefix("bytes=").partition("-")
        start = int(first or 0)
        end = min(int(last) if last else len(data) - 1, len(data) - 1)
        if start >= len(data):
            return Response(b"", status_code=416, headers={"Content-Range": f"bytes */{len(data)}"})
        return Response(
            data[start : end + 1],
            status_code=206,
            media_type="text/csv",
            headers={"Content-Range": f"bytes {start}-{end}/{len(data)}"},
        )

    # -- test hooks ----------------------------------------------------------------------
    async def _corrupt(self, _: Request) -> Response:
        with self.lock:
            ids = [r[0] for r in self.state.rows if r[0] not in self.state.corrupt]
            rid = random.Random(self.seed + 7).choice(ids)
            self.state.corrupt.add(rid)
        return JSONResponse({"ref": f"table:row:{TABLE}/{ident(rid)}"})

    async def _edit(self, request: Request) -> Response:
        """`{"change": n, "add": n, "remove": n}`: the ids of the rows changed, added, removed."""
        body = await request.json()
        return JSONResponse(
            {
                "removed": self.remove(int(body.get("remove", 0))),
                "changed": self.change(int(body.get("change", 0))),
                "added": self.add(int(body.get("add", 0))),
            }
        )

    def change(self, n: int) -> list[str]:
        """Change the name of `n` rows spread over the table; their ids."""
        if not n:
            return []
        with self.lock:
            step = max(1, len(self.state.rows) // max(n, 1))
            picked = self.state.rows[::step][:n]
            for r in picked:
                r[1] += " (changed)"
            return [r[0] for r in picked]

    def add(self, n: int) -> list[str]:
        with self.lock:
            added = [row(self._new_rows, self.state.next_id + i) for i in range(n)]
            self.state.next_id += n
            self.state.rows.extend(added)
            return [r[0] for r in added]

    def remove(self, n: int) -> list[str]:
        with self.lock:
            gone, self.state.rows = self.state.rows[:n], self.state.rows[n:]
            return [r[0] for r in gone]

    def manifest(self) -> Manifest:
        m = Manifest("table")
        m.add("container", "table", TABLE)
        for s in STATUSES:
            m.add("stage", "stage", f"{TABLE}/{ident(s)}")
        for r in self.state.rows:
            m.add("item", "row", f"{TABLE}/{ident(r[0])}")
        return m

    def export(self) -> dict[str, Any]:
        return {"header": HEADER, "rows": len(self.state.rows), "corrupt": sorted(self.state.corrupt)}
