"""Feed it garbage: generated plan files and Trello payloads end in one clear sentence or a
quarantined record with its reason, never another exception; a zero-byte, a 30 MB and an
over-the-limit attachment are handled (the last quarantined with its reason, the run goes on)."""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.tallyfy.sandbox import TallyfySandbox
from adapters.trello.mapping import map_attachment, map_card, map_comment
from adapters.trello.sandbox import TrelloSandbox
from adapters.trello.sandbox_api import iter_open_cards
from adapters.trello.wire import TrelloCustomField
from tests.reliability.conftest import InProcess
from tests.reliability.harness import run_cli
from wizard.adapter import SourceRejected
from wizard.errors import PlanError
from wizard.model import Attachment, Comment, Item
from wizard.plan import Limits, Plan, load_plan

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "שלום עולם",
        "مراجعة التصميم غدًا",
        "\u202etxt.exe",
        "👩‍👩‍👧‍👦🚧✅",
        "Größe — ça marche ?",
        "\x00",
        "\ufeffbom",
        "a" * 100_000,
        "🙏" * 20_000,
        "line\nbreak",
        "\"quoted\" 'single' \\back",
    ]
)
TEXT = st.one_of(ODD_TEXT, st.text(max_size=40))
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
)
JUNK = st.recursive(SCALAR, lambda c: st.lists(c, max_size=3) | st.dictionaries(TEXT, c, max_size=3), max_leaves=6)


def mutated(data: st.DataObject, value: Any, depth: int = 0) -> Any:
    """Keep, drop or replace each key of a valid record (recursively), with junk values."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            what = data.draw(st.sampled_from(["keep", "keep", "keep", "drop", "junk", "deeper"]))
            if what == "drop":
                continue
            out[k] = data.draw(JUNK) if what == "junk" else mutated(data, v, depth + 1) if what == "deeper" else v
        return out
    if isinstance(value, list) and value and depth < 4:
        return [mutated(data, v, depth + 1) for v in value]
    return value


# -- plan files -------------------------------------------------------------------------
def toml_value(v: Any) -> str:
    """TOML for a value; None becomes `null`, which is not TOML (a user could write it)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return (
            "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {toml_value(x)}" for k, x in v.items()) + "}"
        )
    raise TypeError(type(v))


def toml_doc(data: dict[str, Any]) -> str:
    top = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    tables = [
        f"[{json.dumps(k)}]\n"
        + "\n".join(f"{json.dumps(str(kk), ensure_ascii=False)} = {toml_value(vv)}" for kk, vv in v.items())
        for k, v in data.items()
        if isinstance(v, dict)
    ]
    return "\n".join(top) + "\n\n" + "\n\n".join(tables) + "\n"


VALID_PLAN = Plan.model_validate(
    {
        "name": "Acme → Tallyfy",
        "source": {"system": "trello", "base_url": "https://api.trello.com/1", "scope": ["b1"]},
        "target": {"system": "tallyfy", "base_url": "https://go.tallyfy.com/api", "organization": "org1"},
        "mapping": {"people": {"trello:member:m1": "invite"}, "exclude": ["trello:board:b2"]},
    }
).model_dump(mode="json", exclude_none=True)


def check_plan_text(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.toml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        try:
            plan = load_plan(path)
        except PlanError as e:
            sentence = e.sentence
            assert sentence and "\n" not in sentence and sentence.endswith((".", ")")), sentence[:300]
            assert len(sentence) < 5000, f"a {len(sentence)}-character sentence"
        else:
            assert isinstance(plan, Plan)


@FAST
@given(st.data())
def test_generated_plan_files_load_or_say_one_sentence(data: st.DataObject) -> None:
    check_plan_text(toml_doc(mutated(data, VALID_PLAN)))


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_arbitrary_bytes_as_a_plan_file_say_one_sentence(raw: bytes | str) -> None:
    check_plan_text(raw)


@pytest.mark.parametrize(
    "text, says",
    [
        (toml_doc({**VALID_PLAN, "limits": {"concurrency": "many"}}), "limits.concurrency"),
        (toml_doc({**VALID_PLAN, "name": "שלום 👩‍👩‍👧‍👦 " * 5000}), "key 'name'"),
        (toml_doc({**VALID_PLAN, "target": None}), "not valid TOML"),
    ],
    ids=["wrong-type", "huge-rtl-emoji-name", "null"],
)
def test_a_bad_plan_through_the_cli_exits_2_with_one_sentence(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "plan.toml").write_text(text, "utf-8")
    r = run_cli("run", str(tmp_path), "--yes", timeout=60)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert says in r.stderr.replace("\n", ""), r.stderr[:2000]
    assert len(r.stderr) < 5000


# -- Trello payloads --------------------------------------------------------------------
def hexid(n: int) -> str:
    return f"{n:024x}"


FIELDS = {
    f["id"]: TrelloCustomField.model_validate(f)
    for f in [
        {"id": hexid(1), "name": "Done?", "type": "checkbox"},
        {"id": hexid(2), "name": "Budget", "type": "number"},
        {"id": hexid(3), "name": "Due", "type": "date"},
        {"id": hexid(4), "name": "Notes", "type": "text"},
        {"id": hexid(5), "name": "Priority", "type": "list", "options": [{"id": hexid(6), "value": {"text": "High"}}]},
    ]
}
VALID_CARD = {
    "id": hexid(100),
    "name": "Review quarterly invoice",
    "desc": "see **notes**",
    "closed": False,
    "idBoard": hexid(99),
    "idList": hexid(98),
    "pos": 16384.5,
    "due": "2024-05-01T12:00:00.000Z",
    "dueComplete": False,
    "dateLastActivity": "2024-04-01T08:00:00.000Z",
    "idMembers": [hexid(7)],
    "idLabels": [hexid(8)],
    "url": "https://trello.com/c/abc/1",
    "badges": {"comments": 2},
    "checklists": [
        {
            "id": hexid(9),
            "name": "QA",
            "pos": 1,
            "checkItems": [
                {"id": hexid(10), "name": "Proofread", "state": "complete", "pos": 1, "due": None, "idMember": hexid(7)}
            ],
        }
    ],
    "customFieldItems": [
        {"id": "x1", "idCustomField": hexid(1), "value": {"checked": "true"}},
        {"id": "x2", "idCustomField": hexid(2), "value": {"number": "8"}},
        {"id": "x3", "idCustomField": hexid(3), "value": {"date": "2024-06-01T00:00:00.000Z"}},
        {"id": "x4", "idCustomField": hexid(4), "value": {"text": "hello"}},
        {"id": "x5", "idCustomField": hexid(5), "idValue": hexid(6)},
        {"id": "x6", "idCustomField": hexid(77), "value": {"number": "3"}},
    ],
}
VALID_COMMENT = {
    "id": hexid(200),
    "type": "commentCard",
    "date": "2024-04-02T09:00:00.000Z",
    "idMemberCreator": hexid(7),
    "data": {"text": "Done ✅", "card": {"id": hexid(100), "name": "x"}},
    "memberCreator": {"id": hexid(7), "fullName": "Mei Chen", "username": "mei"},
}
VALID_ATTACHMENT = {
    "id": hexid(300),
    "name": "Résumé.docx",
    "fileName": "Résumé.docx",
    "bytes": 2048,
    "mimeType": "application/pdf",
    "date": "2024-04-03T10:00:00.000Z",
    "isUpload": True,
    "url": "https://api.trello.com/1/cards/x/attachments/y/download/R.docx",
}


def check_mapped(result: Any, good: type) -> None:
    if isinstance(result, SourceRejected):
        assert isinstance(result.reason, str) and result.reason.strip(), result
        assert result.key.startswith("trello:")
    else:
        assert isinstance(result, good), type(result)


def test_the_valid_payloads_map() -> None:
    assert isinstance(map_card(VALID_CARD, hexid(99), FIELDS), Item)
    assert isinstance(map_comment(VALID_COMMENT), Comment)
    assert isinstance(map_attachment(VALID_ATTACHMENT, hexid(100)), Attachment)


@FAST
@given(st.data())
def test_generated_cards_map_or_are_rejected_with_a_reason(data: st.DataObject) -> None:
    check_mapped(map_card(mutated(data, VALID_CARD), hexid(99), FIELDS, index=3), Item)


@FAST
@given(st.data())
def test_generated_comments_and_attachments_map_or_are_rejected_with_a_reason(data: st.DataObject) -> None:
    check_mapped(map_comment(mutated(data, VALID_COMMENT)), Comment)
    check_mapped(map_attachment(mutated(data, VALID_ATTACHMENT), hexid(100)), Attachment)


@settings(max_examples=40, deadline=None)
@given(JUNK)
def test_anything_at_all_as_a_card_is_rejected_with_a_reason(junk: Any) -> None:
    check_mapped(map_card(junk, hexid(99), FIELDS, index=0), Item)


# -- attachments: empty, large, over the limit --------------------------------------------
@pytest.mark.slow
def test_zero_byte_30mb_and_over_the_limit_attachments(tmp_path: Path) -> None:
    trello = TrelloSandbox(seed=6, scale="small", rate_limits="off")

    uploads = [(c, a) for c in iter_open_cards(trello.state) for a in c.attachments if a["isUpload"]]  # on the board
    (_, empty), (_, big), (_, huge) = uploads[0], uploads[1], uploads[2]
    empty["bytes"], big["bytes"], huge["bytes"] = 0, 30 * 1024 * 1024, 40 * 1024 * 1024
    empty["name"] = empty["fileName"] = "nothing in it.txt"
    big["name"] = big["fileName"] = "big scan.pdf"
    sb = InProcess(
        tmp_path / "mig",
        trello,
        TallyfySandbox(seed=6, rate_limits="off"),
        source_scale=0.001,
        target_scale=0.001,
        limits=Limits(max_attachment_mb=35),
    )
    try:
        r = run_cli("run", str(sb.folder), "--yes", timeout=300)
        assert r.returncode == 1, r.stdout + r.stderr  # a quarantined record: not a clean success
        assert "Traceback" not in r.stderr
        assert "quarantined" in r.stderr and "35 MB limit" in r.stderr.replace("\n", ""), r.stderr[-2000:]
        src = {a["id"]: a for b in sb.export("trello")["boards"] for a in b["attachments"]}
        assets = [x for run in sb.export("tallyfy")["runs"] if not run["preexisting"] for x in run["assets"]]
        by_name = {}
        for x in assets:
            by_name.setdefault(x["filename"], []).append(x)
        assert [(x["size"], x["sha256"]) for x in by_name["big scan.pdf"]] == [(big["bytes"], src[big["id"]]["sha256"])]
        assert [x["size"] for x in by_name["nothing in it.txt"]] == [0]
        assert by_name["nothing in it.txt"][0]["sha256"] == hashlib.sha256(b"").hexdigest()
        huge_name = huge["name"]
        assert not any(x["size"] == huge["bytes"] for x in by_name.get(huge_name, [])), "the file over the limit stayed"
        report = run_cli("report", str(sb.folder))
        assert report.returncode == 0
        quarantined = json.loads((sb.folder / "reports" / "report.json").read_text())["quarantined"]
        assert [q for q in quarantined if q["key"] == f"trello:attachment:{huge['id']}" and "limit" in q["reason"]]
        cards = {c["id"] for b in sb.export("trello")["boards"] for c in b["cards"] if c["visible"]}
        runs = [x for x in sb.export("tallyfy")["runs"] if not x["preexisting"]]
        assert len(runs) == len(cards), "the run went on: every card arrived"
    finally:
        sb.close()


def test_a_huge_bad_value_gives_a_short_reason() -> None:
    card = dict(VALID_CARD, customFieldItems=[{"idCustomField": hexid(1), "value": {"checked": "x" * 100_000}}])
    result = map_card(card, hexid(99), FIELDS)
    assert isinstance(result, SourceRejected)
    assert len(result.reason) < 500
