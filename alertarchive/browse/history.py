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
    # The first notifications that carried it: all of them unless Timelines was given caps.
    sightings: tuple[Sighting, ...]
    episodes: tuple[Episode, ...]
    window: timewindow.Window
    first_received: datetime.datetime  # when the first notification that carried it came
    latest_alert: Alert  # what the last one said of it
    total_sightings: int  # every notification that carried it, kept or not

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
    read: Iterable[tuple[Entry, Mapping[str, Any] | None]],
    fingerprint: str | None = None,
    alertname: str | None = None,
    labels: Mapping[str, str] | None = None,
    resolving_receivers: Iterable[str] = (),
    mutes: Iterable[Mute] = (),
) -> list[AlertTimeline]:
    """The timeline of each alert the selection matches (every alert when it selects nothing).

    Args:
        window: the receipt-time window the entries come from.
        read: the notifications listed in it with their parsed bodies, oldest first.
        fingerprint: the alert's fingerprint (16 hex digits), or None to select by name.
        alertname: the alert name, or None.
        labels: labels the alert must carry.
        resolving_receivers: receivers known to have been sent a resolved notification.
        mutes: the event recorder's mute events in the window.
    """
    builder = Timelines(fingerprint, alertname, labels)
    for entry, document in read:
        builder.add(entry, document)
    return builder.finish(window, mutes, resolving_receivers)


class Timelines:
    """Builds alert timelines from notifications fed oldest first, one at a time.

    What a timeline needs of every notification (its episode's tallies, the previous snapshot
    to diff against) is kept; whole sightings only up to `keep_sightings` per alert, and only
    for the first `keep_alerts` alerts in the timelines' order (which is the order they first
    appear in), so a year of notifications costs their episodes, not their bodies.
    """

    def __init__(
        self,
        fingerprint: str | None = None,
        alertname: str | None = None,
        labels: Mapping[str, str] | None = None,
        keep_sightings: int | None = None,
        keep_alerts: int | None = None,
    ) -> None:
        """Select alerts as timelines() does.

        Args:
            fingerprint: the alert's fingerprint (16 hex digits), or None to select by name.
            alertname: the alert name, or None.
            labels: labels the alert must carry.
            keep_sightings: at most this many sightings kept per alert (None: all).
            keep_alerts: sightings kept only for the alerts that come first in the result
                (this many, and those first seen at the same moment as the last of them).
        """
        self._fingerprint = fingerprint
        self._alertname = alertname
        self._labels = dict(labels or {})
        # Receivers the bodies fed show were sent a resolved notification.
        self._resolving: set[str] = set()
        self._keep = keep_sightings
        self._keep_alerts = keep_alerts
        # When the last alert whose sightings are kept was first seen, once keep_alerts are.
        self._keeping_until: datetime.datetime | None = None
        self._alerts: dict[str, _Tally] = {}

    def add(self, entry: Entry, document: Mapping[str, Any] | None) -> None:
        """One notification (after every one received before it)."""
        if document is None:
            return
        reason = document.get("notification_reason")
        for alert in alerts(document):
            if alert.status == "resolved":
                self._resolving.add(entry.receiver)
            if not matches(alert, self._fingerprint, self._alertname, self._labels):
                continue
            key = fingerprint_of(alert.fingerprint, alert.labels)
            tally = self._alerts.get(key)
            if tally is None:
                keep = self._keeps(entry.received_at)
                tally = self._alerts[key] = _Tally(entry.received_at, keep)
            starts_at, ends_at = parse_time(alert.starts_at), parse_time(alert.ends_at)
            tally.count(entry, alert, starts_at, ends_at)
            if tally.keeps_more():
                previous = tally.kept[-1] if tally.kept else None
                tally.kept.append(
                    Sighting(
                        received_at=entry.received_at,
                        object_name=entry.name,
                        short_id=entry.short_id,
                        sha256=entry.sha256,
                        source=entry.source,
                        receiver=entry.receiver,
                        reason=reason if isinstance(reason, str) else "",
                        alert=alert,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        changes=tuple(_changes(previous.alert, alert)) if previous else (),
                        first=previous is None,
                        same_body_as_previous=previous is not None
                        and previous.sha256 == entry.sha256,
                    )
                )

    def _keeps(self, first_seen: datetime.datetime) -> int | None:
        """How many sightings to keep of an alert first seen now (notifications come in order)."""
        if self._keep_alerts is None:
            return self._keep
        if self._keeping_until is None and len(self._alerts) + 1 >= self._keep_alerts:
            self._keeping_until = first_seen
        beyond = self._keeping_until is not None and first_seen > self._keeping_until
        return 0 if beyond else self._keep

    def finish(
        self,
        window: timewindow.Window,
        mutes: Iterable[Mute] = (),
        resolving_receivers: Iterable[str] = (),
    ) -> list[AlertTimeline]:
        """The timelines, ordered by their first notification, then alert name.

        Args:
            window: the receipt-time window the notifications come from.
            mutes: the event recorder's mute events in the window.
            resolving_receivers: receivers known (from metadata beyond the bodies fed) to have
                been sent a resolved notification; those seen resolving are added.
        """
        resolving = self._resolving | set(resolving_receivers)
        muted: dict[str, list[Mute]] = {}
        for mute in sorted(mutes, key=lambda mute: mute.at):
            muted.setdefault(mute.fingerprint, []).append(mute)
        result = []
        for key, tally in self._alerts.items():
            result.append(
                AlertTimeline(
                    fingerprint=key,
                    labels=dict(tally.latest_alert.labels),
                    sightings=tuple(tally.kept),
                    episodes=tuple(tally.episodes(window, resolving, muted.get(key, []))),
                    window=window,
                    first_received=tally.first_received,
                    latest_alert=tally.latest_alert,
                    total_sightings=tally.total,
                )
            )
        result.sort(key=lambda timeline: (timeline.first_received, timeline.alertname))
        return result


@dataclasses.dataclass(slots=True)
class _EpisodeTally:
    """What one episode's notifications said, as they came (one per episode of a year)."""

    first_received: datetime.datetime
    last_received: datetime.datetime
    receivers: tuple[str, ...]
    notifications: int = 0
    resolved_at: datetime.datetime | None = None  # endsAt of its first resolved notification


class _Tally:
    """One alert's notifications so far: the kept sightings, counts, its episodes' tallies."""

    __slots__ = ("_episodes", "_keep", "first_received", "kept", "latest_alert", "total")

    def __init__(self, first_received: datetime.datetime, keep: int | None) -> None:
        self.first_received = first_received
        self.kept: list[Sighting] = []
        self.latest_alert: Alert
        self.total = 0
        self._keep = keep
        self._episodes: dict[datetime.datetime, _EpisodeTally] = {}

    def keeps_more(self) -> bool:
        return self._keep is None or len(self.kept) < self._keep

    def count(
        self,
        entry: Entry,
        alert: Alert,
        starts_at: datetime.datetime | None,
        ends_at: datetime.datetime | None,
    ) -> None:
        """One more notification carrying the alert (after every earlier one)."""
        self.total += 1
        self.latest_alert = alert
        if starts_at is None:
            return
        episode = self._episodes.get(starts_at)
        if episode is None:
            episode = self._episodes[starts_at] = _EpisodeTally(
                entry.received_at, entry.received_at, ()
            )
        episode.notifications += 1
        episode.last_received = entry.received_at
        if entry.receiver not in episode.receivers:
            episode.receivers += (entry.receiver,)
        if episode.resolved_at is None and alert.status == "resolved" and ends_at is not None:
            episode.resolved_at = ends_at

    def episodes(
        self, window: timewindow.Window, resolving: set[str], mutes: Sequence[Mute]
    ) -> list[Episode]:
        starts = sorted(self._episodes)
        result = []
        for index, starts_at in enumerate(starts):
            tally = self._episodes[starts_at]
            episode = Episode(
                starts_at=starts_at,
                ends_at=max(tally.resolved_at, starts_at) if tally.resolved_at else None,
                notifications=tally.notifications,
                first_received=tally.first_received,
                last_received=tally.last_received,
                receivers=tally.receivers,
            )
            if tally.resolved_at is None:
                later = starts[index + 1] if index + 1 < len(starts) else None
                kind, text = _unresolved(episode, later, resolving, mutes, window)
                episode = dataclasses.replace(episode, unresolved_kind=kind, unresolved_why=text)
            result.append(episode)
        return result


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
