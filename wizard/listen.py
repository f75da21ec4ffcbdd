"""`migration-wizard listen DIR`: a webhook receiver that keeps a migration in step between runs.

The source's webhooks (AdapterSpec.webhooks) are registered on each container in scope, pointing
at this receiver. Each delivery's signature is checked the vendor's way; an unsigned, wrongly
signed, unreadable or replayed one is refused, and every delivery, taken or refused, adds a
line to audit.log. A delivery only says which container changed: once per batch interval, when
any came in, one sync pass reads the changes back from the source (through its change feed and
the objects themselves) and writes them; a quiet interval writes nothing.

The receiver is a small threaded HTTP server (the standard library's, like /metrics), bound to
loopback unless told otherwise; it hands what it accepts to the asyncio loop that syncs.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from wizard import registry
from wizard.audit import audit
from wizard.call_errors import RecordRejected
from wizard.errors import Interrupted, UserError
from wizard.health import LISTEN_FILE, listener_beat
from wizard.plan import atomic_write_text
from wizard.secrets import forget_webhook_secret, keep_webhook_secret, webhook_secret
from wizard.webhook_record import Recorded, elsewhere, folder_mark, recorded, save
from wizard.webhooks import Registration, WebhookScheme

MAX_BODY = 1024 * 1024  # a delivery is a few kilobytes; anything this big is not one
SEEN_FILE = "webhook-seen.json"  # delivery ids already taken, so a replay is known after a restart too
SEEN_KEPT = 50_000
BEAT_S = 30.0
UNMARKED = "/webhooks/{system}"  # the callback path before it carried the folder's mark (webhook_record.py)
PROBE_S = 5.0  # how long an address has to answer before a webhook calling it counts as left behind

EXPOSE = (
    "To receive deliveries from the vendor, expose this address through a tunnel (cloudflared, ngrok) and pass "
    "its https address as --public-url; anyone who finds that address can send to it, so only the signature "
    "check stands between them and a sync: keep the signing secret private and close the tunnel after cut-over."
)


@dataclass
class Route:
    """One callback URL the receiver answers: the app-wide one (about whatever container a
    delivery names) or one webhook's own, about its container and checked with its own secret."""

    callback_url: str
    secret: str = ""  # empty until the webhook's registration brings it: deliveries are refused meanwhile
    container_id: str = ""
    awaiting_handshake: bool = False
    handshake: str = ""  # the secret the vendor's handshake brought during the registration


@dataclass(frozen=True)
class Answer:
    status: int
    said: str
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/plain; charset=utf-8"


class Receiver:
    """Checks deliveries and collects the containers they name until the next batch."""

    def __init__(self, folder: Path, system: str, scheme: WebhookScheme) -> None:
        self.folder, self.system, self.scheme = folder, system, scheme
        self.routes: dict[str, Route] = {}  # by the callback URL's path
        self._lock = threading.Lock()
        self.pending: set[str] = set()
        self.changed = threading.Event()
        self._seen_path = folder / "state" / SEEN_FILE
        try:
            self._seen: dict[str, None] = dict.fromkeys(json.loads(self._seen_path.read_text("utf-8")))
        except (OSError, ValueError, TypeError):
            self._seen = {}

    def route(self, path: str, callback_url: str, secret: str = "", container_id: str = "") -> Route:
        with self._lock:
            self.routes[path] = Route(callback_url, secret, container_id)
            return self.routes[path]

    def drop(self, path: str) -> None:
        with self._lock:
            self.routes.pop(path, None)

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        """What to answer one POST to `path`; each delivery adds its audit line."""
        route = self.routes.get(path)
        if route is None:
            return Answer(404, "not found")
        hs = self.scheme.handshake_header
        if hs and headers.get(hs):
            return self._handshake(route, headers[hs])
        echo = self.scheme.challenge(body) if self.scheme.challenge else None
        if echo is not None:
            return self._challenge(route, echo)
        if not headers.get(self.scheme.signature_header):
            return self._refuse(401, "unsigned")
        if not route.secret or not self.scheme.verify(headers, body, route.callback_url, route.secret):
            return self._refuse(401, "wrong signature")
        delivery = self.scheme.parse(body)
        if delivery is None:
            return self._refuse(400, "not a delivery we can read")
        if not delivery.id:  # a heartbeat: signed, names no change
            audit(self.folder, "webhook", system=self.system, outcome="heartbeat")
            return Answer(200, "nothing to sync")
        container = delivery.container_id or route.container_id
        # a webhook of its own container keeps its own ids: the same change sent to two webhooks is no replay
        seen = f"{route.container_id}:{delivery.id}" if route.container_id else delivery.id
        with self._lock:
            if seen in self._seen:
                return self._refuse(409, "replayed", delivery.id)
            self._seen[seen] = None
            while len(self._seen) > SEEN_KEPT:
                del self._seen[next(iter(self._seen))]
            atomic_write_text(self._seen_path, json.dumps(list(self._seen)))
            self.pending.add(container)
        audit(self.folder, "webhook", system=self.system, outcome="accepted", delivery=delivery.id, kind=delivery.kind)
        self.changed.set()
        return Answer(200, "accepted")

    def _handshake(self, route: Route, secret: str) -> Answer:
        """The vendor's registration handshake: echoed only while that webhook's registration
        awaits it, once; any other is refused, so no one else can set a webhook's secret."""
        with self._lock:
            taken = route.awaiting_handshake and not route.handshake
            if taken:
                route.handshake = secret
        if not taken:
            return self._refuse(403, "unexpected handshake")
        audit(self.folder, "webhook", system=self.system, outcome="handshake", container=route.container_id)
        return Answer(200, "handshake", {self.scheme.handshake_header: secret})

    def _challenge(self, route: Route, echo: bytes) -> Answer:
        """A challenge in the body (monday.com's): echoed while a registration to this route awaits it."""
        if not route.awaiting_handshake:
            return self._refuse(403, "unexpected handshake")
        audit(self.folder, "webhook", system=self.system, outcome="handshake", container=route.container_id)
        return Answer(200, echo.decode(), content_type="application/json")

    def _refuse(self, status: int, why: str, delivery: str = "") -> Answer:
        audit(self.folder, "webhook", system=self.system, outcome="refused", why=why, delivery=delivery)
        return Answer(status, f"refused: {why}")

    def give_back(self, containers: set[str]) -> None:
        with self._lock:
            self.pending |= containers

    def take(self) -> set[str]:
        with self._lock:
            taken, self.pending = self.pending, set()
            self.changed.clear()
        return taken


def callback_path(folder: Path, system: str) -> str:
    """The path this folder's webhooks call: the source's, then the folder's own mark, so no two
    folders listening on the same containers share one (the container's own routes go under it)."""
    return f"{UNMARKED.format(system=system)}/{folder_mark(folder)}"


async def remove_elsewhere(
    receiver: Receiver, source: Any, containers: list[str], base_url: str, path: str, profile: str
) -> int:
    """The webhooks an earlier start of this folder registered for another address than this
    one's (another port, another tunnel), deleted at the vendor with their secrets: nothing
    answers there any more. They are those the folder recorded; a folder that recorded none
    finds them at the vendor (_left_before). One already gone at the vendor is simply forgotten.
    How many went."""
    scheme, system, folder = receiver.scheme, receiver.system, receiver.folder
    if scheme.delete is None:
        return 0
    hooks = recorded(folder)
    known = [h for h in hooks if h.system == system] or await _left_before(receiver, source, containers, path)
    stale = [h for h in known if elsewhere(h, system, base_url + path)]
    for hook in stale:
        try:
            await scheme.delete(source, hook.id)
        except RecordRejected as e:
            if e.status != 404:  # 404: gone already (deleted by hand, or by the vendor after failed deliveries)
                raise UserError(
                    f"{registry.label(system)} would not delete the webhook {hook.id} an earlier start registered "
                    f"for {hook.callback_url} ({e.message}); delete it by hand and start again."
                ) from None
        for one in hook.id.split(","):
            forget_webhook_secret(profile, system, one)
        if hook in hooks:
            hooks.remove(hook)
            save(folder, hooks)
        audit(folder, "webhook", system=system, outcome="removed", webhook=hook.id, container=hook.container)
    return len(stale)


async def _left_before(receiver: Receiver, source: Any, containers: list[str], path: str) -> list[Recorded]:
    """The webhooks at the vendor, on the containers in scope, that carry our marker (where the
    vendor keeps one) and an earlier start of this folder left: those calling this folder's path
    (the app-wide route or the container's own, at whatever address), and those calling the path
    of a listener that marked no path, when nothing answers at their address. Any other folder
    listening on these containers calls its own path, or answers at its address: its webhooks stay."""
    if receiver.scheme.ours is None:
        return []
    unmarked = UNMARKED.format(system=receiver.system)
    found = []
    for cid in containers:
        own = quote(cid, safe="")
        for hook_id, url in await receiver.scheme.ours(source, cid):
            at = urlsplit(url).path
            if at in (path, f"{path}/{own}") or (at in (unmarked, f"{unmarked}/{own}") and not await _answers(url)):
                found.append(Recorded(id=hook_id, system=receiver.system, container=cid, callback_url=url))
    return found


async def _answers(url: str) -> bool:
    """Whether a listener answers at `url` (HEAD, as the vendors check a callback URL): 2xx."""
    try:
        async with httpx.AsyncClient(timeout=PROBE_S) as client:
            return (await client.head(url)).is_success
    except httpx.HTTPError:
        return False


def _remember(receiver: Receiver, made: Registration, container: str, callback_url: str) -> None:
    """The webhook this start registered (or reused) on `container`, in place of the ones its
    registration replaced (one webhook a container and address)."""
    new = Recorded(id=made.id, system=receiver.system, container=container, callback_url=callback_url)
    gone = {made.id, *made.dropped}

    def replaced(h: Recorded) -> bool:
        return h.system == new.system and (h.id in gone or (h.container, h.callback_url) == (container, callback_url))

    save(receiver.folder, [h for h in recorded(receiver.folder) if not replaced(h)] + [new])


async def register(
    receiver: Receiver, source: Any, containers: list[str], base_url: str, path: str, profile: str
) -> int:
    """The source's webhook on each container, each answered by a route of the receiver. An
    app-wide secret's webhooks share `path`'s route (made by the caller, with that secret); a
    webhook with its own secret gets the route `path/<container>` and the secret its registration
    brings, kept in the keyring (wizard/secrets.py). How many secrets only this process holds
    (no keyring): the next start registers those webhooks again."""
    scheme, system = receiver.scheme, receiver.system
    unkept = 0
    for cid in containers:
        if not scheme.secret_per_webhook:
            shared = receiver.routes[path]
            shared.awaiting_handshake = bool(scheme.challenge)
            ours = {
                one
                for h in recorded(receiver.folder)
                if (h.system, h.container) == (system, cid)
                for one in h.id.split(",")
            }
            try:
                shared_made = await _registered(receiver, source, base_url + path, cid, ours.__contains__)
            finally:
                shared.awaiting_handshake = False
            if shared_made is not None:
                _remember(receiver, shared_made, cid, base_url + path)
            continue
        sub = f"{path}/{quote(cid, safe='')}"
        route = receiver.route(sub, base_url + sub, container_id=cid)
        route.awaiting_handshake = bool(scheme.handshake_header)
        try:
            made = await _registered(
                receiver, source, route.callback_url, cid, lambda hook: bool(webhook_secret(profile, system, hook))
            )
        finally:
            route.awaiting_handshake = False
        if made is None:  # a container without webhooks: its route goes
            receiver.drop(sub)
            continue
        for gone in made.dropped:
            forget_webhook_secret(profile, system, gone)
        secret = route.handshake or made.secret or webhook_secret(profile, system, made.id)
        if not secret:
            raise UserError(
                f"{registry.label(system)} registered the webhook {made.id} without giving its signing secret; "
                "delete that webhook and start listening again."
            )
        unkept += not keep_webhook_secret(profile, system, made.id, secret)
        route.secret = secret
        _remember(receiver, made, cid, route.callback_url)
    return unkept


async def _registered(
    receiver: Receiver, source: Any, url: str, container: str, known: Callable[[str], bool]
) -> Registration | None:
    """One webhook registered; the vendor's refusal (it could not reach the URL, most often) in
    one sentence that says what to check."""
    try:
        return await receiver.scheme.register(source, url, container, known)
    except RecordRejected as e:
        raise UserError(
            f"{registry.label(receiver.system)} refused the webhook for {container} ({e.message}); check that "
            f"{url} reaches this listener from the internet (--public-url, through a tunnel) and start again."
        ) from None


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(
            self,
            status: int,
            text: str = "",
            headers: dict[str, str] | None = None,
            content_type: str = "text/plain; charset=utf-8",
        ) -> None:
            body = text.encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self) -> None:  # the vendor checks the callback URL with HEAD
            self._answer(200 if self.path in receiver.routes else 404)

        def do_GET(self) -> None:
            self._answer(200 if self.path in receiver.routes else 404, "listening\n")

        def do_POST(self) -> None:
            if self.path not in receiver.routes:
                return self._answer(404, "not found\n")
            try:
                size = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                size = -1
            if not 0 <= size <= MAX_BODY:
                return self._answer(413, "too large\n")
            body = self.rfile.read(size)
            answer = receiver.handle(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            self._answer(answer.status, answer.said + "\n", answer.headers, answer.content_type)

        def log_message(self, format: str, *args: object) -> None:
            pass  # each delivery is in audit.log; nothing of a request goes to the terminal

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a sender that hangs up mid-request is no error of the listener's


def serve(receiver: Receiver, host: str, port: int) -> _Server:
    try:
        server = _Server((host, port), _handler(receiver))
    except OSError as e:
        raise UserError(f"Cannot listen on {host}:{port} ({e.strerror}); choose another --port.") from None
    threading.Thread(target=server.serve_forever, name="listen", daemon=True).start()
    return server


async def keep_in_step(
    folder: Path,
    receiver: Receiver,
    sync: Callable[[], Awaitable[str]],
    batch_s: float,
    stop: asyncio.Event,
    until: float | None,
    say: Callable[[str], None],
) -> None:
    """Until `stop` or `until`: every batch interval, one sync pass when deliveries came in."""
    next_batch = time.monotonic() + batch_s
    failing = False
    while not stop.is_set() and (until is None or time.time() < until):
        if not failing:
            listener_beat(folder)
        wait = min(BEAT_S, max(0.0, next_batch - time.monotonic()))
        if until is not None:
            wait = min(wait, max(0.0, until - time.time()))
        try:
            await asyncio.wait_for(stop.wait(), timeout=wait)
        except TimeoutError:
            pass
        if time.monotonic() < next_batch and not stop.is_set():
            continue
        next_batch = time.monotonic() + batch_s
        containers = receiver.take()
        if containers:
            say(f"Deliveries for {len(containers)} container(s): syncing.")
            failing = not await _pass(folder, receiver, containers, sync, say)
    containers = receiver.take()
    if containers:  # what came in after the last batch is not left for the next start
        await _pass(folder, receiver, containers, sync, say)


async def _pass(
    folder: Path,
    receiver: Receiver,
    containers: set[str],
    sync: Callable[[], Awaitable[str]],
    say: Callable[[str], None],
) -> bool:
    """One batch's sync. One that fails (the vendor away, the folder busy with another command)
    keeps its containers for the next batch and says why, to the terminal and to `health`."""
    beating = asyncio.create_task(_beat_while(folder))  # a long pass is no silence for `health`
    try:
        say(await sync())
        return True
    except Interrupted:
        raise
    except UserError as e:
        receiver.give_back(containers)
        say(f"This batch's sync failed: {e.sentence} The next batch tries again.")
        beating.cancel()
        listener_beat(folder, f"The last batch's sync failed: {e.sentence}")
        return False
    finally:
        beating.cancel()


async def _beat_while(folder: Path) -> None:
    while True:
        await asyncio.sleep(BEAT_S)
        listener_beat(folder)


def stopped(folder: Path) -> None:
    """A listener that ended as asked leaves no heartbeat (health: no listener)."""
    (folder / "state" / LISTEN_FILE).unlink(missing_ok=True)
