r"""Archived text made safe to print: nothing in it can drive a terminal or fool a reader.

What the CLI prints comes from senders (labels, the User-Agent, whole quarantined bodies) and
from whoever can write to the archive (object names, metadata). A terminal obeys control
characters (ESC sequences clear the screen, set the title, write the clipboard with OSC 52;
C1 `\x9b` is an 8-bit CSI) and bidi controls reorder the text after them. Human output shows
every such character escaped (`\x1b`, `\u202e`); JSON output writes them as `\uXXXX` escapes,
which are the same data to any JSON parser and inert on a screen.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any


def printable(text: str) -> str:
    r"""Text with every control, format or separator character escaped (`\x1b`, `\u202e`)."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


class Number(str):
    """A JSON number kept as the text it was written as (no 64-bit or double rounding)."""


def loads_exact(text: str | bytes) -> Any:
    """A JSON document with numbers kept as `Number` text, so writing it back is exact.

    Raises:
        ValueError: not JSON (NaN and Infinity are not JSON either).
        RecursionError: nested deeper than Python's recursion limit.
    """
    return json.loads(text, parse_int=Number, parse_float=Number, parse_constant=_not_json)


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def dumps(value: Any, indent: int | None = None) -> str:
    r"""JSON text of value, safe to print: every non-printable character as a `\u` escape.

    Args:
        value: str, int, float, bool, None, `Number`, and lists, tuples and mappings of them.
        indent: spaces per level (one key or item per line), or None for one line.
    """
    parts: list[str] = []
    _write(value, parts, indent, 0)
    return "".join(parts)


def dumps_line(value: Any) -> str:
    r"""dumps(value) for a value holding no `Number`: a record or row, one of many per command.

    The C encoder writes the same text dumps() does when that text is already printable
    (the usual case); otherwise it is written as dumps() writes it.
    """
    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return encoded if encoded.isprintable() else dumps(value)


def _write(value: Any, parts: list[str], indent: int | None, level: int) -> None:
    if isinstance(value, str):
        # Number before str: it is a str, but its text is the number itself.
        parts.append(str.__str__(value) if isinstance(value, Number) else _string(value))
    elif value is None:
        parts.append("null")
    elif isinstance(value, bool):
        parts.append("true" if value else "false")
    elif isinstance(value, int):
        parts.append(int.__repr__(value))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be written as JSON")
        parts.append(float.__repr__(value))
    elif isinstance(value, Mapping):
        colon = ":" if indent is None else ": "
        items = [(_string(str(key)) + colon, item) for key, item in value.items()]
        _container(items, "{}", parts, indent, level)
    elif isinstance(value, (list, tuple)):
        _container([("", item) for item in value], "[]", parts, indent, level)
    else:
        raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def _container(
    items: list[tuple[str, Any]], brackets: str, parts: list[str], indent: int | None, level: int
) -> None:
    if not items:
        parts.append(brackets)
        return
    inner = "" if indent is None else "\n" + " " * (indent * (level + 1))
    outer = "" if indent is None else "\n" + " " * (indent * level)
    parts.append(brackets[0])
    for index, (prefix, item) in enumerate(items):
        parts.append(("," if index else "") + inner + prefix)
        _write(item, parts, indent, level + 1)
    parts.append(outer + brackets[1])


def _string(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)
    if encoded.isprintable():
        return encoded
    # json.dumps has escaped C0 controls, quotes and backslashes; the rest of what a terminal
    # would act on (C1, DEL, bidi and other format characters, separators, lone surrogates)
    # is escaped here, as UTF-16 code units like JSON's own escapes.
    return "".join(char if char.isprintable() else _escape(char) for char in encoded)


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
