"""The estimate's time is one believable figure: wall-clock under the limits in force, with a
finish time; a sandbox's compressed time is named once and every figure is in it; the
reasons and the risks agree with the headline."""

from __future__ import annotations

import re
import time

import pytest

from wizard.engine.estimate import estimate
from wizard.engine.inventory import ContainerInventory, Inventory
from wizard.humanize import human_duration
from wizard.plan import Plan, Source, Target

NOON_MONDAY = 1_764_590_400.0  # 2025-12-01 12:00 UTC, a Monday


def _inventory(comments: int = 5663, items: int = 260) -> Inventory:
    c = ContainerInventory(
        key="trello:board:b1",
        id="b1",
        name="Board",
        counts={"item": items, "comment": comments, "stage": 5, "tag": 4, "attachment": 10, "upload": 8},
        items_by_stage_index=[items],
        items_with_attachments=6,
        attachment_bytes=3_000_000,
    )
    return Inventory(
        source_system="trello", discovered_at="2025-12-01T12:00:00Z", elapsed_s=1.0, source_calls=30, containers=[c]
    )


def _plan(scale: float = 1.0) -> Plan:
    return Plan(
        name="t",
        source=Source(system="trello", base_url="http://127.0.0.1:1/1", profile="p", rate_window_scale=scale),
        target=Target(
            system="tallyfy", base_url="http://127.0.0.1:2/api", profile="p", organization="o", rate_window_scale=scale
        ),
    )


def _durations(text: str) -> list[str]:
    return re.findall(r"\d+ days \d+ h|\d+ h \d\d min|\d+ min \d\d s|\d+ s\b", text)


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def test_real_time_headline_has_a_finish_time_and_the_risk_agrees() -> None:
    est = estimate(_plan(), _inventory())
    head = est.headline(NOON_MONDAY)
    assert re.fullmatch(r"about \d+ h \d\d min; done \w{3} \d\d:\d\d", head), head
    assert "sandbox" not in head
    # 5663 comments at 120 an hour: 47 h of waiting; the headline is at least that.
    risk = next(r for r in est.risks if "comments alone take" in r)
    assert "47 h 00 min" in risk
    assert est.duration_s >= 47 * 3600
    assert "; done Wed 11:" in head, "Monday noon plus 47 hours and a bit"


def test_sandbox_time_is_named_once_and_every_figure_is_in_it() -> None:
    real, scaled = estimate(_plan(), _inventory()), estimate(_plan(0.001), _inventory())
    head = scaled.headline(NOON_MONDAY)
    whole = "\n".join([head, *scaled.duration_why, *scaled.risks])
    assert whole.count("sandbox time, ×0.001") == 1, whole
    # The comment cap dominates both: its figure is the real one shrunk by the same factor, in
    # the reason, in the risk and in the headline alike (the simulated comments end within one
    # sandbox hour, 3.6 s, after the cap's waits the risk names).
    cap = next(w for w in scaled.duration_why if "comments" in w)
    risk = next(r for r in scaled.risks if "comments alone take" in r)
    assert _durations(cap) and _durations(risk)
    assert _seconds(_durations(risk)[-1]) <= _seconds(_durations(cap)[0]) <= _seconds(_durations(risk)[-1]) + 5
    assert "hours" not in risk and "47" not in risk, "no real-time figure beside sandbox ones"
    assert scaled.duration_s == pytest.approx(real.duration_s * 0.001, rel=0.05)
    assert _durations(head)[0] == human_duration(scaled.duration_s)


def test_the_headline_is_at_least_every_reason() -> None:
    est = estimate(_plan(0.01), _inventory())
    for why in est.duration_why:
        for d in _durations(why):
            assert _seconds(d) <= est.duration_s + 1, (why, est.duration_s)


def _seconds(text: str) -> float:
    n = [int(x) for x in re.findall(r"\d+", text)]
    if "days" in text:
        return n[0] * 86400 + n[1] * 3600
    if " h " in text:
        return n[0] * 3600 + n[1] * 60
    if "min" in text:
        return n[0] * 60 + n[1]
    return n[0]
