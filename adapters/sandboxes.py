"""Start the sandboxes a plan needs and write a plan that points at them: what `sandbox
serve`, `demo`, the tests and the benchmarks share."""

from __future__ import annotations

import io
import os
import pickle
import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
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
            target=Target(
                system="tallyfy", organization=org, **endpoint("tallyfy", "https://go.tallyfy.com/api", "/api")
            ),
            **mapping,
        )

    def close(self) -> None:
        self.stack.close()

    def lock_all(self) -> ExitStack:
        """Hold every sandbox's request lock: their states are consistent while held."""
        stack = ExitStack()
        for s in self.servers.values():
            lock = getattr(s.sandbox, "lock", None)
            if lock is not None and hasattr(lock, "__enter__"):
                stack.enter_context(lock)
        return stack

    def __enter__(self) -> "RunningSandboxes":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_sandboxes(
    systems: tuple[str, ...] = ("trello", "tallyfy"),
    *,
    seed: int = 1,
    scale: str = "small",
    faults: float = 0.0,
    rate_limits: str = "documented",
    rate_scale: float = 1.0,
    states: dict[str, Any] | None = None,
) -> RunningSandboxes:
    """`states` (from `load_states`) puts each sandbox back as it was when saved."""
    running = RunningSandboxes()
    fault_cfg = Faults.uniform(faults, seed=seed) if faults else None
    for name in systems:
        if name == "trello":
            from adapters.trello.sandbox import TrelloSandbox

            sb = TrelloSandbox(
                seed=seed, scale=scale, faults=fault_cfg, rate_limits=rate_limits, window_scale=rate_scale
            )
        elif name == "tallyfy":
            from adapters.tallyfy.sandbox import TallyfySandbox

            sb = TallyfySandbox(
                seed=seed,
                faults=fault_cfg,
                rate_limits=rate_limits,
                hour_seconds=3600.0 * rate_scale,
                per_minute=max(1, round(600 / rate_scale)),
            )
        else:
            raise ValueError(f"no sandbox for {name}")
        if states and name in states:
            sb.state = states[name]
        running.servers[name] = running.stack.enter_context(SandboxServer(sb))
    return running


# -- a sandbox world kept with its migration folder (the demo resumes against it) ------------
STATE_FILE = "sandboxes.pickle"
_STATE_MODULES = ("adapters.trello.sandbox_state", "adapters.tallyfy.sandbox_state")


class _StateUnpickler(pickle.Unpickler):
    """Loads the sandboxes' own state classes and nothing else: a saved world is data, and
    a file that names any other class is refused rather than run."""

    def find_class(self, module: str, name: str) -> Any:
        if module in _STATE_MODULES or (module, name) == ("random", "Random"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a sandbox's state")


def _journal_bytes(folder: Path) -> int:
    try:
        return (Path(folder) / "state" / "journal.jsonl").stat().st_size
    except OSError:
        return 0


def save_states(running: RunningSandboxes, folder: Path) -> Path:
    """Write every sandbox's state into the folder's state/, atomically, with how far the
    folder's journal had come: a journal that grew since belongs to a later world."""
    path = Path(folder) / "state" / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with running.lock_all():
        data = pickle.dumps(
            {
                "journal_bytes": _journal_bytes(folder),
                "states": {name: s.sandbox.state for name, s in running.servers.items()},
            }
        )
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def load_states(folder: Path) -> dict[str, Any] | None:
    """The sandboxes' saved state, or None when the folder holds none, an unreadable one, or
    one older than the folder's journal (the demo was cut off before it could save)."""
    path = Path(folder) / "state" / STATE_FILE
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        saved = _StateUnpickler(io.BytesIO(data)).load()
    except Exception:  # a damaged or foreign file: treated as absent, so the caller refuses to go on
        return None
    if not isinstance(saved, dict) or not isinstance(saved.get("states"), dict):
        return None
    if _journal_bytes(folder) > int(saved.get("journal_bytes", 0)):
        return None
    return saved["states"]
