"""Connect: which systems, which credential profile, the secrets (stored in the keyring,
never shown again), and a connection test that says who and which workspace."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from tui.safe import line, text
from tui.screens.base import WizardScreen

SANDBOX_NOTE = "built-in sandbox credential"
PART_LABEL = {"key": "API key", "token": "Token"}
# Where a consultant finds each value, per system and part (reference: the vendors' own docs).
WHERE = {
    ("trello", "key"): "trello.com/app-key: your Power-Up's API key",
    ("trello", "token"): "the Token link beside that key",
    ("tallyfy", "token"): "Tallyfy: Settings › Integrations › REST API",
    ("tallyfy", "organization"): "same page in Tallyfy: the organization id",
}


def field(label: str, box: Input, hint_id: str | None = None):
    """A labelled input, and under it where to find the value (and its MW_* variable)."""
    with Horizontal(classes="field-row"):
        yield Label(label, classes="field-label")
        yield box
    if hint_id:
        yield Static("", id=hint_id, classes="hint field-hint")


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
        from adapters.registry import ALL_SOURCES, TARGETS, source_credential_parts

        plan = self.app.migration.plan
        src_parts = source_credential_parts(plan.source.system)
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
                with Vertical(classes="side", id="side-source"):
                    yield Label("[b]From[/]")
                    yield Select(
                        [(v, k) for k, v in ALL_SOURCES.items()],
                        value=plan.source.system,
                        allow_blank=False,
                        id="source-system",
                        compact=True,
                    )
                    yield from field("API root", Input(plan.source.base_url, id="source-url", compact=True))
                    for part in src_parts:
                        yield from field(
                            PART_LABEL.get(part, part),
                            Input(password=True, id=f"source-{part}", compact=True),
                            hint_id=f"source-{part}-hint",
                        )
                    yield Static("", id="source-result", classes="result")
                with Vertical(classes="side", id="side-target"):
                    yield Label("[b]To[/]")
                    yield Select(
                        [(v, k) for k, v in TARGETS.items()],
                        value=plan.target.system,
                        allow_blank=False,
                        id="target-system",
                        compact=True,
                    )
                    yield from field("API root", Input(plan.target.base_url, id="target-url", compact=True))
                    yield from field(
                        "Token", Input(password=True, id="target-token", compact=True), hint_id="target-token-hint"
                    )
                    yield from field(
                        "Org id",
                        Input(plan.target.organization, id="target-org", compact=True),
                        hint_id="target-organization-hint",
                    )
                    yield Static("", id="target-result", classes="result")
            with Horizontal(classes="buttons"):
                yield Button("Test connection (^t)", id="btn-test", variant="primary", compact=True)
                yield Button("Next (^n)", id="btn-next", compact=True)

    def on_mount(self) -> None:
        self._sandbox_inputs()
        self._show_result()

    def _secret_inputs(self) -> list[Input]:
        return [i for i in self.query(Input) if i.password]

    def _sandbox_inputs(self) -> None:
        from wizard.secrets import _env_name

        profile = self.query_one("#profile", Input).value.strip() or "default"
        sandbox = profile == "sandbox"
        for i in self._secret_inputs():
            i.disabled = sandbox
            i.placeholder = SANDBOX_NOTE if sandbox else "hidden"
            if sandbox:
                i.value = ""
        src = str(self.query_one("#source-system", Select).value)
        tgt = str(self.query_one("#target-system", Select).value)
        for side, system, part in [
            *(("source", src, p) for p in self._source_parts()),
            ("target", tgt, "token"),
            ("target", tgt, "organization"),
        ]:
            hint = self.query(f"#{side}-{part}-hint")
            if not hint:
                continue
            where = WHERE.get((system, part), f"the {system} API {part}, from its developer settings")
            env = (
                ""
                if part == "organization"
                else ("built-in for the sandboxes" if sandbox else f"or set {_env_name(profile, system, part)}")
            )
            hint.first().update(Text(f"{where}" + (f"\n{env}" if env else "")))

    def _source_parts(self) -> tuple[str, ...]:
        from adapters.registry import source_credential_parts

        return source_credential_parts(str(self.query_one("#source-system", Select).value))

    @on(Input.Changed, "#profile")
    @on(Select.Changed)
    def _profile_changed(self) -> None:
        self._sandbox_inputs()

    def can_next(self) -> bool:
        res = self.app.connected
        return bool(res is not None and res.ok)

    def _apply_form(self) -> dict[str, dict[str, str]]:
        """Copy the form into the plan; return the typed secrets (to store, then forget)."""
        from adapters.registry import source_credential_parts

        plan = self.app.migration.plan
        profile = self.query_one("#profile", Input).value.strip() or "default"
        plan.source.profile = plan.target.profile = profile
        plan.source.system = str(self.query_one("#source-system", Select).value)  # type: ignore[assignment]
        plan.target.system = str(self.query_one("#target-system", Select).value)  # type: ignore[assignment]
        plan.source.base_url = self.query_one("#source-url", Input).value.strip().rstrip("/")
        plan.target.base_url = self.query_one("#target-url", Input).value.strip().rstrip("/")
        plan.target.organization = self.query_one("#target-org", Input).value.strip()
        secrets: dict[str, dict[str, str]] = {}
        src = {
            p: self.query_one(f"#source-{p}", Input).value
            for p in source_credential_parts(plan.source.system)
            if self.query(f"#source-{p}")
        }
        if all(src.values()) and src:
            secrets[plan.source.system] = src
        tok = self.query_one("#target-token", Input).value
        if tok:
            secrets[plan.target.system] = {"token": tok}
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
        from wizard.errors import UserError
        from wizard.secrets import save_credentials

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
