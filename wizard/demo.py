"""The demo: a migration folder in the user's data directory, on sandboxes that keep their
state in that folder. Reopening the folder puts the sandboxes back as they were, so a run
cut off in the demo resumes against the same world it started in; a folder whose sandboxes
were not saved is refused rather than run against different ones."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wizard import registry
from wizard.errors import UserError
from wizard.migration import Migration, data_home
from wizard.sandboxes import RunningSandboxes, load_states, save_states, start_sandboxes

SEED, SCALE, RATE_SCALE = 1, "small", 0.01


def new_demo_folder() -> Path:
    """A fresh folder under the data directory's migrations/, named for when it was made."""
    base = data_home() / "migrations"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder, n = base / f"demo-{stamp}", 1
    while folder.exists():
        n += 1
        folder = base / f"demo-{stamp}-{n}"
    return folder


@contextmanager
def demo(workdir: Path | None = None) -> Iterator[tuple[Migration, RunningSandboxes]]:
    """Open (or create) a demo folder on its sandboxes; their state is saved back into the
    folder when the demo ends, however it ends."""
    folder = Path(workdir) if workdir else new_demo_folder()
    if (folder / "plan.toml").exists():
        m = Migration.open(folder)
        if (m.plan.source.profile, m.plan.target.profile) != ("sandbox", "sandbox"):
            m.close()  # a real migration: its plan must not be pointed at sandboxes
            raise UserError(
                f"{folder} is not a demo's folder (its plan does not use the sandboxes); open it with "
                f"'migration-wizard tui {folder}'."
            )
        states = load_states(folder)
        if states is None and m.state != "new":
            m.close()
            raise UserError(
                f"The sandboxes of {folder} were not saved after its last step (the demo was cut off), "
                "so it cannot go on against the same data; start a new demo (without --workdir)."
            )
        systems = (m.plan.source.system, m.plan.target.system)
        try:
            running = start_sandboxes(systems, seed=SEED, scale=SCALE, rate_scale=RATE_SCALE, states=states)
        except UserError:
            m.close()
            raise
        # the sandboxes listen on new ports: only the addresses (and what each sandbox decides) change
        side_specs = ((m.plan.source, registry.source(systems[0])), (m.plan.target, registry.target(systems[1])))
        changed = False
        for side, spec in side_specs:
            for key, value in running.endpoint(spec, m.plan.name, RATE_SCALE).items():
                if key != "profile" and getattr(side, key) != value:
                    setattr(side, key, value)
                    changed = True
        if changed:
            m.save_plan()
    else:
        running = start_sandboxes(seed=SEED, scale=SCALE, rate_scale=RATE_SCALE)
        m = Migration.create(folder, running.plan(name="demo", rate_scale=RATE_SCALE))
    try:
        yield m, running
    finally:
        try:
            save_states(running, folder)
        finally:
            running.close()
