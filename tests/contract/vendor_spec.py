"""A vendor's own API description, read for the contract tests: an OpenAPI document (JSON or
YAML) or a GraphQL SDL, under ../shared/specs beside the project. What the adapter declares
the description gets wrong or leaves out (`wizard.registry.ApiDescription`) is applied here,
and every declared exemption must still be needed (`unused`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from tests.conftest import shared_spec
from wizard.registry import ApiDescription

TYPES = {"string": str, "object": dict, "array": list, "boolean": bool}


def spec_file(api: ApiDescription) -> Path:
    """The description's file; skips the test, with the reason, where ../shared is absent."""
    return shared_spec(*api.path.split("/"))


@cache
def _load(path: Path) -> Any:
    text = path.read_text()
    if path.suffix in (".graphql", ".gql"):
        import graphql  # noqa: PLC0415  lazy: only the GraphQL vendors need it

        return graphql.build_schema(text)
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def is_graphql(api: ApiDescription) -> bool:
    return Path(api.path).suffix in (".graphql", ".gql")


@dataclass
class OpenApi:
    """Matches requests to the description's operations and checks answers against their
    schemas (type, enum and pattern of every field a schema defines)."""

    api: ApiDescription
    doc: dict[str, Any] = field(init=False)
    used: set[str] = field(default_factory=set)  # the exemptions that suppressed a finding

    def __post_init__(self) -> None:
        self.doc = _load(spec_file(self.api))

    # -- requests ------------------------------------------------------------------------
    def template(self, method: str, path: str) -> str | None:
        """The most specific path template for this request, or None."""
        segs = path.strip("/").split("/")
        best: tuple[int, str] | None = None
        for template, ops in self.doc["paths"].items():
            if method.lower() not in ops:
                continue
            tsegs = template.strip("/").split("/")
            if len(tsegs) != len(segs):
                continue
            literal = 0
            for t, s in zip(tsegs, segs, strict=True):
                if t.startswith("{") and t.endswith("}"):
                    continue
                if t != s:
                    break
                literal += 1
            else:
                if best is None or literal > best[0]:
                    best = (literal, template)
        return best[1] if best else None

    def _parameters(self, method: str, template: str) -> list[dict[str, Any]]:
        item = self.doc["paths"][template]
        return [self.resolve(p) for p in list(item.get("parameters", [])) + list(item[method].get("parameters", []))]

    def declared_query(self, method: str, template: str) -> set[str]:
        return {p["name"] for p in self._parameters(method.lower(), template) if p.get("in") == "query"}

    def request_problems(self, method: str, path: str, query: set[str]) -> list[str]:
        """What is wrong with one request, per the description and the declared exemptions."""
        for pattern in self.api.off_spec_paths:
            if re.search(pattern, path):
                self.used.add(f"off_spec_paths {pattern}")
                return []
        template = self.template(method, path)
        if template is None:
            return [f"{method} {path}: no operation in the description"]
        key = f"{method.lower()} {template}"
        extra = query - self.declared_query(method, template)
        allowed = self.api.undeclared_query.get(key, frozenset())
        if extra & allowed:
            self.used.add(f"undeclared_query {key}")
        extra -= allowed
        return [f"{key} sends undeclared {sorted(extra)}"] if extra else []

    # -- answers -------------------------------------------------------------------------
    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while True:
            if "$ref" in schema:
                target = self.pointer(schema["$ref"])
                schema = {**target, **{k: v for k, v in schema.items() if k not in ("$ref", "type")}}
            elif "oneOf" in schema and len(schema["oneOf"]) == 1:
                schema = {**schema["oneOf"][0], **{k: v for k, v in schema.items() if k != "oneOf"}}
            elif "allOf" in schema:
                merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
                for raw in schema["allOf"]:
                    part = self.resolve(raw)
                    merged.setdefault("properties", {}).update(part.get("properties", {}))
                    merged.setdefault("type", part.get("type"))
                schema = merged
            else:
                return schema

    def pointer(self, ref: str) -> dict[str, Any]:
        """What a local JSON pointer names: `#/components/schemas/X`, or anywhere in the document
        (ClickUp's description points into its paths: `#/paths/~1v2~1user/get/...`)."""
        node: Any = self.doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[unquote(part).replace("~1", "/").replace("~0", "~")]
        return node  # type: ignore[no-any-return]

    def answer_schema(self, method: str, path: str, status: int) -> tuple[str, dict[str, Any]] | None:
        """(where, schema) of the answer this request got, where the description (or the
        adapter, for what the description leaves out) gives one."""
        template = self.template(method, path)
        if template is None:
            return None
        key = f"{method.lower()} {template}"
        if key in self.api.response_schemas:
            self.used.add(f"response_schemas {key}")
            name = self.api.response_schemas[key]
            return name, {"$ref": f"#/components/schemas/{name}"}
        responses = self.doc["paths"][template][method.lower()].get("responses", {})
        # a YAML description's status codes load as integers (Asana's), a JSON one's as strings
        response = responses.get(str(status)) or responses.get(status)
        if not response:
            return None
        schema = self.resolve(response).get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            return None
        ref = schema.get("$ref") or schema.get("items", {}).get("$ref") or ""
        return (ref.rsplit("/", 1)[-1] or key), schema

    def check(self, value: Any, schema: dict[str, Any], where: str, errors: list[str]) -> None:
        """Null is accepted throughout: vendors send null for unset fields far more often than
        their descriptions mark them nullable."""
        if value is None:
            return
        schema = self.resolve(schema)
        if "items" not in schema and isinstance(value, list) and schema.get("type") != "array":
            for v in value[:25]:  # an answer that wraps objects in a list the description omits
                self.check(v, schema, where, errors)
            return
        problem = _type_problem(value, schema)
        if problem and where in self.api.schema_gaps:
            self.used.add(f"schema_gaps {where}")
            return
        if problem:
            errors.append(f"{where}: {problem}")
            return
        if isinstance(value, dict):
            for name, sub in schema.get("properties", {}).items():
                if name in value:
                    self.check(value[name], sub, f"{where}.{name}", errors)
        if isinstance(value, list) and "items" in schema:
            for v in value[:25]:
                self.check(v, schema["items"], where, errors)

    def unused(self) -> list[str]:
        declared = (
            [f"off_spec_paths {p}" for p in self.api.off_spec_paths]
            + [f"undeclared_query {k}" for k in self.api.undeclared_query]
            + [f"response_schemas {k}" for k in self.api.response_schemas]
            + [f"schema_gaps {k}" for k in self.api.schema_gaps]
        )
        return [d for d in declared if d not in self.used]


def _type_problem(value: Any, schema: dict[str, Any]) -> str | None:
    t = schema.get("type")
    if isinstance(t, list):  # OpenAPI 3.1: any of these types ("null" is accepted throughout)
        problems = [_type_problem(value, {**schema, "type": one}) for one in t if one != "null"]
        return None if not problems or None in problems else problems[0]
    if t in ("integer", "number"):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = number and (t == "number" or isinstance(value, int))
    elif t in TYPES:
        ok = isinstance(value, TYPES[t]) and not (t != "boolean" and isinstance(value, bool))
    else:
        ok = True
    if not ok:
        return f"expected {t}, got {type(value).__name__} {value!r:.40}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{value!r} not in {schema['enum']}"
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        return f"{value!r} does not match {schema['pattern']}"
    return None


def graphql_problems(api: ApiDescription, body: bytes) -> list[str]:
    """A GraphQL request's document validated against the vendor's SDL."""
    import graphql  # noqa: PLC0415  lazy: only the GraphQL vendors need it

    schema = _load(spec_file(api))
    try:
        query = json.loads(body)["query"]
        errors = graphql.validate(schema, graphql.parse(query))
    except (ValueError, KeyError, TypeError, graphql.GraphQLError) as e:
        return [f"not a GraphQL request: {e}"]
    return [str(e.message) for e in errors]
