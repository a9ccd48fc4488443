"""The event recorder's events in a window, listed from their stored metadata (no bodies).

What `alertarchive events` shows: one row per kept event object (a fact, once per hour it was
recorded; see archive/events.py), newest first, with its kind, alert, recording instance and
fingerprints, each filterable without downloading anything.

A filter value matching none of the window's events is said so (`hints`): a --kind with the
kinds present (an unknown kind is allowed, as a newer Alertmanager may record one; it is
named as unknown), an --alertname or --source differing only in case with the stored value.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from alertarchive.archive import events
from alertarchive.archive.notification import parse_json
from alertarchive.archive.storage import Archive, NotFound, StoredObject
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
    sources: Sequence[str] = (),
) -> list[RecordedEntry]:
    """The kept events received in span, of these kinds, alerts and sources, newest first."""
    return select(listed(archive, span), kinds, alertnames, sources)


def select(
    found: Sequence[RecordedEntry],
    kinds: Sequence[str] = (),
    alertnames: Sequence[str] = (),
    sources: Sequence[str] = (),
) -> list[RecordedEntry]:
    """The entries matching every option given (repeated values of one option are ORed)."""
    return [
        entry
        for entry in found
        if all(
            _matches(entry, option, wanted)
            for option, wanted in _options(kinds, alertnames, sources)
        )
    ]


def hints(
    found: Sequence[RecordedEntry],
    kinds: Sequence[str] = (),
    alertnames: Sequence[str] = (),
    sources: Sequence[str] = (),
) -> list[str]:
    """Lines for each option whose values match none of `found` (the window's events)."""
    lines = []
    for option, wanted in _options(kinds, alertnames, sources):
        if not wanted or any(_matches(entry, option, wanted) for entry in found):
            continue
        present = sorted({value for entry in found for value in _values(entry, option)})
        line = f"{option} {', '.join(wanted)} matches none of the {len(found)} events in the window"
        folded = {value.casefold(): value for value in present}
        near = [folded[w.casefold()] for w in wanted if w.casefold() in folded]
        if near:
            line += f" (filters are case-sensitive); it differs only in case from {', '.join(near)}"
        elif option == "--kind":
            unknown = [kind for kind in wanted if kind not in events.KNOWN_KINDS]
            line += f"; kinds present: {', '.join(present) or 'none'}"
            if unknown:
                line += (
                    f" ({', '.join(unknown)}: not a kind Alertmanager records; known kinds: "
                    f"{', '.join(events.KNOWN_KINDS)})"
                )
        lines.append(line)
    return lines


def _options(
    kinds: Sequence[str], alertnames: Sequence[str], sources: Sequence[str]
) -> list[tuple[str, Sequence[str]]]:
    return [("--kind", kinds), ("--alertname", alertnames), ("--source", sources)]


def _values(entry: RecordedEntry, option: str) -> list[str]:
    if option == "--kind":
        return [entry.kind]
    if option == "--source":
        return [entry.source]
    return [name for name in entry.alertnames.split(",") if name]


def _matches(entry: RecordedEntry, option: str, wanted: Sequence[str]) -> bool:
    return not wanted or bool(set(wanted) & set(_values(entry, option)))


def event_objects(
    archive: Archive, span: timewindow.Window, days: Sequence[str] | None = None
) -> Iterator[StoredObject]:
    """Every object under `events/` in span's partitions, listing only the days present.

    None at all without the recorder; and a window may run to the year 9999. `days`: the
    `events/dt=…/` folders, when the caller has listed them already.
    """
    if days is None:
        days = archive.list_folders(f"{events.RECORDED}/")
    for prefix in timewindow.prefixes(span, events.RECORDED, days):
        yield from archive.objects(prefix)


def read_events(
    archive: Archive,
    span: timewindow.Window,
    kinds: Collection[str] | None = None,
    days: Sequence[str] | None = None,
) -> Iterator[tuple[StoredObject, events.RecordedEvent | None]]:
    """Each event object in span's partitions, with its event read when it is of `kinds`.

    The object name says the kind (archive/events.py), so only those bodies are downloaded;
    an object of another kind comes with None (it still shows an hour the recorder spoke in).
    With kinds None, every event is read.
    """
    for stored in event_objects(archive, span, days):
        base = stored.name.rsplit("/", 1)[-1]
        if not base.endswith(".json"):
            continue
        if kinds is not None and base.split("-", 1)[0] not in kinds:
            yield stored, None
            continue
        try:
            yield stored, events.read(parse_json(archive.read(stored.name)))
        except (NotFound, ValueError, events.NotAnEvent):
            continue  # not an event the receiver kept


def listed(archive: Archive, span: timewindow.Window) -> list[RecordedEntry]:
    """Every kept event received in span, newest first."""
    found = []
    for stored in event_objects(archive, span):
        metadata = stored.metadata
        received = parse_time(metadata.get("received_at", ""))
        kind = metadata.get("event_kind", "")
        if received is None or received not in span or not kind:
            continue  # not an event object the receiver wrote
        found.append(
            RecordedEntry(
                name=stored.name,
                received_at=received,
                recorded_at=metadata.get("recorded_at", ""),
                kind=kind,
                alertnames=metadata.get("alertnames", ""),
                instance=metadata.get("instance", ""),
                fingerprints=tuple(f for f in metadata.get("fingerprints", "").split(",") if f),
                source=metadata.get("source", ""),
            )
        )
    found.sort(key=lambda entry: (entry.received_at, entry.name), reverse=True)
    return found
