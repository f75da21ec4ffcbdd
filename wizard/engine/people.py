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
    action: str  # "matched" | "mapped" | "invite" | "placeholder"
    user_id: int | str | None = None
    reason: str = ""


def _norm(s: str | None) -> str:
    return " ".join((s or "").lower().split())


def match_people(people: list[Person], users: list[TargetUser], choices: dict[str, str]) -> dict[str, PersonDecision]:
    by_email = {_norm(u.email): u for u in users if u.email}
    by_name: dict[str, list[TargetUser]] = {}
    for u in users:
        by_name.setdefault(_norm(u.name), []).append(u)
    out: dict[str, PersonDecision] = {}
    for p in people:
        choice = choices.get(p.key, "")
        if choice.startswith("user:"):
            uid = choice.split(":", 1)[1]
            out[p.key] = PersonDecision(p.key, p.name, "mapped", int(uid) if uid.isdigit() else uid, "chosen in the plan")
            continue
        if choice == "placeholder":
            out[p.key] = PersonDecision(p.key, p.name, "placeholder", None, "kept as a named placeholder, as the plan says")
            continue
        if p.email and (u := by_email.get(_norm(p.email))):
            out[p.key] = PersonDecision(p.key, p.name, "matched", u.id, "same email")
            continue
        candidates = by_name.get(_norm(p.name), [])
        if len(candidates) == 1:
            out[p.key] = PersonDecision(p.key, p.name, "matched", candidates[0].id, "same name")
            continue
        if choice == "invite":
            if p.email:
                out[p.key] = PersonDecision(p.key, p.name, "invite", None, "invited, as the plan says")
            else:
                out[p.key] = PersonDecision(p.key, p.name, "placeholder", None,
                                            "the plan says invite, but the source gives no email; kept as a named placeholder")
            continue
        why = "two target users have that name" if len(candidates) > 1 else "no target user with that email or name"
        out[p.key] = PersonDecision(p.key, p.name, "placeholder", None, why)
    return out
