from pathlib import Path

import pytest

from wizard.errors import PlanError
from wizard.plan import Plan, load_plan, plan_schema, save_plan

GOOD = """
name = "acme"
[source]
system = "trello"
base_url = "https://api.trello.com/1"
profile = "acme"
[target]
system = "tallyfy"
base_url = "https://go.tallyfy.com/api"
profile = "acme"
organization = "abc"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "plan.toml"
    p.write_text(text)
    return p


def test_good_plan_loads_with_defaults(tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, GOOD))
    assert plan.source.system == "trello"
    assert plan.conflicts.default == "skip"
    assert plan.limits.concurrency == 4


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name = ", "is not valid TOML"),
        (GOOD.replace('system = "trello"', 'system = "jira"'), "key 'source.system'"),
        (GOOD.replace('base_url = "https://api.trello.com/1"', 'base_url = "ftp://x"'), "key 'source.base_url'"),
        (
            GOOD.replace('profile = "acme"\n[target]', 'profile = "acme"\ntoken = "abcdefghijklmnop"\n[target]'),
            "looks like a secret",
        ),
        (GOOD.replace("[target]", "[limits]\nconcurrency = 0\n[target]"), "key 'limits.concurrency'"),
        ('name = "x"', "key 'source' is required but missing"),
    ],
)
def test_bad_plans_get_one_sentence_naming_file_and_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PlanError) as e:
        load_plan(path)
    assert str(path) in e.value.sentence
    assert fragment in e.value.sentence
    assert "\n" not in e.value.sentence
    assert e.value.exit_code == 2


def test_missing_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="no plan file"):
        load_plan(tmp_path)
    (tmp_path / "plan.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PlanError, match="not UTF-8"):
        load_plan(tmp_path)


def test_save_keeps_comments_and_round_trips(tmp_path: Path) -> None:
    path = write(tmp_path, "# the client's plan\n" + GOOD)
    plan = load_plan(path)
    plan.mapping.exclude.append("board1")
    save_plan(path, plan)
    text = path.read_text()
    assert "# the client's plan" in text
    assert load_plan(path).mapping.exclude == ["board1"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_schema_file_is_current() -> None:
    committed = Path(__file__).resolve().parents[2] / "plans" / "plan.schema.json"
    assert committed.read_text() == plan_schema(), "run: migration-wizard schema > plans/plan.schema.json"


def test_example_plans_validate() -> None:
    examples = sorted((Path(__file__).resolve().parents[2] / "plans").glob("*.toml"))
    assert examples
    for p in examples:
        assert isinstance(load_plan(p), Plan)


def test_plain_http_only_to_this_machine_unless_the_plan_allows_it(tmp_path: Path) -> None:
    remote = GOOD.replace('base_url = "https://go.tallyfy.com/api"', 'base_url = "http://go.tallyfy.com/api"')
    with pytest.raises(PlanError) as e:
        load_plan(write(tmp_path, remote))
    assert (
        "key 'target'" in e.value.sentence and "in clear" in e.value.sentence and "allow_insecure" in e.value.sentence
    )
    assert "\n" not in e.value.sentence
    allowed = remote.replace('organization = "abc"', 'organization = "abc"\nallow_insecure = true')
    assert load_plan(write(tmp_path, allowed)).target.base_url == "http://go.tallyfy.com/api"
    for local in ("http://127.0.0.1:8080", "http://localhost:9000/api", "http://[::1]:80"):
        plan = load_plan(write(tmp_path, GOOD.replace("https://go.tallyfy.com/api", local)))
        assert plan.target.base_url == local


def test_a_system_nobody_registered_is_named_with_the_ones_there_are(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('system = "tallyfy"', 'system = "trello"'))
    with pytest.raises(PlanError) as e:
        load_plan(path)
    assert e.value.sentence == (
        f"{path}: key 'target.system' names 'trello', which is not a registered target (registered: monday, tallyfy)."
    )


@pytest.mark.parametrize(
    ("mapping", "sentence"),
    [
        ('checklists = "rows"', "key 'mapping.checklists' input should be 'field' or 'subtasks'."),
        ('preset = "gantt"', "key 'mapping.preset' must be one of kanban."),
        ('colour = "red"', "key 'mapping.colour' is not a known setting."),
        (
            'colour = "red"\nchecklists = 3',
            "key 'mapping.checklists' input should be 'field' or 'subtasks' (1 more problem after this one).",
        ),
        (
            'api_key = "x"',
            "key 'mapping.api_key' looks like a secret; plans name a credential profile, never the secret.",
        ),
    ],
)
def test_the_targets_own_mapping_options_are_checked_by_name(tmp_path: Path, mapping: str, sentence: str) -> None:
    path = write(tmp_path, GOOD + f"[mapping]\n{mapping}\n")
    with pytest.raises(PlanError) as e:
        load_plan(path)
    assert e.value.sentence == f"{path}: {sentence}"


def test_the_mapping_is_the_targets_own_options_and_survives_a_round_trip(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + '[mapping]\nchecklists = "subtasks"\n')
    plan = load_plan(path)
    assert type(plan.mapping).__name__ == "TallyfyMapping"
    assert (plan.mapping.preset, plan.mapping.checklists) == ("kanban", "subtasks")  # type: ignore[attr-defined]
    save_plan(path, plan)
    assert load_plan(path) == plan
    built = Plan(source=plan.source, target=plan.target)  # built in code: the target's options, defaults
    assert type(built.mapping) is type(plan.mapping) and built.mapping.preset == "kanban"
