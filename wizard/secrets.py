"""Credentials by profile name: the OS keyring first, environment variables on headless
machines, and the built-in `sandbox` profile for the sandboxes' well-known test credentials.

A credential is a small dict of the parts its system's spec names (`{"key": .., "token": ..}`
for Trello, `{"token": ..}` for Tallyfy). It is never written to the plan, the store, logs or reports; `mask()` is what
logs may show.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from typing import Any

from wizard import registry
from wizard.errors import CredentialError
from wizard.redact import register

SERVICE = "migration-wizard"


# Until their adapters' specs declare them (`AdapterSpec.sandbox.credentials`), the test
# credentials of the sandboxes being built; a spec of the same system takes precedence.
_NOT_YET_IN_A_SPEC: dict[str, Mapping[str, str]] = {
    "clickup": {"token": "pk_sandbox_clickup"},
    "pipefy": {"token": "sandbox-pipefy-token"},
    "processstreet": {"token": "sandbox-processstreet-key"},
}


class _SandboxCredentials(Mapping[str, Mapping[str, str]]):
    """The sandboxes' well-known test credentials, by system, as each spec declares them
    (`AdapterSpec.sandbox.credentials`); they open no real account."""

    def _systems(self) -> dict[str, Mapping[str, str]]:
        found: dict[str, Mapping[str, str]] = dict(_NOT_YET_IN_A_SPEC)
        registered: set[str] = set()
        for kind in registry.GROUPS:
            for system, spec in registry.specs(kind).items():
                if spec.sandbox is not None and system not in registered:
                    found[system] = spec.sandbox.credentials
                    registered.add(system)
        return found

    def __getitem__(self, system: str) -> Mapping[str, str]:
        return self._systems()[system]

    def __iter__(self) -> Iterator[str]:
        return iter(self._systems())

    def __len__(self) -> int:
        return len(self._systems())


SANDBOX_CREDENTIALS: Mapping[str, Mapping[str, str]] = _SandboxCredentials()


def env_name(profile: str, system: str, part: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9]", "_", profile).upper()
    return f"MW_{clean}_{system.upper()}_{part.upper()}"


def _keyring() -> Any:
    try:
        # lazy, and any failure means no keyring: a missing or broken backend leaves the MW_* variables
        import keyring  # noqa: PLC0415
        from keyring.errors import KeyringError, NoKeyringError  # noqa: F401, PLC0415

        return keyring
    except Exception:  # noqa: BLE001 - keyring missing or its backend broken (it raises anything): no keyring
        return None


def keyring_ready() -> None:
    """Import keyring and choose its backend, the slow part of a first keyring read (it scans
    the installed entry points and probes each backend), so a caller with an event loop can do
    it in a thread first. Any failure is left for the read itself to meet: it means no keyring."""
    kr = _keyring()
    if kr is not None:
        with contextlib.suppress(Exception):  # a backend may raise anything
            kr.get_keyring()


def load_credentials(profile: str, system: str, parts: tuple[str, ...]) -> dict[str, str]:
    """The credential for `system` in `profile`, or one sentence saying how to provide it.
    What it hands out is registered for redaction from any vendor text."""
    creds = _load_credentials(profile, system, parts)
    register(*creds.values())
    return creds


def _load_credentials(profile: str, system: str, parts: tuple[str, ...]) -> dict[str, str]:
    if profile == "sandbox":
        if system not in SANDBOX_CREDENTIALS:
            raise CredentialError(
                f"{registry.label(system)} has no sandbox, so the 'sandbox' profile has no credential for it."
            )
        return dict(SANDBOX_CREDENTIALS[system])
    kr = _keyring()
    if kr is not None:
        try:
            raw = kr.get_password(SERVICE, f"{profile}/{system}")
        except Exception:  # noqa: BLE001 - a backend may raise anything; the MW_* variables are the fallback
            raw = None
        if raw:
            try:
                data = json.loads(raw)
                if all(data.get(p) for p in parts):
                    return {p: data[p] for p in parts}
            except ValueError:
                pass
    env = {p: os.environ.get(env_name(profile, system, p), "") for p in parts}
    if all(env.values()):
        return env
    names = ", ".join(env_name(profile, system, p) for p in parts)
    raise CredentialError(
        f"No {system} credential for profile '{profile}': run 'migration-wizard login {profile} --system {system}' "
        f"or set {names}."
    )


def save_credentials(profile: str, system: str, values: dict[str, str]) -> None:
    if profile == "sandbox":
        raise CredentialError("The 'sandbox' profile is built in and cannot be changed; choose another profile name.")
    kr = _keyring()
    if kr is None:
        raise CredentialError("No keyring is available on this machine; set the MW_* environment variables instead.")
    try:
        kr.set_password(SERVICE, f"{profile}/{system}", json.dumps(values))
    except Exception as e:  # noqa: BLE001 - a backend may raise anything: said in one sentence
        raise CredentialError(
            f"The keyring refused to store the credential ({type(e).__name__}); "
            "set the MW_* environment variables instead."
        ) from None


# Webhook signing secrets the keyring could not keep (no keyring, the built-in sandbox profile):
# held for this process only, so a later start registers those webhooks again for new secrets.
_WEBHOOK_SECRETS: dict[str, str] = {}


def _webhook_account(profile: str, system: str, webhook_id: str) -> str:
    return f"{profile}/{system}/webhook/{webhook_id}"


def webhook_secret(profile: str, system: str, webhook_id: str) -> str:
    """The signing secret the vendor made for one webhook (in a registration handshake or its create
    answer): the keyring's, else MW_<PROFILE>_<SYSTEM>_WEBHOOK_<ID>, else this process's; "" when
    none knows it. Never in a file."""
    account = _webhook_account(profile, system, webhook_id)
    kr = _keyring() if profile != "sandbox" else None
    found = ""
    if kr is not None:
        try:
            found = str(kr.get_password(SERVICE, account) or "")
        except Exception:  # noqa: BLE001 - a backend may raise anything; the variable and memory remain
            found = ""
    part = "webhook_" + re.sub(r"[^A-Za-z0-9]", "_", webhook_id)
    found = found or os.environ.get(env_name(profile, system, part), "")
    found = found or _WEBHOOK_SECRETS.get(account, "")
    register(found)
    return found


def keep_webhook_secret(profile: str, system: str, webhook_id: str, secret: str) -> bool:
    """Keeps a webhook's signing secret in the keyring; False when only this process holds it
    (no keyring, or the sandbox profile), so the next start registers the webhook again."""
    register(secret)
    account = _webhook_account(profile, system, webhook_id)
    _WEBHOOK_SECRETS[account] = secret
    kr = _keyring() if profile != "sandbox" else None
    if kr is None:
        return False
    try:
        kr.set_password(SERVICE, account, secret)
        return bool(kr.get_password(SERVICE, account) == secret)  # a null backend keeps nothing
    except Exception:  # noqa: BLE001 - a backend that cannot keep it: this process holds it
        return False


def forget_webhook_secret(profile: str, system: str, webhook_id: str) -> None:
    """A deleted webhook's signing secret leaves the keyring (and this process): nothing may
    keep a secret that no longer opens anything."""
    account = _webhook_account(profile, system, webhook_id)
    _WEBHOOK_SECRETS.pop(account, None)
    kr = _keyring() if profile != "sandbox" else None
    if kr is None:
        return
    try:
        if kr.get_password(SERVICE, account) is not None:
            kr.delete_password(SERVICE, account)
    except Exception:  # noqa: BLE001 - a backend that cannot delete: the entry opens a webhook that is gone
        return


def mask(secret: str) -> str:
    """What a log may show of a secret: its length and last two characters."""
    if not secret:
        return ""
    return f"…{secret[-2:]}({len(secret)})" if len(secret) > 8 else "…"


def mask_email(email: str | None) -> str:
    """Personal data in logs: keep the first letter and the domain."""
    if not email or "@" not in email:
        return "…" if email else ""
    user, domain = email.split("@", 1)
    return f"{user[:1]}…@{domain}"


# The sandboxes' audit key: as well known as their credentials, and as harmless.
SANDBOX_AUDIT_KEY = b"sandbox-audit-key-00000000000000000000000000000000"


@functools.cache
def audit_key(profile: str) -> bytes | None:
    """The key that signs a folder's audit.log: the keyring's (made on first use), else
    MW_<PROFILE>_AUDIT_KEY; None when neither can hold one (the lines are then unsigned, and
    `audit verify` says so). Never written to the folder."""
    if profile == "sandbox":
        return SANDBOX_AUDIT_KEY
    kr = _keyring()
    account = f"{profile}/audit"
    if kr is not None:
        try:
            raw = kr.get_password(SERVICE, account)
        except Exception:  # noqa: BLE001 - as above: no key from a broken backend
            raw = None
        if raw:
            return str(raw).encode()
    env = os.environ.get(env_name(profile, "audit", "key"))
    if env:
        return env.encode()
    if kr is not None:
        new = secrets.token_hex(32)
        try:
            kr.set_password(SERVICE, account, new)
            if kr.get_password(SERVICE, account) == new:  # a null backend keeps nothing
                return new.encode()
        except Exception:  # noqa: BLE001 - a backend that cannot keep the key: the audit log goes unsigned
            pass
    return None
