"""Run: one bar per phase and overall, throughput, an ETA that counts rate-limit waits,
the waiting state, a live log tail and the quarantined records. Pause, resume and cancel
leave a resumable state. The run belongs to the app: leaving this screen does not stop it."""

from __future__ import annotations

from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, ProgressBar, Static

from tui.model import clock_text, human_duration
from tui.safe import esc as escape
from tui.screens.base import WizardScreen
from tui.screens.dialogs import ConfirmDialog
from tui.widgets.paged_table import PagedTable
from tui.widgets.tail_log import TailLog
from wizard.errors import UserError

STATE_TEXT = {
    "idle": "· not started",
    "running": "▶ running",
    "paused": "‖ paused by you",
    "stopping": "■ stopping at the next safe point…",
    "finished": "✓ finished",
    "interrupted": "■ stopped: resumable (press s to resume)",
    "failed": "✗ stopped on an error",
}
SYNC_TEXT = {
    "running": "▶ syncing changes",
    "stopping": "■ stopping the sync at the next safe point…",
    "finished": "✓ sync finished",
    "interrupted": "■ sync stopped: sync again from the report (s)",
    "failed": "✗ sync stopped on an error",
}
BARS = (("overall", "overall"), ("items", "cards"), ("comments", "comments"), ("attachments", "attachments"))


class ProgressScreen(WizardScreen):
    STEP = "run"
    TITLE = "Run"
    HELP = (
        "The migration run. s starts (or resumes) it after a confirmation; p pauses (requests in flight "
        "finish, nothing new starts), r resumes, x cancels at the next safe point. Every state is "
        "resumable: run again and nothing is created twice. You may leave this screen; the run goes on. "
        "A sync (s on the report) shows here too: boards checked, and what it changed, per type."
    )
    BINDINGS = [
        Binding("s", "start", "Run", id="run-start", tooltip="Write to the target (asks first)."),
        Binding("p", "pause", "Pause", id="run-pause", tooltip="Finish what is in flight, start nothing new."),
        Binding("r", "resume", "Resume", id="run-resume", tooltip="Go on after a pause."),
        Binding("x", "cancel", "Cancel", id="run-cancel", tooltip="Stop at the next safe point; resumable."),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.log_seen = 0
        self.failed_seen = -1  # none shown yet
        self.failed_list: list | None = None

    def body(self):
        with Vertical(id="run-body"):
            yield Static("", id="run-state")
            yield Static("", id="run-wait")
            for phase, label in BARS:
                with Horizontal(classes="bar-row"):
                    yield Label(label, classes="bar-label", id=f"label-{phase}")
                    yield ProgressBar(total=None, show_eta=False, id=f"bar-{phase}")
                    yield Label("", id=f"count-{phase}", classes="bar-count")
            yield Static("", id="run-counts")
            with Horizontal(id="run-panes"):
                with Vertical(id="log-pane"):
                    yield Label("Log", classes="pane-title")
                    yield TailLog(max_lines=500, id="run-log")
                with Vertical(id="failed-pane"):
                    yield Label("Quarantined: not migrated, with the reason", classes="pane-title", id="failed-title")
                    yield PagedTable(
                        ("type", "record", "reason"),
                        noun="quarantined",
                        id="failed",
                        placeholder="/ filter by type, record or reason…",
                    )
            with Horizontal(classes="buttons", id="run-buttons"):
                yield Button("Start (s)", id="btn-start", variant="primary", compact=True)
                yield Button("Pause (p)", id="btn-pause", compact=True)
                yield Button("Resume (r)", id="btn-resume", compact=True)
                yield Button("Cancel (x)", id="btn-cancel", variant="error", compact=True)

    def on_mount(self) -> None:
        self.refresh_model()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.app.run_active:
            self.refresh_model()

    # -- actions -------------------------------------------------------------------------
    def why_not(self, action: str) -> str:
        state = self.app.model.state
        if action == "start" and self.app.run_active:
            return "The run is going on: p pauses it, x cancels it."
        if action == "pause" and state != "running":  # a run and a sync both pause at the next safe point
            return "Nothing is running to pause." if state != "paused" else "Already paused: r resumes."
        if action == "resume" and state != "paused":
            return "Nothing is paused: s starts or resumes a stopped run."
        if action == "cancel" and state not in ("running", "paused"):
            return "Nothing is running to cancel."
        return super().why_not(action)

    def next_blocked(self) -> str:
        return "The report opens once the run has finished."

    @on(Button.Pressed, "#btn-start")
    def action_start(self) -> None:
        if not self.app.run_active:
            self._confirm_start()

    @work(exclusive=True, group="confirm-start", exit_on_error=False)
    async def _confirm_start(self) -> None:
        m = self.app.migration
        try:
            est = await m.estimate()
            detail = f"about {est.target_writes:,} writes, {est.headline(self.app.clock())}"
        except UserError as e:
            detail = f"(no estimate: {e.sentence})"
        resuming = m.store.state in ("interrupted", "running") or bool(m.store.mappings)
        what = "Resume the run" if resuming else "Start the run"
        ok = await self.app.push_screen_wait(
            ConfirmDialog(
                f"{what}: write to {m.plan.target.system}?",
                f"{detail}. What is already in the target is never created twice; you can pause or cancel.",
                confirm_label="Write",
            )
        )
        if ok:
            self.app.start_run()

    @on(Button.Pressed, "#btn-pause")
    def action_pause(self) -> None:
        self.app.pause_run()

    @on(Button.Pressed, "#btn-resume")
    def action_resume(self) -> None:
        self.app.resume_run()

    @on(Button.Pressed, "#btn-cancel")
    def action_cancel(self) -> None:
        self.app.cancel_run()

    def can_next(self) -> bool:
        return self.app.model.state == "finished" or (
            not self.app.run_active and self.app.migration.store.state in ("finished", "rolled back")
        )

    # -- the view ------------------------------------------------------------------------
    def refresh_model(self) -> None:
        md = self.app.model
        state = md.state
        if state == "idle" and self.app.migration.store.state in ("interrupted", "running"):
            state = "interrupted"
        sync = md.mode == "sync"
        line = (SYNC_TEXT if sync else STATE_TEXT).get(state, STATE_TEXT.get(state, state))
        if md.started_at is not None and md.state != "idle":  # a discovery's clock is not the run's
            line += f" · {human_duration(md.elapsed())}"
            if not sync:
                line += f" · {md.throughput():.1f}/s"
                if md.state in ("running", "paused"):
                    line += f" · ETA {human_duration(md.eta())} incl. waits"
        if md.error:
            line += f"\n✗ {escape(md.error)}"
        self.query_one("#run-state", Static).update(line)
        wait = md.waiting_left()
        self.query_one("#run-wait", Static).update(
            f"‖ waiting for rate limit until {clock_text(md.waiting_until)} ({escape(md.waiting_system)}: "
            f"{escape(md.waiting_reason)}) · {human_duration(wait)} left"
            if wait > 0 and md.waiting_until
            else ""
        )
        self._bars()
        created, existing = sum(md.created.values()), sum(md.existing.values())
        skipped, failed = sum(md.skipped.values()), sum(md.failed.values())
        self.query_one("#run-counts", Static).update(
            f"✓ new {created:,} · ↻ updated {existing:,} · ↷ skipped {skipped:,} · ✗ failed {failed:,}"
            if sync
            else f"✓ created {created:,} · = already there {existing:,} · ↷ skipped {skipped:,} · ✗ failed {failed:,}"
        )
        log = self.query_one("#run-log", TailLog)
        new = md.log_since(self.log_seen)
        if new:
            log.write_lines(new)
        self.log_seen = md.log_total
        if len(md.quarantined) != self.failed_seen or md.quarantined is not self.failed_list:
            self.failed_list = md.quarantined
            self.query_one("#failed", PagedTable).set_items(list(md.quarantined), lambda q: q)
        self.failed_seen = len(md.quarantined)
        self.query_one("#failed-title", Label).update(
            f"Quarantined ({failed}): not migrated, with the reason" if failed else "Quarantined: none ✓"
        )
        for bid, action in (
            ("btn-start", "start"),
            ("btn-pause", "pause"),
            ("btn-resume", "resume"),
            ("btn-cancel", "cancel"),
        ):
            self.query_one(f"#{bid}", Button).disabled = not self.check_action(action, ())
        self.refresh_bindings()

    def _bars(self) -> None:
        md = self.app.model
        self.query_one("#label-overall", Label).update("boards" if md.mode == "sync" else "overall")
        for phase in ("items", "comments", "attachments"):
            self.query_one(f"#bar-{phase}", ProgressBar).display = md.mode != "sync"
        if md.mode == "sync":
            self._sync_bars()
            return
        total_all, done_all = 0, 0
        for phase, _label in BARS[1:]:
            ph = md.phases.get(phase)
            bar = self.query_one(f"#bar-{phase}", ProgressBar)
            count = self.query_one(f"#count-{phase}", Label)
            if ph is None or not ph.total:
                bar.update(total=1, progress=1 if ph is not None and ph.total == 0 else 0)
                count.update("none" if ph is not None and ph.total == 0 else "—")
                continue
            done = min(ph.done, ph.total)
            bar.update(total=ph.total, progress=done)
            mark = "✓ " if done >= ph.total else ""
            count.update(f"{mark}{done:,}/{ph.total:,}")
            total_all += ph.total
            done_all += done
        bar = self.query_one("#bar-overall", ProgressBar)
        if total_all:
            bar.update(total=total_all, progress=done_all)
            self.query_one("#count-overall", Label).update(f"{done_all:,}/{total_all:,}")
        else:
            bar.update(total=1, progress=0)
            self.query_one("#count-overall", Label).update("—")

    def _sync_bars(self) -> None:
        """A sync compares every card but writes (and reports) only the changed ones: the top
        bar counts boards checked; the others say what changed, filling up when it ends."""
        md = self.app.model
        run = md.phases.get("run")
        boards = run.total if run is not None and run.total else None
        checked = min(md.containers_done, boards) if boards else md.containers_done
        ended = md.state in ("finished", "interrupted", "failed")
        self.query_one("#bar-overall", ProgressBar).update(
            total=boards or (1 if ended else None), progress=checked if boards else (1 if ended else 0)
        )
        self.query_one("#count-overall", Label).update(f"{checked:,}/{boards:,}" if boards else "—")
        for phase, kind in (("items", "item"), ("comments", "comment"), ("attachments", "attachment")):
            changed = md.created[kind] + md.existing[kind]
            self.query_one(f"#bar-{phase}", ProgressBar).display = False  # no total to fill: the count says it
            self.query_one(f"#count-{phase}", Label).update(f"{'✓ ' if ended else ''}{changed:,} changed")
