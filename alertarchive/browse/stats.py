"""Counts over a window of notifications: what fired, how often, and what flapped."""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from alertarchive.browse import quiet as quieting
from alertarchive.browse.catalog import Entry
from alertarchive.browse.episodes import DEFAULT_FLAP_EPISODES, AlertHistory, Histories
from alertarchive.browse.timewindow import Window

NOISIEST = 10


@dataclasses.dataclass
class Stats:
    """The figures `alertarchive stats` prints and the report shows."""

    window: Window
    notifications: int
    quarantined: int
    by_status: collections.Counter[str]
    by_receiver: collections.Counter[str]
    by_alertname: collections.Counter[str]
    episodes_by_alertname: collections.Counter[str]
    episodes_by_severity: collections.Counter[str]
    histories: list[AlertHistory]
    flap_episodes: int = DEFAULT_FLAP_EPISODES
    # From the event recorder's events: muted alerts, silences, deliveries with no event.
    quiet: quieting.Quiet = dataclasses.field(default_factory=quieting.Quiet)

    @property
    def episodes(self) -> int:
        """Separate firings of all alerts in the window."""
        return sum(len(history.episodes) for history in self.histories)

    @property
    def noisiest(self) -> list[AlertHistory]:
        """The alerts that appeared in the most notifications."""
        ranked = sorted(self.histories, key=lambda history: -history.notifications)
        return ranked[:NOISIEST]

    @property
    def flapping(self) -> list[AlertHistory]:
        """Alerts that fired (and resolved in between) at least `flap_episodes` times."""
        flapping = [history for history in self.histories if history.flaps(self.flap_episodes)]
        return sorted(flapping, key=lambda history: -len(history.episodes))

    def record(self) -> dict[str, Any]:
        """JSON-ready figures for `stats --json`."""
        return {
            "since": self.window.start.isoformat(),
            "until": self.window.end.isoformat(),
            "notifications": self.notifications,
            "quarantined": self.quarantined,
            "by_status": dict(self.by_status.most_common()),
            "by_receiver": dict(self.by_receiver.most_common()),
            "by_alertname": dict(self.by_alertname.most_common()),
            "episodes_by_alertname": dict(self.episodes_by_alertname.most_common()),
            "episodes_by_severity": dict(self.episodes_by_severity.most_common()),
            "noisiest": [_history_record(history) for history in self.noisiest],
            "flapping": [_history_record(history) for history in self.flapping],
            **self.quiet.record(),
        }


def compute(
    window: Window,
    entries: Sequence[Entry],
    read: Iterable[tuple[Entry, Mapping[str, Any] | None]],
    quarantined: int = 0,
    flap_episodes: int = DEFAULT_FLAP_EPISODES,
) -> Stats:
    """Stats from listed entries and their parsed bodies, read oldest first.

    Args:
        window: the receipt-time window.
        entries: every notification in the window (counted from metadata).
        read: those whose body could be read, with it parsed, oldest first.
        quarantined: how many quarantined bodies the same selection finds.
        flap_episodes: how many episodes make an alert flapping.
    """
    by_alertname: collections.Counter[str] = collections.Counter()
    for entry in entries:
        by_alertname.update(entry.alertnames or ("(none)",))
    builder = Histories()
    for entry, document in read:
        builder.add(entry.received_at, document)
    alert_histories = builder.finish()
    episodes_by_alertname: collections.Counter[str] = collections.Counter()
    episodes_by_severity: collections.Counter[str] = collections.Counter()
    for history in alert_histories:
        episodes_by_alertname[history.alertname or "(none)"] += len(history.episodes)
        episodes_by_severity[history.severity or "(none)"] += len(history.episodes)
    return Stats(
        window=window,
        notifications=len(entries),
        quarantined=quarantined,
        by_status=collections.Counter(entry.status or "(none)" for entry in entries),
        by_receiver=collections.Counter(entry.receiver or "(none)" for entry in entries),
        by_alertname=by_alertname,
        episodes_by_alertname=episodes_by_alertname,
        episodes_by_severity=episodes_by_severity,
        histories=alert_histories,
        flap_episodes=flap_episodes,
    )


def _history_record(history: AlertHistory) -> dict[str, Any]:
    return {
        "fingerprint": history.fingerprint,
        "alertname": history.alertname,
        "labels": history.labels,
        "notifications": history.notifications,
        "episodes": len(history.episodes),
        "resolutions": history.resolutions,
        "still_firing": bool(history.episodes and history.episodes[-1].open),
    }
