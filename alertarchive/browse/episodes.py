"""Alert episodes from notification bodies: when each alert fired, resolved, fired again.

Every notification is a snapshot of its group, so one firing is seen many times. Alertmanager
identifies an alert by its fingerprint (a hash of its labels) and one firing of it by
(fingerprint, startsAt); a firing alert's endsAt is Go's zero time (`0001-01-01T00:00:00Z`),
a resolved one carries the real end. An alert that fires and resolves repeatedly flaps.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from alertarchive.archive import timestamps
from alertarchive.browse import display
from alertarchive.browse.alerts import alerts

DEFAULT_FLAP_EPISODES = 3


@dataclasses.dataclass(slots=True)
class Episode:
    """One firing of one alert: from startsAt to endsAt (None while still firing)."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    notifications: int = 0
    last_seen: datetime.datetime | None = None

    @property
    def open(self) -> bool:
        return self.ends_at is None


@dataclasses.dataclass
class AlertHistory:
    """Everything one alert (one fingerprint) did in the window."""

    fingerprint: str
    labels: dict[str, str]
    episodes: list[Episode] = dataclasses.field(default_factory=list)
    notifications: int = 0

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "")

    @property
    def label_pairs(self) -> list[str]:
        """Every label as `key=value`, sorted by key."""
        return [f"{key}={value}" for key, value in sorted(self.labels.items())]

    @property
    def other_labels(self) -> list[str]:
        """The labels other than alertname (shown next to it) as `key=value`, sorted by key."""
        return [
            f"{key}={value}" for key, value in sorted(self.labels.items()) if key != "alertname"
        ]

    @property
    def resolutions(self) -> int:
        return sum(1 for episode in self.episodes if not episode.open)

    def flaps(self, min_episodes: int = DEFAULT_FLAP_EPISODES) -> bool:
        """Whether it fired at least `min_episodes` separate times (resolving in between)."""
        return len(self.episodes) >= min_episodes


def histories(
    notifications: Iterable[tuple[datetime.datetime, Mapping[str, Any] | None]],
) -> list[AlertHistory]:
    """Per-fingerprint histories from (received_at, parsed body) pairs, in any order.

    Returns:
        Histories ordered by their first startsAt; episodes inside each in time order.
    """
    builder = Histories()
    for received_at, document in sorted(notifications, key=lambda pair: pair[0]):
        builder.add(received_at, document)
    return builder.finish()


class Histories:
    """Per-fingerprint histories from notifications fed oldest first, one at a time."""

    def __init__(self) -> None:
        self._by_fingerprint: dict[str, AlertHistory] = {}
        self._episodes: dict[tuple[str, datetime.datetime], Episode] = {}

    def add(self, received_at: datetime.datetime, document: Mapping[str, Any] | None) -> None:
        """One notification's body (None: not a JSON object, nothing to count)."""
        if document is None:
            return
        seen_here: set[str] = set()
        for alert in alerts(document):
            labels = alert.labels
            starts_at = parse_time(alert.starts_at)
            if starts_at is None:
                continue
            fingerprint = fingerprint_of(alert.fingerprint, labels)
            history = self._by_fingerprint.get(fingerprint)
            if history is None:
                history = self._by_fingerprint[fingerprint] = AlertHistory(fingerprint, labels)
            if fingerprint not in seen_here:
                history.notifications += 1
                seen_here.add(fingerprint)
            key = (fingerprint, starts_at)
            episode = self._episodes.get(key)
            if episode is None:
                episode = self._episodes[key] = Episode(starts_at, None)
                history.episodes.append(episode)
            episode.notifications += 1
            episode.last_seen = received_at
            ends_at = parse_time(alert.ends_at)
            if alert.status == "resolved" and ends_at is not None:
                episode.ends_at = max(ends_at, starts_at)

    def finish(self) -> list[AlertHistory]:
        """The histories, ordered by their first startsAt; episodes in time order."""
        result = list(self._by_fingerprint.values())
        for history in result:
            history.episodes.sort(key=lambda episode: episode.starts_at)
        result.sort(key=lambda history: (history.episodes[0].starts_at, history.alertname))
        return result


@dataclasses.dataclass(frozen=True)
class RowLabels:
    """An alert's labels (besides alertname) as a row shows them, among alerts of its name."""

    distinct: list[str]  # `key=value` pairs that tell it from the others: always shown whole
    shared: list[str]  # pairs every alert of its name carries: a header's, cut first

    def text(self, limit: int | None = None) -> str:
        """The distinct pairs whole, then the shared ones, cut to fit `limit` columns if need be."""
        distinct, shared = ",".join(self.distinct), ",".join(self.shared)
        if not distinct:
            return display.fit(shared, limit) if limit else shared
        if not shared:
            return distinct
        room = limit - display.width(distinct) - 3 if limit else None
        if room is None:
            return f"{distinct} | {shared}"
        return f"{distinct} | {display.fit(shared, room)}" if room >= 2 else f"{distinct} | …"

    def cell(self, limit: int) -> str:
        """For a table whose header names the shared labels: only what differs, never cut."""
        return ",".join(self.distinct) or display.fit(",".join(self.shared), limit)


def row_labels(histories: Sequence[AlertHistory]) -> dict[str, RowLabels]:
    """Per fingerprint, which labels tell the alert apart from the others of its alertname."""
    by_name: dict[str, list[AlertHistory]] = {}
    for history in histories:
        by_name.setdefault(history.alertname, []).append(history)
    rows = {}
    for group in by_name.values():
        others = [{k: v for k, v in h.labels.items() if k != "alertname"} for h in group]
        shared, distinct = split_labels(others)
        for history, labels in zip(group, others, strict=True):
            rows[history.fingerprint] = RowLabels(
                [f"{key}={labels[key]}" for key in distinct if key in labels],
                [f"{key}={value}" for key, value in shared.items()],
            )
    return rows


def shared_by_name(histories: Sequence[AlertHistory]) -> dict[str, list[str]]:
    """For each alertname with several alerts: the `key=value` pairs all of them carry."""
    by_name: dict[str, list[AlertHistory]] = {}
    for history in histories:
        by_name.setdefault(history.alertname, []).append(history)
    return {
        name: [
            f"{k}={v}"
            for k, v in split_labels([h.labels for h in group])[0].items()
            if k != "alertname"
        ]
        for name, group in by_name.items()
        if len(group) > 1
    }


def split_labels(
    label_sets: Sequence[Mapping[str, str]],
) -> tuple[dict[str, str], list[str]]:
    """What a group of alerts shares, and what tells them apart.

    Returns:
        The labels every set carries with the same value (for a header), and the sorted keys
        that differ between sets, or that some sets lack: the ones each row must show.
    """
    if not label_sets:
        return {}, []
    keys = set().union(*(labels.keys() for labels in label_sets))
    shared = {
        key: label_sets[0][key]
        for key in sorted(keys)
        if all(key in labels and labels[key] == label_sets[0].get(key) for labels in label_sets)
    }
    if len(label_sets) == 1:
        return shared, []
    return shared, sorted(keys - shared.keys())


def parse_time(value: Any) -> datetime.datetime | None:
    """An alert timestamp as an aware instant; None for Go's zero time or an invalid one.

    Valid means what the schema accepts (alertarchive.archive.timestamps), so every alert the
    receiver archived is counted.
    """
    if type(value) is not str:
        return None
    try:
        return _PARSED[value]
    except KeyError:
        pass
    moment = timestamps.parse(value)
    if moment is not None and timestamps.is_go_zero_time(moment):
        moment = None
    if len(_PARSED) >= _MAX_PARSED:
        _PARSED.clear()
    _PARSED[value] = moment
    return moment


# Every notification of an episode repeats its startsAt, and every firing alert Go's zero
# time: a year's bodies hold a few distinct timestamps per alert, parsed once each here.
_PARSED: dict[str, datetime.datetime | None] = {}
_MAX_PARSED = 20_000


def fingerprint_of(value: str, labels: Mapping[str, str]) -> str:
    """The alert's fingerprint as sent, or one made from its labels when the sender gave none."""
    if value:
        return value
    # Senders other than Alertmanager may omit it; the labels identify the alert all the same.
    canonical = "\xff".join(f"{key}\xff{labels[key]}" for key in sorted(labels))
    return "labels:" + hashlib.sha256(canonical.encode()).hexdigest()[:16]
