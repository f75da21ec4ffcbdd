"""Start the sandboxes a plan needs and write a plan that points at them: what `sandbox
serve`, `demo`, the tests and the benchmarks share."""

from __future__ import annotations

import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from adapters.sandboxkit import Faults, SandboxServer
from wizard.plan import Plan, Source, Target


@dataclass
class RunningSandboxes:
    servers: dict[str, SandboxServer] = field(default_factory=dict)
    stack: ExitStack = field(default_factory=ExitStack)

    @property
    def urls(self) -> dict[str, str]:
        return {name: s.url for name, s in self.servers.items()}

    def sandbox(self, name: str) -> Any:
        return self.servers[name].sandbox

    def plan(self, name: str = "sandbox-demo", rate_scale: float = 1.0, **mapping: Any) -> Plan:
        """A plan pointing at the sandboxes that run; a system without one points at its real
        API under a profile named after the plan (whose credentials are given with `login`)."""
        def endpoint(system: str, real_url: str, path: str) -> dict[str, Any]:
            if system in self.servers:
                return {"base_url": self.urls[system] + path, "profile": "sandbox", "rate_window_scale": rate_scale}
            return {"base_url": real_url, "profile": re.sub(r"[^A-Za-z0-9_.-]", "-", name)[:64] or "default"}

        org = self.sandbox("tallyfy").org_id if "tallyfy" in self.servers else ""
        return Plan(
            name=name,
            source=Source(system="trello", **endpoint("trello", "https://api.trello.com/1", "/1")),
            target=Target(system="tallyfy", organization=org,
                          **endpoint("tallyfy", "https://go.tallyfy.com/api", "/api")),
            **mapping,
        )

    def close(self) -> None:
        self.stack.close()

    def __enter__(self) -> "RunningSandboxes":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_sandboxes(systems: tuple[str, ...] = ("trello", "tallyfy"), *, seed: int = 1, scale: str = "small",
                    faults: float = 0.0, rate_limits: str = "documented", rate_scale: float = 1.0) -> RunningSandboxes:
    running = RunningSandboxes()
    fault_cfg = Faults.uniform(faults, seed=seed) if faults else None
    for name in systems:
        if name == "trello":
            from adapters.trello.sandbox import TrelloSandbox

            sb = TrelloSandbox(seed=seed, scale=scale, faults=fault_cfg, rate_limits=rate_limits, window_scale=rate_scale)
        elif name == "tallyfy":
            from adapters.tallyfy.sandbox import TallyfySandbox

            sb = TallyfySandbox(seed=seed, faults=fault_cfg, rate_limits=rate_limits, hour_seconds=3600.0 * rate_scale,
                                per_minute=max(1, round(600 / rate_scale)))
        else:
            raise ValueError(f"no sandbox for {name}")
        running.servers[name] = running.stack.enter_context(SandboxServer(sb))
    return running
