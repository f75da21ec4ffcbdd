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

from wizard import registry
from wizard.errors import UserError
from wizard.plan import Plan, Source, Target
from wizard.registry import AdapterSpec, SandboxOptions

# What the [sandbox] extra installs: the sandboxes are web servers, a real migration needs none.
SANDBOX_EXTRA = ("starlette", "uvicorn", "multipart", "python_multipart")
NEEDS_EXTRA = (
    "The sandboxes need the web server of the [sandbox] extra, which is not installed: "
    "run bash scripts/setup.sh, or pip install 'migration-wizard[sandbox]'."
)


@dataclass
class RunningSandboxes:
    servers: dict[str, Any] = field(default_factory=dict)  # system -> the sandbox kit's SandboxServer
    stack: ExitStack = field(default_factory=ExitStack)

    @property
    def urls(self) -> dict[str, str]:
        return {name: s.url for name, s in self.servers.items()}

    def sandbox(self, name: str) -> Any:
        return self.servers[name].sandbox

    def pair(self) -> tuple[str, str]:
        """The source and the target a plan for these sandboxes moves between: the running
        ones first (a system that is both goes to the side the other one leaves free), else
        the first registered ones, which the plan then reaches at their real API."""
        sources, targets = registry.sources(), registry.targets()
        running_sources = [s for s in self.servers if s in sources]
        running_targets = [s for s in self.servers if s in targets]
        source = next((s for s in running_sources if s not in targets), None)
        source = source or next(iter(running_sources or sources), "")
        target = next((t for t in running_targets if t != source), None) or next(iter(targets), "")
        return source, target

    def plan(self, name: str = "sandbox-demo", rate_scale: float = 1.0, **mapping: Any) -> Plan:
        """A plan pointing at the sandboxes that run; a system without one points at its real
        API under a profile named after the plan (whose credentials are given with `login`)."""
        source, target = self.pair()
        return Plan(
            name=name,
            source=Source(**self.endpoint(registry.source(source), name, rate_scale)),
            target=Target(**self.endpoint(registry.target(target), name, rate_scale)),
            **mapping,
        )

    def endpoint(self, spec: AdapterSpec, name: str, rate_scale: float) -> dict[str, Any]:
        """A plan section for one side: the sandbox's address and settings, or the real API."""
        if spec.system in self.servers and spec.sandbox is not None:
            fields = spec.sandbox.plan_fields(self.sandbox(spec.system)) if spec.sandbox.plan_fields else {}
            return {
                "system": spec.system,
                "base_url": self.urls[spec.system] + spec.sandbox.api_path,
                "profile": "sandbox",
                "rate_window_scale": rate_scale,
                **fields,
            }
        profile = re.sub(r"[^A-Za-z0-9_.-]", "-", name)[:64] or "default"
        return {"system": spec.system, "base_url": spec.default_url, "profile": profile}

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

    def __enter__(self) -> RunningSandboxes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sandbox_systems() -> dict[str, AdapterSpec]:
    """Every registered system that has a sandbox (sources first)."""
    found: dict[str, AdapterSpec] = {}
    for kind in registry.GROUPS:
        for system, spec in registry.specs(kind).items():
            if spec.sandbox is not None:
                found.setdefault(system, spec)
    return found


def default_systems() -> tuple[str, ...]:
    """The first registered source and target that have a sandbox."""
    with_sandbox = sandbox_systems()
    pick = [
        next((s for s, spec in registry.specs(kind).items() if spec.sandbox and s in with_sandbox), None)
        for kind in registry.GROUPS
    ]
    return tuple(dict.fromkeys(s for s in pick if s))


def start_sandboxes(
    systems: tuple[str, ...] | None = None,
    *,
    seed: int = 1,
    scale: str = "small",
    faults: float = 0.0,
    rate_limits: str = "documented",
    rate_scale: float = 1.0,
    states: dict[str, Any] | None = None,
) -> RunningSandboxes:
    """Serve a sandbox for each of `systems` (default: the first source and target that have
    one). `states` (from `load_states`) puts each sandbox back as it was when saved."""
    with_sandbox = sandbox_systems()
    systems = default_systems() if systems is None else systems
    for name in systems:
        if name not in with_sandbox:
            known = ", ".join(with_sandbox) or "none"
            raise UserError(f"'{name}' has no sandbox; the systems with one are: {known}.")
    running = RunningSandboxes()
    options = SandboxOptions(seed=seed, scale=scale, faults=faults, rate_limits=rate_limits, rate_scale=rate_scale)
    try:
        for name in systems:
            sandbox_spec = with_sandbox[name].sandbox
            assert sandbox_spec is not None
            sb = sandbox_spec.factory(options)
            if states and name in states:
                sb.state = states[name]
            running.servers[name] = running.stack.enter_context(sb.server())
    except ModuleNotFoundError as e:
        running.close()
        if (e.name or "").split(".")[0] in SANDBOX_EXTRA:
            raise UserError(NEEDS_EXTRA) from None
        raise
    except BaseException:
        running.close()
        raise
    return running


# -- a sandbox world kept with its migration folder (the demo resumes against it) ------------
STATE_FILE = "sandboxes.pickle"


def _state_modules() -> set[str]:
    return {m for spec in sandbox_systems().values() if spec.sandbox for m in spec.sandbox.state_modules}


class _StateUnpickler(pickle.Unpickler):
    """Loads the sandboxes' own state classes (the modules their specs name) and nothing else:
    a saved world is data, and a file that names any other class is refused rather than run."""

    def find_class(self, module: str, name: str) -> Any:
        if module in _state_modules() or (module, name) == ("random", "Random"):
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
    except Exception:  # noqa: BLE001 a damaged or foreign file: treated as absent, so the caller refuses to go on
        return None
    if not isinstance(saved, dict) or not isinstance(saved.get("states"), dict):
        return None
    if _journal_bytes(folder) > int(saved.get("journal_bytes", 0)):
        return None
    states: dict[str, Any] = saved["states"]
    return states
