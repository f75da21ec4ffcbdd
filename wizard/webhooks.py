"""What a source declares of its webhooks (AdapterSpec.webhooks), for `listen`: how to register
one on a container, how to check a delivery's signature the vendor's way, and what a delivery
names. A delivery only says where to look: `listen` reads the objects back through the source
before anything is written, never trusting the payload.

Two kinds of signing secret: one for the whole app, which the consultant provides
(`secret_part`), or one per webhook, which the vendor makes when the webhook is registered
(in the create answer, or in a handshake the receiver echoes). A webhook with
its own secret gets its own callback URL, so a delivery is checked with the secret of the
webhook it came to and is about that webhook's container."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Delivery:
    """What a verified delivery names: `id` is unique to the change (a second delivery with the
    same id is a replay), `container_id` the container to sync (empty: the container of the
    webhook it came to). An empty `id` names no change (a heartbeat): acknowledged, nothing synced."""

    id: str
    container_id: str = ""
    kind: str = ""


@dataclass(frozen=True)
class Registration:
    """A registered webhook: its id at the vendor, and its own signing secret when the vendor
    returned one with it (empty: the app's secret, or the one the handshake brought)."""

    id: str
    secret: str = ""
    dropped: tuple[str, ...] = ()  # webhooks of ours the registration deleted at the vendor: their secrets go too


# (source adapter, callback URL, container id, whether a webhook id is known) -> the webhook, or
# None for a container the vendor sends no webhooks for (a project template). Known: for a webhook
# with its own secret, that its secret is kept; for an app-wide secret, that this folder recorded
# it (state/webhooks.json), for a vendor that names no webhook's URL (monday.com). An existing
# one is reused when known; one whose own secret is lost is deleted and registered again, so a
# new secret comes. A webhook neither calling `callback URL` nor known is never deleted.
Register = Callable[[Any, str, str, Callable[[str], bool]], Awaitable[Registration | None]]


@dataclass(frozen=True)
class WebhookScheme:
    secret_label: str  # where the secret comes from, for the sentence when it is missing
    signature_header: str  # lower case: a delivery without it is unsigned
    register: Register
    # (headers in lower case, raw body, callback URL, secret) -> whether the signature holds
    verify: Callable[[Mapping[str, str], bytes, str, str], bool]
    # raw body -> what it names, None when it names nothing we can use
    parse: Callable[[bytes], Delivery | None]
    # the credential part holding an app-wide signing secret (MW_<PROFILE>_<SYSTEM>_<PART>);
    # empty: each webhook has its own, made by the vendor at registration
    secret_part: str = ""
    # lower case: the header of the vendor's registration handshake (a secret it sends), whose
    # value the receiver echoes and keeps as the webhook's secret; empty: no handshake
    handshake_header: str = ""
    # raw body -> the answer to a registration challenge the body bears (monday.com's
    # `{"challenge": ...}`, echoed), None when the body is none; answered only during a registration
    challenge: Callable[[bytes], bytes | None] | None = None
    # (source adapter, webhook id) -> the webhook deleted at the vendor (RecordRejected: not there);
    # a listener started at another address deletes those an earlier start registered for the old one
    delete: Callable[[Any, str], Awaitable[None]] | None = None
    # (source adapter, container id) -> (id, callback URL) of the container's webhooks that may be
    # ours (our marker where the vendor keeps one): how a folder that recorded none finds those an
    # earlier start left; the listener takes only those calling its folder's path (listen._left_before)
    ours: Callable[[Any, str], Awaitable[list[tuple[str, str]]]] | None = None

    @property
    def secret_per_webhook(self) -> bool:
        return not self.secret_part
