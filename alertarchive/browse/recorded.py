"""The event recorder's events in a window, listed from their stored metadata (no bodies).

What `alertarchive events` shows: one row per kept event object (a fact, once per hour it was
recorded; see archive/events.py), newest first, with its kind, alert, recording instance and
fingerprints, each filterable without downloading anything.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from typing import Any

from alertarchive.archive import events
from alertarchive.archive.storage import Archive
from alertarchive.browse import timewindow
from alertarchive.browse.episodes import parse_time


@dataclasses.dataclass(frozen=True)
class RecordedEntry:
    """One kept event as its metadata describes it."""

    name: str
    received_at: datetime.datetime
    recorded_at: str
    kind: str
    alertnames: str
    instance: str
    fingerprints: tuple[str, ...]
    source: str

    def record(self) -> dict[str, Any]:
        """JSON-ready fields: one line of `events --json`."""
        return {
            "name": self.name,
            "received_at": self.received_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "recorded_at": self.recorded_at,
            "kind": self.kind,
            "alertnames": [name for name in self.alertnames.split(",") if name],
            "instance": self.instance,
            "fingerprints": list(self.fingerprints),
            "source": self.source,
        }


def recorded(
    archive: Archive,
    span: timewindow.Window,
    kinds: Sequence[str] = (),
    alertnames: Sequence[str] = (),
) -> list[RecordedEntry]:
    """The kept events received in span, of these kinds and about these alerts, newest first."""
    days = archive.list_folders(f"{events.RECORDED}/")
    if not days:
        return []
    found = []
    for prefix in timewindow.prefixes(span, events.RECORDED, days):
        for stored in archive.objects(prefix):
            metadata = stored.metadata
            received = parse_time(metadata.get("received_at", ""))
            kind = metadata.get("event_kind", "")
            if received is None or received not in span or not kind:
                continue  # not an event object the receiver wrote
            names = metadata.get("alertnames", "")
            if kinds and kind not in kinds:
                continue
            if alertnames and not set(alertnames) & set(names.split(",")):
                continue
            found.append(
                RecordedEntry(
                    name=stored.name,
                    received_at=received,
                    recorded_at=metadata.get("recorded_at", ""),
                    kind=kind,
                    alertnames=names,
                    instance=metadata.get("instance", ""),
                    fingerprints=tuple(f for f in metadata.get("fingerprints", "").split(",") if f),
                    source=metadata.get("source", ""),
                )
            )
    found.sort(key=lambda entry: (entry.received_at, entry.name), reverse=True)
    return found
