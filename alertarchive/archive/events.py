"""Alertmanager's recorded events in the archive: what each one is about, and its object name.

    events/dt=2026-12-01/hour=20/source=default/silenceMutedAlert-CPUThrottlingHigh-<sha256>.json

The event recorder repeats itself: a mute is recorded on every pass over a group (each
group_interval), and each HA peer records its own copy with its own `instance` and timestamp.
So an event's name does not hash its bytes, as a notification's does, but its *fact*: the
silence and the alert it muted, the silence's id and update time, the alert and its start.
Within one receive hour a repeat or a peer's copy lands on the name already taken and the
create-only write keeps the first copy's exact bytes; the next hour records the fact again,
so a mute that lasts shows up once per hour it lasted.

Fingerprints in events are decimal uint64 strings; webhook bodies carry 16 hex digits.
`hex_fingerprint` converts, so the two can be joined.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Iterable
from typing import Any

from alertarchive.archive import layout

RECORDED = "events"

# The keys of EventData's oneof in eventrecorder.proto, as protojson spells them.
STARTUP = "alertmanagerStartupEvent"
SHUTDOWN = "alertmanagerShutdownEvent"
ALERT_CREATED = "alertCreated"
ALERT_RESOLVED = "alertResolved"
ALERT_GROUPED = "alertGrouped"
NOTIFICATION = "notification"
SILENCE_CREATED = "silenceCreated"
SILENCE_UPDATED = "silenceUpdated"
SILENCE_MUTED = "silenceMutedAlert"
INHIBITION_MUTED = "inhibitionMutedAlert"
KNOWN_KINDS = (
    STARTUP,
    SHUTDOWN,
    ALERT_CREATED,
    ALERT_RESOLVED,
    ALERT_GROUPED,
    NOTIFICATION,
    SILENCE_CREATED,
    SILENCE_UPDATED,
    SILENCE_MUTED,
    INHIBITION_MUTED,
)


class NotAnEvent(ValueError):
    """A document without the Event envelope (`@timestamp`, `data` with one event type)."""


@dataclasses.dataclass(frozen=True)
class RecordedEvent:
    """One event, with what identifies the fact it records."""

    kind: str  # the EventData key, e.g. "silenceMutedAlert"; unknown kinds are kept as sent
    recorded_at: str  # the event's @timestamp, as sent
    instance: str  # the Alertmanager that recorded it
    alertname: str  # the alert it is about, "" when none (a silence, a startup)
    fingerprints: tuple[str, ...]  # 16-hex-digit fingerprints of the alerts it names
    fact: str  # what the event says, independent of who said it and when it was repeated
    document: dict[str, Any]

    @property
    def payload(self) -> dict[str, Any]:
        """The event type's own fields (what its one `data` key holds); {} if not an object."""
        payload = next(iter(self.document["data"].values()))
        return payload if isinstance(payload, dict) else {}

    @property
    def fact_sha256(self) -> str:
        return hashlib.sha256(self.fact.encode()).hexdigest()


def hex_fingerprint(decimal: str | int) -> str:
    """An event's decimal uint64 fingerprint as the 16 hex digits a webhook body carries."""
    return f"{int(decimal):016x}"


def label_map(label_set: dict[str, Any] | None) -> dict[str, str]:
    """A protojson LabelSet ({"labels": [{"key", "value"}, …]}) as a plain mapping."""
    pairs = (label_set or {}).get("labels") or []
    return {
        str(pair.get("key", "")): str(pair.get("value", ""))
        for pair in pairs
        if isinstance(pair, dict)
    }


def read(document: Any) -> RecordedEvent:
    """The event one recorder document holds.

    Raises:
        NotAnEvent: the document lacks the envelope (the schema check comes first; this guards).
    """
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise NotAnEvent("an event is an object with @timestamp and data")
    data = document["data"]
    if len(data) != 1:
        raise NotAnEvent("an event's data holds exactly one event type")
    ((kind, payload),) = data.items()
    payload = payload if isinstance(payload, dict) else {}
    alerts = list(_alerts(kind, payload))
    names = sorted(
        {
            alert.get("name") or label_map(alert.get("labels")).get("alertname", "")
            for alert in alerts
        }
        - {""}
    )
    fingerprints = tuple(
        sorted(
            {
                hex_fingerprint(alert["fingerprint"])
                for alert in alerts
                if _is_uint64(alert.get("fingerprint"))
            }
        )
    )
    recorded_at = str(document.get("@timestamp", ""))
    instance = str(document.get("instance", ""))
    return RecordedEvent(
        kind=kind,
        recorded_at=recorded_at,
        instance=instance,
        alertname=names[0] if len(names) == 1 else ("" if not names else "several"),
        fingerprints=fingerprints,
        fact=_fact(kind, payload, recorded_at, instance),
        document=document,
    )


def object_name(event: RecordedEvent, received_at: datetime.datetime, source: str) -> str:
    """Where an event is kept: the receive hour's partition, then kind, alert and fact hash."""
    title = event.alertname or _silence(event).get("id", "") or event.kind
    return (
        f"{layout.partition(RECORDED, received_at, source)}"
        f"{layout.readable_title(event.kind)}-{layout.readable_title(title)}-{event.fact_sha256}.json"
    )


def _silence(event: RecordedEvent) -> dict[str, Any]:
    silence = event.payload.get("silence")
    return silence if isinstance(silence, dict) else {}


def _is_uint64(value: Any) -> bool:
    # Digits only; a value past 2**64 (no Alertmanager sends one) keeps its longer hex form
    # rather than vanishing from the metadata.
    return isinstance(value, str | int) and str(value).isdigit() and len(str(value)) <= 40


def _alerts(kind: str, payload: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """The alert snapshots an event carries, whatever its kind."""
    if kind == ALERT_CREATED:
        yield payload.get("alert") or {}
    elif kind in (ALERT_RESOLVED, ALERT_GROUPED):
        yield (payload.get("alert") or {}).get("details") or {}
    elif kind == NOTIFICATION:
        for grouped in payload.get("alerts") or []:
            if isinstance(grouped, dict):
                yield grouped.get("details") or {}
    elif kind in (SILENCE_MUTED, INHIBITION_MUTED):
        muted = payload.get("mutedAlert") or {}
        yield {"fingerprint": muted.get("fingerprint"), "labels": muted.get("labels")}


def _fact(kind: str, payload: dict[str, Any], recorded_at: str, instance: str) -> str:
    """The identity of what an event records: equal for repeats and HA peers' copies."""
    if kind in (SILENCE_CREATED, SILENCE_UPDATED):
        silence = payload.get("silence") or {}
        return f"{kind}|{silence.get('id')}|{silence.get('updatedAt')}"
    if kind == SILENCE_MUTED:
        silence = payload.get("silence") or {}
        muted = payload.get("mutedAlert") or {}
        return f"{kind}|{silence.get('id')}|{silence.get('updatedAt')}|{muted.get('fingerprint')}"
    if kind == INHIBITION_MUTED:
        muted = payload.get("mutedAlert") or {}
        sources = ",".join(sorted(str(f) for f in payload.get("inhibitingFingerprints") or []))
        return f"{kind}|{muted.get('fingerprint')}|{sources}"
    if kind == ALERT_CREATED:
        alert = payload.get("alert") or {}
        return f"{kind}|{alert.get('fingerprint')}|{alert.get('startsAt')}"
    if kind in (ALERT_GROUPED, ALERT_RESOLVED):
        grouped = payload.get("alert") or {}
        details = grouped.get("details") or {}
        group = (payload.get("groupInfo") or {}).get("groupKey")
        return (
            f"{kind}|{details.get('fingerprint') or grouped.get('hash')}|{group}"
            f"|{details.get('startsAt')}|{details.get('resolved', False)}"
        )
    # A notification, a startup or shutdown, an unknown kind: each one is its own fact.
    return f"{kind}|{instance}|{recorded_at}"
