"""Receipt metadata stored with every object (GCS custom metadata, or a local sidecar).

The object itself holds the exact bytes received; these keys let a reader filter and
understand it without downloading it. schema/archived-object-metadata.schema.json
describes them.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence

from alertarchive.archive.events import RecordedEvent
from alertarchive.archive.notification import Summary

# GCS allows 8 KiB of custom metadata per object; label values can be kilobytes long.
# Five free-text fields at this bound stay well inside it.
MAX_VALUE_BYTES = 1024
# Ends a value cut to MAX_VALUE_BYTES.
CUT_MARK = "…"
VALID = "valid"
INVALID = "invalid"


def metadata(
    *,
    received_at: datetime.datetime,
    body_sha256: str,
    body_size: int,
    user_agent: str,
    source: str,
    summary: Summary,
    problems: Sequence[str] = (),
) -> dict[str, str]:
    """Metadata for one stored body; every value a bounded string."""
    fields = {
        **_receipt(received_at, body_sha256, body_size, user_agent, source),
        "status": summary.status,
        "receiver": summary.receiver,
        "alertnames": ",".join(summary.alertnames),
        "alert_count": str(summary.alert_count),
        "truncated_alerts": str(summary.truncated_alerts),
        "group_key": summary.group_key,
        "notification_reason": summary.notification_reason,
        "validation": INVALID if problems else VALID,
    }
    if problems:
        fields["validation_errors"] = json.dumps(list(problems), ensure_ascii=False)
    return {key: _bounded(value) for key, value in fields.items()}


def event_metadata(
    *,
    event: RecordedEvent,
    received_at: datetime.datetime,
    body_sha256: str,
    body_size: int,
    user_agent: str,
    source: str,
) -> dict[str, str]:
    """Metadata for one kept recorder event: the receipt, and what the event is about."""
    fields = {
        **_receipt(received_at, body_sha256, body_size, user_agent, source),
        "event_kind": event.kind,
        "recorded_at": event.recorded_at,
        "instance": event.instance,
        "alertnames": event.alertname,
        "fingerprints": ",".join(event.fingerprints),
        "fact_sha256": event.fact_sha256,
        "validation": VALID,
    }
    return {key: _bounded(value) for key, value in fields.items()}


def _receipt(
    received_at: datetime.datetime, body_sha256: str, body_size: int, user_agent: str, source: str
) -> dict[str, str]:
    """What every stored object records of its receipt, notification or event alike."""
    return {
        "received_at": format_timestamp(received_at),
        "body_sha256": body_sha256,
        "body_size": str(body_size),
        "user_agent": user_agent,
        "source": source,
    }


def format_timestamp(moment: datetime.datetime) -> str:
    """RFC 3339 in UTC with microseconds, e.g. `2026-11-27T04:05:06.123456Z`."""
    utc = moment.astimezone(datetime.UTC)
    # Fields, not strftime (~6 µs per request); the year unpadded, as strftime's %Y gives it.
    return (
        f"{utc.year}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond:06d}Z"
    )


def was_cut(value: str) -> bool:
    """Whether a stored value was cut to MAX_VALUE_BYTES (and ends with the cut's `…`)."""
    return value.endswith(CUT_MARK) and len(value.encode()) >= MAX_VALUE_BYTES - len(
        CUT_MARK.encode()
    )


def _bounded(value: str) -> str:
    if len(value) <= MAX_VALUE_BYTES // 4:  # UTF-8 takes at most 4 bytes a character
        return value
    encoded = value.encode()
    if len(encoded) <= MAX_VALUE_BYTES:
        return value
    # Cut on a character boundary, leaving room for the 3-byte ellipsis.
    return encoded[: MAX_VALUE_BYTES - 3].decode(errors="ignore") + CUT_MARK
