"""Notifications (or the alerts in them) as NDJSON or CSV, for spreadsheets and other tools."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

from alertarchive.archive.safetext import dumps_line, printable
from alertarchive.browse.alerts import alerts
from alertarchive.browse.catalog import Entry
from alertarchive.browse.episodes import parse_time

NOTIFICATION_COLUMNS: tuple[str, ...] = (
    "received_at",
    "status",
    "alertnames",
    "alert_count",
    "receiver",
    "source",
    "quarantined",
    "size",
    "sha256",
    "user_agent",
    "group_key",
    "notification_reason",
    "name",
)
ALERT_COLUMNS: tuple[str, ...] = (
    "received_at",
    "notification_status",
    "status",
    "alertname",
    "severity",
    "fingerprint",
    "starts_at",
    "ends_at",
    "labels",
    "annotations",
    "receiver",
    "source",
    "name",
)
# A spreadsheet runs a cell that starts with one of these as a formula; label values are
# untrusted, so such cells are prefixed with an apostrophe (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def notification_rows(entries: Iterable[Entry]) -> Iterator[dict[str, Any]]:
    """One row per notification, from metadata only: Entry.record, as `list --json` writes.

    schemas/archived-notification-record.schema.json; CSV writes NOTIFICATION_COLUMNS of it.
    """
    for entry in entries:
        yield entry.record()


def alert_rows(
    read: Iterable[tuple[Entry, Mapping[str, Any] | None]],
) -> Iterator[dict[str, Any]]:
    """One row per alert in each notification, from the entries with their parsed bodies."""
    for entry, document in read:
        received_at = entry.received_stamp
        for alert in alerts(document):
            yield {
                "received_at": received_at,
                "notification_status": entry.status,
                "status": alert.status,
                "alertname": alert.alertname,
                "severity": alert.labels.get("severity", ""),
                "fingerprint": alert.fingerprint,
                "starts_at": alert.starts_at,
                "ends_at": alert.ends_at if parse_time(alert.ends_at) else "",
                "labels": alert.labels,
                "annotations": alert.annotations,
                "receiver": entry.receiver,
                "source": entry.source,
                "name": entry.name,
            }


def write_ndjson(rows: Iterable[Mapping[str, Any]], stream: TextIO) -> int:
    r"""Write one JSON object per line (controls as \u escapes); returns the number of rows."""
    count = 0
    for row in rows:
        stream.write(dumps_line(row) + "\n")
        count += 1
    return count


def write_csv(
    rows: Iterable[Mapping[str, Any]],
    columns: tuple[str, ...],
    stream: TextIO,
    escaped: bool = False,
) -> int:
    """Write a header and one CSV line per row (lists joined by commas, maps as JSON).

    Args:
        rows: the rows.
        columns: the header, in order.
        stream: where to write.
        escaped: show control characters escaped (for a terminal) instead of exact.
    """
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        cells = [_cell(row.get(key)) for key in columns]
        writer.writerow([printable(cell) for cell in cells] if escaped else cells)
        count += 1
    return count


def _cell(value: Any) -> str:
    if type(value) is str:
        text = value
    elif isinstance(value, list):
        text = ",".join(str(item) for item in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = ""
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
