"""Deterministic stand-ins for the snapshot tests and the screenshot script: a Migration
whose folder, store and plan are real, but whose source and target answer from memory, so
every screen renders the same text on every machine, with no network and no clock."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.tallyfy.target import TallyfyTarget
from wizard.adapter import Container, Identity, SourceAdapter
from wizard.engine.inventory import ContainerInventory, Inventory
from wizard.events import ObjectsDiscovered, PhaseFinished, PhaseStarted
from wizard.migration import ConnectResult, Migration
from wizard.model import Comment, FieldDef, FieldOption, FieldType, Item, Person, Stage, Tag, Template
from wizard.plan import Plan, Source, Target
from wizard.target import Action, Removal, TargetItem, TargetUser

FROZEN = 1_790_000_000.0  # 2026-09-21 12:53:20 UTC: what the injected clock says
LISTS = ["Backlog", "To Do", "Doing", "Review", "Done"]
BOARDS = [("b1", "Client Onboarding"), ("b2", "Marketing Launch"), ("b3", "Office Move")]
LAST_WRITE = "2026-09-21T12:40:00Z"  # every write of the fake run, so the store reads the same everywhere
EDITED_RUNS = {"run000020", "run000021"}


FROZEN_DT = datetime.fromtimestamp(FROZEN, UTC)


def frozen_clock() -> float:
    return FROZEN


def template(board_id: str, name: str) -> Template:
    k = f"trello:board:{board_id}"
    return Template(
        key=k,
        name=name,
        stages=[Stage(key=f"trello:list:{board_id}{i}", name=n, position=i) for i, n in enumerate(LISTS)],
        fields=[
            FieldDef(
                key=f"trello:field:{board_id}p",
                name="Priority",
                type=FieldType.dropdown,
                options=[FieldOption(id="1", text="High"), FieldOption(id="2", text="Low")],
            ),
            FieldDef(key=f"trello:field:{board_id}b", name="Budget", type=FieldType.number),
            FieldDef(key=f"trello:field:{board_id}s", name="Signed", type=FieldType.checkbox),
            FieldDef(key=f"trello:field:{board_id}n", name="Notes", type=FieldType.text),
        ],
        tags=[
            Tag(key=f"trello:label:{board_id}{c}", name=n, color=h)
            for n, c, h in (("Urgent", "red", "#eb5a46"), ("Client", "green", "#61bd4f"))
        ],
        people=[
            Person(key="trello:member:m1", name="Priya Nair", email="priya@acme.test"),
            Person(key="trello:member:m2", name="Jonas Berg"),
            Person(key="trello:member:m3", name="Mei Chen", email="mei@acme.test"),
        ],
    )


class FakeSource:
    calls = 0

    async def extract(self, cid: str, *, include_archived: bool = False) -> AsyncIterator[Any]:
        yield template(cid, dict(BOARDS)[cid])

    async def aclose(self) -> None:
        pass


class FakeTarget:
    calls = 0
    system = "tallyfy"
    label = "Tallyfy"
    clock_skew = 0.0

    async def users(self) -> list[TargetUser]:
        return [TargetUser(1, "Priya Nair", "priya@acme.test"), TargetUser(2, "Sam Ortiz", "sam@acme.test")]

    async def get_run(self, run_id: str) -> dict:
        # Two processes were edited in Tallyfy after the run wrote them (see LAST_WRITE):
        # a rollback keeps them unless forced.
        updated = "2026-09-21T12:50:00Z" if run_id in EDITED_RUNS else "2026-09-20T10:00:00Z"
        return {"id": run_id, "name": "Draft contract (edited in Tallyfy)", "updated_at": updated}

    async def item_activity(self, run_id: str) -> tuple[TargetItem, str]:
        run = await self.get_run(run_id)
        return TargetItem(run["id"], run["name"], updated_at=run["updated_at"], raw=run), run["updated_at"]

    def removal(self, target_type: str) -> Removal | None:
        return TallyfyTarget.removal(self, target_type)  # type: ignore[arg-type]  # the real target's order

    async def aclose(self) -> None:
        pass


class FakeMigration(Migration):
    """A real folder, plan and store; a source and a target that answer from memory."""

    async def connect(self) -> ConnectResult:
        return ConnectResult(
            Identity("Ada Consultant (@ada)", "Acme Corp (3 boards)"), Identity("Ada Consultant", "Acme Tallyfy org")
        )

    async def containers(self) -> list[Container]:
        return [Container(f"trello:board:{i}", i, n) for i, n in BOARDS]

    def source(self, **kw: Any) -> FakeSource:
        return FakeSource()

    def target(self, *, dry_run: bool = False, **kw: Any) -> FakeTarget:
        return FakeTarget()

    async def discover(self, container_ids: list[str] | None = None) -> Inventory:
        self.sink.emit(PhaseStarted("discover", total=3))
        for kind, n in (("stage", 5), ("field", 4), ("item", 120), ("comment", 300)):
            self.sink.emit(ObjectsDiscovered(kind, n))
        self.sink.emit(ObjectsDiscovered("attachment", 40, 12_345_678))
        self.sink.emit(PhaseFinished("discover"))
        return self.inventory()

    async def run(self, *, dry_run: bool = False, stop=None, pause=None):
        if dry_run:
            return None, dry_actions()
        raise AssertionError("the fake does not run; snapshot tests set the model directly")


def dry_actions() -> list[Action]:
    out = [
        Action("GET", "/me", "who am I"),
        Action("POST", "/organizations/org1/checklists", "create template 'Client Onboarding'"),
    ]
    for i in range(240):
        out.append(
            Action("POST", "/organizations/org1/runs", f"launch process 'Card {i:03d}'", f"trello:card:c{i:03d}")
        )
        if i % 3 == 0:
            out.append(Action("POST", f"/organizations/org1/tasks/t{i:03d}/comment", f"post comment on 'Card {i:03d}'"))
    return out


def inventory() -> Inventory:
    cs = []
    for n, (bid, name) in enumerate(BOARDS):
        cs.append(
            ContainerInventory(
                key=f"trello:board:{bid}",
                id=bid,
                name=name,
                counts={
                    "template": 1,
                    "stage": 5,
                    "field": 4,
                    "tag": 2,
                    "person": 3,
                    "item": 40 + 10 * n,
                    "comment": 100 + 20 * n,
                    "attachment": 12 + n,
                    "upload": 10 + n,
                },
                attachment_bytes=4_000_000 + 100_000 * n,
                largest_attachment=900_000,
                items_by_stage_index=[8, 8, 8, 8, 8 + 10 * n],
                items_with_uploads=6,
                checklist_items=30,
                people_names=["Priya Nair", "Jonas Berg", "Mei Chen"],
            )
        )
    return Inventory(
        source_system="trello", discovered_at="2026-09-21T12:00:00Z", elapsed_s=4.2, source_calls=57, containers=cs
    )


def plan(name: str = "acme-trello") -> Plan:
    return Plan(
        name=name,
        source=Source(system="trello", base_url="https://api.trello.com/1", profile="acme"),
        target=Target(system="tallyfy", base_url="https://go.tallyfy.com/api", profile="acme", organization="org1"),
    )


def write_items(folder: Path, n: int) -> None:
    """`state/items.jsonl` in wizard.engine.item_index's format: [key, name, board, list, closed]."""
    path = Path(folder) / "state" / "items.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    boards = [b for _, b in BOARDS]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            verb, noun = (
                ["Draft", "Review", "Send", "Approve"][i % 4],
                ["contract", "invoice", "deck", "budget"][i // 4 % 4],
            )
            name = f"{verb} {noun} #{i:06d}"
            f.write(json.dumps([f"trello:card:c{i:06d}", name, boards[i % 3], LISTS[i % 5], i % 17 == 0]) + "\n")


def make_folder(
    home: Path,
    name: str = "acme-trello",
    *,
    items: int = 150,
    run: bool = True,
    conflicts: int = 6,
    state: str | None = None,
) -> FakeMigration:
    """A migration folder under home/migrations/NAME with discovery done and, if `run`, a
    finished run with a few quarantined records and conflicts."""
    folder = Path(home) / "migrations" / name
    m = FakeMigration.create(folder, plan(name))
    m.store.set_inventory(inventory().model_dump(mode="json"))
    m.store.set_meta(state="discovered")
    write_items(folder, items)
    if run:
        for i in range(items):
            if i % 17 == 0:
                continue
            m.store.done(
                f"trello:card:c{i:06d}", "item", "run", f"run{i:06d}", created=i >= conflicts, parent_id="tpl1"
            )
        m.store.done("trello:board:b1", "template", "template", "tpl1")
        m.store.failed("trello:attachment:a1", "attachment", "240000000 bytes is over the 100 MB limit")
        m.store.failed("trello:comment:x9", "comment", "Tallyfy refused it (422: content is empty)")
        for i in range(1, conflicts):
            name = f"Draft contract #{i:06d}"
            source = {
                "name": name,
                "description": "Terms as agreed on the call",
                "stage": LISTS[i % 5],
                "fields": {"Budget": "1200"},
                "assignees": ["Priya Nair"],
                "tags": ["Urgent"],
                "comments": 3,
                "files": 1,
                "updated": "2026-09-20T09:00:00Z",
            }
            target = {
                **source,
                "name": f"{name} (client copy)",
                "fields": {"Budget": "950"},
                "comments": 2,
                "updated": "2026-09-19T16:00:00Z",
            }
            m.store.record_conflict(
                {
                    "id": f"trello:card:c{i:06d}",
                    "kind": "item",
                    "target_id": f"run{i:06d}",
                    "reason": "already in the target (provenance marker)",
                    "source": source,
                    "target": target,
                    "changed": ["comments", "name", "field: Budget"],
                    "decision": "skip" if i == 1 else None,
                }
            )
        m.store.set_meta(conflict_scan={"at": "2026-09-21T12:00:00Z", "items": conflicts - 1, "templates": 0})
        m.store.set_meta(state="finished")
        for tid in list(m.store.last_write):
            m.store.last_write[tid] = LAST_WRITE
    if state:
        m.store.set_meta(state=state)
    m.store.snapshot()
    for p in (folder / "state" / "journal.jsonl", folder / "plan.toml"):
        if p.exists():
            os.utime(p, (FROZEN - 720, FROZEN - 720))
    return m


# -- Asana: a source with presets, its shapes made by the real discovery and the real preset --
ASANA_PROJECTS = [("p1", "Website Relaunch"), ("p2", "Client Onboarding")]
ASANA_SECTIONS = ["To do", "Doing", "Done"]
ASANA_TASKS = ["Brief the agency", "Pick the domain", "Draft the copy", "Design review", "Go live", "Announce it"]


class FakeAsanaSource(SourceAdapter):
    """Two projects of sections and tasks (one with a subtask, one comment each), from memory."""

    system = "asana"
    label = "Asana"
    credential_parts = ("token",)
    fills = frozenset({"subitems", "comments", "completed_at", "item_assignees"})
    calls = 0

    @classmethod
    def connect(cls, *a: Any, **kw: Any) -> FakeAsanaSource:
        return cls()

    async def whoami(self) -> Identity:
        return Identity("Ada Consultant", "Acme (Asana)")

    async def containers(self) -> list[Container]:
        return [Container(f"asana:project:{i}", i, n) for i, n in ASANA_PROJECTS]

    async def extract(self, cid: str, *, include_archived: bool = False) -> AsyncIterator[Any]:
        yield Template(
            key=f"asana:project:{cid}",
            kind="project",
            name=dict(ASANA_PROJECTS)[cid],
            stages=[Stage(key=f"asana:section:{cid}{i}", name=n, position=i) for i, n in enumerate(ASANA_SECTIONS)],
            people=[Person(key="asana:user:u1", name="Priya Nair", email="priya@acme.test")],
        )
        for i, name in enumerate(ASANA_TASKS):
            done = FROZEN_DT if i < 2 else None
            yield Item(
                key=f"asana:task:{cid}{i}",
                template_key=f"asana:project:{cid}",
                stage_key=f"asana:section:{cid}{min(i // 2, 2)}",
                name=name,
                position=i * 2,
                completed_at=done,
                assignee_keys=["asana:user:u1"] if i % 2 else [],
            )
            if i == 2:
                yield Item(
                    key=f"asana:task:{cid}{i}s",
                    template_key=f"asana:project:{cid}",
                    stage_key=f"asana:section:{cid}1",
                    parent_key=f"asana:task:{cid}{i}",
                    name="Check the tone",
                    position=i * 2 + 1,
                )
        for i in range(len(ASANA_TASKS)):
            yield Comment(
                key=f"asana:comment:{cid}{i}", item_key=f"asana:task:{cid}{i}", created_at=FROZEN_DT, text="Done?"
            )

    def open_attachment(self, attachment: Any) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def aclose(self) -> None:
        pass


class AsanaFakeMigration(FakeMigration):
    """An Asana folder: the real source wiring (its preset reshapes the fake source) and the
    real discovery; the target answers from memory."""

    source = Migration.source  # type: ignore[assignment]  # the real one: it applies the plan's preset
    discover = Migration.discover  # type: ignore[assignment]

    def _adapter(self, endpoint: Any, spec: Any, kw: dict[str, Any], dry_run: bool = False) -> Any:
        return FakeAsanaSource()

    async def connect(self) -> ConnectResult:
        return ConnectResult(
            Identity("Ada Consultant", "Acme (2 projects)", "ada@acme.test (paid plan, 1,500 calls a minute)"),
            Identity("Ada Consultant", "Acme Tallyfy org"),
        )

    async def containers(self) -> list[Container]:
        return await FakeAsanaSource().containers()


def asana_plan(name: str) -> Plan:
    return Plan(
        name=name,
        source=Source(system="asana", base_url="https://app.asana.com/api/1.0", profile="acme"),
        target=Target(system="tallyfy", base_url="https://go.tallyfy.com/api", profile="acme", organization="org1"),
    )


def make_asana_folder(home: Path, name: str = "acme-asana") -> AsanaFakeMigration:
    """An Asana migration folder under home/migrations/NAME, discovered with the default preset."""
    m = AsanaFakeMigration.create(Path(home) / "migrations" / name, asana_plan(name))
    with ThreadPoolExecutor(1) as pool:  # its own event loop: callers may be inside one (Pilot tests)
        pool.submit(asyncio.run, m.discover()).result()
    m.store.set_meta(state="discovered")
    m.store.snapshot()
    return m


class ConnectFakeMigration(FakeMigration):
    """A folder of any source before discovery: the Connect screen reads the spec's fields and
    hints; connecting answers `source_identity`."""

    source_identity = Identity("Ada Consultant", "Acme Corp")

    async def connect(self) -> ConnectResult:
        return ConnectResult(self.source_identity, Identity("Ada Consultant", "Acme Tallyfy org"))


class DiscoveredFakeMigration(ConnectFakeMigration):
    """A folder of any source, discovered: its containers are `listed`, its counts the fixed inventory's."""

    listed: tuple[tuple[str, str], ...] = ()

    async def containers(self) -> list[Container]:
        return [Container(f"{self.plan.source.system}:container:{i}", i, n) for i, n in self.listed]


def make_connect_folder(
    home: Path,
    system: str,
    base_url: str,
    identity: Identity,
    name: str,
    cls: type[ConnectFakeMigration] = ConnectFakeMigration,
) -> ConnectFakeMigration:
    plan = Plan(
        name=name,
        source=Source(system=system, base_url=base_url, profile="acme"),
        target=Target(system="tallyfy", base_url="https://go.tallyfy.com/api", profile="acme", organization="org1"),
    )
    m = cls.create(Path(home) / "migrations" / name, plan)
    m.source_identity = identity
    m.store.snapshot()
    return m


def make_clickup_folder(home: Path, name: str = "acme-clickup") -> ConnectFakeMigration:
    who = Identity("Ada Consultant", "Acme Corp", "ada@acme.test (1,000 calls a minute)")
    return make_connect_folder(home, "clickup", "https://api.clickup.com/api", who, name)


def make_processstreet_folder(home: Path, name: str = "acme-processstreet") -> ConnectFakeMigration:
    who = Identity("API key 'Migration key'", "the key's organization, 12 users")
    return make_connect_folder(home, "processstreet", "https://public-api.process.st/api/v1.1", who, name)


def make_pipefy_folder(home: Path, name: str = "acme-pipefy") -> ConnectFakeMigration:
    who = Identity("Ana Lima", "Acme Compras (Business)", "ana.lima@acme.test")
    return make_connect_folder(home, "pipefy", "https://api.pipefy.com/graphql", who, name)


DISCOVERED = {
    "processstreet": (
        "https://public-api.process.st/api/v1.1",
        (("wf1", "Employee onboarding"), ("wf2", "Purchase request ✍️"), ("wf3", "   ")),
    ),
    "pipefy": (
        "https://api.pipefy.com/graphql",
        (("301", "Purchasing"), ("302", "Recruitment 🧑‍💼"), ("303", "Contracts")),
    ),
}


def make_discovered_folder(home: Path, system: str) -> ConnectFakeMigration:
    """A Process Street or Pipefy folder, discovered: the discovery screen in the source's own words."""
    base_url, listed = DISCOVERED[system]
    m = make_connect_folder(home, system, base_url, Identity("Ada", "Acme"), f"acme-{system}", DiscoveredFakeMigration)
    m.listed = listed  # type: ignore[attr-defined]
    m.store.set_inventory(inventory().model_dump(mode="json"))
    m.store.set_meta(state="discovered")
    return m


TABLE_ROWS = [
    ["A-1", "Ann's café", "New", "12.50", "ann@acme.test", "Leave at the door"],
    ["A-2", "Bob's bakery", "Shipped", "", "", "Call ahead"],
    ["A-3", "Cy's cycles", "New", "-4", "cy@acme.test", ""],
    ["A-4", "Dee's deli", "Lost", "30", "dee@acme.test", "x" * 120],
    ["A-5", "Eve's eatery", "New", "8", "eve", ""],
    ["A-6", "Fay's flowers", "Shipped", "19.99", "fay@acme.test", ""],
]
TABLE_RULES = [
    {"name": "amount on file", "field": "Amount", "required": True},
    {"name": "amount positive", "expression": "empty(amount) or amount > 0"},
    {"name": "known status", "field": "stage", "allowed": ["New", "Shipped"], "severity": "warning"},
    {"name": "email looks right", "field": "Email", "type": "email", "severity": "warning"},
]


class TableFakeMigration(FakeMigration):
    """A staging-table folder: the real table source on a CSV file beside it, the plan's
    data-quality rules and the real discovery; the target answers from memory."""

    source = Migration.source  # type: ignore[assignment]  # the real one: it applies the plan's rules
    discover = Migration.discover  # type: ignore[assignment]
    _adapter = Migration._adapter  # type: ignore[assignment]

    async def containers(self) -> list[Container]:
        return [Container("table:table:orders", "orders", "orders")]


def make_table_folder(home: Path, name: str = "acme-table") -> TableFakeMigration:
    """A staging table (a CSV of six orders) discovered under four data-quality rules."""
    from adapters.table.readers import sample_csv  # noqa: PLC0415 - the table source's own CSV writer

    csv = Path(home) / "staging" / "orders.csv"
    csv.parent.mkdir(parents=True, exist_ok=True)
    csv.write_text(sample_csv(["Order ID", "Customer", "Status", "Amount", "Email", "Notes"], TABLE_ROWS))
    plan = Plan.model_validate(
        {
            "name": name,
            "source": {
                "system": "table",
                "base_url": csv.as_uri(),
                "profile": "sandbox",
                "options": {"name": "Customer"},
            },
            "target": {
                "system": "tallyfy",
                "base_url": "https://go.tallyfy.com/api",
                "profile": "acme",
                "organization": "org1",
            },
            "quality": TABLE_RULES,
        }
    )
    m = TableFakeMigration.create(Path(home) / "migrations" / name, plan)
    with ThreadPoolExecutor(1) as pool:  # its own event loop: callers may be inside one (Pilot tests)
        pool.submit(asyncio.run, m.discover()).result()
    m.store.set_meta(state="discovered")
    m.store.snapshot()
    return m


class FakeClickUpSource(SourceAdapter):
    """Two lists of a seeded ClickUp sandbox's state, mapped by the real ClickUp mapping, from
    memory (no server): the mapping screen shows what ClickUp's own records become."""

    system = "clickup"
    label = "ClickUp"
    credential_parts = ("token",)
    fills = frozenset({"subitems", "checklists", "tags", "tag_colours", "fields", "field_values", "relations"})
    calls = 0

    def __init__(self) -> None:
        from adapters.clickup.sandbox import ClickUpSandbox  # noqa: PLC0415  lazy: the sandbox's web server

        self.sandbox = ClickUpSandbox(seed=1, rate_limits="off")
        st = self.sandbox.state
        self.lists = [lst for lst in st.lists.values() if not st.list_archived(lst) and lst.tasks][:2]

    @classmethod
    def connect(cls, *a: Any, **kw: Any) -> FakeClickUpSource:
        return cls()

    async def whoami(self) -> Identity:
        return Identity("Ada Consultant", "Acme Corp (ClickUp)")

    async def containers(self) -> list[Container]:
        return [Container(f"clickup:list:{lst.id}", lst.id, lst.data["name"]) for lst in self.lists]

    async def extract(self, cid: str, *, include_archived: bool = False) -> AsyncIterator[Any]:
        from adapters.clickup import mapping  # noqa: PLC0415  lazy, as the sandbox above
        from adapters.clickup.wire import CUField, CUList, CUTag, CUUser  # noqa: PLC0415

        sb, st = self.sandbox, self.sandbox.state
        lst = CUList.model_validate(sb._list_out(st.lists[cid]))
        space = st.lists[cid].space_id
        fields = [mapping.field_to_def(CUField.model_validate(st.fields[f])) for f in st.lists[cid].fields]
        tags = [mapping.tag_to_tag(space, CUTag.model_validate(t)) for t in st.spaces[space]["tags"]]
        people = [mapping.user_to_person(CUUser.model_validate(u)) for u in st.users.values()]
        yield mapping.list_to_template(lst, lst.statuses, fields, tags, people, archived=False)
        stages = {s.id or "": mapping.status_key(cid, s) for s in lst.statuses}
        for i, t in enumerate(x for x in st.live(cid) if not x.data["archived"]):  # parents before subtasks
            raw = sb.task_out(t, "https://x.test")
            yield mapping.map_task(raw, cid, space, i, stages=stages, parent_id=t.data["parent"])

    def open_attachment(self, attachment: Any) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def aclose(self) -> None:
        pass


class ClickUpFakeMigration(FakeMigration):
    """A ClickUp folder discovered for real over the fake source (its preset reshapes it)."""

    source = Migration.source  # type: ignore[assignment]  # the real one: it applies the plan's preset
    discover = Migration.discover  # type: ignore[assignment]

    def _adapter(self, endpoint: Any, spec: Any, kw: dict[str, Any], dry_run: bool = False) -> Any:
        return FakeClickUpSource()

    async def containers(self) -> list[Container]:
        return await FakeClickUpSource().containers()


def make_clickup_mapping_folder(home: Path, name: str = "acme-clickup-map") -> ClickUpFakeMigration:
    """A ClickUp migration folder, discovered with the default preset."""
    plan = Plan(
        name=name,
        source=Source(system="clickup", base_url="https://api.clickup.com/api", profile="acme"),
        target=Target(system="tallyfy", base_url="https://go.tallyfy.com/api", profile="acme", organization="org1"),
    )
    m = ClickUpFakeMigration.create(Path(home) / "migrations" / name, plan)
    with ThreadPoolExecutor(1) as pool:  # its own event loop: callers may be inside one (Pilot tests)
        pool.submit(asyncio.run, m.discover()).result()
    m.store.set_meta(state="discovered")
    m.store.snapshot()
    return m
