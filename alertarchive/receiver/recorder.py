"""The event recorder's endpoint: Alertmanager's own account of what it did with each alert.

Alertmanager 0.33+ (`--enable-feature=event-recorder`, `event_recorder.webhook_outputs`) POSTs
one protojson Event per request, or with `batch: true` (0.34) a JSON array of them. It retries
a non-2xx only `max_retries` times (3, about 1.5 s with the default backoff) and then drops the
event, so this answers as fast as a notification: validate, store each event under the name of
the fact it records (archive/events.py), answer. A repeat within the hour is a 200 duplicate.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any

import orjson

from alertarchive.archive import safetext
from alertarchive.archive.notification import NotJsonObject, parse_json
from alertarchive.receiver.schema import SCHEMAS, NotificationValidator, Problem

EVENTS_SCHEMA = "alertmanager-events.schema.json"
# How many invalid events of a batch are explained; the rest are counted.
_MAX_EXPLAINED = 20


@dataclasses.dataclass(frozen=True)
class StoredEvent:
    """One event as kept: its name, whether this request created it, and its kind."""

    name: str
    created: bool
    kind: str
    alertname: str


@functools.cache
def _event_validator() -> NotificationValidator:
    """Validates one Event (the schema's `$defs/event`); built once per process.

    A batch is checked event by event rather than against the schema's root `oneOf`, so that
    the cost of explaining a hostile batch stays bounded by the explained count.
    """
    schema = json.loads(SCHEMAS.joinpath(EVENTS_SCHEMA).read_text(encoding="utf-8"))
    one_event = {key: value for key, value in schema.items() if key != "oneOf"}
    return NotificationValidator({**one_event, "$ref": "#/$defs/event"})


def parse_events(body: bytes) -> list[Any]:
    """The events a body holds: one object, or each element of a batch (a JSON array).

    Raises:
        NotJsonObject: the body is not JSON, or neither an object nor a non-empty array.
    """
    # The notification parser: an integer beyond 64 bits, or beyond int()'s digits, is JSON.
    document = parse_json(body)
    if isinstance(document, dict):
        return [document]
    if isinstance(document, list) and document:
        return document
    raise NotJsonObject("an event recorder body is one event (an object) or a non-empty array")


def problems(documents: list[Any]) -> list[Problem]:
    """Schema violations of the events, each path prefixed by its index in a batch."""
    validator = _event_validator()
    found: list[Problem] = []
    batch = len(documents) > 1
    for index, document in enumerate(documents):
        for problem in validator.problems(document):
            path = f"$[{index}]{problem.path[1:]}" if batch else problem.path
            found.append(dataclasses.replace(problem, path=path))
            if len(found) == _MAX_EXPLAINED:
                return found
    return found


def event_bytes(body: bytes, documents: list[Any], index: int) -> bytes:
    """The bytes kept for one event: the body itself for a lone event, else the element."""
    if len(documents) == 1:
        return body
    # A batch element has no bytes of its own in the request; its compact JSON is exact data.
    try:
        return orjson.dumps(documents[index])
    except orjson.JSONEncodeError:
        # An integer beyond 64 bits (or int()'s digits): the numbers as sent.
        return safetext.dumps(safetext.loads_exact(body)[index]).encode()
