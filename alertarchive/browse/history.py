"""One alert's own history: every notification that carried it, what changed, its episodes.

An alert is one fingerprint (a hash of its labels). Each notification is a snapshot of it, so
consecutive snapshots are compared field by field (status, labels, annotations, startsAt,
endsAt, generatorURL) and shown as a diff. One firing is one episode (fingerprint, startsAt).

Alertmanager sends no resolved notification for an alert that is muted (silenced or
inhibited) when it resolves, nor to a receiver with `send_resolved: false`. So an episode
without a resolved notification is explained from the archive's own evidence: mute events the
event recorder posted (`events/`), a receiver that was never sent a resolved notification in
the window, a later episode that began without this one ending, or none of these (still firing).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from alertarchive.archive import events
from alertarchive.archive.storage import Archive
from alertarchive.browse import recorded, timewindow, why
from alertarchive.browse.alerts import Alert, alerts
from alertarchive.browse.catalog import Entry
from alertarchive.browse.episodes import fingerprint_of, parse_time

# Why an episode has no resolved notification (Episode.unresolved_kind).
MUTED = "muted"
SEND_RESOLVED_OFF = "send_resolved off"
SUPERSEDED = "superseded"
STILL_FIRING = "still firing"


@dataclasses.dataclass(frozen=True)
class Change:
    """One field that differs from the previous notification's snapshot of the alert."""

    field: str  # status, startsAt, endsAt, generatorURL, label, annotation
    key: str  # the label or annotation name; "" for the other fields
    before: str | None  # None: absent before (added)
    after: str | None  # None: absent now (removed)


@dataclasses.dataclass(frozen=True)
class Sighting:
    """One archived notification that carried the alert, and what it said of it."""

    received_at: datetime.datetime
    object_name: str
    short_id: str
    sha256: str
    source: str
    receiver: str
    reason: str  # notification_reason (Alertmanager 0.32+), "" when absent
    alert: Alert
    starts_at: datetime.datetime | None
    ends_at: datetime.datetime | None  # None while firing (Go's zero time)
    changes: tuple[Change, ...]
    first: bool  # the first sighting in the window: nothing to compare with
    same_body_as_previous: bool  # an HA peer's or hour-crossing copy of the previous body

    @property
    def status(self) -> str:
        return self.alert.status


@dataclasses.dataclass(frozen=True)
class Mute:
    """An event recorder event saying Alertmanager muted the alert."""

    at: datetime.datetime
    fingerprint: str
    text: str  # "silence 2ff23e70 {…} (…)" or "inhibited by …"


@dataclasses.dataclass(frozen=True)
class Episode:
    """One firing: from startsAt to the endsAt of its resolved notification, if one came."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    notifications: int
    first_received: datetime.datetime
    last_received: datetime.datetime
    receivers: tuple[str, ...]
    unresolved_kind: str = ""  # MUTED, SEND_RESOLVED_OFF, SUPERSEDED, STILL_FIRING
    unresolved_why: str = ""  # the evidence, for people

    @property
    def resolved(self) -> bool:
        return self.ends_at is not None

    def duration(self, until: datetime.datetime) -> datetime.timedelta:
        """How long it lasted; for one never resolved, until `until` (at least)."""
        return max((self.ends_at or until) - self.starts_at, datetime.timedelta(0))


@dataclasses.dataclass(frozen=True)
class AlertTimeline:
    """One alert's sightings and episodes in the window."""

    fingerprint: str
    labels: dict[str, str]
    sightings: tuple[Sighting, ...]
    episodes: tuple[Episode, ...]
    window: timewindow.Window

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")

    def record(self) -> dict[str, Any]:
        """The timeline as JSON-ready fields: what `history --json` prints."""
        return {
            "fingerprint": self.fingerprint,
            "labels": self.labels,
            "window": {"since": _stamp(self.window.start), "until": _stamp(self.window.end)},
            "episodes": [
                {
                    "starts_at": _stamp(episode.starts_at),
                    "ends_at": _stamp(episode.ends_at),
                    "seconds": int(episode.duration(self.window.end).total_seconds()),
                    "notifications": episode.notifications,
                    "receivers": list(episode.receivers),
                    "unresolved": episode.unresolved_kind or None,
                    "unresolved_why": episode.unresolved_why or None,
                }
                for episode in self.episodes
            ],
            "notifications": [
                {
                    "received_at": _stamp(sighting.received_at),
                    "name": sighting.object_name,
                    "sha256": sighting.sha256,
                    "source": sighting.source,
                    "receiver": sighting.receiver,
                    "notification_reason": sighting.reason,
                    "status": sighting.status,
                    "starts_at": _stamp(sighting.starts_at),
                    "ends_at": _stamp(sighting.ends_at),
                    "same_body_as_previous": sighting.same_body_as_previous,
                    "changes": [dataclasses.asdict(change) for change in sighting.changes],
                }
                for sighting in self.sightings
            ],
        }


def _stamp(moment: datetime.datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else None


def duration_text(delta: datetime.timedelta) -> str:
    """`45s`, `12m`, `2h 05m`, `3d 4h`."""
    seconds = int(max(delta.total_seconds(), 0))
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{seconds}s"


def matches(
    alert: Alert, fingerprint: str | None, alertname: str | None, labels: Mapping[str, str]
) -> bool:
    """Whether an alert is the one asked for: by fingerprint, or by alertname and labels."""
    if fingerprint is not None:
        return fingerprint_of(alert.fingerprint, alert.labels) == fingerprint
    if alertname is not None and alert.labels.get("alertname") != alertname:
        return False
    return all(alert.labels.get(key) == value for key, value in labels.items())


def timelines(
    window: timewindow.Window,
    entries: Sequence[Entry],
    documents: Mapping[str, Mapping[str, Any] | None],
    fingerprint: str | None = None,
    alertname: str | None = None,
    labels: Mapping[str, str] | None = None,
    resolving_receivers: Iterable[str] = (),
    mutes: Iterable[Mute] = (),
) -> list[AlertTimeline]:
    """The timeline of each alert the selection matches (every alert when it selects nothing).

    Args:
        window: the receipt-time window the entries come from.
        entries: the notifications listed in it.
        documents: their parsed bodies, by object name.
        fingerprint: the alert's fingerprint (16 hex digits), or None to select by name.
        alertname: the alert name, or None.
        labels: labels the alert must carry.
        resolving_receivers: receivers known to have been sent a resolved notification (from
            metadata beyond these entries); those seen resolving in the bodies are added.
        mutes: the event recorder's mute events in the window.
    """
    labels = dict(labels or {})
    resolving = set(resolving_receivers)
    seen: dict[str, list[tuple[Entry, Mapping[str, Any], Alert]]] = {}
    for entry in sorted(entries, key=lambda entry: (entry.received_at, entry.name)):
        document = documents.get(entry.name)
        if document is None:
            continue
        for alert in alerts(document):
            if alert.status == "resolved":
                resolving.add(entry.receiver)
            if matches(alert, fingerprint, alertname, labels):
                seen.setdefault(fingerprint_of(alert.fingerprint, alert.labels), []).append(
                    (entry, document, alert)
                )
    muted: dict[str, list[Mute]] = {}
    for mute in sorted(mutes, key=lambda mute: mute.at):
        muted.setdefault(mute.fingerprint, []).append(mute)
    result = [
        _timeline(key, carried, window, resolving, muted.get(key, []))
        for key, carried in seen.items()
    ]
    result.sort(key=lambda timeline: (timeline.sightings[0].received_at, timeline.alertname))
    return result


def _timeline(
    fingerprint: str,
    carried: list[tuple[Entry, Mapping[str, Any], Alert]],
    window: timewindow.Window,
    resolving: set[str],
    mutes: list[Mute],
) -> AlertTimeline:
    sightings: list[Sighting] = []
    previous: Sighting | None = None
    for entry, document, alert in carried:
        reason = document.get("notification_reason")
        sighting = Sighting(
            received_at=entry.received_at,
            object_name=entry.name,
            short_id=entry.short_id,
            sha256=entry.sha256,
            source=entry.source,
            receiver=entry.receiver,
            reason=reason if isinstance(reason, str) else "",
            alert=alert,
            starts_at=parse_time(alert.starts_at),
            ends_at=parse_time(alert.ends_at),
            changes=tuple(_changes(previous.alert, alert)) if previous else (),
            first=previous is None,
            same_body_as_previous=previous is not None and previous.sha256 == entry.sha256,
        )
        sightings.append(sighting)
        previous = sighting
    return AlertTimeline(
        fingerprint=fingerprint,
        labels=dict(sightings[-1].alert.labels),
        sightings=tuple(sightings),
        episodes=tuple(_episodes(sightings, window, resolving, mutes)),
        window=window,
    )


def _changes(before: Alert, after: Alert) -> Iterable[Change]:
    for field, old, new in (
        ("status", before.status, after.status),
        ("startsAt", before.starts_at, after.starts_at),
        ("endsAt", before.ends_at, after.ends_at),
        ("generatorURL", before.generator_url, after.generator_url),
    ):
        if old != new:
            yield Change(field, "", old or None, new or None)
    for field, old_map, new_map in (
        ("label", before.labels, after.labels),
        ("annotation", before.annotations, after.annotations),
    ):
        for key in sorted(old_map.keys() | new_map.keys()):
            if old_map.get(key) != new_map.get(key):
                yield Change(field, key, old_map.get(key), new_map.get(key))


def _episodes(
    sightings: Sequence[Sighting],
    window: timewindow.Window,
    resolving: set[str],
    mutes: Sequence[Mute],
) -> list[Episode]:
    grouped: dict[datetime.datetime, list[Sighting]] = {}
    for sighting in sightings:
        if sighting.starts_at is not None:
            grouped.setdefault(sighting.starts_at, []).append(sighting)
    starts = sorted(grouped)
    result = []
    for index, starts_at in enumerate(starts):
        seen = grouped[starts_at]
        resolved_at = [s.ends_at for s in seen if s.status == "resolved" and s.ends_at is not None]
        receivers = tuple(dict.fromkeys(s.receiver for s in seen))
        episode = Episode(
            starts_at=starts_at,
            ends_at=max(resolved_at[0], starts_at) if resolved_at else None,
            notifications=len(seen),
            first_received=seen[0].received_at,
            last_received=seen[-1].received_at,
            receivers=receivers,
        )
        if not resolved_at:
            later = starts[index + 1] if index + 1 < len(starts) else None
            kind, text = _unresolved(episode, later, resolving, mutes, window)
            episode = dataclasses.replace(episode, unresolved_kind=kind, unresolved_why=text)
        result.append(episode)
    return result


def _unresolved(
    episode: Episode,
    later: datetime.datetime | None,
    resolving: set[str],
    mutes: Sequence[Mute],
    window: timewindow.Window,
) -> tuple[str, str]:
    """Which cause the archive's evidence points to for an episode without a resolved one."""
    until = later or window.end
    muted = [mute for mute in mutes if episode.first_received <= mute.at <= until]
    if muted:
        return MUTED, (
            f"muted: {muted[-1].text}; Alertmanager sends no resolved notification "
            "for an alert muted when it resolves"
        )
    silent = [receiver for receiver in episode.receivers if receiver not in resolving]
    if silent:
        return SEND_RESOLVED_OFF, (
            f"send_resolved is likely off for {', '.join(silent)}: no resolved notification "
            "to it is in the window"
        )
    if later is not None:
        return SUPERSEDED, (
            "resolved without a notification: a later episode began (muted when it resolved, "
            "or the resolved notification was not delivered)"
        )
    return STILL_FIRING, "no resolved notification by the end of the window: still firing"


def mutes(
    archive: Archive, span: timewindow.Window, fingerprints: Iterable[str] | None = None
) -> list[Mute]:
    """The event recorder's mute events (silenced or inhibited alerts) in span."""
    wanted = set(fingerprints) if fingerprints is not None else None
    found = []
    kinds = (events.SILENCE_MUTED, events.INHIBITION_MUTED)
    for _, event in recorded.read_events(archive, span, kinds):
        at = parse_time(event.recorded_at) if event is not None else None
        if event is None or at is None or at not in span:
            continue
        text = _mute_text(event.kind, event.payload)
        for fingerprint in event.fingerprints:
            if wanted is None or fingerprint in wanted:
                found.append(Mute(at, fingerprint, text))
    return found


def _mute_text(kind: str, payload: Mapping[str, Any]) -> str:
    if kind == events.SILENCE_MUTED:
        return why.describe_silence(why.silence_of(payload.get("silence") or {}))
    sources = [
        events.hex_fingerprint(value)
        for value in payload.get("inhibitingFingerprints") or []
        if str(value).isdigit()
    ]
    return "inhibited by " + (", ".join(sources) or "another alert")
