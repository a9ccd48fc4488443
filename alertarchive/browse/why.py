"""Why an alert did or did not reach anyone: its life in Alertmanager, from the archive alone.

Two sources, joined on the alert's fingerprint (events carry it in decimal, webhook bodies in
hex): the event recorder's events (`events/`, Alertmanager 0.33+: created, grouped, muted by a
silence or an inhibition, notified, resolved) and the archived notifications (`alerts/`: what
this receiver was actually sent). Without events, only the second can speak, and says so.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from alertarchive.archive import events, layout
from alertarchive.archive.notification import parse_json
from alertarchive.archive.storage import Archive, NotFound, StoredObject
from alertarchive.browse import recorded, timewindow
from alertarchive.browse.catalog import listed_prefixes
from alertarchive.browse.errors import UserError

# Printed when the archive holds no events at all, so the user can turn the recorder on.
RECORDER_HOWTO = """\
Alertmanager 0.33+ can say why: start it with --enable-feature=event-recorder and add
  event_recorder:
    webhook_outputs:
      - url: https://YOUR-FUNCTION-URL/-/events
        http_config:
          authorization:
            credentials: YOUR-TOKEN
        # Events are best effort: the recorder retries 3 times (~1.5 s) and then drops them.
        max_retries: 10
        retry_backoff: 1s"""


@dataclasses.dataclass(frozen=True)
class Step:
    """One moment in an alert's life."""

    at: datetime.datetime
    what: str  # created, grouped, notified, silenced, inhibited, resolved, archived
    text: str
    fingerprint: str
    object_name: str = ""  # the archived object this step comes from or links to


@dataclasses.dataclass(frozen=True)
class Silence:
    """A silence as the recorder described it."""

    id: str
    matchers: str
    created_by: str
    comment: str
    starts_at: str
    ends_at: str


@dataclasses.dataclass(frozen=True)
class Explanation:
    """An alert's steps in time order, and the one-line answer to "why (not)?"."""

    alertname: str
    steps: tuple[Step, ...]
    verdict: str
    has_events: bool


class SeveralAlerts(UserError):
    """More than one alert (fingerprint) matches: one answer would mix their stories."""

    def __init__(self, alertname: str, candidates: Mapping[str, Mapping[str, str]]) -> None:
        self.candidates = dict(sorted(candidates.items()))
        super().__init__(
            f"{len(self.candidates)} alerts match {alertname}: add --label or give --fingerprint"
        )


def explain(
    archive: Archive,
    span: timewindow.Window,
    alertname: str,
    labels: Mapping[str, str] | None = None,
    fingerprint: str | None = None,
    sources: Sequence[str] = (),
) -> Explanation:
    """What the archive knows of the one alert named alertname (carrying labels) in span.

    With sources, only the events and notifications received under those source tags.

    Raises:
        SeveralAlerts: more than one alert matches and no fingerprint picks one.
    """
    wanted = _Wanted(alertname, dict(labels or {}), fingerprint)
    everything = [
        (stored, event)
        for stored, event in recorded.read_events(archive, span)
        if event is not None and (not sources or stored.metadata.get("source") in sources)
    ]
    its_events = [(stored, event) for stored, event in everything if wanted.matches_any(event)]
    archived = _archived_notifications(archive, span, wanted, sources)
    candidates = {
        found: labels_of
        for _, event in its_events
        for found, labels_of in _event_alerts(event)
        if wanted.matches(found, labels_of)
    } | {step.fingerprint: labels_of for step, labels_of in archived}
    if fingerprint is None and len(candidates) > 1:
        raise SeveralAlerts(alertname, candidates)
    # From every event, not only this alert's: an inhibiting alert is another alert.
    names = _names_by_fingerprint(event for _, event in everything)
    steps = [step for stored, event in its_events for step in _steps(stored, event, names)]
    steps += [step for step, _ in archived]
    steps.sort(key=lambda step: (step.at, _ORDER.get(step.what, 9)))
    has_events = bool(everything) or _archive_has_events(archive)
    return Explanation(alertname, tuple(steps), _verdict(steps, has_events), has_events)


# Within one instant, the order Alertmanager does things in.
_ORDER = {"created": 0, "grouped": 1, "silenced": 2, "inhibited": 2, "notified": 3, "archived": 4}


def _archive_has_events(archive: Archive) -> bool:
    return bool(archive.list_folders(f"{events.RECORDED}/"))


@dataclasses.dataclass(frozen=True)
class _Wanted:
    """The alert asked about: its name, labels it must carry, and maybe its fingerprint."""

    alertname: str
    labels: Mapping[str, str]
    fingerprint: str | None

    def matches(self, fingerprint: str, labels: Mapping[str, str]) -> bool:
        return (
            labels.get("alertname") == self.alertname
            and _carries(labels, self.labels)
            and self.fingerprint in (None, fingerprint)
        )

    def matches_any(self, event: events.RecordedEvent) -> bool:
        return any(self.matches(found, labels) for found, labels in _event_alerts(event))


def _event_alerts(event: events.RecordedEvent) -> list[tuple[str, dict[str, str]]]:
    """The (hex fingerprint, labels) of each alert an event names."""
    payload = event.payload
    if event.kind == events.ALERT_CREATED:
        snapshots = [payload.get("alert") or {}]
    elif event.kind in (events.ALERT_GROUPED, events.ALERT_RESOLVED):
        snapshots = [(payload.get("alert") or {}).get("details") or {}]
    elif event.kind in (events.SILENCE_MUTED, events.INHIBITION_MUTED):
        snapshots = [payload.get("mutedAlert") or {}]
    elif event.kind == events.NOTIFICATION:
        snapshots = [
            grouped.get("details") or {}
            for grouped in payload.get("alerts") or []
            if isinstance(grouped, dict)
        ]
    else:
        snapshots = []
    return [
        (_hex(snapshot.get("fingerprint")), events.label_map(snapshot.get("labels")))
        for snapshot in snapshots
        if isinstance(snapshot, dict)
    ]


def _hex(decimal: Any) -> str:
    return events.hex_fingerprint(decimal) if str(decimal).isdigit() else ""


def _carries(found: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(found.get(key) == value for key, value in wanted.items())


def _archived_notifications(
    archive: Archive, span: timewindow.Window, wanted: _Wanted, sources: Sequence[str] = ()
) -> list[tuple[Step, dict[str, str]]]:
    """A step for each archived notification that carried a matching alert, and its labels."""
    alertname = wanted.alertname
    found = []
    for prefix in listed_prefixes(archive, span, layout.ARCHIVED):
        for stored in archive.objects(prefix):
            if alertname not in (stored.metadata.get("alertnames") or "").split(","):
                continue
            if sources and stored.metadata.get("source") not in sources:
                continue
            try:
                body = parse_json(archive.read(stored.name))
            except (NotFound, ValueError):
                continue
            received = _received_at(stored)
            if received is None or received not in span:
                continue
            for alert in body.get("alerts") or []:
                alert_labels = {
                    str(key): str(value) for key, value in (alert.get("labels") or {}).items()
                }
                if not wanted.matches(str(alert.get("fingerprint", "")), alert_labels):
                    continue
                reason = body.get("notification_reason")
                text = (
                    f"archived notification to {body.get('receiver', '?')}: {alert.get('status')}"
                    + (f" ({reason})" if reason else "")
                )
                fingerprint = str(alert.get("fingerprint", ""))
                step = Step(received, "archived", text, fingerprint, stored.name)
                found.append((step, alert_labels))
    return found


def _names_by_fingerprint(recorded: Iterable[events.RecordedEvent]) -> dict[str, str]:
    """Alert names by hex fingerprint, to say which alert inhibited another."""
    return {
        fingerprint: event.alertname
        for event in recorded
        for fingerprint in event.fingerprints
        if event.alertname and event.alertname != "several"
    }


def _steps(
    stored: StoredObject, event: events.RecordedEvent, names: Mapping[str, str]
) -> list[Step]:
    payload = event.payload
    at = (
        _parse(event.recorded_at)
        or _received_at(stored)
        or datetime.datetime.min.replace(tzinfo=datetime.UTC)
    )
    fingerprint = ",".join(event.fingerprints)
    if event.kind == events.ALERT_CREATED:
        alert = payload.get("alert") or {}
        return [
            Step(
                at,
                "created",
                f"created (firing since {alert.get('startsAt', '?')})",
                fingerprint,
                stored.name,
            )
        ]
    if event.kind == events.ALERT_GROUPED:
        group = payload.get("groupInfo") or {}
        return [
            Step(
                at,
                "grouped",
                f"grouped for receiver {group.get('receiverName', '?')} "
                f"in {group.get('groupKey', '?')}",
                fingerprint,
                stored.name,
            )
        ]
    if event.kind == events.ALERT_RESOLVED:
        return [Step(at, "resolved", "resolved", fingerprint, stored.name)]
    if event.kind == events.NOTIFICATION:
        group = payload.get("groupInfo") or {}
        integration = payload.get("integration") or {}
        reason = (
            str(payload.get("reason", "")).removeprefix("NOTIFY_REASON_").lower().replace("_", " ")
        )
        return [
            Step(
                at,
                "notified",
                f"notification delivered to {group.get('receiverName', '?')} via "
                f"{integration.get('name', '?')}[{integration.get('index', 0)}]"
                + (f" ({reason})" if reason else ""),
                fingerprint,
                stored.name,
            )
        ]
    if event.kind == events.SILENCE_MUTED:
        silence = silence_of(payload.get("silence") or {})
        return [
            Step(at, "silenced", f"muted by {describe_silence(silence)}", fingerprint, stored.name)
        ]
    if event.kind == events.INHIBITION_MUTED:
        sources = [
            events.hex_fingerprint(f)
            for f in payload.get("inhibitingFingerprints") or []
            if str(f).isdigit()
        ]
        by = (
            ", ".join(f"{names.get(source, 'an alert')} ({source})" for source in sources)
            or "an alert"
        )
        rules = "; ".join(rule_text(rule) for rule in payload.get("inhibitRules") or [])
        return [
            Step(
                at,
                "inhibited",
                f"inhibited by {by}" + (f" under rule {rules}" if rules else ""),
                fingerprint,
                stored.name,
            )
        ]
    return []


def silence_of(silence: Mapping[str, Any]) -> Silence:
    """The parts of a recorder silence a person reads."""
    matchers = ", ".join(
        str(matcher.get("rendered") or f"{matcher.get('name')}~{matcher.get('pattern')}")
        for matcher in silence.get("matchers") or []
        if isinstance(matcher, dict)
    )
    return Silence(
        id=str(silence.get("id", "")),
        matchers=matchers,
        created_by=str(silence.get("createdBy", "")),
        comment=str(silence.get("comment", "")),
        starts_at=str(silence.get("startsAt", "")),
        ends_at=str(silence.get("endsAt", "")),
    )


def describe_silence(silence: Silence) -> str:
    """`silence 2ff23e70 {alertname="X"} (sre@example.com: "maintenance") from A to B`."""
    return (
        f"silence {silence.id[:8]} {{{silence.matchers}}} "
        f'({silence.created_by}: "{silence.comment}") from {_short(silence.starts_at)} to '
        f"{_short(silence.ends_at)}"
    )


def rule_text(rule: Mapping[str, Any]) -> str:
    """An inhibit rule: `{source matchers} mutes {target matchers} with equal node`."""

    def rendered(matchers: Any) -> str:
        return ", ".join(str(m.get("rendered", "")) for m in matchers or [] if isinstance(m, dict))

    equal = ",".join(rule.get("equalLabels") or [])
    source, target = rendered(rule.get("sourceMatchers")), rendered(rule.get("targetMatchers"))
    return f"{{{source}}} mutes {{{target}}}" + (f" with equal {equal}" if equal else "")


def _verdict(steps: Sequence[Step], has_events: bool) -> str:
    """The answer, from the last thing that happened: a delivery, or what kept it quiet."""
    # With events, each delivery is a `notified` step (to any integration); the archived body
    # is the same delivery seen from this receiver, so it is counted only without events.
    delivered = [step for step in steps if step.what == "notified"] or [
        step for step in steps if step.what == "archived"
    ]
    last_delivery = delivered[-1].at if delivered else None
    quiet = [
        step
        for step in steps
        if step.what in ("silenced", "inhibited")
        and (last_delivery is None or step.at > last_delivery)
    ]
    if quiet and last_delivery is None:
        return f"not sent: {quiet[-1].text}"
    if quiet:
        return f"not sent since {last_delivery:%Y-%m-%d %H:%M:%S}Z: {quiet[-1].text}"
    if delivered:
        return (
            f"notified: {len(delivered)} {'delivery' if len(delivered) == 1 else 'deliveries'} "
            "recorded, the last at "
            f"{last_delivery:%Y-%m-%d %H:%M:%S}Z ({delivered[-1].text})"
        )
    if any(step.what == "grouped" for step in steps):
        return (
            "not sent: grouped for a receiver, but no delivery was recorded "
            "(a failed delivery, or still within group_wait)"
        )
    if any(step.what == "created" for step in steps):
        return "not sent: Alertmanager received it but grouped it into no receiver (check routes)"
    if not has_events:
        return "nothing archived about it, and the archive holds no event recorder events"
    return "nothing archived about it: Alertmanager recorded no such alert in the window"


def _received_at(stored: StoredObject) -> datetime.datetime | None:
    return _parse(stored.metadata.get("received_at", ""))


def _parse(text: str) -> datetime.datetime | None:
    if not text:
        return None
    head, _, fraction = text.rstrip("Z").partition(".")
    try:
        moment = datetime.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.UTC)
    except ValueError:
        return None
    return moment + datetime.timedelta(microseconds=int((fraction + "000000")[:6] or 0))


def _short(text: str) -> str:
    moment = _parse(text)
    return f"{moment:%Y-%m-%d %H:%M}Z" if moment else text or "?"
