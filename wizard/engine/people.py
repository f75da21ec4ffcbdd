"""People: match source members to target users by email, then by name; the plan may say
otherwise per person (invite, placeholder, or a given user)."""

from __future__ import annotations

from dataclasses import dataclass

from wizard.model import Person
from wizard.target import TargetUser


@dataclass(frozen=True)
class PersonDecision:
    key: str
    name: str
    action: str  # "matched" | "mapped" | "invite" | "guest" | "placeholder"
    user_id: int | str | None = None
    reason: str = ""
    user_name: str = ""  # the target user's name (and email), for the report


def _norm(s: str | None) -> str:
    return " ".join((s or "").lower().split())


def _label(u: TargetUser) -> str:
    return f"{u.name} <{u.email}>" if u.email else u.name


def _domain(email: str | None) -> str:
    return (email or "").rpartition("@")[2].lower()


def is_external(p: Person, users: list[TargetUser]) -> bool:
    """Someone whose email domain none of the organization's members share: a guest, not a member."""
    return bool(p.email) and _domain(p.email) not in {_domain(u.email) for u in users if u.email}


def match_people(people: list[Person], users: list[TargetUser], choices: dict[str, str]) -> dict[str, PersonDecision]:
    """Each person's decision. Every plan choice is honoured, or refused with the reason."""
    by_email = {_norm(u.email): u for u in users if u.email}
    by_id = {str(u.id): u for u in users}
    by_name: dict[str, list[TargetUser]] = {}
    for u in users:
        by_name.setdefault(_norm(u.name), []).append(u)
    out: dict[str, PersonDecision] = {}
    for p in people:
        choice = choices.get(p.key, "")
        refused = ""
        if choice.startswith("user:"):
            uid = choice.split(":", 1)[1]
            if (chosen := by_id.get(uid)) is not None:
                out[p.key] = PersonDecision(p.key, p.name, "mapped", chosen.id, "chosen in the plan", _label(chosen))
                continue
            refused = f"the plan names user {uid}, who is not in the target organization; "
        elif choice == "placeholder":
            out[p.key] = PersonDecision(
                p.key, p.name, "placeholder", None, "kept as a named placeholder, as the plan says"
            )
            continue
        elif choice == "guest":
            if p.email:
                out[p.key] = PersonDecision(
                    p.key, p.name, "guest", p.email, "added as a guest, as the plan says (30 guests an hour)", p.email
                )
            else:
                out[p.key] = PersonDecision(
                    p.key,
                    p.name,
                    "placeholder",
                    None,
                    "the plan says guest, but the source gives no email; kept as a named placeholder",
                )
            continue
        elif choice not in ("", "invite"):
            refused = f"the plan's choice '{choice[:40]}' is not user:ID, invite, guest or placeholder; "
        if p.email and (same := by_email.get(_norm(p.email))):
            why = (
                "the plan says invite, but a target user already has that email: matched instead"
                if choice == "invite"
                else refused + "same email"
            )
            out[p.key] = PersonDecision(p.key, p.name, "matched", same.id, why, _label(same))
            continue
        candidates = by_name.get(_norm(p.name), [])
        if len(candidates) == 1 and choice != "invite":
            out[p.key] = PersonDecision(
                p.key, p.name, "matched", candidates[0].id, refused + "same name", _label(candidates[0])
            )
            continue
        if choice == "invite":
            if p.email:
                out[p.key] = PersonDecision(p.key, p.name, "invite", None, "invited, as the plan says")
            else:
                out[p.key] = PersonDecision(
                    p.key,
                    p.name,
                    "placeholder",
                    None,
                    "the plan says invite, but the source gives no email; kept as a named placeholder",
                )
            continue
        why = "two target users have that name" if len(candidates) > 1 else "no target user with that email or name"
        if is_external(p, users):
            why += "; outside the organization (their email's domain is no member's): a guest fits"
        out[p.key] = PersonDecision(p.key, p.name, "placeholder", None, refused + why)
    return out
