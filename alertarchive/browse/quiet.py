"""What kept alerts quiet in a window, and which deliveries the event recorder left unrecorded.

From the event recorder's events (`events/`, Alertmanager 0.33+):

- Each alert muted by a silence or an inhibition, with what muted it and for how many hours.
  A mute fact is kept once per receive hour (archive/events.py), so the hours holding a mute
  object for an alert are the hours it was muted.
- The silences themselves (silenceCreated, silenceUpdated, and those a mute event carries).
- Deliveries without a `notification` event: the recorder drops an event after `max_retries`
  and says nothing. An archived notification whose receiver and group key no `notification`
  event names within `GAP_SECONDS` of its receipt, in an hour and receiver the recorder did
  speak about, looks like such a drop.

Object names say an event's kind, so only the kinds asked for are read; listing stays within
the window's partitions of the days present.

The options `stats` and `report` filter deliveries with apply to the muted alerts too:
--source (the mute event's `source`), --alertname and --label (the muted alert's labels, which
the mute event carries), --status (muting is of firing alerts: --status resolved alone keeps
none), and --receiver: a mute event names a receiver only when it carries a group (0.33.1's
silenceMutedAlert and inhibitionMutedAlert carry none), so under --receiver a mute naming no
receiver is left out and the section says so (MUTE_RECEIVER_NOTE). The silences listed are
then those that muted a kept alert (under --source alone: those recorded by that source). The
unrecorded-deliveries count is over the deliveries the filters kept.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from alertarchive.archive import events
from alertarchive.archive.storage import Archive, StoredObject
from alertarchive.browse import recorded, timewindow, why
from alertarchive.browse.catalog import Entry, Filters, receiver_matches
from alertarchive.browse.episodes import parse_time, split_labels

# How far apart a delivery's receipt and its `notification` event may be. The event is recorded
# after the delivery succeeded, on Alertmanager's clock; the receipt is on ours, and a retried
# delivery lands later: minutes of slack keep clock drift and retries from reading as drops.
GAP_SECONDS = 300
DROPPED_HINT = "the recorder may have dropped events: raise max_retries"
SILENCED = "silenced"
INHIBITED = "inhibited"
MUTE_RECEIVER_NOTE = (
    "mute events name no receiver: under --receiver only mutes naming that receiver are shown"
)


@dataclasses.dataclass(frozen=True)
class QuietAlert:
    """One alert muted in the window, and by what."""

    fingerprint: str  # 16 hex digits, as webhook bodies carry it
    labels: dict[str, str]
    how: str  # SILENCED or INHIBITED
    by: str  # "silence fe0a605f (oncall@example.com: "…")" or "KubeNodeNotReady (…) under rule …"
    silence: why.Silence | None  # the silence, when silenced
    sources: tuple[str, ...]  # the inhibiting alerts (name and fingerprint), when inhibited
    rule: str  # the inhibit rule, when inhibited
    hours: tuple[str, ...]  # the receive hours holding a mute object: `2026-12-01T20`
    first: datetime.datetime
    last: datetime.datetime
    source: str = ""  # the source tag the mute events were received under
    receiver: str = ""  # the receiver the mute event names (its group's), if any

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def muted_hours(self) -> int:
        return len(self.hours)

    def record(self) -> dict[str, Any]:
        """JSON-ready, for `stats --json`."""
        silence = self.silence
        return {
            "fingerprint": self.fingerprint,
            "alertname": self.alertname,
            "labels": self.labels,
            "how": self.how,
            "by": self.by,
            "silence": dataclasses.asdict(silence) if silence else None,
            "inhibiting_alerts": list(self.sources),
            "rule": self.rule or None,
            "muted_hours": self.muted_hours,
            "hours": list(self.hours),
            "first_muted": self.first.isoformat(),
            "last_muted": self.last.isoformat(),
            "source": self.source,
        }


@dataclasses.dataclass(frozen=True)
class Quiet:
    """The window's muted alerts, its silences, and deliveries without a notification event."""

    alerts: tuple[QuietAlert, ...] = ()
    silences: tuple[why.Silence, ...] = ()
    unrecorded_deliveries: int = 0
    has_events: bool = False
    note: str = ""  # what the filters could not decide (MUTE_RECEIVER_NOTE)
    # Each silence's id → the sources whose events named it (for --source).
    silence_sources: Mapping[str, frozenset[str]] = dataclasses.field(
        default_factory=dict, compare=False
    )

    def for_fingerprint(self, fingerprint: str) -> list[QuietAlert]:
        return [alert for alert in self.alerts if alert.fingerprint == fingerprint]

    def record(self) -> dict[str, Any]:
        return {
            "quiet": [alert.record() for alert in self.alerts],
            "silences": [dataclasses.asdict(silence) for silence in self.silences],
            "unrecorded_deliveries": self.unrecorded_deliveries,
        }


def distinct_labels(alerts: Sequence[QuietAlert]) -> list[str]:
    """Each alert's labels that tell it from the other muted alerts of its name, as `k=v,…`."""
    by_name: dict[str, list[dict[str, str]]] = {}
    for alert in alerts:
        others = {k: v for k, v in alert.labels.items() if k != "alertname"}
        by_name.setdefault(alert.alertname, []).append(others)
    keys = {}
    for name, sets in by_name.items():
        _, distinct = split_labels(sets)
        unique = {tuple(sorted(s.items())) for s in sets}
        keys[name] = distinct if len(unique) > 1 else sorted(set().union(*sets))
    return [
        ",".join(f"{k}={alert.labels[k]}" for k in keys[alert.alertname] if k in alert.labels)
        for alert in alerts
    ]


def unrecorded_text(count: int) -> str:
    """The line `why` and `stats` print when deliveries lack a notification event."""
    noun = "delivery has" if count == 1 else "deliveries have"
    return f"{count} {noun} no notification event ({DROPPED_HINT})"


def read(
    archive: Archive,
    span: timewindow.Window,
    entries: Sequence[Entry] = (),
    filters: Filters | None = None,
) -> Quiet:
    """What kept alerts quiet in span, and how many of the entries lack a notification event.

    The entries are the deliveries the filters kept; the mutes and silences are filtered here.
    """
    found = _read(archive, span, entries, _MUTE_KINDS + _DELIVERY_KINDS)
    return _filtered(found, filters or Filters())


def _filtered(found: Quiet, filters: Filters) -> Quiet:
    """The muted alerts the filters keep, and the silences that go with them."""
    if filters == Filters():
        return found
    alerts = tuple(alert for alert in found.alerts if _keeps(alert, filters))
    silences = found.silences
    if filters.sources:
        silences = tuple(
            s
            for s in silences
            if found.silence_sources.get(s.id, frozenset()) & set(filters.sources)
        )
    if filters.alertnames or filters.labels or filters.statuses or filters.receivers:
        muting = {alert.silence.id for alert in alerts if alert.silence}
        silences = tuple(s for s in silences if s.id in muting)
    note = MUTE_RECEIVER_NOTE if filters.receivers else ""
    return dataclasses.replace(found, alerts=alerts, silences=silences, note=note)


def _keeps(alert: QuietAlert, filters: Filters) -> bool:
    if filters.statuses and "firing" not in filters.statuses:
        return False  # Alertmanager mutes firing alerts
    if filters.sources and alert.source not in filters.sources:
        return False
    if filters.alertnames and alert.alertname not in filters.alertnames:
        return False
    if any(alert.labels.get(key) != value for key, value in filters.labels):
        return False
    return not filters.receivers or any(
        receiver_matches(alert.receiver, wanted) for wanted in filters.receivers
    )


def unrecorded(archive: Archive, span: timewindow.Window, entries: Sequence[Entry]) -> int:
    """How many of the entries (archived deliveries) have no notification event near them."""
    return _read(archive, span, entries, _DELIVERY_KINDS).unrecorded_deliveries


_MUTE_KINDS = (
    events.SILENCE_CREATED,
    events.SILENCE_UPDATED,
    events.SILENCE_MUTED,
    events.INHIBITION_MUTED,
    events.ALERT_CREATED,  # names alerts, for "inhibited by KubeNodeNotReady"
)
_DELIVERY_KINDS = (events.NOTIFICATION, events.ALERT_GROUPED)


def _read(
    archive: Archive, span: timewindow.Window, entries: Sequence[Entry], kinds: Sequence[str]
) -> Quiet:
    days = archive.list_folders(f"{events.RECORDED}/")
    if not days:
        return Quiet()
    mutes: list[tuple[StoredObject, events.RecordedEvent]] = []
    silences: dict[str, tuple[str, why.Silence]] = {}
    silence_sources: dict[str, set[str]] = {}
    notified: list[tuple[datetime.datetime, str, str]] = []  # (at, receiver, group key)
    spoken: set[tuple[str, str]] = set()  # (hour, receiver) the recorder named
    hours_with_events: set[str] = set()
    names: dict[str, str] = {}
    for stored, event in recorded.read_events(archive, span, kinds, days):
        hours_with_events.add(_hour(stored.name))
        if event is None:
            continue
        payload = event.payload
        for fingerprint in event.fingerprints:
            if event.alertname and event.alertname != "several":
                names.setdefault(fingerprint, event.alertname)
        group = payload.get("groupInfo") or {}
        if isinstance(group, dict) and group.get("receiverName"):
            spoken.add((_hour(stored.name), str(group["receiverName"])))
        if event.kind == events.NOTIFICATION and isinstance(group, dict):
            at = parse_time(event.recorded_at)
            if at is not None:
                notified.append(
                    (at, str(group.get("receiverName", "")), str(group.get("groupKey")))
                )
        if event.kind in (events.SILENCE_CREATED, events.SILENCE_UPDATED, events.SILENCE_MUTED):
            raw = payload.get("silence") or {}
            if isinstance(raw, dict) and raw.get("id"):
                updated = str(raw.get("updatedAt", ""))
                known = silences.get(str(raw["id"]))
                if known is None or updated >= known[0]:
                    silences[str(raw["id"])] = (updated, why.silence_of(raw))
                silence_sources.setdefault(str(raw["id"]), set()).add(_source(stored))
        if event.kind in (events.SILENCE_MUTED, events.INHIBITION_MUTED):
            at = parse_time(event.recorded_at)
            if at is not None and at in span:
                mutes.append((stored, event))
    return Quiet(
        alerts=tuple(_quiet_alerts(mutes, names)),
        silences=tuple(
            sorted((s for _, s in silences.values()), key=lambda s: (s.starts_at, s.id))
        ),
        unrecorded_deliveries=_unrecorded(entries, notified, spoken, hours_with_events),
        has_events=True,
        silence_sources={key: frozenset(value) for key, value in silence_sources.items()},
    )


def _source(stored: StoredObject) -> str:
    return str(stored.metadata.get("source", ""))


def _hour(name: str) -> str:
    """`events/dt=2026-12-01/hour=20/…` → `2026-12-01T20`; "" when the name has no partition."""
    parts = dict(
        part.split("=", 1) for part in name.split("/")[1:3] if part.startswith(("dt=", "hour="))
    )
    return f"{parts['dt']}T{parts['hour']}" if {"dt", "hour"} <= parts.keys() else ""


def _quiet_alerts(
    mutes: Sequence[tuple[StoredObject, events.RecordedEvent]], names: Mapping[str, str]
) -> list[QuietAlert]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for stored, event in mutes:
        payload = event.payload
        muted = payload.get("mutedAlert") or {}
        labels = events.label_map(muted.get("labels") if isinstance(muted, dict) else None)
        at = parse_time(event.recorded_at)
        assert at is not None  # only timed mutes are passed
        sources: tuple[str, ...] = ()
        if event.kind == events.SILENCE_MUTED:
            silence = why.silence_of(payload.get("silence") or {})
            how, by, rule = SILENCED, why.describe_silence(silence), ""
            key = f"silence|{silence.id}"
        else:
            silence = None
            sources = tuple(
                f"{names.get(hexed, 'an alert')} ({hexed})"
                for value in payload.get("inhibitingFingerprints") or []
                if str(value).isdigit()
                for hexed in [events.hex_fingerprint(value)]
            )
            rule = "; ".join(
                why.rule_text(r) for r in payload.get("inhibitRules") or [] if isinstance(r, dict)
            )
            how = INHIBITED
            by = (", ".join(sources) or "an alert") + (f" under rule {rule}" if rule else "")
            key = f"inhibition|{by}"
        group = payload.get("groupInfo")
        receiver = str(group.get("receiverName", "")) if isinstance(group, dict) else ""
        key = f"{_source(stored)}|{receiver}|{key}"
        for fingerprint in event.fingerprints:
            slot = found.setdefault(
                (fingerprint, key),
                {
                    "fingerprint": fingerprint,
                    "labels": labels,
                    "how": how,
                    "by": by,
                    "silence": silence,
                    "sources": sources,
                    "rule": rule,
                    "hours": set(),
                    "first": at,
                    "last": at,
                    "source": _source(stored),
                    "receiver": receiver,
                },
            )
            slot["hours"].add(_hour(stored.name))
            slot["first"], slot["last"] = min(slot["first"], at), max(slot["last"], at)
    result = [
        QuietAlert(**{**slot, "hours": tuple(sorted(slot["hours"] - {""}))})
        for slot in found.values()
    ]
    result.sort(key=lambda q: (q.alertname, sorted(q.labels.items()), q.first))
    return result


def _unrecorded(
    entries: Sequence[Entry],
    notified: Sequence[tuple[datetime.datetime, str, str]],
    spoken: set[tuple[str, str]],
    hours_with_events: set[str],
) -> int:
    """Deliveries (archived bodies, each once) with no notification event near them."""
    near = datetime.timedelta(seconds=GAP_SECONDS)
    seen: set[str] = set()
    missing = 0
    for entry in entries:
        if entry.sha256 in seen or not entry.group_key:
            continue
        seen.add(entry.sha256)
        hour = f"{entry.received_at.astimezone(datetime.UTC):%Y-%m-%dT%H}"
        if hour not in hours_with_events or (hour, entry.receiver) not in spoken:
            continue  # the recorder said nothing of this hour or receiver: no evidence either way
        if not any(
            receiver == entry.receiver
            and group == entry.group_key
            and abs(at - entry.received_at) <= near
            for at, receiver, group in notified
        ):
            missing += 1
    return missing
