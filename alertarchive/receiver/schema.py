"""The Alertmanager webhook schema: loaded once, validated fast, explained in one line."""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import json
from typing import Any

import jsonschema_rs

# Package data, so an installed wheel validates as a source checkout does; the top-level schema/
# of the repository is a link to the same folder.
SCHEMAS = importlib.resources.files("alertarchive.schemas")
NOTIFICATION_SCHEMA = "alertmanager-webhook-v4.schema.json"

# Alertmanager copies a rejected request's response body into its log line.
_MAX_MESSAGE_CHARS = 160
_MAX_SEGMENT_CHARS = 40
_MAX_PROBLEMS = 20


@dataclasses.dataclass(frozen=True)
class Problem:
    """One way a document breaks the schema."""

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} ({self.rule})"


@functools.cache
def load_schema() -> dict[str, Any]:
    """The notification schema as a dict, read from disk once per process."""
    return json.loads(SCHEMAS.joinpath(NOTIFICATION_SCHEMA).read_text(encoding="utf-8"))


class NotificationValidator:
    """Validates parsed notifications against the schema.

    jsonschema-rs decides on the hot path: it is ~300x faster than the jsonschema reference
    on a 1,000-alert body. tests/test_schema_engines.py proves the two agree.
    """

    def __init__(self, schema: dict[str, Any] | None = None) -> None:
        self._schema = schema or load_schema()
        self._validator = jsonschema_rs.validator_for(self._schema)
        self._subvalidators: dict[int, Any] = {}

    def problems(self, document: Any) -> list[Problem]:
        """Every violation (up to a bound), in document order; empty when valid.

        jsonschema-rs's iter_errors builds every error before yielding the first (each ~6 KB,
        a `required` one copies its instance), so a body of 100,000 `{}` alerts cost seconds
        and gigabytes. It therefore sees a reduced document instead: each array or map cut
        after its _MAX_PROBLEMS-th invalid member (is_valid, which allocates nothing, finds
        it) and properties no keyword reads dropped. The first _MAX_PROBLEMS errors are the
        same, at the same paths; tests/test_schema_cost.py proves both.
        """
        if self._validator.is_valid(document):
            return []
        origins: dict[int, list[int]] = {}
        reduced = self._reduce(document, self._schema, origins)
        found = []
        for error in self._validator.iter_errors(reduced):
            found.append(
                Problem(
                    path=json_path(_original_indices(reduced, error, origins)),
                    rule=_rule(error.schema_path),
                    message=_message(error.kind, error.schema_path),
                )
            )
            if len(found) == _MAX_PROBLEMS:
                break
        return found

    def _reduce(self, instance: Any, node: Any, origins: dict[int, list[int]]) -> Any:
        """`instance` with what cannot change the first _MAX_PROBLEMS errors left out."""
        node = self._resolve(node)
        if node is None or not set(node) <= _REDUCIBLE_KEYWORDS:
            return instance
        if isinstance(instance, dict):
            if "additionalProperties" in node and "properties" not in node:
                needed = set(node.get("required", ()))
                values = self._members(
                    instance.items(),
                    node["additionalProperties"],
                    node.get("minProperties", 0),
                    origins,
                    lambda key: key in needed,
                )
                return dict(values)
            if "properties" in node and not {"additionalProperties", "minProperties"} & set(node):
                known, needed = node["properties"], set(node.get("required", ()))
                return {
                    key: self._reduce(value, known[key], origins) if key in known else value
                    for key, value in instance.items()
                    if key in known or key in needed
                }
        if isinstance(instance, list) and "items" in node:
            pairs = self._members(
                enumerate(instance), node["items"], node.get("minItems", 0), origins
            )
            reduced = [value for _, value in pairs]
            origins[id(reduced)] = [index for index, _ in pairs]
            return reduced
        return instance

    def _members(
        self,
        pairs: Any,
        member_schema: Any,
        at_least: int,
        origins: dict[int, list[int]],
        needed: Any = lambda key: False,
    ) -> list[tuple[Any, Any]]:
        """The invalid members up to the _MAX_PROBLEMS-th, each reduced, in order.

        Valid members add no error, so only those the container's own keywords count
        (minItems/minProperties, required keys) stay; a `required` error copies its
        instance, and copying every valid alert cost as much as 100,000 errors.
        """
        validator = self._subvalidator(member_schema)
        kept: list[tuple[Any, Any]] = []
        invalid = 0
        for key, value in pairs:
            if invalid >= _MAX_PROBLEMS and len(kept) >= at_least:
                break
            if not validator.is_valid(value):
                invalid += 1
                kept.append((key, self._reduce(value, member_schema, origins)))
            elif len(kept) < at_least or needed(key):
                kept.append((key, value))
        return kept

    def _resolve(self, node: Any) -> dict[str, Any] | None:
        """A schema node with its local `#/$defs/...` $ref merged in; None if not a dict."""
        if not isinstance(node, dict):
            return None
        ref = node.get("$ref")
        if ref is None:
            return node
        if not isinstance(ref, str) or not ref.startswith("#/$defs/") or "/" in ref[8:]:
            return None
        target = self._resolve(self._schema.get("$defs", {}).get(ref[8:]))
        if target is None:
            return None
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return None if set(target) & set(node) - _ANNOTATIONS else merged

    def _subvalidator(self, node: Any) -> Any:
        validator = self._subvalidators.get(id(node))
        if validator is None:
            sub = (
                node if isinstance(node, bool) else {**node, "$defs": self._schema.get("$defs", {})}
            )
            if isinstance(sub, dict) and "$schema" in self._schema:
                sub["$schema"] = self._schema["$schema"]
            validator = self._subvalidators[id(node)] = jsonschema_rs.validator_for(sub)
        return validator


# Keywords whose verdicts a reduced document keeps: only these may appear in a node that
# _reduce cuts. A cut array or map keeps its minimum size and every member up to the
# _MAX_PROBLEMS-th invalid one (so no error among the first _MAX_PROBLEMS is lost, none is
# added); an object loses only keys no keyword here reads (no additionalProperties, no
# property counts). maxItems, uniqueItems, contains, patternProperties, ... disable cutting.
_ANNOTATIONS = frozenset({"description", "title", "$comment", "examples", "default"})
_REDUCIBLE_KEYWORDS = _ANNOTATIONS | {
    "$schema",
    "$id",
    "$defs",
    "type",
    "required",
    "properties",
    "items",
    "minItems",
    "additionalProperties",
    "minProperties",
}


def explain(problems: list[Problem], what: str = "invalid Alertmanager notification") -> str:
    """One short line for the sender: the first problem and how many others there are."""
    line = f"{what}: {problems[0]}"
    if len(problems) > 1:
        line += f"; and {len(problems) - 1}{'+' if len(problems) == _MAX_PROBLEMS else ''} more"
    return line


def json_path(segments: list[str | int]) -> str:
    """`['alerts', 0, 'labels', 'a b']` → `$.alerts[0].labels["a b"]`, each segment bounded."""
    path = "$"
    for segment in segments:
        if isinstance(segment, int):
            path += f"[{segment}]"
        elif segment.isidentifier():
            path += "." + _truncate(segment, _MAX_SEGMENT_CHARS)
        else:
            path += f"[{json.dumps(_truncate(segment, _MAX_SEGMENT_CHARS), ensure_ascii=True)}]"
    return path


def _original_indices(reduced: Any, error: Any, origins: dict[int, list[int]]) -> list[str | int]:
    """The error's path in the reduced document, with array indices of the original."""
    path = _instance_path(reduced, error)
    value = reduced
    original: list[str | int] = []
    for segment in path:
        if isinstance(segment, int) and isinstance(value, list) and id(value) in origins:
            original.append(origins[id(value)][segment])
        else:
            original.append(segment)
        try:
            value = value[segment]
        except (LookupError, TypeError):
            value = None
    return original


def _instance_path(document: Any, error: Any) -> list[str | int]:
    """The error's path, with the empty-string keys jsonschema-rs leaves out put back.

    jsonschema-rs 0.61 reports `{"labels": {"": 1}}` at `$.labels`, not `$.labels[""]`
    (tests/test_schema_engines.py found it); the failing value tells which it meant.
    """
    path = list(error.instance_path)
    value = document
    try:
        for segment in path:
            value = value[segment]
    except (LookupError, TypeError):
        return path
    while isinstance(value, dict) and "" in value and value != error.instance:
        path.append("")
        value = value[""]
    return path


# Patterns are long regexes; say what they mean instead.
_PATTERN_MEANINGS = {
    "timestamp": "must be an RFC 3339 date-time such as 2026-11-27T04:05:06.789Z",
    "fingerprint": "must be 16 lowercase hex digits",
}


def _message(kind: Any, schema_path: list[str | int]) -> str:
    """What the schema requires, said without quoting the offending value.

    The message goes into a response and a log line, which must not carry body content
    (label values can hold anything); the path and this message are enough to act on.
    """
    name, value = kind.name, kind.value
    if name == "required":
        message = f"{json.dumps(value)} is required"
    elif name == "enum":
        message = "must be one of " + ", ".join(json.dumps(option) for option in value)
    elif name == "const":
        message = f"must be {json.dumps(value)}"
    elif name == "type":
        message = "must be " + " or ".join(f"a JSON {kind_name}" for kind_name in value)
    elif name == "pattern":
        meaning = next((m for key, m in _PATTERN_MEANINGS.items() if key in schema_path), None)
        message = meaning or f"must match {value}"
    elif name in ("minItems", "minProperties", "minLength"):
        unit = {"minItems": "item", "minProperties": "property", "minLength": "character"}[name]
        message = f"must have at least {value} {unit}{'' if value == 1 else 's'}"
    elif name == "minimum":
        message = f"must be at least {value}"
    else:
        message = f"violates {name}"
    return _truncate(message, _MAX_MESSAGE_CHARS)


def _rule(schema_path: list[str | int]) -> str:
    keywords = [segment for segment in schema_path if isinstance(segment, str)]
    return keywords[-1] if keywords else "schema"


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
