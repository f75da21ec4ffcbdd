"""The plan file (`plan.toml`): what to move, where, and how. It names credential profiles,
never secrets. Validated by pydantic; `plans/plan.schema.json` is exported from `Plan`."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from wizard import registry
from wizard.errors import PlanError
from wizard.quality_rule import QualityRule

if TYPE_CHECKING:
    from tomlkit import TOMLDocument

Strategy = Literal["skip", "overwrite", "merge", "newer", "manual"]
SECRET_WORDS = ("token", "secret", "password", "api_key", "apikey")


def is_loopback(url: str) -> bool:
    """Whether `url` names this machine (the sandboxes, a local proxy)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Endpoint(_Section):
    base_url: str = Field(description="The API root of the system (its adapter's default, or a sandbox's address).")
    rate_window_scale: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description=(
            "Sandboxes only: the vendor's rate-limit windows are shortened by this factor (0.01: an hour lasts 36 s)."
        ),
    )
    profile: str = Field(
        default="sandbox",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="Credential profile in the OS keyring (or MW_<PROFILE>_* env vars).",
    )

    rate_plan: str = Field(
        default="",
        description="The vendor's account plan whose documented rate limits apply (empty: its default plan).",
    )
    rate_limits: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict,
        description=(
            "The account's own rate limits by name, where they differ from the documented ones "
            "(requests_per_minute = 100): the estimate and the run both hold to them."
        ),
    )

    allow_insecure: bool = Field(
        default=False,
        description=(
            "Allow a plain http:// base_url to a host other than this machine (the credential then travels in clear)."
        ),
    )

    @field_validator("base_url")
    @classmethod
    def _a_url(cls, v: str) -> str:
        parts = urlsplit(v)
        if not re.fullmatch(r"[a-z][a-z0-9+.-]*", parts.scheme) or not v.startswith(f"{parts.scheme}://"):
            raise ValueError("must be a URL (https://…; a source that reads files or databases takes theirs)")
        if parts.password:
            raise ValueError("holds a password; plans name a credential profile, never the secret (use login)")
        return v if parts.scheme not in ("http", "https") else v.rstrip("/")

    def url_schemes(self) -> tuple[str, ...] | None:
        """The schemes this section's system reaches (None: any, a database URL naming its dialect)."""
        return ("http", "https")

    @model_validator(mode="after")
    def _no_credential_in_clear(self) -> Endpoint:
        schemes = self.url_schemes()
        if schemes is not None and urlsplit(self.base_url).scheme not in schemes:
            raise _option_error(
                ("base_url",), "value_error", f"must start with {' or '.join(f'{s}://' for s in schemes)}"
            )
        if self.base_url.startswith("http://") and not self.allow_insecure and not is_loopback(self.base_url):
            raise ValueError(
                f"base_url {self.base_url} is plain http:// to another machine, which would send the "
                f"credential in clear: use https://, or set allow_insecure = true in this section"
            )
        return self


def _registered(kind: registry.Kind, system: str) -> str:
    if registry.find(kind, system) is None:
        names = ", ".join(sorted(registry.specs(kind))) or "none"
        raise ValueError(f"names '{system}', which is not a registered {kind} (registered: {names})")
    return system


class Source(Endpoint):
    system: str = Field(description="The source system, by the name its adapter registers.")
    scope: list[str] = Field(
        default_factory=list,
        description="Ids of the source's containers to migrate. Empty means every one the profile sees.",
    )
    options: dict[str, str] = Field(
        default_factory=dict,
        description="Settings the source's adapter documents: the API version it pins, where its stages come from.",
    )
    preset: str = Field(
        default="",
        validate_default=True,
        description="One of the source's mapping presets (how its containers and items are shaped); empty: its first.",
    )

    @field_validator("system")
    @classmethod
    def _a_source(cls, v: str) -> str:
        return _registered("source", v)

    @field_validator("preset")
    @classmethod
    def _its_preset(cls, v: str, info: ValidationInfo) -> str:
        """One of the source's presets (empty: its first); a source that declares none takes none."""
        system = info.data.get("system")
        if system is None:  # the system is wrong: its own error is the one reported
            return v
        presets = [p.name for p in registry.source(system).presets]
        if not presets and v:
            raise ValueError(f"names '{v}', but {registry.label(system)} has no mapping presets; leave it out")
        if presets and v and v not in presets:
            raise ValueError(f"must be one of {', '.join(presets)}")
        return v or (presets[0] if presets else "")

    def url_schemes(self) -> tuple[str, ...] | None:
        return registry.source(self.system).url_schemes


class Target(Endpoint):
    system: str = Field(description="The target system, by the name its adapter registers.")
    organization: str = Field(default="", description="Target organization / workspace id.")

    @field_validator("system")
    @classmethod
    def _a_target(cls, v: str) -> str:
        return _registered("target", v)


PeopleChoice = str  # "invite" | "placeholder" | "user:<target id>"
CommentStrategy = Literal["each", "digest", "field", "recent"]
COMMENT_STRATEGIES: tuple[CommentStrategy, ...] = ("each", "digest", "field", "recent")


class MappingOptions(_Section):
    """The [mapping] options every target understands. A target's spec names its own options
    (`AdapterSpec.mapping`, a subclass of this one): the plan's [mapping] is validated by the
    options of the plan's target, so each target's options are one case of a union chosen by
    `target.system`."""

    preset: str = Field(default="", description="One of the target's mapping presets; empty: its first.")
    include_archived: bool = Field(default=False, description="Migrate archived (closed) items too.")
    exclude: list[str] = Field(default_factory=list, description="Source keys of containers to leave out.")
    field_types: dict[str, str] = Field(
        default_factory=dict, description="Per source field key: the target field type to use instead of the preset's."
    )
    people: dict[str, PeopleChoice] = Field(
        default_factory=dict, description="Per source person key: invite, placeholder, or user:<target id>."
    )
    duplicates: Literal["keep", "merge"] = "keep"
    comments: CommentStrategy = Field(
        default="each",
        description=(
            "How comments land: each (one target comment per source comment), digest (one comment per item "
            "holding its history), field (the history in a long-text field, no comment calls), recent (the "
            "last recent_comments as comments, the rest as a digest)."
        ),
    )
    recent_comments: int = Field(default=3, ge=1, le=1000, description="How many comments 'recent' posts one by one.")
    comments_by_container: dict[str, CommentStrategy] = Field(
        default_factory=dict, description="Per container (source key or id): its own comment strategy."
    )

    def comment_strategy(self, container_key: str, container_id: str = "") -> CommentStrategy:
        """The strategy of one container: its own, else the plan's."""
        by = self.comments_by_container
        return by.get(container_key) or by.get(container_id) or self.comments


class Conflicts(_Section):
    default: Strategy = "skip"
    per_type: dict[Literal["template", "item", "comment", "attachment"], Strategy] = Field(default_factory=dict)
    match_by_name: bool = Field(
        default=False, description="Also treat a same-named process in the same template as existing."
    )
    apply_source_deletions: bool = False

    def strategy_for(self, kind: str) -> Strategy:
        return next((s for k, s in self.per_type.items() if k == kind), self.default)


class Limits(_Section):
    concurrency: int = Field(default=4, ge=1, le=64)
    max_attachment_mb: int = Field(default=100, ge=0, le=100)
    request_timeout_s: float = Field(default=30.0, gt=0, le=600)
    max_retries: int = Field(default=6, ge=0, le=20)


class Plan(_Section):
    version: Literal[1] = 1
    name: str = Field(default="migration", max_length=200)
    source: Source
    target: Target
    mapping: SerializeAsAny[MappingOptions] = Field(default_factory=MappingOptions, validate_default=True)
    conflicts: Conflicts = Field(default_factory=Conflicts)
    limits: Limits = Field(default_factory=Limits)
    quality: list[QualityRule] = Field(
        default_factory=list,
        description="Data-quality rules checked on every item before anything is written ([[quality]]).",
    )

    @model_validator(mode="after")
    def _rule_names_unique(self) -> Plan:
        names = [r.name for r in self.quality]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"[[quality]] names {', '.join(twice)} more than once; each rule's name is its own")
        return self

    @field_validator("mapping", mode="before")
    @classmethod
    def _target_options(cls, v: object, info: ValidationInfo) -> MappingOptions:
        """[mapping] read by the options of the plan's target (the default ones when the
        target is not valid: its own error is the one reported)."""
        target = info.data.get("target")
        return target_options(target.system if isinstance(target, Target) else None, v)


def target_options(system: str | None, v: object) -> MappingOptions:
    """[mapping] as the options of target `system` (None: the options every target has); a
    preset left empty is the target's first."""
    spec = registry.target(system) if system else None
    model = (spec.mapping if spec else None) or MappingOptions
    if isinstance(v, MappingOptions):
        if type(v) is model:
            return v
        v = v.model_dump(exclude_defaults=True)
    try:
        options = model.model_validate(v)
    except ValidationError as e:  # told with the place inside [mapping], as any other key
        err = e.errors()[0]
        raise _option_error(err["loc"], err["type"], err["msg"], len(e.errors()) - 1) from None
    presets = [p.name for p in spec.presets] if spec else []
    if presets and not options.preset:
        options.preset = presets[0]
    elif presets and options.preset not in presets:
        raise _option_error(("preset",), "value_error", f"must be one of {', '.join(presets)}")
    return options


def _option_error(loc: tuple[int | str, ...], kind: str, msg: str, more: int = 0) -> PydanticCustomError:
    return PydanticCustomError("mapping_option", msg, {"loc": loc, "type": kind, "msg": msg, "more": more})


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def _first_error(path: Path, exc: ValidationError) -> str:
    err = exc.errors()[0]
    more = len(exc.errors()) - 1
    if err["type"] == "mapping_option":  # an error inside a target's own [mapping] options
        ctx = err.get("ctx") or {}
        loc, kind, msg, more = (*err["loc"], *ctx["loc"]), ctx["type"], ctx["msg"], more + ctx["more"]
        err = {**err, "loc": loc, "type": kind, "msg": msg}
    msg = err["msg"]
    if err["type"] == "missing":
        msg = "is required but missing"
    elif err["type"] == "extra_forbidden":
        msg = "is not a known setting"
        leaf = str(err["loc"][-1]).lower()
        if any(w in leaf for w in SECRET_WORDS):
            msg = "looks like a secret; plans name a credential profile, never the secret"
    else:
        msg = msg.removeprefix("Value error, ")
        msg = msg[0].lower() + msg[1:]
    tail = f" ({more} more problem{'s' if more > 1 else ''} after this one)" if more else ""
    return f"{path}: key '{_where(err['loc'])}' {msg}{tail}."


def load_plan(path: Path) -> Plan:
    path = Path(path)
    if path.is_dir():
        path = path / "plan.toml"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PlanError(f"{path}: no plan file here; create one with 'migration-wizard new DIR'.") from None
    except OSError as e:
        raise PlanError(f"{path}: cannot be read ({e.strerror}).") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PlanError(f"{path}: is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as e:
        raise PlanError(f"{path}: is not valid TOML ({e}).") from None
    try:
        return Plan.model_validate(data)
    except ValidationError as e:
        raise PlanError(_first_error(path, e)) from None


def _merge(doc: TOMLDocument | dict[str, Any], data: dict[str, Any]) -> None:
    for k, v in data.items():
        if isinstance(v, dict) and k in doc and isinstance(doc[k], dict):
            _merge(doc[k], v)
            for gone in [x for x in doc[k] if x not in v]:
                del doc[k][gone]
        else:
            doc[k] = v


def save_plan(path: Path, plan: Plan) -> None:
    """Write the plan atomically, keeping the comments of an existing file."""
    path = Path(path)
    if path.is_dir():
        path = path / "plan.toml"
    import tomlkit  # noqa: PLC0415 - lazy: only an edit writes the plan; opening a migration reads it with tomllib

    doc = tomlkit.parse(path.read_text("utf-8")) if path.exists() else tomlkit.document()
    _merge(doc, plan.model_dump(mode="json", exclude_none=True))
    atomic_write_text(path, tomlkit.dumps(doc))


def atomic_write_text(path: Path, text: str) -> None:
    """Write `path` whole or not at all, readable by its owner only. The temporary file's
    name is unique, so two commands writing the same file never trip over each other's."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mode 0600
    try:
        with open(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def plan_schema() -> str:
    """The plan's JSON schema, [mapping] as one of the registered targets' options."""
    models = tuple(dict.fromkeys(s.mapping or MappingOptions for s in registry.targets().values()))
    options: Any = Union[models] if len(models) > 1 else (models[0] if models else MappingOptions)  # noqa: UP007
    exported = create_model("Plan", __base__=Plan, mapping=(options, Field(default_factory=MappingOptions)))
    return json.dumps(exported.model_json_schema(), indent=2, sort_keys=True) + "\n"
