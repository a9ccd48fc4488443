"""Parsing a webhook body and summarising the notification it holds."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from typing import Any

import orjson


class NotJsonObject(ValueError):
    """The body is not a JSON object (not UTF-8, not JSON, too deep, or another JSON type)."""


def parse_json_object(body: bytes) -> dict[str, Any]:
    """Parse a body that must be a JSON object.

    orjson is the fast path (Alertmanager sends compact UTF-8 JSON). It reads integers
    beyond 64 bits as doubles and refuses those beyond a double's range, which are still
    JSON, so those bodies get a second chance with the standard library, where an integer
    of more digits than int() converts is a stand-in of its sign (see `_integer`);
    NaN, Infinity and numbers that overflow to them are refused by both.

    Raises:
        NotJsonObject: with a short reason a sender can act on.
    """
    document = parse_json(body)
    if not isinstance(document, dict):
        raise NotJsonObject(f"body is JSON {_json_type(document)}, not an object")
    return document


def parse_json(body: bytes) -> Any:
    """Parse a body as any JSON value, as `parse_json_object` does (same fallback, reasons).

    Raises:
        NotJsonObject: with a short reason a sender can act on.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        return _parse_with_stdlib(body, error)


# 640 nines: int() converts (and prints) that many digits under any limit Python allows.
_LARGEST = 10**sys.int_info.str_digits_check_threshold - 1


def _integer(text: str) -> int:
    """An integer literal the stdlib parser found: exact up to int()'s digit limit.

    Python refuses to convert more than `sys.get_int_max_str_digits()` digits (4,300) because
    the conversion is quadratic; that guard stays on for the whole process. A longer literal
    is still JSON, so it parses to a stand-in: a plain int (jsonschema-rs takes no subclass)
    of the same sign, 640 nines (int() converts and prints that many under any limit).
    That is below the literal's own magnitude (JSON has no leading zeros) and above any
    bound our schemas write, so it is exact enough for validation (type integer, sign,
    minimum / maximum); the stored bytes are the exact body, and `show --json` reads its
    numbers as text.
    """
    limit = sys.get_int_max_str_digits()
    if len(text) - text.startswith("-") <= (limit or len(text)):
        return int(text)
    return -_LARGEST if text.startswith("-") else _LARGEST


def _parse_with_stdlib(body: bytes, orjson_error: orjson.JSONDecodeError) -> Any:
    reason = str(orjson_error)
    if "64-bit" not in reason and "infinity when parsed as double" not in reason:
        raise NotJsonObject(not_json(body, orjson_error)) from None
    try:
        document = json.loads(
            body, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_integer
        )
    except (ValueError, RecursionError) as error:
        raise NotJsonObject(f"body is not JSON: {_short(str(error))}") from None
    # json.loads takes a lone surrogate escape ("\\udfff"), which orjson refuses and Go never
    # writes; such a string cannot be encoded as UTF-8, so keeping the document would fail
    # later (schema, object name, metadata) with a 500 on every retry. Refusing it here
    # quarantines the exact bytes instead. Re-encoding is paid only on this rare path.
    try:
        json.dumps(document, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise NotJsonObject(
            "body is not JSON: a string holds a lone UTF-16 surrogate escape "
            "(\\ud800-\\udfff without its pair), which is not a character"
        ) from None
    except RecursionError:
        raise NotJsonObject("body is not JSON: nested too deeply") from None
    return document


# orjson's reasons (JSONDecodeError.msg, by how they start), in the words a sender reads.
_REASONS = (
    (
        "unexpected character, expected a JSON value",
        "unexpected character {char} where a value should be",
    ),
    (
        "unexpected character, expected a string key",
        'unexpected character {char} where a key (a "double-quoted" string) should be',
    ),
    (
        "unexpected character, expected ':'",
        "unexpected character {char} where a ':' should follow the key",
    ),
    (
        "unexpected character, expected ','",
        "unexpected character {char} where a ',' or the closing bracket should be",
    ),
    ("unexpected character", "unexpected character {char}"),
    ("trailing comma", "a ',' before a closing bracket (no trailing commas in JSON)"),
    (
        "invalid literal",
        "an unknown word (the only words in JSON are true, false and null)",
    ),
    (
        "unexpected content after document",
        "more after the end of the JSON value (a body is one JSON object)",
    ),
    ("unexpected end of data", "the body ends in the middle of a JSON value (cut short?)"),
    (
        "unexpected control character",
        "control character {char} inside a string (it must be escaped)",
    ),
    ("invalid escape", "invalid \\ escape in a string"),
    ("no low surrogate", "a \\u escape of a lone UTF-16 surrogate in a string"),
    ("invalid high surrogate", "a \\u escape of a lone UTF-16 surrogate in a string"),
    ("no digit", "a number with a digit missing"),
    ("number with leading zero", "a number with a leading zero"),
    ("depth limit", "nested too deeply"),
    ("recursion limit", "nested too deeply"),
)


def not_json(body: bytes, error: orjson.JSONDecodeError) -> str:
    """Why orjson refused the body, in our words, at the byte (and line and column) it stopped.

    `body is not JSON: unexpected character 'x' where a value should be at byte 17
    (line 1, column 18)`; bytes count from 0, lines and columns (characters) from 1.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as bad:
        invalid = f"0x{body[bad.start]:02x}"
        return f"body is not JSON: invalid UTF-8 ({invalid}){_at(body, bad.start)}"
    if text.startswith("\ufeff"):
        return (
            "body is not JSON: it starts with a byte order mark (U+FEFF), which JSON does not allow"
        )
    if not text.strip():
        return f"body is not JSON: it is {'only whitespace' if body else 'empty'}"
    position = min(max(error.pos, 0), len(text))
    offset = len(text[:position].encode())
    char = repr(text[position]) if position < len(text) else "end of body"
    if position < len(text) and not text[position].isprintable():
        char = f"U+{ord(text[position]):04X}"
    reason = next(
        (ours.format(char=char) for theirs, ours in _REASONS if error.msg.startswith(theirs)),
        "invalid JSON",
    )
    return f"body is not JSON: {reason}{_at(body, offset)}"


def _at(body: bytes, offset: int) -> str:
    """` at byte N (line L, column C)` for a byte offset into body."""
    line_start = body.rfind(b"\n", 0, offset) + 1
    line = body.count(b"\n", 0, offset) + 1
    column = len(body[line_start:offset].decode("utf-8", errors="replace")) + 1
    return f" at byte {offset} (line {line}, column {column})"


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"number {_short(text, 40)} is beyond the range of a double")
    return number


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclasses.dataclass(frozen=True)
class Summary:
    """What a reader wants to see about a notification without opening it."""

    status: str
    receiver: str
    alertnames: tuple[str, ...]
    alert_count: int
    truncated_alerts: int
    group_key: str
    # Alertmanager >= 0.32: why it sent this ("first notification", "repeat interval elapsed").
    notification_reason: str = ""

    @property
    def title(self) -> str:
        """The alert name a human would call this notification by."""
        if not self.alertnames:
            return ""
        if len(self.alertnames) == 1:
            return self.alertnames[0]
        return f"{self.alertnames[0]}+{len(self.alertnames) - 1}"


def summarize(document: dict[str, Any]) -> Summary:
    """Summarise any JSON object; fields that are missing or of the wrong type read as empty.

    It must not fail on invalid notifications, which are summarised for quarantine too.
    """
    alerts = document.get("alerts")
    alerts = alerts if isinstance(alerts, list) else []
    alertnames: set[str] = set()
    for alert in alerts:
        labels = alert.get("labels") if isinstance(alert, dict) else None
        name = labels.get("alertname") if isinstance(labels, dict) else None
        if isinstance(name, str) and name:
            alertnames.add(name)
    truncated = document.get("truncatedAlerts")
    return Summary(
        status=_string(document.get("status")),
        receiver=_string(document.get("receiver")),
        alertnames=tuple(sorted(alertnames)),
        alert_count=len(alerts),
        truncated_alerts=truncated if isinstance(truncated, int) and truncated >= 0 else 0,
        group_key=_string(document.get("groupKey")),
        notification_reason=_string(document.get("notification_reason")),
    )


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""
