"""`migration-wizard`: every step of the wizard, headless. With no arguments it opens the
TUI's start screen. User errors end in one sentence and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from wizard import every, listen, registry, schedulers
from wizard.audit import LOG_NAME, audit, check_chain
from wizard.backup import verify_backup
from wizard.backup_layout import FOLDER as BACKUP_FOLDER
from wizard.engine.conflicts import plain
from wizard.engine.decisions import DECISIONS, preview, side_by_side
from wizard.engine.verify import kind_name
from wizard.errors import Interrupted, UserError
from wizard.events import EventSink, FanOut
from wizard.folderlock import folder_lock
from wizard.health import listener_beat
from wizard.health import summary as health_summary
from wizard.migration import Migration
from wizard.plan import Plan, plan_schema, save_plan
from wizard.schedule import interval_words, parse_interval, parse_until, read_schedule, write_schedule
from wizard.schedule import plan as plan_schedule
from wizard.secrets import env_name, load_credentials, save_credentials
from wizard.sinks import RichSink
from wizard.textsafe import markup_safe as esc
from wizard.textsafe import rich_text
from wizard.tracing import traced
from wizard.words import Nouns, nouns

if TYPE_CHECKING:
    from wizard.metrics import Metrics
    from wizard.webhooks import WebhookScheme

out = Console()
err = Console(stderr=True)

EXIT_OK, EXIT_FAILURES, EXIT_USER = 0, 1, 2


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()

    def handler(signame: str) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        err.print("[yellow]Stopping at the next safe point… (press Ctrl-C again to stop at once)[/]")
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, handler, sig.name)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            pass


def _open(folder: str, *, readonly: bool = False, also: EventSink | None = None) -> tuple[Migration, RichSink]:
    """The folder's Migration, its events shown on the terminal (the facade adds the run log)
    and handed to `also` (the metrics). `readonly`: the command only reads the store (a
    consistent snapshot, no lock taken)."""
    rich_sink = RichSink(err)
    sink: EventSink = rich_sink if also is None else FanOut(rich_sink, also)
    return Migration.open(Path(folder), sink, readonly=readonly), rich_sink


def _metrics(a: argparse.Namespace) -> AbstractContextManager[Metrics | None]:
    """`--metrics-port P`: /metrics and /healthz on loopback while the command runs."""
    port = getattr(a, "metrics_port", None)
    if port is None:
        return nullcontext(None)
    from wizard.metrics import serving  # noqa: PLC0415 - lazy: prometheus-client loads only when metrics are asked for

    folder = Path(a.dir)
    return serving(
        folder, port, lambda: health_summary(folder), lambda line: err.print(line, markup=False, highlight=False)
    )


# -- commands ------------------------------------------------------------------------------
def cmd_new(a: argparse.Namespace) -> int:
    source = a.source or _first("source")
    target = a.target or _first("target")
    source_url = a.source_url or _default_url("source", source)
    target_url = a.target_url or _default_url("target", target)
    try:
        plan = Plan.model_validate(
            {
                "name": a.name or Path(a.dir).name,
                "source": {"system": source, "base_url": source_url, "profile": a.profile},
                "target": {
                    "system": target,
                    "base_url": target_url,
                    "profile": a.profile,
                    "organization": a.organization or "",
                },
            }
        )
    except ValidationError as e:
        raise UserError(_option_error(e)) from None
    m = Migration.create(Path(a.dir), plan)
    m.close()
    out.print(
        f"Created {esc(m.folder)}/plan.toml. Next: store the credentials with 'migration-wizard login "
        f"{plan.source.profile} --system {plan.source.system}' and '... --system {plan.target.system}', then "
        f"check both with 'migration-wizard connect {esc(a.dir)}'.",
        highlight=False,
        soft_wrap=True,  # the commands and the folder print whole, so they can be copied
    )
    return EXIT_OK


def _first(kind: registry.Kind) -> str:
    """The first registered system of one side (the default of --source and --target)."""
    found = registry.specs(kind)
    if not found:
        raise UserError(f"No {kind} adapter is registered; install the project again (bash scripts/setup.sh).")
    return next(iter(found))


def _default_url(kind: registry.Kind, system: str) -> str:
    spec = registry.specs(kind).get(system)
    return spec.default_url if spec else "https://unknown.invalid"  # the plan then names the unknown system


def _option_error(exc: ValidationError) -> str:
    """One sentence naming the option of 'new' that pydantic refused, and why."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    given = err.get("input")
    if err["type"] == "mapping_option":  # a section's own check names its field in ctx, its input is the section
        loc += [str(p) for p in (err.get("ctx") or {}).get("loc", ())]
        given = given.get(loc[-1], given) if isinstance(given, dict) else given
    leaf = loc[-1] if loc else ""
    side = loc[0] if len(loc) > 1 else ""
    option = {
        "profile": "--profile",
        "base_url": f"--{side}-url",
        "system": f"--{side}",
        "organization": "--organization",
        "name": "--name",
    }.get(leaf, leaf)
    why = err["msg"].removeprefix("Value error, ").replace(f"names '{err.get('input')}', which ", "")
    if leaf == "profile":
        why = "must be 1 to 64 letters, digits, '.', '_' or '-'"
    return f"{option} {str(given)!r} {why[0].lower() + why[1:]}."


async def cmd_connect(a: argparse.Namespace) -> int:
    m, _ = _open(a.dir)
    res = await m.connect()
    m.close()
    for side, who, why in (("source", res.source, res.source_error), ("target", res.target, res.target_error)):
        if who:
            out.print(
                f"{side}: [green]connected[/] as {esc(who.user, limit=200)} — {esc(who.workspace, limit=200)}",
                highlight=False,
            )
        else:
            out.print(f"{side}: [red]failed[/] — {esc(why)}", highlight=False)
    return EXIT_OK if res.ok else EXIT_USER


async def cmd_discover(a: argparse.Namespace) -> int:
    m, sink = _open(a.dir)
    try:
        with sink:
            inv = await m.discover()
    finally:
        m.close()
    if a.json:
        out.print_json(inv.model_dump_json())
        return EXIT_OK
    t = Table("container", "items", "comments", "attachments", "MB", "rejected", title="Discovered")
    for c in inv.containers:
        t.add_row(
            rich_text(c.name),
            str(c.count("item")),
            str(c.count("comment")),
            str(c.count("attachment")),
            f"{c.attachment_bytes / 1e6:.1f}",
            str(len(c.rejected)),
        )
    out.print(t)
    out.print(f"{inv.source_calls} source calls in {inv.elapsed_s:.1f} s.")
    return EXIT_OK


async def cmd_estimate(a: argparse.Namespace) -> int:
    m, sink = _open(a.dir)
    try:
        with sink:
            est = await m.estimate()
    finally:
        m.close()
    if a.json:
        out.print_json(est.model_dump_json())
        return EXIT_OK
    t = Table("side", "what", "calls", title="Estimate (nothing is written)")
    for k, v in est.source_calls.items():
        t.add_row("source", k, str(v))
    for k, v in est.target_calls.items():
        t.add_row("target", k, str(v))
    t.add_row("", "[b]total[/]", f"[b]{est.source_total + est.target_total}[/]")
    out.print(t)
    out.print(
        f"Writes: {est.target_writes}. Bytes to move: {est.bytes_to_move / 1e6:.1f} MB. Duration: "
        f"{est.headline()}, because:"
    )
    for w in est.duration_why:
        out.print(f"  • {esc(w)}")
    for title, costs in (
        ("Comments, by strategy ([mapping] comments)", est.comment_strategies),
        ("People with an email, all ([mapping] people)", est.people_strategies),
    ):
        if costs:
            out.print(esc(f"{title}: " + " · ".join(c.text() for c in costs)))
    for r in est.risks:
        out.print(f"[yellow]risk:[/] {esc(r)}")
    return EXIT_OK


async def cmd_run(a: argparse.Namespace) -> int:
    with _metrics(a) as metrics, traced(not a.dry_run):
        return await _run(a, metrics)


async def _run(a: argparse.Namespace, metrics: Metrics | None) -> int:
    m, sink = _open(a.dir, readonly=a.dry_run, also=metrics)
    if not a.yes and not a.dry_run and sys.stdin.isatty():
        import questionary  # noqa: PLC0415 - lazy: prompt_toolkit loads only when a command asks a question

        est = await m.estimate()
        ok = await questionary.confirm(
            f"Write to {m.plan.target.system} ({est.target_writes} writes, {est.headline()})?"
        ).ask_async()
        if not ok:
            m.close()
            out.print("Nothing was written.")
            return EXIT_OK
    stop = asyncio.Event()
    _stop_on_signals(stop)
    try:
        with sink:
            summary, actions = await m.run(dry_run=a.dry_run, stop=stop)
    finally:
        m.close()
    if a.dry_run:
        writes = [x for x in actions if x.is_write]
        if a.json:
            out.print_json(
                json.dumps({"calls": len(actions), "writes": len(writes), "actions": [x.__dict__ for x in actions]})
            )
        else:
            for x in actions[: a.limit]:
                out.print(rich_text(f"{x.method:6} {x.path:40} {x.what}"))
            if len(actions) > a.limit:
                out.print(f"… and {len(actions) - a.limit} more (use --json for all)")
            out.print(f"Dry run: {len(actions)} calls, {len(writes)} writes; nothing was written.")
        return EXIT_OK
    created = sum(summary.created.values())
    met = ", ".join(f"{how} {n}" for how, n in sorted(summary.resolved.items()))
    out.print(
        f"Created {created}, already there {sum(summary.existing.values())}{f' ({met})' if met else ''}, skipped "
        f"{sum(summary.skipped.values())}, failed {summary.failed_total} "
        f"({summary.source_calls} source and {summary.target_calls} target calls in {summary.elapsed_s:.1f} s)."
    )
    if summary.interrupted:
        raise Interrupted(
            f"Stopped at a safe point; nothing is lost. Run 'migration-wizard run {a.dir}' to go on where it left off."
        )
    if summary.failed_total:
        out.print(
            f"[yellow]{summary.failed_total} record(s) were quarantined; see 'migration-wizard report {esc(a.dir)}'.[/]"
        )
        return EXIT_FAILURES
    return EXIT_OK


async def cmd_sync(a: argparse.Namespace) -> int:
    stop = asyncio.Event()
    _stop_on_signals(stop)
    with _metrics(a) as metrics, traced():
        if not (a.every or a.scheduled):
            return (await _sync_pass(a, stop, metrics))[0]
        return await _sync_on_schedule(a, stop, metrics)


async def _sync_on_schedule(a: argparse.Namespace, stop: asyncio.Event, metrics: Metrics | None) -> int:
    """`--every`: passes in a loop until --until or a stop; `--scheduled`: the one pass a scheduler starts."""
    folder = Path(a.dir)
    if not (folder / "plan.toml").is_file():
        raise UserError(f"{folder} has no plan.toml; is it a migration folder?")

    async def one() -> tuple[int, str]:
        return await _sync_pass(a, stop, metrics)

    def say(text: str) -> None:
        err.print(text, markup=False, highlight=False)

    if a.scheduled:
        s = read_schedule(folder)
        if s is None or not s.active:
            raise UserError(f"{folder} has no schedule; add one with 'migration-wizard schedule {a.dir} --every 1h'.")
        if s.ended():
            say("The cut-over date is reached; this scheduled pass does nothing.")
            return EXIT_OK
        s = await every.one_pass(folder, s, one)
        return s.last_exit or EXIT_OK
    until = parse_until(a.until) if a.until else None
    every_s = parse_interval(a.every)
    installed = read_schedule(folder)
    if installed is not None and installed.active and installed.how not in ("loop", "printed"):
        raise UserError(
            f"{folder} already syncs every {interval_words(installed.every_s)} by its {installed.how} schedule; "
            f"take it out with 'migration-wizard schedule {a.dir} --remove' first, or let it run."
        )
    s = plan_schedule(folder, every_s, until, "loop")
    return await every.keep_in_step(folder, s, one, stop, say)


async def _sync_pass(
    a: argparse.Namespace, stop: asyncio.Event, metrics: Metrics | None, *, quiet: bool = False
) -> tuple[int, str]:
    """One sync: its exit code and what it did, in words (`quiet`: the caller prints them)."""
    m, sink = _open(a.dir, also=metrics)
    try:
        with sink:
            summary = await m.sync(stop=stop)
        deletions = m.store.meta.get("source_deletions", [])
    finally:
        m.close()
    did = (
        f"created {sum(summary.created.values())}, updated {sum(summary.updated.values())}, "
        f"deleted {sum(summary.deleted.values())}, skipped {sum(summary.skipped.values())}, failed "
        f"{summary.failed_total} ({summary.target_calls} target calls)."
    )
    if not quiet:
        out.print(f"Sync: {did}")
    if deletions and not m.plan.conflicts.apply_source_deletions:
        out.print(
            f"{nouns('source', m.plan.source.system).items(len(deletions))} "
            f"{'was' if len(deletions) == 1 else 'were'} deleted or archived in the source and kept in the target "
            f"(set conflicts.apply_source_deletions = true to remove them)."
        )
    if summary.interrupted:
        raise Interrupted(f"Stopped at a safe point; nothing is lost. Run 'migration-wizard sync {a.dir}' to go on.")
    return (EXIT_FAILURES if summary.failed_total else EXIT_OK), did


async def cmd_listen(a: argparse.Namespace) -> int:
    """Receive the source's webhooks and sync what they name, a batch at a time (wizard/listen.py)."""
    folder = Path(a.dir)
    m = Migration.open(folder, readonly=True)
    try:
        why = m.can_sync()
        if why:
            raise UserError(why)
        spec = registry.source(m.plan.source.system)
        if spec.webhooks is None:
            raise UserError(
                f"{spec.label} sends no signed webhooks; keep it in step with "
                f"'migration-wizard sync {a.dir} --every 15m' instead."
            )
        scheme, profile = spec.webhooks, m.plan.source.profile
        secret = _signing_secret(profile, spec.system, spec.label, scheme) if scheme.secret_part else ""
        batch_s, until = parse_interval(a.batch), (parse_until(a.until) if a.until else None)
        path = listen.callback_path(folder, spec.system)
        receiver = listen.Receiver(folder, spec.system, scheme)
        server = listen.serve(receiver, a.host, a.port)
        try:
            port = server.server_address[1]
            base_url = (a.public_url or f"http://{a.host}:{port}").rstrip("/")
            if secret:  # the app's secret: one route for every webhook
                receiver.route(path, base_url + path, secret)
            m.audit("listen", system=spec.system, host=a.host, port=port, batch=a.batch)
            if until is not None and until <= time.time():
                err.print("The cut-over date is past; there is nothing to listen for.")
                return EXIT_OK
            with _metrics(a) as metrics:  # from the registration on, every call is counted
                stop = asyncio.Event()
                _stop_on_signals(stop)  # before it says it listens: a stop asked for from then on ends it cleanly
                await _register(m, receiver, base_url, path)
                _say(f"Listening on {base_url + path}; a sync every {a.batch} when deliveries came in.")
                if not a.public_url:
                    _say(listen.EXPOSE)

                async def sync() -> str:
                    return "Sync: " + (await _sync_pass(a, stop, metrics, quiet=True))[1]

                try:
                    await listen.keep_in_step(folder, receiver, sync, batch_s, stop, until, _say)
                except Interrupted:
                    listen.stopped(folder)  # stopped as asked, mid-sync: the next start goes on from the cursor
                    raise
        finally:
            server.shutdown()
            server.server_close()
        listen.stopped(folder)
    finally:
        m.close()
    return EXIT_OK


def _signing_secret(profile: str, system: str, label: str, scheme: WebhookScheme) -> str:
    """The secret the vendor signs deliveries with: not asked by `login`, so from the keyring
    entry when someone put it there, else from MW_<PROFILE>_<SYSTEM>_<PART>."""
    try:
        return load_credentials(profile, system, (scheme.secret_part,))[scheme.secret_part]
    except (UserError, KeyError):
        name = env_name(profile, system, scheme.secret_part)
        raise UserError(f"Listening needs {label}'s signing secret ({scheme.secret_label}); set {name}.") from None


def _say(text: str) -> None:
    err.print(text, markup=False, highlight=False)


async def _register(m: Migration, receiver: listen.Receiver, base_url: str, path: str) -> None:
    """The source's webhook on each container in scope; a refusal is the listener's error for `health`."""
    src = m.source()
    try:
        scope = m.plan.source.scope or [c.id for c in await src.containers()]
        removed = await listen.remove_elsewhere(receiver, src, scope, base_url, path, m.plan.source.profile)
        if removed:
            _say(f"Removed {removed} webhook(s) an earlier start registered for another address.")
        unkept = await listen.register(receiver, src, scope, base_url, path, m.plan.source.profile)
        if unkept and m.plan.source.profile != "sandbox":
            _say(f"No keyring could keep {unkept} webhook signing secret(s): the next start registers them again.")
    except UserError as e:
        listener_beat(m.folder, f"Registering the webhooks failed: {e.sentence}")
        raise
    finally:
        await src.aclose()


async def cmd_conflicts(a: argparse.Namespace) -> int:
    writes = bool(a.decide or a.undecide or a.undo or a.import_ or a.scan)
    m, sink = _open(a.dir, readonly=not writes)
    scan = bool(a.scan) or "conflict_scan" not in m.store.meta
    if scan and not writes:  # never scanned, so the listing would be incomplete: scan if the folder is free
        try:
            w, w_sink = _open(a.dir)
            _ = w.store  # a writable store takes the folder's lock
        except UserError as e:  # another command holds the folder: list what is known, scan later
            scan = False
            err.print(
                rich_text(f"Not scanned yet: {e.sentence} Listed below is what earlier commands found."), soft_wrap=True
            )
        else:
            m.close()
            m, sink = w, w_sink
    try:
        if scan:
            with sink:
                res = await m.scan_conflicts()
            out.print(
                f"Pre-flight scan (nothing written): {res.items} process(es) and {res.templates} template(s) "
                f"already in the target."
            )
        if a.import_:
            counts = m.import_conflicts(Path(a.import_))
            out.print(
                f"Imported {sum(counts.values())} changed decision(s) from {a.import_}"
                + (": " + ", ".join(f"{n} {k}" for k, n in counts.items()) if counts else "")
                + "."
            )
            return EXIT_OK
        if a.export:
            n = m.export_conflicts(Path(a.export))
            out.print(
                f"Wrote {n} conflict(s) to {a.export}; fill in the 'decision' column and bring it back with --import."
            )
            return EXIT_OK
        if a.show:
            m.audit("conflicts", show=a.show)
            return _show_conflict(m, a.show)
        if a.decide or a.undecide or a.undo:
            return await _decide_conflicts(m, a)
        m.audit("conflicts", listed=True)
        rows = m.conflicts(a.filter or "", open_only=not a.all, rules=a.where)
        t = Table("id", "source", "target", "stage", "why", "changed", "decision", title=f"Conflicts ({len(rows)})")
        for c in rows:
            src, tgt = c.get("source", {}), c.get("target", {})
            t.add_row(
                *map(
                    rich_text,
                    (
                        c["id"],
                        plain(src.get("name")),
                        plain(tgt.get("name")),
                        plain(src.get("stage")),
                        c.get("reason", ""),
                        ", ".join(c.get("changed", [])),
                        c.get("decision") or "—",
                    ),
                )
            )
        out.print(t)
        return EXIT_OK
    finally:
        m.close()


async def _decide_conflicts(m: Migration, a: argparse.Namespace) -> int:
    by_rule = bool(a.where or a.filter is not None)
    if a.id:
        ids = [a.id]
    else:
        ids = [
            c["id"] for c in m.conflicts(a.filter or "", open_only=not (a.all or a.undo or a.undecide), rules=a.where)
        ]
    if not ids:
        raise UserError(f"No conflict matches; list them with 'migration-wizard conflicts {a.dir}'.")
    what = "undo the last decision of" if a.undo else ("reset to undecided" if a.undecide else f"decide {a.decide}:")
    if len(ids) > 1 and not a.yes:
        if not sys.stdin.isatty():
            raise UserError(f"This would {what} {len(ids)} conflicts; add --yes to confirm.")
        import questionary  # noqa: PLC0415 - lazy: prompt_toolkit loads only when a command asks a question

        if not await questionary.confirm(f"{what[0].upper()}{what[1:]} {len(ids)} conflicts?").ask_async():
            out.print("Nothing was changed.")
            return EXIT_OK
    if a.undo:
        out.print(f"Undid the last decision of {m.undo_decisions(ids)} conflict(s).")
        return EXIT_OK
    how = (
        "by rule " + " and ".join([*a.where, *([f"text '{a.filter}'"] if a.filter else [])])
        if by_rule
        else "one by one"
    )
    n = m.decide(ids, None if a.undecide else a.decide, how=how)
    out.print(
        f"{'Reset' if a.undecide else 'Decided'} {n} conflict(s){'' if a.undecide else ': ' + a.decide}. "
        f"The next run applies the decisions."
    )
    applied = [i for i in ids if (mp := m.store.target_of(i)) and m.store.how(mp) in ("overwritten", "merged")]
    if applied and a.decide != "overwrite" and a.decide != "merge":
        out.print(
            f"{len(applied)} of them were already written over by a run; nothing is taken back from them "
            f"('migration-wizard rollback {a.dir}' restores their prior values)."
        )
    return EXIT_OK


def _show_conflict(m: Migration, cid: str) -> int:
    c = m.store.conflicts.get(cid)
    if c is None:
        raise UserError(f"No conflict with id {cid}; list them with 'migration-wizard conflicts {m.folder}'.")
    t = Table("", "in the source", "in the target", title=rich_text(f"{c['id']}: {c.get('reason', '')}"))
    for what, differs, in_source, in_target in side_by_side(c):
        t.add_row(rich_text(("≠ " if differs else "  ") + what), rich_text(in_source), rich_text(in_target))
    out.print(t)
    plan_says = m.plan.conflicts.strategy_for(c.get("kind", "item"))
    out.print(
        rich_text(
            f"Decision: {c.get('decision') or 'undecided'}"
            + (f", by {c['decided_by']} ({c.get('decided_how')})" if c.get("decision") else f" (plan: {plan_says})")
        )
    )
    for d in DECISIONS:
        out.print(rich_text(f"{d}: " + "; ".join(preview(c, d))))
    return EXIT_OK


async def cmd_verify(a: argparse.Namespace) -> int:
    m, sink = _open(a.dir)
    try:
        with sink:
            res = await m.verify()
    finally:
        m.close()
    t = Table("type", "expected", "found", "missing", "duplicated", title="Verify")
    for k, v in res.kinds.items():
        t.add_row(k, str(v.expected), str(v.found), str(len(v.missing)), str(len(v.duplicated)))
    out.print(t)
    _print_balance(res, nouns("source", m.plan.source.system))
    return EXIT_OK if res.ok else EXIT_FAILURES


def _print_balance(res: Any, source: Nouns) -> None:
    """Per kind, what the source states against what the target holds, and each shortfall."""
    if not res.source_checked:
        out.print("The source states no counts of its own; only the store was compared.")
        return
    t = Table(
        "kind", "source", "migrated", "dropped, with a reason", "missing", title="Against the source's own counts"
    )
    for k, b in res.balance.items():
        t.add_row(kind_name(k, source), str(b.source), str(b.migrated), str(b.dropped), str(b.missing))
    out.print(t)
    for line in res.shortfalls[:50]:
        out.print(f"[red]✗[/] {escape(line)}")
    if len(res.shortfalls) > 50:
        out.print(f"… and {len(res.shortfalls) - 50} more in 'migration-wizard report'.")


def cmd_report(a: argparse.Namespace) -> int:
    m, _ = _open(a.dir, readonly=True)
    try:
        report, paths = m.report()
    finally:
        m.close()
    for k, v in report["per_type"].items():
        out.print(f"{k:11} created {v['created']:>6}  already there {v['already_there']:>5}  failed {v['failed']:>4}")
    if any(report.get("met_in_target", {}).values()):
        out.print(
            "processes already in the target: " + ", ".join(f"{h} {n}" for h, n in report["met_in_target"].items())
        )
    out.print(rich_text("Written: " + ", ".join(str(p) for p in paths)), soft_wrap=True)
    return EXIT_OK


async def cmd_rollback(a: argparse.Namespace) -> int:
    m, sink = _open(a.dir)
    try:
        if not a.yes:
            steps = await m.rollback_preview()
            for s in steps[: a.limit]:
                out.print(rich_text(f"{s.action:28} {s.target_type:9} {s.target_id:34} {s.key}"))
            if len(steps) > a.limit:
                out.print(f"… and {len(steps) - a.limit} more")
            kept = [s for s in steps if s.action.startswith("keep")]
            for why, n in Counter(s.action.removeprefix("keep: ") for s in kept if s.final).items():
                out.print(rich_text(f"{n} kept: {why}"))
            forceable = any(not s.final for s in kept)
            out.print(
                f"Preview: {len(steps) - len(kept)} to remove, {len(kept)} kept. Nothing was changed; "
                f"add --yes to apply{' (--force removes the edited ones too)' if forceable else ''}."
            )
            return EXIT_OK
        with sink:
            counts = await m.rollback(force=a.force)
    finally:
        m.close()
    out.print(
        f"Rolled back: {counts['removed']} removed, {counts['restored']} restored, {counts['kept']} kept, "
        f"{counts['already gone']} already gone."
    )
    return EXIT_OK


def cmd_login(a: argparse.Namespace) -> int:
    import questionary  # noqa: PLC0415 only login asks questions: every other command starts without it

    spec = registry.any_side(a.system)
    if not sys.stdin.isatty():
        raise UserError(
            "login needs a terminal to ask for the secret; on headless machines set the MW_* environment variables."
        )
    values = {}
    for part in spec.credentials:
        v = questionary.password(f"{spec.label} {part.label} for profile '{a.profile}' ({part.where}):").ask()
        if not v:
            out.print("Nothing was stored.")
            return EXIT_USER
        values[part.name] = v
    save_credentials(a.profile, a.system, values)
    out.print(f"Stored the {esc(spec.label)} credential of profile '{esc(a.profile)}' in the keyring.")
    return EXIT_OK


def cmd_sandbox_serve(a: argparse.Namespace) -> int:
    from wizard.sandboxes import start_sandboxes  # noqa: PLC0415 only this command and the demo start sandboxes

    systems = tuple(s.strip() for s in a.systems.split(",") if s.strip()) if a.systems else None
    running = start_sandboxes(
        systems, seed=a.seed, scale=a.scale, faults=a.faults, rate_limits=a.rate_limits, rate_scale=a.rate_scale
    )
    try:
        if a.plan_dir:
            folder = Path(a.plan_dir)
            for sub in ("state", "logs", "reports"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
            save_plan(folder / "plan.toml", running.plan(name=folder.name, rate_scale=a.rate_scale))
        print(json.dumps({"ready": True, "urls": running.urls}), flush=True)
        stop = {"now": False}

        def handler(signum: int, frame: Any) -> None:
            stop["now"] = True

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        while not stop["now"]:
            signal.pause() if hasattr(signal, "pause") else __import__("time").sleep(0.5)
    finally:
        running.close()
    return EXIT_OK


async def cmd_demo_headless(a: argparse.Namespace) -> int:
    from wizard.demo import demo  # noqa: PLC0415 only this command and sandbox serve start sandboxes

    with demo(Path(a.workdir) if a.workdir else None) as (m, _running):
        m.close()
        folder = m.folder
        out.print(f"Demo folder: {folder}", highlight=False, soft_wrap=True)
        ns = argparse.Namespace(dir=str(folder), json=False, dry_run=False, yes=True, limit=20, force=False)
        code = EXIT_OK
        try:
            for step in (cmd_discover, cmd_estimate, cmd_run, cmd_verify):
                code = await step(ns)
                if code:
                    break
            else:
                code = cmd_report(ns)
        finally:
            out.print(
                f"The demo's folder is kept: {folder}\nOpen it again with 'bash scripts/demo.sh --workdir {folder}'.",
                highlight=False,
                soft_wrap=True,
            )
    return code


class TuiHooks:
    """How the CLI opens the TUI. The console script (tui/entry.py) fills these in, so the
    headless core never imports the TUI."""

    run_app: Callable[[Path | None], int] | None = None
    run_demo: Callable[[Path | None], int] | None = None


def _no_tui(_: Path | None) -> int:
    raise UserError("The TUI is not available in this installation; use the headless commands (see --help).")


def cmd_demo(a: argparse.Namespace) -> int:
    if a.headless:
        return _async(cmd_demo_headless)(a)
    return (TuiHooks.run_demo or _no_tui)(Path(a.workdir) if a.workdir else None) or EXIT_OK


def cmd_tui(a: argparse.Namespace) -> int:
    if getattr(a, "dir", None) and Path(a.dir, "plan.toml").is_file():
        audit(Path(a.dir), "tui")
    return (TuiHooks.run_app or _no_tui)(Path(a.dir) if getattr(a, "dir", None) else None) or EXIT_OK


def cmd_audit_verify(a: argparse.Namespace) -> int:
    """Check audit.log: every line whole, signed with the profile's audit key, chained to the one before."""

    path = Path(a.dir) / LOG_NAME
    if not path.is_file():
        raise UserError(f"{path} does not exist; is {a.dir} a migration folder?")
    broken = check_chain(Path(a.dir))
    if broken:
        line, why = broken
        err.print(
            f"error: line {line} of {path} {why}; the audit trail cannot be trusted from there on.",
            markup=False,
            highlight=False,
        )
        return EXIT_FAILURES
    lines = len(path.read_bytes().splitlines())
    out.print(
        f"{path}: {lines} line(s), each whole, signed with the audit key and chained to the one before.",
        markup=False,
        highlight=False,
    )
    return EXIT_OK


async def cmd_backup(a: argparse.Namespace) -> int:
    """`backup DIR` writes the archive; `backup verify DIR` hashes it again (exit 1 on a mismatch)."""
    if len(a.words) == 2 and a.words[0] == "verify":
        return _backup_verify(Path(a.words[1]))
    if len(a.words) != 1:
        raise UserError("backup takes a migration folder ('backup DIR'), or 'backup verify DIR'.")
    m, sink = _open(a.words[0])
    try:
        with sink:
            done = await m.backup()
    finally:
        m.close()
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(done.counts.items()) if k != "file_bytes")
    out.print(
        rich_text(f"Backup written to {done.folder}: {kinds}; {done.files} files, {done.bytes / 1e6:.1f} MB."),
        soft_wrap=True,
    )
    return EXIT_OK


def _backup_verify(folder: Path) -> int:
    if not (folder / "plan.toml").is_file():
        raise UserError(f"{folder} is not a migration folder (no plan.toml).")
    m = Migration.open(folder)
    m.audit("backup verify")
    m.close()
    res = verify_backup(folder / BACKUP_FOLDER)
    for line in res.bad[:50]:
        err.print(rich_text(f"✗ {line}"))
    if res.bad:
        err.print(f"error: {len(res.bad)} of the backup's {res.checked} files do not match its manifest.")
        return EXIT_FAILURES
    out.print(f"The backup's {res.checked} files all match their sha256 in its manifest.")
    return EXIT_OK


def cmd_schedule(a: argparse.Namespace) -> int:
    """Install (or --remove) the platform's scheduled `sync DIR --scheduled`."""
    folder = Path(a.dir)
    if not (folder / "plan.toml").is_file():
        raise UserError(f"{folder} has no plan.toml; is it a migration folder?")
    if a.remove:
        s = read_schedule(folder)
        if s is None or not s.active:
            raise UserError(f"{folder} has no schedule to remove.")
        said = schedulers.remove(folder, s.how, s.where)
        write_schedule(folder, s.model_copy(update={"active": False}))
        audit(folder, "schedule", remove=True, how=s.how)
        out.print(said, markup=False, highlight=False)
        return EXIT_OK
    if not a.every:
        raise UserError("Say how often with --every (for example --every 1h), or --remove.")
    every_s = parse_interval(a.every)
    until = parse_until(a.until) if a.until else None
    old = read_schedule(folder)
    done = schedulers.install(folder, every_s, a.via)
    if old is not None and old.active and (old.how, old.where) != (done.how, done.where):
        out.print(
            schedulers.remove(folder, old.how, old.where), markup=False, highlight=False
        )  # one schedule at a time
    plan_schedule(folder, every_s, until, done.how, done.where)
    audit(folder, "schedule", every=interval_words(every_s), how=done.how, until=a.until)
    out.print(done.says, markup=False, highlight=False, soft_wrap=True)
    return EXIT_OK


def cmd_health(a: argparse.Namespace) -> int:
    """One line each for the last run, the schedule and the webhooks; exit 0 when all are healthy."""
    code, lines = health_summary(Path(a.dir))
    out.print(lines, markup=False, highlight=False, soft_wrap=True)
    return code


def cmd_schema(a: argparse.Namespace) -> int:
    sys.stdout.write(plan_schema())
    return EXIT_OK


# -- plumbing ------------------------------------------------------------------------------


def _async(fn: Callable[[argparse.Namespace], Coroutine[Any, Any, int]]) -> Callable[[argparse.Namespace], int]:
    def run(a: argparse.Namespace) -> int:
        return asyncio.run(fn(a))

    return run


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="migration-wizard", description="Move a client's workflows from one system into another, safely."
    )
    sub = p.add_subparsers(dest="command")

    def folder_cmd(name: str, fn: Callable[[argparse.Namespace], Any], help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help)
        sp.add_argument("dir", help="the migration folder")
        sp.set_defaults(fn=fn)
        return sp

    sp = sub.add_parser("new", help="create a migration folder with a plan.toml to edit")
    sp.add_argument("dir")
    sp.add_argument("--name")
    sources, targets = ", ".join(registry.sources()), ", ".join(registry.targets())
    sp.add_argument("--source", help=f"one of {sources} (default: the first)")
    sp.add_argument("--target", help=f"one of {targets} (default: the first)")
    sp.add_argument("--source-url")
    sp.add_argument("--target-url")
    sp.add_argument("--organization")
    sp.add_argument("--profile", default="default")
    sp.set_defaults(fn=cmd_new)

    folder_cmd("connect", _async(cmd_connect), "test both connections: who and which workspace")
    sp = folder_cmd("discover", _async(cmd_discover), "count what the source holds")
    sp.add_argument("--json", action="store_true")
    sp = folder_cmd("estimate", _async(cmd_estimate), "calls, duration, bytes and risks, before anything is written")
    sp.add_argument("--json", action="store_true")
    sp = folder_cmd("run", _async(cmd_run), "run the plan (again: resumes, creates nothing twice)")
    sp.add_argument("--yes", action="store_true", help="no confirmation prompt")
    sp.add_argument("--dry-run", action="store_true", help="list the exact actions; write nothing")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--limit", type=int, default=50, help="actions to print in a dry run")
    sp.add_argument("--metrics-port", type=int, metavar="P", help="serve Prometheus /metrics and /healthz on loopback")
    folder_cmd("verify", _async(cmd_verify), "read the target back and compare")
    sp = folder_cmd("sync", _async(cmd_sync), "bring over only what changed since the last run or sync")
    sp.add_argument("--every", metavar="INTERVAL", help="keep syncing, a pass every INTERVAL (90s, 15m, 1h)")
    sp.add_argument("--until", metavar="DATE", help="with --every: no pass starts after this date (the cut-over)")
    sp.add_argument(
        "--scheduled", action="store_true", help="one pass of the folder's schedule (what a scheduler runs)"
    )
    sp.add_argument("--metrics-port", type=int, metavar="P", help="serve Prometheus /metrics and /healthz on loopback")
    sp = folder_cmd(
        "schedule", cmd_schedule, "sync on a schedule the platform's way (systemd, launchd, Task Scheduler)"
    )
    sp.add_argument("--every", metavar="INTERVAL", help="how often (15m, 1h, 1d)")
    sp.add_argument("--until", metavar="DATE", help="no pass starts after this date (the cut-over)")
    sp.add_argument("--via", choices=schedulers.VIAS, default="auto", help="the scheduler (default: this platform's)")
    sp.add_argument("--remove", action="store_true", help="take the schedule out")
    sp = folder_cmd("listen", _async(cmd_listen), "receive the source's webhooks and sync what they name, in batches")
    sp.add_argument("--port", type=int, default=8787, metavar="P", help="the port to receive on (0: any free one)")
    sp.add_argument("--host", default="127.0.0.1", help="the address to bind (default loopback: see --public-url)")
    sp.add_argument(
        "--public-url", metavar="URL", help="the tunnel's address the vendor sends to (default: this listener's own)"
    )
    sp.add_argument("--batch", default="1m", metavar="INTERVAL", help="sync what came in once every INTERVAL")
    sp.add_argument("--until", metavar="DATE", help="stop listening at this date (the cut-over)")
    sp.add_argument("--metrics-port", type=int, metavar="P", help="serve Prometheus /metrics and /healthz on loopback")
    folder_cmd("health", cmd_health, "is the last run, the schedule and the webhook listener healthy? (exit 0: yes)")
    sp = folder_cmd("conflicts", _async(cmd_conflicts), "scan for, list, show and decide conflicts")
    sp.add_argument("--scan", action="store_true", help="read the target again for conflicts (writes nothing)")
    sp.add_argument(
        "--show", metavar="ID", help="every field of one conflict side by side, and what each decision writes"
    )
    sp.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="RULE",
        help="decide (or list) by rule: stage=…, tag=…, member=…, name=pattern*, container=… (or the source's "
        "word for it), before=DATE, after=DATE",
    )
    sp.add_argument("--undecide", action="store_true", help="reset the chosen conflicts to undecided")
    sp.add_argument("--undo", action="store_true", help="give the chosen conflicts back their previous decision")
    sp.add_argument("--yes", action="store_true", help="no confirmation for a decision on more than one conflict")
    sp.add_argument(
        "--export", metavar="FILE.csv", help="both sides of every conflict and a decision column, for the client"
    )
    sp.add_argument("--import", dest="import_", metavar="FILE.csv", help="take the decisions of an edited export")
    sp.add_argument("--decide", choices=("skip", "overwrite", "merge", "newer"))
    sp.add_argument("--id", help="the conflict to decide (a source key)")
    sp.add_argument(
        "--filter", help="decide (or list) every conflict whose names, list, labels, members or reason contain this"
    )
    sp.add_argument("--all", action="store_true", help="list decided ones too")
    folder_cmd("report", cmd_report, "write the Markdown, JSON and CSV reports")
    sp = folder_cmd("rollback", _async(cmd_rollback), "preview (default) or apply (--yes) the undoing of a run")
    sp.add_argument("--yes", action="store_true")
    sp.add_argument("--force", action="store_true", help="also remove what was edited in the target after the run")
    sp.add_argument("--limit", type=int, default=50)
    folder_cmd("tui", cmd_tui, "open the wizard on this folder")

    sp = sub.add_parser("login", help="store a credential in the keyring under a profile")
    sp.add_argument("profile")
    sp.add_argument("--system", required=True)
    sp.set_defaults(fn=cmd_login)

    sp = sub.add_parser("demo", help="the wizard on built-in sandboxes: no account needed")
    sp.add_argument("--headless", action="store_true", help="run the whole flow without the TUI")
    sp.add_argument("--workdir", help="a demo's folder to open again (default: a new one in the user data directory)")
    sp.set_defaults(fn=cmd_demo)

    sb = sub.add_parser("sandbox", help="the sandboxes").add_subparsers(dest="sandbox_command")
    sp = sb.add_parser("serve", help="serve sandboxes on loopback until SIGTERM/SIGINT")
    sp.add_argument(
        "--systems",
        help="comma-separated, any source with any target that has a sandbox "
        f"({', '.join(registry.specs('source'))} / {', '.join(registry.specs('target'))}; "
        "default: the first of each)",
    )
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--scale", choices=("small", "medium", "large"), default="small")
    sp.add_argument("--faults", type=float, default=0.0, help="share of API requests that fail (0..1)")
    sp.add_argument("--rate-limits", choices=("documented", "off"), default="documented")
    sp.add_argument("--rate-scale", type=float, default=1.0, help="shorten the vendors' rate windows by this factor")
    sp.add_argument("--plan-dir", help="write DIR/plan.toml pointing at the sandboxes")
    sp.set_defaults(fn=cmd_sandbox_serve)

    au = sub.add_parser("audit", help="the folder's audit trail").add_subparsers(dest="audit_command")
    sp = au.add_parser("verify", help="check that audit.log is whole, signed and unbroken")
    sp.add_argument("dir", help="the migration folder")
    sp.set_defaults(fn=cmd_audit_verify)

    sp = sub.add_parser("backup", help="archive the source's containers in scope (DIR/backup); 'backup verify DIR'")
    sp.add_argument("words", nargs="+", metavar="[verify] DIR", help="the migration folder, after 'verify' to check")
    sp.set_defaults(fn=_async(cmd_backup))

    sp = sub.add_parser("schema", help="print the plan file's JSON Schema")
    sp.set_defaults(fn=cmd_schema)
    return p


# Commands that only read the store: they read a consistent snapshot and take no lock.
_READS_ONLY: dict[str, Callable[[argparse.Namespace], bool]] = {
    "connect": lambda a: True,
    "tui": lambda a: True,
    "report": lambda a: True,
    "conflicts": lambda a: not a.decide,
    "run": lambda a: a.dry_run,
    "audit": lambda a: True,
    "health": lambda a: True,
    "schedule": lambda a: True,
    # a schedule's passes each take the lock (Migration.sync), so other commands may write between them
    "sync": lambda a: bool(a.every or a.scheduled),
    "listen": lambda a: True,  # likewise: each batch's sync pass takes the lock
}


def _folder_lock_for(a: argparse.Namespace) -> AbstractContextManager[None]:
    """Every command that writes to a migration folder holds its lock for the command's life."""
    folder = getattr(a, "dir", None)
    reads_only = _READS_ONLY.get(a.command)
    if folder is None or not Path(folder, "plan.toml").exists() or (reads_only is not None and reads_only(a)):
        return nullcontext()
    return folder_lock(Path(folder), a.command)


def main(argv: list[str] | None = None) -> int:
    # A migration folder holds names, emails and comment text: its files are the user's alone (0600, 0700).
    os.umask(0o077)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return cmd_tui(args)
    if not hasattr(args, "fn"):
        parser.print_help()
        return EXIT_USER
    try:
        code = args.fn(args)
    except Interrupted as e:  # asked for: not an error
        err.print(rich_text(e.sentence))
        code = e.exit_code
    except UserError as e:
        err.print(f"[red]error:[/] {esc(e.sentence)}", highlight=False)
        code = e.exit_code
    except KeyboardInterrupt:
        err.print("Stopped. Run the same command again to resume.")
        code = 130
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
