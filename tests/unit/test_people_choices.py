"""Every plan choice about a person is honoured or refused with a reason (issue 21, item 9)."""

from wizard.engine.people import match_people
from wizard.model import Person
from wizard.target import TargetUser

USERS = [TargetUser(1001, "Ana Silva", "ana@client.example"), TargetUser(1002, "Ben Okafor", "ben@client.example")]


def decide(email: str | None, name: str, choice: str):
    p = Person(key="trello:member:m1", name=name, email=email)
    return match_people([p], USERS, {p.key: choice} if choice else {})[p.key]


def test_invite_for_someone_matched_by_email_says_why_it_was_not_invited() -> None:
    d = decide("ana@client.example", "Ana S.", "invite")
    assert d.action == "matched" and d.user_id == 1001 and "plan says invite" in d.reason


def test_a_user_not_in_the_organization_is_refused_with_the_reason() -> None:
    d = decide(None, "Carla Diaz", "user:9999")
    assert d.action == "placeholder" and "9999" in d.reason and "not in the target organization" in d.reason


def test_an_unknown_choice_is_refused_and_matching_still_applies() -> None:
    d = decide("ben@client.example", "Ben", "mentor")
    assert d.action == "matched" and "'mentor' is not" in d.reason


def test_a_mapped_person_carries_the_users_name_and_email_for_the_report() -> None:
    d = decide(None, "Someone", "user:1002")
    assert d.action == "mapped" and d.user_name == "Ben Okafor <ben@client.example>"


def test_invite_is_honoured_over_a_match_by_name_alone() -> None:
    d = decide("ana.silva@elsewhere.example", "Ana Silva", "invite")
    assert d.action == "invite"


def test_someone_outside_the_organization_is_offered_as_a_guest() -> None:
    d = decide("lena@fischer.example", "Lena Fischer", "")
    assert d.action == "placeholder" and "a guest fits" in d.reason
    assert "guest" not in decide("carla@client.example", "Carla Diaz", "").reason, "a colleague is not offered"


def test_the_guest_choice_is_honoured_with_an_email_and_refused_without() -> None:
    assert decide("lena@fischer.example", "Lena Fischer", "guest").action == "guest"
    d = decide(None, "Lena Fischer", "guest")
    assert d.action == "placeholder" and "no email" in d.reason
