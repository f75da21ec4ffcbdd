"""A monday.com folder for the TUI tests and scenes: the real source, spec, presets and
discovery, reading the monday.com sandbox in process (an ASGI transport: no socket, no
network), so the mapping screen shows what the real mapping makes of a seeded account."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx

from adapters.monday.sandbox import MondaySandbox
from adapters.monday.spec import SANDBOX_CREDENTIALS
from tui_fakes import FakeMigration
from wizard.adapter import Identity
from wizard.migration import ConnectResult, Migration
from wizard.plan import Plan, Source, Target
from wizard.registry import Connection


class MondayFakeMigration(FakeMigration):
    """A monday.com folder: the real source built by its spec (the plan's preset and options
    included) against the sandbox in process; the target answers from memory.

    Each folder reads its own seeded account (the same data: 0.1 s of CPU to seed). One account
    shared by a test process spent monday.com's complexity budget of a minute in two and a half
    discoveries, and the third scene of a process waited ~60 s for the next minute (the CI's
    60-s monday.com snapshot tests)."""

    source = Migration.source  # type: ignore[assignment]
    discover = Migration.discover  # type: ignore[assignment]
    containers = Migration.containers  # type: ignore[assignment]

    @cached_property
    def account(self) -> MondaySandbox:
        return MondaySandbox(seed=3, scale="small")

    def _adapter(self, endpoint: Any, spec: Any, kw: dict[str, Any], dry_run: bool = False) -> Any:
        hooks = {**kw, "transport": httpx.ASGITransport(app=self.account.app)}
        return spec.connect(
            Connection(endpoint, SANDBOX_CREDENTIALS, self.plan.limits, self.sink, "Tallyfy", options=hooks)
        )

    async def connect(self) -> ConnectResult:
        return ConnectResult(
            Identity("Alex Keller", "Acme Consulting (acme, pro plan)", "alex.keller@acme.example"),
            Identity("Ada Consultant", "Acme Tallyfy org"),
        )


def monday_plan(name: str, preset: str = "") -> Plan:
    return Plan(
        name=name,
        source=Source(system="monday", base_url="https://api.monday.com/v2", profile="acme", preset=preset),
        target=Target(system="tallyfy", base_url="https://go.tallyfy.com/api", profile="acme", organization="org1"),
    )


def make_monday_folder(
    home: Path, name: str = "acme-monday", preset: str = "", discovered: bool = True
) -> MondayFakeMigration:
    """A monday.com folder under home/migrations/NAME, discovered under `preset` (empty: the first)."""
    m = MondayFakeMigration.create(Path(home) / "migrations" / name, monday_plan(name, preset))
    if discovered:
        with ThreadPoolExecutor(1) as pool:  # its own event loop: callers may be inside one (Pilot tests)
            pool.submit(asyncio.run, m.discover()).result()
        m.store.set_meta(state="discovered")
    m.store.snapshot()
    return m
