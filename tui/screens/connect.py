"""Connect: which systems, which credential profile, the secrets (stored in the keyring,
never shown again), and a connection test that says who and which workspace."""

from __future__ import annotations

import asyncio
from typing import Literal

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static

from tui.safe import line, text
from tui.screens.base import WizardScreen
from tui.widgets.select import Select
from wizard import registry
from wizard.errors import UserError
from wizard.plan import Endpoint, MappingOptions, Source, Target, target_options
from wizard.registry import AdapterSpec, Kind
from wizard.secrets import env_name, save_credentials

SIDES: tuple[Kind, Kind] = ("source", "target")


def default_urls() -> list[str]:
    return [s.default_url for kind in SIDES for s in registry.specs(kind).values()]


SANDBOX_NOTE = "built-in sandbox credential"


def field(label: str, box: Input, hint_id: str | None = None) -> list[Widget]:
    """A labelled input, and under it where to find the value (and its MW_* variable)."""
    row: list[Widget] = [Horizontal(Label(label, classes="field-label"), box, classes="field-row")]
    return row + [Static("", id=hint_id, classes="hint field-hint")] if hint_id else row


def side_fields(side: str, spec: AdapterSpec, endpoint: Endpoint | None) -> list[Widget]:
    """What one side asks for, as its spec says: each credential part (a password box), then
    each connection field (the plan's value); `endpoint` is None when the system was just picked."""
    widgets: list[Widget] = []
    for part in spec.credentials:
        box = Input(password=True, id=f"{side}-{part.name}", compact=True)
        widgets += field(part.label, box, hint_id=f"{side}-{part.name}-hint")
    for f in spec.fields:
        value = str(getattr(endpoint, f.name, "") or "") if endpoint is not None else ""
        widgets += field(f.label, Input(value, id=f"{side}-{f.name}", compact=True), hint_id=f"{side}-{f.name}-hint")
    return widgets


class ConnectScreen(WizardScreen):
    STEP = "connect"
    TITLE = "Connect"
    HELP = (
        "Pick the source and the target, the credential profile (one per client account), and type the "
        "secrets once: they go to the OS keyring and are never shown again. Test the connection to see "
        "who you are connected as and which workspace; Next opens once both sides answer."
    )
    AUTO_FOCUS = "#btn-test"
    # ^t and ^n work while typing in a field, so they are the keys shown; plain t and n work
    # everywhere else.
    BINDINGS = [
        Binding("ctrl+t", "test", "Test connection", priority=True, id="test", tooltip="Ask both systems who we are."),
        Binding("t", "test", "Test connection", show=False, id="test-plain"),
        Binding(
            "ctrl+s",
            "save",
            "Save",
            priority=True,
            id="save",
            tooltip="Save the plan and store the typed secrets in the keyring.",
        ),
        Binding(
            "ctrl+n", "next", "Next", priority=True, id="next-ctrl", tooltip="The next step, once both sides answer."
        ),
        Binding("n", "next", "Next", show=False, id="next"),
    ]

    def body(self):
        plan = self.app.migration.plan
        with VerticalScroll(id="connect-body"):
            with Horizontal(classes="row"):
                yield Label("Profile", classes="field-label")
                yield Input(
                    plan.source.profile,
                    id="profile",
                    restrict=r"[A-Za-z0-9_.-]*",
                    max_length=64,
                    compact=True,
                    tooltip="Credentials are stored per profile: one per client account.",
                )
                yield Static("one per client account; secrets go to the OS keyring", classes="hint", id="profile-hint")
            with Horizontal(id="sides"):
                sides: tuple[tuple[Literal["source", "target"], str, Source | Target], ...] = (
                    ("source", "From", plan.source),
                    ("target", "To", plan.target),
                )
                for side, title, endpoint in sides:
                    spec = registry.get(side, endpoint.system)
                    with Vertical(classes="side", id=f"side-{side}"):
                        yield Label(f"[b]{title}[/]")
                        yield Select(
                            [(s.label, k) for k, s in registry.specs(side).items()],
                            value=endpoint.system,
                            allow_blank=False,
                            id=f"{side}-system",
                            compact=True,
                        )
                        yield from field("API root", Input(endpoint.base_url, id=f"{side}-url", compact=True))
                        yield Vertical(
                            *side_fields(side, spec, endpoint),
                            id=f"{side}-fields",
                            classes=f"side-fields system-{spec.system}",
                        )
                        yield Static("", id=f"{side}-result", classes="result")
            with Horizontal(classes="buttons"):
                yield Button("Test connection (^t)", id="btn-test", variant="primary", compact=True)
                yield Button("Next (^n)", id="btn-next", compact=True)

    def on_mount(self) -> None:
        self._sandbox_inputs()
        self._show_result()

    def _secret_inputs(self) -> list[Input]:
        return [i for i in self.query(Input) if i.password]

    def _sandbox_inputs(self) -> None:
        profile = self.query_one("#profile", Input).value.strip() or "default"
        sandbox = profile == "sandbox"
        for i in self._secret_inputs():
            i.disabled = sandbox
            i.placeholder = SANDBOX_NOTE if sandbox else "hidden"
            if sandbox:
                i.value = ""
        for side in SIDES:
            spec = self._spec(side)
            for part in spec.credentials:
                env = "built-in for the sandboxes" if sandbox else f"or set {env_name(profile, spec.system, part.name)}"
                self._hint(side, part.name, f"{part.where}\n{env}")
            for f in spec.fields:
                self._hint(side, f.name, f.where)

    def _hint(self, side: str, name: str, hint: str) -> None:
        for found in self.query(f"#{side}-{name}-hint"):
            if isinstance(found, Static):
                found.update(Text(hint))

    def _spec(self, side: Kind) -> AdapterSpec:
        return registry.get(side, str(self.query_one(f"#{side}-system", Select).value))

    @on(Input.Changed, "#profile")
    def _profile_changed(self) -> None:
        self._sandbox_inputs()

    @on(Select.Changed)
    async def _system_changed(self, event: Select.Changed) -> None:
        """Another system on one side: its own credential parts and fields, and its default API
        root unless one was typed."""
        side: Kind = "source" if event.select.id == "source-system" else "target"
        spec = self._spec(side)
        if self.query_one(f"#{side}-fields", Vertical).has_class(f"system-{spec.system}"):
            return  # the fields shown are this system's already
        endpoint = getattr(self.app.migration.plan, side)
        url = self.query_one(f"#{side}-url", Input)
        if endpoint.system != spec.system and url.value.strip().rstrip("/") in (endpoint.base_url, *default_urls()):
            url.value = spec.default_url
        box = self.query_one(f"#{side}-fields", Vertical)
        await box.remove_children()
        await box.mount(*side_fields(side, spec, endpoint if endpoint.system == spec.system else None))
        box.set_classes(f"side-fields system-{spec.system}")
        self._sandbox_inputs()

    def can_next(self) -> bool:
        res = self.app.connected
        return bool(res is not None and res.ok)

    def _apply_form(self) -> dict[str, dict[str, str]]:
        """Copy the form into the plan; return the typed secrets (to store, then forget)."""
        plan = self.app.migration.plan
        profile = self.query_one("#profile", Input).value.strip() or "default"
        secrets: dict[str, dict[str, str]] = {}
        for side in SIDES:
            spec = self._spec(side)
            endpoint = getattr(plan, side)
            endpoint.profile = profile
            if side == "target" and endpoint.system != spec.system:  # the new target's own [mapping] options
                common = {k: v for k, v in plan.mapping.model_dump().items() if k in MappingOptions.model_fields}
                plan.mapping = target_options(spec.system, {**common, "preset": ""})
            endpoint.system = spec.system
            endpoint.base_url = self.query_one(f"#{side}-url", Input).value.strip().rstrip("/")
            for f in spec.fields:
                setattr(endpoint, f.name, self.query_one(f"#{side}-{f.name}", Input).value.strip())
            typed = {p: self.query_one(f"#{side}-{p}", Input).value for p in spec.credential_parts}
            if typed and all(typed.values()):
                secrets[spec.system] = typed
        return secrets

    @on(Button.Pressed, "#btn-test")
    def action_test(self) -> None:
        self._test(test=True)

    def action_save(self) -> None:
        self._test(test=False)

    @on(Button.Pressed, "#btn-next")
    def _next_pressed(self) -> None:
        self.action_next()

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def _test(self, test: bool) -> None:
        m = self.app.migration
        try:
            secrets = self._apply_form()
        except ValueError as e:
            self.query_one("#source-result", Static).update(text(f"✗ {e}"))
            return
        profile = m.plan.source.profile
        for i in self._secret_inputs():
            i.value = ""  # typed once, stored, never shown again
        try:
            for system, values in secrets.items():
                await asyncio.to_thread(save_credentials, profile, system, values)
            await asyncio.to_thread(m.save_plan)
        except UserError as e:
            self.query_one("#source-result", Static).update(text(f"✗ {e.sentence}"))
            return
        if secrets:
            self.notify(
                line(f"Stored {', '.join(secrets)} credential(s) for profile '{profile}' in the keyring."), markup=False
            )
        if not test:
            return
        for side in ("source", "target"):
            self.query_one(f"#{side}-result", Static).update("… asking who we are")
        try:
            self.app.connected = await m.connect()
        except UserError as e:
            self.query_one("#source-result", Static).update(text(f"✗ {e.sentence}"))
            return
        self._show_result()
        self.refresh_bindings()

    def _show_result(self) -> None:
        res = self.app.connected
        if res is None:
            for side in ("source", "target"):
                self.query_one(f"#{side}-result", Static).update("not tested yet: press ^t")
            self.query_one("#btn-next", Button).disabled = True
            return
        for side, who, why in (("source", res.source, res.source_error), ("target", res.target, res.target_error)):
            shown = (
                text("✓ connected as ", (who.user, "bold"), "\n  workspace: ", who.workspace, limit=200, multiline=True)
                if who
                else text(f"✗ failed: {why or ''}")
            )
            self.query_one(f"#{side}-result", Static).update(shown)
        self.query_one("#btn-next", Button).disabled = not res.ok
