"""The Alertmanager webhook schema: loaded once, validated fast, explained in one line."""

from __future__ import annotations

import dataclasses
import functools
import json
import pathlib
from typing import Any

import jsonschema_rs

SCHEMA_DIR = pathlib.Path(__file__).resolve().parent.parent / "schema"
NOTIFICATION_SCHEMA_PATH = SCHEMA_DIR / "alertmanager-webhook-v4.schema.json"

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
    return json.loads(NOTIFICATION_SCHEMA_PATH.read_text(encoding="utf-8"))


class NotificationValidator:
    """Validates parsed notifications against the schema.

    jsonschema-rs decides on the hot path: it is ~300x faster than the jsonschema reference
    on a 1,000-alert body. tests/test_schema_engines.py proves the two agree.
    """

    def __init__(self, schema: dict[str, Any] | None = None) -> None:
        self._validator = jsonschema_rs.validator_for(schema or load_schema())

    def problems(self, document: Any) -> list[Problem]:
        """Every violation (up to a bound), in document order; empty when valid."""
        if self._validator.is_valid(document):
            return []
        found = []
        for error in self._validator.iter_errors(document):
            found.append(
                Problem(
                    path=json_path(_instance_path(document, error)),
                    rule=_rule(error.schema_path),
                    message=_message(error.kind, error.schema_path),
                )
            )
            if len(found) == _MAX_PROBLEMS:
                break
        return found


def explain(problems: list[Problem]) -> str:
    """One short line for the sender: the first problem and how many others there are."""
    line = f"invalid Alertmanager notification: {problems[0]}"
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
