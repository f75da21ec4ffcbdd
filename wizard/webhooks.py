"""What a source declares of its webhooks (AdapterSpec.webhooks), for `listen`: how to register
one on a container, how to check a delivery's signature the vendor's way, and what a delivery
names. A delivery only says where to look: `listen` reads the objects back through the source
before anything is written, never trusting the payload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Delivery:
    """What a verified delivery names: `id` is unique to the change (a second delivery with the
    same id is a replay), `container_id` the container to sync."""

    id: str
    container_id: str
    kind: str = ""


@dataclass(frozen=True)
class WebhookScheme:
    secret_part: str  # the credential part holding the signing secret (MW_<PROFILE>_<SYSTEM>_<PART>)
    secret_label: str  # where a consultant finds it, for the sentence when it is missing
    signature_header: str  # lower case: a delivery without it is unsigned
    # (source adapter, callback URL, container id) -> the webhook's id; an existing one is reused
    register: Callable[[Any, str, str], Awaitable[str]]
    # (headers in lower case, raw body, callback URL, secret) -> whether the signature holds
    verify: Callable[[Mapping[str, str], bytes, str, str], bool]
    # raw body -> what it names, None when it names nothing we can use
    parse: Callable[[bytes], Delivery | None]
